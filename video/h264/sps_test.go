package h264

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Expected values come from ffprobe -show_streams on each file.
var spsFiles = []struct {
	file           string
	profile, level uint8
	width, height  int
	chroma, depth  uint32
	frameMBsOnly   bool
	timeScale      uint32
	codec          string
}{
	{"baseline_320x240", 66, 13, 320, 240, 1, 8, true, 50, "avc1.42c00d"},
	{"high_200x150_crop", 100, 12, 200, 150, 1, 8, true, 50, "avc1.64000c"},
	{"high422_176x144", 122, 11, 176, 144, 2, 8, true, 50, "avc1.7a000b"},
	{"high444_180x100", 244, 11, 180, 100, 3, 8, true, 50, "avc1.f4000b"},
	{"cqm444_96x64", 244, 10, 96, 64, 3, 8, true, 50, "avc1.f4000a"},
	{"interlaced_320x240", 100, 21, 320, 240, 1, 8, false, 50, "avc1.640015"},
	{"cqm_jvt_352x288", 100, 13, 352, 288, 1, 8, true, 50, "avc1.64000d"},
	{"cqm_custom_208x120", 100, 12, 208, 120, 1, 8, true, 60, "avc1.64000c"},
	{"high10_330x190", 110, 13, 330, 190, 1, 10, true, 50, "avc1.6e000d"},
}

func TestParseSPSFiles(t *testing.T) {
	for _, tc := range spsFiles {
		t.Run(tc.file, func(t *testing.T) {
			au, err := os.ReadFile(filepath.Join("testdata", tc.file+".h264"))
			if err != nil {
				t.Fatal(err)
			}
			sps, pps := ParameterSets(au)
			if sps == nil || pps == nil {
				t.Fatalf("sps %x pps %x", sps, pps)
			}
			s, err := ParseSPS(sps)
			if err != nil {
				t.Fatal(err)
			}
			if s.ProfileIDC != tc.profile || s.LevelIDC != tc.level || s.Width != tc.width || s.Height != tc.height ||
				s.ChromaFormatIDC != tc.chroma || s.BitDepthLuma != tc.depth || s.BitDepthChroma != tc.depth ||
				s.FrameMBsOnly != tc.frameMBsOnly {
				t.Errorf("got %+v", s)
			}
			if s.Timing == nil || s.Timing.NumUnitsInTick != 1 || s.Timing.TimeScale != tc.timeScale {
				t.Errorf("timing %+v", s.Timing)
			}
			if got := s.CodecString(); got != tc.codec {
				t.Errorf("codec %q, want %q", got, tc.codec)
			}
		})
	}
}

func flatList(n int, v int32) []int32 {
	l := make([]int32, n)
	for i := range l {
		l[i] = v
	}
	return l
}

func rampList(n int) []int32 {
	l := make([]int32, n)
	for i := range l {
		l[i] = int32(4 + (i*37)%250) // wraps the delta both ways
	}
	return l
}

// highBase matches high_200x150_crop.h264 in everything the slice header
// depends on, so the variants below can be spliced into that stream.
func highBase() spsFields {
	return spsFields{profile: 100, level: 12, chroma: 1, pocLSB: 2, maxRef: 4,
		widthMBs: 12, heightUnits: 9, frameMBsOnly: true, crop: &[4]uint32{0, 4, 0, 5},
		vui: &vuiFields{sarIDC: 1, timing: &Timing{NumUnitsInTick: 1, TimeScale: 50}}}
}

// high444Base matches high444_180x100.h264 likewise.
func high444Base() spsFields {
	return spsFields{profile: 244, level: 11, chroma: 3, pocLSB: 2, maxRef: 4,
		widthMBs: 11, heightUnits: 6, frameMBsOnly: true, crop: &[4]uint32{0, 12, 0, 12},
		vui: &vuiFields{sarIDC: 1, timing: &Timing{NumUnitsInTick: 1, TimeScale: 50}}}
}

type spsCase struct {
	name          string
	base          string // testdata stream the SPS can be spliced into, "" if none
	f             spsFields
	width, height int
	timing        bool
}

