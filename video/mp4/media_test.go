package mp4

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/video/h264"
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

// accessUnits splits an Annex-B stream of single-slice pictures (x264's
// output) into access units: each ends with its slice.
func accessUnits(stream []byte) [][]byte {
	var aus [][]byte
	var cur []byte
	h264.ForEachNAL(stream, func(nal []byte) bool {
		cur = append(append(cur, 0, 0, 0, 1), nal...)
		if typ := h264.Type(nal); typ == h264.NALSlice || typ == h264.NALIDR {
			aus = append(aus, cur)
			cur = nil
		}
		return true
	})
	return aus
}

// oggPackets returns the packets of the first logical stream of an Ogg file
// (RFC 3533 6), here an Ogg Opus file (RFC 7845), without its two header
// packets.
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

// source is a synthetic camera: video access units at 90 kHz and optional
// Opus packets at 48 kHz, interleaved by time.
type source struct {
	video       [][]byte
	videoStart  int64 // PTS of the first video frame
	videoStep   int64
	audio       [][]byte
	audioStart  int64
	audioStep   int64
	serverStart time.Time
}

func clipSource(t testing.TB, audio bool) *source {
	s := &source{video: accessUnits(readTestdata(t, "clip.h264")), videoStep: 3600,
		audioStep: 960, serverStart: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	if audio {
		s.audio = oggPackets(t, readTestdata(t, "audio.opus"))
	}
	return s
}

func (s *source) tracks() []media.Track {
	tr := []media.Track{{Codec: media.CodecH264}}
	if len(s.audio) > 0 {
		tr = append(tr, media.Track{Codec: media.CodecOpus, Channels: 2})
	}
	return tr
}

// frames returns all frames in arrival order: by time, video first on ties.
func (s *source) frames() []media.Frame {
	var out []media.Frame
	i, j := 0, 0
	for i < len(s.video) || j < len(s.audio) {
		vt := time.Duration(1<<62 - 1)
		if i < len(s.video) {
			vt = media.TicksToDuration(s.videoStart+int64(i)*s.videoStep, 90000)
		}
		at := time.Duration(1<<62 - 1)
		if j < len(s.audio) {
			at = media.TicksToDuration(s.audioStart+int64(j)*s.audioStep, 48000)
		}
		if vt <= at {
			out = append(out, media.Frame{Track: 0, PTS: s.videoStart + int64(i)*s.videoStep,
				Keyframe: h264.IsKeyframe(s.video[i]), Data: s.video[i]})
			i++
		} else {
			out = append(out, media.Frame{Track: 1, PTS: s.audioStart + int64(j)*s.audioStep, Keyframe: true, Data: s.audio[j]})
			j++
		}
	}
	return out
}

// fragments cuts the frames into fragments at each video keyframe, as the
// store does.
func (s *source) fragments() []*media.Fragment {
	frames := s.frames()
	var frags []*media.Fragment
	for _, f := range frames {
		if f.Track == 0 && f.Keyframe || len(frags) == 0 {
			start := media.TicksToDuration(f.PTS-s.videoStart, 90000)
			frags = append(frags, &media.Fragment{Number: uint64(len(frags) + 1), Tracks: s.tracks(),
				ServerTime: s.serverStart.Add(start), ProducerTime: s.serverStart.Add(start)})
		}
		last := frags[len(frags)-1]
		last.Frames = append(last.Frames, f)
	}
	for _, fr := range frags {
		first, end := fr.Frames[0].PTS, fr.Frames[0].PTS
		for _, f := range fr.Frames {
			if f.Track == 0 {
				end = max(end, f.PTS+s.videoStep)
			}
		}
		fr.Duration = media.TicksToDuration(end-first, 90000)
	}
	return frags
}

type probe struct {
	Streams []struct {
		Index        int
		CodecName    string `json:"codec_name"`
		CodecType    string `json:"codec_type"`
		Width        int
		Height       int
		Channels     int
		SampleRate   string `json:"sample_rate"`
		NbReadFrames string `json:"nb_read_frames"`
		StartTime    string `json:"start_time"`
		Duration     string
	}
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string
		StartTime  string `json:"start_time"`
	}
}

// ffprobe runs ffprobe with frame counting on path.
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

// ffmpegDecode decodes path completely and fails on any decoder message.
func ffmpegDecode(t testing.TB, path string) {
	t.Helper()
	bin := needTool(t, "ffmpeg")
	out, err := exec.Command(bin, "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("ffmpeg decode %s: %v\n%s", path, err, out)
	}
}

// avccOf returns the sample an access unit must become.
func avccOf(au []byte) []byte { return h264.AnnexBToAVCC(nil, au) }

// u32s is a helper for expected tables.
func u32s(n int, v uint32) []uint32 { return slices.Repeat([]uint32{v}, n) }
