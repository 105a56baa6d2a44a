package webm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/video/media"
)

// needTool returns the path of an external tool. It skips the test when the
// tool is missing, unless CI is set: there a missing tool fails the test.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required under CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ivfFrames returns the frames of an IVF file: a 32-byte header starting
// "DKIF" (header size at offset 6), then per frame a 4-byte little-endian
// size, an 8-byte timestamp and the frame.
func ivfFrames(t testing.TB, b []byte) [][]byte {
	t.Helper()
	if len(b) < 32 || string(b[:4]) != "DKIF" {
		t.Fatal("not IVF")
	}
	b = b[binary.LittleEndian.Uint16(b[6:]):]
	var frames [][]byte
	for len(b) >= 12 {
		n := int(binary.LittleEndian.Uint32(b))
		if 12+n > len(b) {
			t.Fatal("truncated IVF frame")
		}
		frames = append(frames, b[12:12+n])
		b = b[12+n:]
	}
	return frames
}

// oggPackets returns the packets of an Ogg Opus file (RFC 3533 6, RFC 7845)
// without its two header packets.
func oggPackets(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var packets [][]byte
	var cur []byte
	for len(b) > 0 {
		if len(b) < 27 || string(b[:4]) != "OggS" {
			t.Fatalf("bad Ogg page")
		}
		nseg := int(b[26])
		lacing := b[27 : 27+nseg]
		body := b[27+nseg:]
		for _, l := range lacing {
			cur = append(cur, body[:l]...)
			body = body[l:]
			if l < 255 {
				packets = append(packets, cur)
				cur = nil
			}
		}
		b = body
	}
	if len(packets) < 2 || !bytes.HasPrefix(packets[0], []byte("OpusHead")) {
		t.Fatalf("not Ogg Opus")
	}
	return packets[2:]
}

func isVP8Key(frame []byte) bool { return len(frame) > 0 && frame[0]&1 == 0 }

// source is a synthetic camera: VP8 frames at 90 kHz and optional Opus
// packets at 48 kHz, interleaved by time.
type source struct {
	video      [][]byte
	videoStart int64
	videoStep  int64
	audio      [][]byte
	audioStart int64
	audioStep  int64
}

func clipSource(t testing.TB, audio bool) *source {
	s := &source{video: ivfFrames(t, readTestdata(t, "clip.ivf")), videoStep: 3600, audioStep: 960}
	if audio {
		s.audio = oggPackets(t, readTestdata(t, "audio.opus"))
	}
	return s
}

func (s *source) tracks() []media.Track {
	tr := []media.Track{{Codec: media.CodecVP8}}
	if len(s.audio) > 0 {
		tr = append(tr, media.Track{Codec: media.CodecOpus, Channels: 2})
	}
	return tr
}

// fragments returns the frames in arrival order (by time, video first on
// ties), cut into fragments at each video key frame.
func (s *source) fragments() []*media.Fragment {
	var frags []*media.Fragment
	add := func(f media.Frame) {
		if f.Track == 0 && f.Keyframe || len(frags) == 0 {
			frags = append(frags, &media.Fragment{Number: uint64(len(frags) + 1), Tracks: s.tracks(),
				ServerTime: time.Unix(1700000000, 0)})
		}
		last := frags[len(frags)-1]
		last.Frames = append(last.Frames, f)
	}
	i, j := 0, 0
	for i < len(s.video) || j < len(s.audio) {
		vt, at := time.Duration(1<<62), time.Duration(1<<62)
		if i < len(s.video) {
			vt = media.TicksToDuration(s.videoStart+int64(i)*s.videoStep, 90000)
		}
		if j < len(s.audio) {
			at = media.TicksToDuration(s.audioStart+int64(j)*s.audioStep, 48000)
		}
		if vt <= at {
			add(media.Frame{Track: 0, PTS: s.videoStart + int64(i)*s.videoStep, Keyframe: isVP8Key(s.video[i]), Data: s.video[i]})
			i++
		} else {
			add(media.Frame{Track: 1, PTS: s.audioStart + int64(j)*s.audioStep, Keyframe: true, Data: s.audio[j]})
			j++
		}
	}
	return frags
}

type probe struct {
	Streams []struct {
		CodecName    string `json:"codec_name"`
		Width        int
		Height       int
		Channels     int
		NbReadFrames string `json:"nb_read_frames"`
		StartTime    string `json:"start_time"`
	}
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string
	}
}

func ffprobe(t testing.TB, path string) probe {
	t.Helper()
	bin := needTool(t, "ffprobe")
	out, err := exec.Command(bin, "-v", "error", "-show_streams", "-show_format", "-count_frames", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe output: %v\n%s", err, out)
	}
	return p
}

func ffmpegDecode(t testing.TB, path string) {
	t.Helper()
	bin := needTool(t, "ffmpeg")
	out, err := exec.Command(bin, "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("ffmpeg decode %s: %v\n%s", path, err, out)
	}
}