func spsCases() []spsCase {
	with := func(f spsFields, mod func(*spsFields)) spsFields { mod(&f); return f }
	return []spsCase{
		{"high as x264", "high_200x150_crop", highBase(), 200, 150, true},
		{"all 8 lists explicit", "high_200x150_crop", with(highBase(), func(f *spsFields) {
			f.scaling = [][]int32{rampList(16), rampList(16), flatList(16, 16), rampList(16), rampList(16), rampList(16), rampList(64), rampList(64)}
		}), 200, 150, true},
		{"lists default, absent and repeated", "high_200x150_crop", with(highBase(), func(f *spsFields) {
			rep := append([]int32{9, 200, 30}, flatList(61, 30)...)
			f.scaling = [][]int32{{0}, nil, append(rampList(4), flatList(12, 77)...), nil, {0}, nil, rep, {0}}
		}), 200, 150, true},
		{"matrix flag without lists", "high_200x150_crop", with(highBase(), func(f *spsFields) {
			f.scaling = make([][]int32, 8)
		}), 200, 150, true},
		{"no crop no vui", "high_200x150_crop", with(highBase(), func(f *spsFields) { f.crop, f.vui = nil, nil }), 208, 160, false},
		{"crop left and top", "high_200x150_crop", with(highBase(), func(f *spsFields) { f.crop = &[4]uint32{3, 1, 2, 3} }), 200, 150, true},
		{"vui everything", "high_200x150_crop", with(highBase(), func(f *spsFields) {
			f.vui = &vuiFields{sarIDC: 255, sarW: 4, sarH: 3, overscan: true, signal: true, colour: true, chromaLoc: true,
				timing: &Timing{NumUnitsInTick: 1001, TimeScale: 60000, FixedFrameRate: true}}
		}), 200, 150, true},
		{"vui cut short", "", with(highBase(), func(f *spsFields) { f.vui.cutAfterTimingFlag = true }), 200, 150, false},
		{"4:4:4 with 12 lists", "high444_180x100", with(high444Base(), func(f *spsFields) {
			f.scaling = [][]int32{rampList(16), {0}, nil, rampList(16), rampList(16), rampList(16),
				rampList(64), rampList(64), {0}, rampList(64), nil, rampList(64)}
		}), 180, 100, true},
		{"4:4:4 separate planes", "", with(high444Base(), func(f *spsFields) { f.separate = true }), 180, 100, true},
		{"monochrome", "", with(highBase(), func(f *spsFields) { f.chroma = 0; f.crop = &[4]uint32{1, 2, 3, 4} }), 205, 153, true},
		{"4:2:2 crop", "", with(highBase(), func(f *spsFields) { f.profile = 122; f.chroma = 2 }), 200, 155, true},
		{"interlaced crop", "", with(highBase(), func(f *spsFields) { f.frameMBsOnly = false; f.heightUnits = 4; f.crop = &[4]uint32{0, 4, 0, 5} }), 200, 140, true},
		{"poc type 1", "", with(highBase(), func(f *spsFields) { f.pocType = 1; f.pocCycle = []int32{2, -2, 5} }), 200, 150, true},
		{"poc type 2 baseline", "", with(highBase(), func(f *spsFields) { f.profile = 66; f.pocType = 2 }), 200, 150, true},
		{"zeros need emulation prevention", "", spsFields{profile: 66, level: 0, id: 0, widthMBs: 0, heightUnits: 0, frameMBsOnly: true}, 16, 16, false},
		{"1080p", "", spsFields{profile: 77, level: 40, widthMBs: 119, heightUnits: 67, frameMBsOnly: true, crop: &[4]uint32{0, 0, 0, 4}}, 1920, 1080, false},
	}
}

func TestParseSPSCrafted(t *testing.T) {
	for _, tc := range spsCases() {
		t.Run(tc.name, func(t *testing.T) {
			nal := tc.f.encode()
			s, err := ParseSPS(nal)
			if err != nil {
				t.Fatalf("%v (%x)", err, nal)
			}
			if s.Width != tc.width || s.Height != tc.height {
				t.Errorf("size %dx%d, want %dx%d", s.Width, s.Height, tc.width, tc.height)
			}
			if s.ProfileIDC != tc.f.profile || s.ChromaFormatIDC != max(tc.f.chroma, boolU(!hasChromaInfo(tc.f.profile))) ||
				s.SeparateColourPlane != tc.f.separate || s.FrameMBsOnly != tc.f.frameMBsOnly {
				t.Errorf("got %+v", s)
			}
			if (s.Timing != nil) != tc.timing {
				t.Fatalf("timing %+v, want present %v", s.Timing, tc.timing)
			}
			if tc.timing && *s.Timing != *tc.f.vui.timing {
				t.Errorf("timing %+v, want %+v", *s.Timing, *tc.f.vui.timing)
			}
		})
	}
}

