package webm

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/at-wat/ebml-go/webm"

	"github.com/tributary-edge/tributary/video/media"
)

func writeClip(t testing.TB, frags []*media.Fragment, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteClip(&buf, frags, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteClip(t *testing.T) {
	src := clipSource(t, true)
	file := writeClip(t, src.fragments(), Options{})
	f, blocks, err := parseWebM(file)
	if err != nil {
		t.Fatal(err)
	}
	entries := f.Segment.Tracks.TrackEntry
	if len(entries) != 2 {
		t.Fatalf("%d tracks", len(entries))
	}
	v, a := entries[0], entries[1]
	if v.TrackNumber != 1 || v.CodecID != "V_VP8" || v.TrackType != 1 || v.Video == nil || v.Video.PixelWidth != 320 || v.Video.PixelHeight != 240 {
		t.Errorf("video track %+v", v)
	}
	if a.TrackNumber != 2 || a.CodecID != "A_OPUS" || a.TrackType != 2 || a.Audio == nil || a.Audio.Channels != 2 ||
		a.Audio.SamplingFrequency != 48000 || a.SeekPreRoll != 80000000 || !bytes.Equal(a.CodecPrivate, opusHead(2)) {
		t.Errorf("audio track %+v", a)
	}
	if d := f.Segment.Info.Duration; d != 2020 {
		t.Errorf("duration %v ms, want 2020", d)
	}
	var video, audio [][]byte
	for _, b := range blocks {
		wantMS := int64(0)
		if b.track == 1 {
			wantMS = int64(len(video)) * 40
			video = append(video, b.data)
			if b.keyframe != isVP8Key(b.data) {
				t.Errorf("video block %d: keyframe flag %v", len(video)-1, b.keyframe)
			}
		} else {
			wantMS = int64(len(audio)) * 20
			audio = append(audio, b.data)
			if !b.keyframe {
				t.Errorf("audio block %d not a keyframe", len(audio)-1)
			}
		}
		if b.ms != wantMS {
			t.Errorf("track %d block at %d ms, want %d", b.track, b.ms, wantMS)
		}
	}
	if !slices.EqualFunc(video, src.video, bytes.Equal) || !slices.EqualFunc(audio, src.audio, bytes.Equal) {
		t.Errorf("blocks differ from frames: %d video, %d audio", len(video), len(audio))
	}
	// ebml-go ends the segment with an empty cluster.
	nonEmpty := slices.DeleteFunc(slices.Clone(f.Segment.Cluster), func(c webm.Cluster) bool { return len(c.SimpleBlock) == 0 })
	if len(nonEmpty) != 2 {
		t.Errorf("%d clusters with blocks, want one per key frame", len(nonEmpty))
	}
	for i, c := range nonEmpty {
		if b := c.SimpleBlock[0]; b.TrackNumber != 1 || !b.Keyframe {
			t.Errorf("cluster %d starts with track %d, keyframe %v", i, b.TrackNumber, b.Keyframe)
		}
	}
	if f.Segment.Cues != nil {
		t.Error("Cues written to a plain writer")
	}
}

// TestWriteClipCues writes to a file, where Cues can be filled in.
func TestWriteClipCues(t *testing.T) {
	src := clipSource(t, true)
	path := filepath.Join(t.TempDir(), "clip.webm")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := WriteClip(out, src.fragments(), Options{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, blocks, err := parseWebM(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != len(src.video)+len(src.audio) {
		t.Errorf("%d blocks", len(blocks))
	}
	if f.Segment.Cues == nil || len(f.Segment.Cues.CuePoint) != 2 {
		t.Fatalf("cues %+v", f.Segment.Cues)
	}
	if c := f.Segment.Cues.CuePoint[1]; c.CueTime != 1000 || c.CueTrackPositions[0].CueTrack != 1 {
		t.Errorf("second cue %+v", c)
	}
	if f.Segment.SeekHead == nil {
		t.Error("no SeekHead")
	}
}

func TestWriteClipRebases(t *testing.T) {
	src := clipSource(t, true)
	want := writeClip(t, src.fragments(), Options{})
	src.videoStart, src.audioStart = 47721*90000, 47721*48000 // crosses 2^32 at 90 kHz
	if got := writeClip(t, src.fragments(), Options{}); !bytes.Equal(got, want) {
		t.Error("clip differs when its PTS are offset past 2^32")
	}
}

func TestWriteClipRestart(t *testing.T) {
	src := clipSource(t, true)
	frags := src.fragments()
	for i := range frags[1].Frames { // the source restarted: PTS from zero
		f := &frags[1].Frames[i]
		f.PTS -= 90000 * int64(src.tracks()[f.Track].Codec.ClockRate()) / 90000
	}
	_, blocks, err := parseWebM(writeClip(t, frags, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	var vt []int64
	for _, b := range blocks {
		if b.track == 1 {
			vt = append(vt, b.ms)
		}
	}
	if len(vt) != 50 || vt[25]-vt[24] != 40 {
		t.Errorf("video times %v", vt)
	}
}

func TestWriteClipVideoOnlyAndEmptyFrames(t *testing.T) {
	src := clipSource(t, false)
	frags := src.fragments()
	frags[0].Frames = append(frags[0].Frames[:3], append([]media.Frame{{Track: 0, PTS: frags[0].Frames[2].PTS + 1}}, frags[0].Frames[3:]...)...)
	f, blocks, err := parseWebM(writeClip(t, frags, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Segment.Tracks.TrackEntry) != 1 || len(blocks) != 50 {
		t.Errorf("%d tracks, %d blocks", len(f.Segment.Tracks.TrackEntry), len(blocks))
	}
}

func TestWriteClipErrors(t *testing.T) {
	src := clipSource(t, true)
	good := src.fragments()
	key, delta := src.video[0], src.video[1]
	vp8 := []media.Track{{Codec: media.CodecVP8}}
	frag := func(tracks []media.Track, frames ...media.Frame) *media.Fragment {
		return &media.Fragment{Tracks: tracks, Frames: frames}
	}
	tests := []struct {
		name  string
		frags []*media.Fragment
		want  error
	}{
		{"none", nil, ErrNoFrames},
		{"nil", []*media.Fragment{nil}, ErrNoFrames},
		{"empty", []*media.Fragment{frag(vp8, media.Frame{Keyframe: true})}, ErrNoFrames},
		{"h264", []*media.Fragment{frag([]media.Track{{Codec: media.CodecH264}}, media.Frame{Data: key})}, ErrUnsupportedCodec},
		{"tracks differ", []*media.Fragment{good[0], frag(vp8, media.Frame{Keyframe: true, Data: key})}, ErrBadTrack},
		{"bad track", []*media.Fragment{frag(vp8, media.Frame{Track: 2, Data: key})}, ErrBadTrack},
		{"starts with delta", []*media.Fragment{frag(vp8, media.Frame{Data: delta})}, ErrNoKeyframe},
		{"key flag on garbage", []*media.Fragment{frag(vp8, media.Frame{Keyframe: true, Data: []byte{0, 1, 2, 3}})}, ErrNoKeyframe},
		{"backwards", []*media.Fragment{frag(vp8, media.Frame{PTS: 9, Keyframe: true, Data: key}, media.Frame{PTS: 8, Data: delta})}, ErrTimestamp},
		{"huge", []*media.Fragment{frag(vp8, media.Frame{PTS: math.MinInt64, Keyframe: true, Data: key})}, ErrTimestamp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteClip(&buf, tc.frags, Options{}); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes", buf.Len())
			}
		})
	}
}

type failingWriter struct{ left int }

var errDisk = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, errDisk
	}
	w.left -= len(p)
	return len(p), nil
}

func TestWriteClipWriterError(t *testing.T) {
	frags := clipSource(t, true).fragments()
	for _, at := range []int{0, 100, 20000} {
		if err := WriteClip(&failingWriter{left: at}, frags, Options{}); !errors.Is(err, errDisk) {
			t.Errorf("failing after %d bytes: err %v", at, err)
		}
	}
}

func TestVP8KeyframeSize(t *testing.T) {
	tests := []struct {
		frame []byte
		w, h  int
		ok    bool
	}{
		{[]byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00}, 320, 240, true},
		{[]byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x47, 0x38, 0xc4}, 1920, 1080, true}, // scale bits ignored
		{[]byte{0x51, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00}, 0, 0, false},      // inter frame
		{[]byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2b, 0x40, 0x01, 0xf0, 0x00}, 0, 0, false},      // start code
		{[]byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x00, 0xf0, 0x00}, 0, 0, false},      // zero width
		{[]byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40}, 0, 0, false},
	}
	for i, tc := range tests {
		w, h, err := vp8KeyframeSize(tc.frame)
		if (err == nil) != tc.ok || w != tc.w || h != tc.h {
			t.Errorf("%d: %dx%d %v", i, w, h, err)
		}
		if err != nil && !errors.Is(err, ErrVP8Header) {
			t.Errorf("%d: error %v not ErrVP8Header", i, err)
		}
	}
}

