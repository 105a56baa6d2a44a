package mp4

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/tributary-edge/tributary/video/media"
)

// These tests hand the output to ffprobe and ffmpeg: the codecs, sizes and
// frame counts they read must be what was written, the duration within one
// frame of the media's, and decoding must be free of errors.

type wantStream struct {
	codec         string
	width, height int
	frames        int
}

func checkProbe(t *testing.T, path string, want []wantStream, duration, frameDur float64) {
	t.Helper()
	p := ffprobe(t, path)
	if len(p.Streams) != len(want) {
		t.Fatalf("%d streams, want %d", len(p.Streams), len(want))
	}
	for i, w := range want {
		s := p.Streams[i]
		if s.CodecName != w.codec || s.Width != w.width || s.Height != w.height {
			t.Errorf("stream %d: %s %dx%d, want %s %dx%d", i, s.CodecName, s.Width, s.Height, w.codec, w.width, w.height)
		}
		if n, _ := strconv.Atoi(s.NbReadFrames); n != w.frames {
			t.Errorf("stream %d: %s frames read, want %d", i, s.NbReadFrames, w.frames)
		}
	}
	d, err := strconv.ParseFloat(p.Format.Duration, 64)
	if err != nil || math.Abs(d-duration) > frameDur {
		t.Errorf("duration %s, want %.3f ± %.3f", p.Format.Duration, duration, frameDur)
	}
	ffmpegDecode(t, path)
}

func writeFile(t *testing.T, name string, parts ...[]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, slices.Concat(parts...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFFprobeClip(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ffprobe")
	}
	needTool(t, "ffprobe")
	high := &source{video: accessUnits(readTestdata(t, "high_200x150.h264")), videoStep: 3000}
	wrapped := clipSource(t, true)
	wrapped.videoStart, wrapped.audioStart = 47721*90000, 47721*48000
	tests := []struct {
		name     string
		src      *source
		want     []wantStream
		duration float64
	}{
		{"video", clipSource(t, false), []wantStream{{"h264", 320, 240, 50}}, 2},
		{"video and opus", clipSource(t, true), []wantStream{{"h264", 320, 240, 50}, {"opus", 0, 0, 101}}, 2.02},
		{"high profile cropped", high, []wantStream{{"h264", 200, 150, 30}}, 1},
		{"past 2^32", wrapped, []wantStream{{"h264", 320, 240, 50}, {"opus", 0, 0, 101}}, 2.02},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file, _ := writeClip(t, tc.src.fragments(), ClipOptions{})
			path := writeFile(t, "clip.mp4", file)
			checkProbe(t, path, tc.want, tc.duration, 0.04)
		})
	}
}

func TestFFprobeFragmented(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ffprobe")
	}
	needTool(t, "ffprobe")
	src := clipSource(t, true)
	frags := src.fragments()
	init, segs := writeFragmented(t, frags, SegmentOptions{})
	path := writeFile(t, "stream.mp4", append([][]byte{init}, segs...)...)
	checkProbe(t, path, []wantStream{{"h264", 320, 240, 50}, {"opus", 0, 0, 101}}, 2.02, 0.04)

	// Past 2^32 with the stream's start as Origin: the same media.
	src.videoStart, src.audioStart = 47721*90000, 47721*48000
	frags = src.fragments()
	init, segs = writeFragmented(t, frags, SegmentOptions{Origin: media.TicksToDuration(src.videoStart, 90000)})
	path = writeFile(t, "rebased.mp4", append([][]byte{init}, segs...)...)
	checkProbe(t, path, []wantStream{{"h264", 320, 240, 50}, {"opus", 0, 0, 101}}, 2.02, 0.04)
}