// badScalingDelta returns an SPS whose first scaling list has a delta_scale
// outside -128..127.
func badScalingDelta() []byte {
	w := &bitWriter{}
	w.u(32, 0x67640028)
	w.ue(0)       // seq_parameter_set_id
	w.ue(1)       // chroma_format_idc
	w.ue(0)       // bit_depth_luma_minus8
	w.ue(0)       // bit_depth_chroma_minus8
	w.flag(false) // qpprime_y_zero_transform_bypass_flag
	w.flag(true)  // seq_scaling_matrix_present_flag
	w.flag(true)  // seq_scaling_list_present_flag[0]
	w.se(200)
	return append(w.trailing(), 0xff, 0xff)
}

func boolU(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func TestParseSPSErrors(t *testing.T) {
	good := highBase().encode()
	tests := []struct {
		name string
		nal  []byte
		want error
	}{
		{"empty", nil, ErrNotSPS},
		{"pps", []byte{0x68, 0xce, 0x38, 0x80}, ErrNotSPS},
		{"header only", []byte{0x67}, ErrTruncated},
		{"cut in size", good[:8], ErrTruncated},
		{"chroma 4", spsFields{profile: 100, chroma: 4}.encode(), ErrInvalidSPS},
		{"bit depth", spsFields{profile: 110, chroma: 1, depthL: 7}.encode(), ErrInvalidSPS},
		{"sps id", spsFields{profile: 66, id: 32}.encode(), ErrInvalidSPS},
		{"poc type 3", spsFields{profile: 66, pocType: 3}.encode(), ErrInvalidSPS},
		{"too wide", spsFields{profile: 66, widthMBs: 1 << 13, frameMBsOnly: true}.encode(), ErrInvalidSPS},
		{"crop everything", spsFields{profile: 66, widthMBs: 1, heightUnits: 1, frameMBsOnly: true, crop: &[4]uint32{8, 8, 0, 0}}.encode(), ErrInvalidSPS},
		{"crop overflow", spsFields{profile: 66, frameMBsOnly: true, crop: &[4]uint32{0, 0, 1 << 31, 1 << 31}}.encode(), ErrInvalidSPS},
		{"ue too long", []byte{0x67, 66, 0, 30, 0, 0, 0, 0, 0, 1}, ErrInvalidSPS},
		{"scaling delta", badScalingDelta(), ErrInvalidSPS},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSPS(tc.nal)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v (got %+v)", err, tc.want, s)
			}
		})
	}
}

// TestParseSPSAgainstFFprobe splices crafted SPSs into real streams and
// checks that ffmpeg reads the same picture size, and that ffmpeg's own SPS
// parser accepts them (trace_headers fails on a malformed SPS).
func TestParseSPSAgainstFFprobe(t *testing.T) {
	ffprobe := needTool(t, "ffprobe")
	ffmpeg := needTool(t, "ffmpeg")
	if testing.Short() {
		t.Skip("runs ffmpeg")
	}
	dir := t.TempDir()
	for i, tc := range spsCases() {
		if tc.base == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", tc.base+".h264"))
			if err != nil {
				t.Fatal(err)
			}
			var stream []byte
			for _, nal := range Split(src) {
				if Type(nal) == NALSPS {
					nal = tc.f.encode()
				}
				stream = append(append(stream, 0, 0, 0, 1), nal...)
			}
			path := filepath.Join(dir, strings.ReplaceAll(tc.base, "/", "_")+string(rune('a'+i))+".h264")
			if err := os.WriteFile(path, stream, 0o644); err != nil {
				t.Fatal(err)
			}
			trace, err := exec.Command(ffmpeg, "-v", "error", "-i", path, "-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-").CombinedOutput()
			if err != nil || bytes.Contains(trace, []byte("rror")) {
				t.Fatalf("ffmpeg trace_headers: %v\n%s", err, trace)
			}
			out, err := exec.Command(ffprobe, "-v", "error", "-show_streams", "-of", "json", path).Output()
			if err != nil {
				t.Fatal(err)
			}
			var probe struct {
				Streams []struct{ Width, Height int }
			}
			if err := json.Unmarshal(out, &probe); err != nil || len(probe.Streams) != 1 {
				t.Fatalf("%v: %s", err, out)
			}
			s, err := ParseSPS(tc.f.encode())
			if err != nil {
				t.Fatal(err)
			}
			if s.Width != probe.Streams[0].Width || s.Height != probe.Streams[0].Height {
				t.Errorf("ours %dx%d, ffprobe %dx%d", s.Width, s.Height, probe.Streams[0].Width, probe.Streams[0].Height)
			}
		})
	}
}