func TestFFprobe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ffprobe")
	}
	needTool(t, "ffprobe")
	src := clipSource(t, true)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.webm")
	if err := os.WriteFile(plain, writeClip(t, src.fragments(), Options{}), 0o644); err != nil {
		t.Fatal(err)
	}
	seekable := filepath.Join(dir, "cues.webm")
	out, err := os.Create(seekable)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteClip(out, src.fragments(), Options{}); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{plain, seekable} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			p := ffprobe(t, path)
			if len(p.Streams) != 2 {
				t.Fatalf("%d streams", len(p.Streams))
			}
			v, a := p.Streams[0], p.Streams[1]
			if v.CodecName != "vp8" || v.Width != 320 || v.Height != 240 || v.NbReadFrames != "50" {
				t.Errorf("video %+v", v)
			}
			if a.CodecName != "opus" || a.Channels != 2 || a.NbReadFrames != strconv.Itoa(len(src.audio)) {
				t.Errorf("audio %+v", a)
			}
			if d, err := strconv.ParseFloat(p.Format.Duration, 64); err != nil || math.Abs(d-2.02) > 0.04 {
				t.Errorf("duration %s, want 2.02 ± 0.04", p.Format.Duration)
			}
			ffmpegDecode(t, path)
		})
	}
}

// bigClip returns about size bytes of VP8-like frames in one-second
// fragments with Opus.
func bigClip(t testing.TB, size int) []*media.Fragment {
	src := clipSource(t, false)
	key := src.video[0]
	delta := bytes.Repeat([]byte{0x31}, 40000)
	opus := bytes.Repeat([]byte{0xfc}, 80)
	tracks := []media.Track{{Codec: media.CodecVP8}, {Codec: media.CodecOpus, Channels: 2}}
	var frags []*media.Fragment
	for sec, total := int64(0), 0; total < size; sec++ {
		f := &media.Fragment{Number: uint64(sec), Tracks: tracks, Duration: time.Second}
		for i := int64(0); i < 50; i++ {
			if i%2 == 0 {
				data := delta
				if i == 0 {
					data = key
				}
				f.Frames = append(f.Frames, media.Frame{Track: 0, PTS: sec*90000 + i/2*3600, Keyframe: i == 0, Data: data})
				total += len(data)
			}
			f.Frames = append(f.Frames, media.Frame{Track: 1, PTS: sec*48000 + i*960, Keyframe: true, Data: opus})
			total += len(opus)
		}
		frags = append(frags, f)
	}
	return frags
}

// peakWriter discards what it is given and samples the live heap every
// MiB, to find the peak while a clip is written.
type peakWriter struct {
	n    int
	peak uint64
}

func (w *peakWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	if w.n >= 1<<20 {
		w.n = 0
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.peak = max(w.peak, m.HeapAlloc)
	}
	return len(p), nil
}

// TestWriteClipMemory checks that the payload is not gathered: ebml-go
// copies each block through its own buffer, but the heap must never hold
// more than a fraction of the clip on top of the fragments themselves.
func TestWriteClipMemory(t *testing.T) {
	frags := bigClip(t, 32<<20)
	payload := 0
	for _, f := range frags {
		payload += f.Size()
	}
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	w := &peakWriter{}
	if err := WriteClip(w, frags, Options{}); err != nil {
		t.Fatal(err)
	}
	extra := int64(w.peak) - int64(before.HeapAlloc)
	t.Logf("payload %d bytes, heap before %d, peak %+d", payload, before.HeapAlloc, extra)
	if extra > int64(payload)/4 {
		t.Errorf("heap grew by %d bytes writing a %d-byte clip", extra, payload)
	}
}

func BenchmarkWriteClip(b *testing.B) {
	frags := bigClip(b, 16<<20)
	size := 0
	for _, f := range frags {
		size += f.Size()
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteClip(io.Discard, frags, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
