package h264

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		au   string // hex-ish: bytes written as Go string
		want []string
	}{
		{"empty", "", nil},
		{"no start code", "\x65\x88\x84", nil},
		{"4-byte", "\x00\x00\x00\x01\x67\x42\x00\x00\x00\x01\x68\xce", []string{"\x67\x42", "\x68\xce"}},
		{"3-byte", "\x00\x00\x01\x09\xf0\x00\x00\x01\x65\x88", []string{"\x09\xf0", "\x65\x88"}},
		{"mixed", "\x00\x00\x00\x01\x67\x00\x00\x01\x68\x00\x00\x00\x01\x65\x01", []string{"\x67", "\x68", "\x65\x01"}},
		{"garbage before first", "\xff\x12\x00\x00\x01\x41\x9a", []string{"\x41\x9a"}},
		{"leading zeros", "\x00\x00\x00\x00\x00\x01\x41", []string{"\x41"}},
		{"trailing zeros", "\x00\x00\x01\x41\x9a\x00\x00\x00\x00", []string{"\x41\x9a"}},
		{"empty units skipped", "\x00\x00\x01\x00\x00\x01\x00\x00\x00\x01\x41", []string{"\x41"}},
		{"start code at end", "\x00\x00\x01\x41\x00\x00\x01", []string{"\x41"}},
		{"emulation prevention kept", "\x00\x00\x01\x41\x00\x00\x03\x01", []string{"\x41\x00\x00\x03\x01"}},
		{"two bytes", "\x00\x00", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Split([]byte(tc.au))
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if string(got[i]) != tc.want[i] {
					t.Errorf("nal %d: %x, want %x", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestForEachNALStops(t *testing.T) {
	au := []byte("\x00\x00\x01\x09\x10\x00\x00\x01\x67\x42\x00\x00\x01\x68\xce")
	n := 0
	ForEachNAL(au, func([]byte) bool { n++; return n < 2 })
	if n != 2 {
		t.Fatalf("visited %d units, want 2", n)
	}
}

func TestKeyframeAndParameterSets(t *testing.T) {
	idr := []byte("\x00\x00\x00\x01\x09\x10\x00\x00\x00\x01\x67\x42\xc0\x1e\x00\x00\x00\x01\x68\xce\x3c\x80\x00\x00\x00\x01\x65\x88\x84")
	if !IsKeyframe(idr) {
		t.Error("IDR access unit not a keyframe")
	}
	sps, pps := ParameterSets(idr)
	if string(sps) != "\x67\x42\xc0\x1e" || string(pps) != "\x68\xce\x3c\x80" {
		t.Errorf("sps %x pps %x", sps, pps)
	}
	p := []byte("\x00\x00\x00\x01\x09\x30\x00\x00\x00\x01\x41\x9a\x00")
	if IsKeyframe(p) {
		t.Error("P access unit is a keyframe")
	}
	if sps, pps := ParameterSets(p); sps != nil || pps != nil {
		t.Errorf("P access unit has parameter sets %x %x", sps, pps)
	}
	if Type(nil) != 0 || Type([]byte{0x65}) != NALIDR || Type([]byte{0x67}) != NALSPS {
		t.Error("Type")
	}
}

func TestAVCC(t *testing.T) {
	au := []byte("\x00\x00\x00\x01\x67\x42\x00\x00\x01\x68\xce\x00\x00\x00\x00\x01\x65\x88\x84\x00")
	want := []byte("\x00\x00\x00\x02\x67\x42\x00\x00\x00\x02\x68\xce\x00\x00\x00\x03\x65\x88\x84")
	got := AnnexBToAVCC([]byte("x"), au)
	if !bytes.Equal(got[1:], want) || got[0] != 'x' {
		t.Fatalf("AnnexBToAVCC %x, want %x", got, want)
	}
	if n := AVCCSize(au); n != len(want) {
		t.Errorf("AVCCSize %d, want %d", n, len(want))
	}
	back, err := AVCCToAnnexB(nil, want)
	if err != nil {
		t.Fatal(err)
	}
	if wantB := []byte("\x00\x00\x00\x01\x67\x42\x00\x00\x00\x01\x68\xce\x00\x00\x00\x01\x65\x88\x84"); !bytes.Equal(back, wantB) {
		t.Errorf("AVCCToAnnexB %x, want %x", back, wantB)
	}
	for _, bad := range [][]byte{{0, 0, 0}, {0, 0, 0, 5, 1, 2}, {0xff, 0xff, 0xff, 0xff}} {
		if _, err := AVCCToAnnexB(nil, bad); !errors.Is(err, ErrInvalidAVCC) {
			t.Errorf("%x: err %v", bad, err)
		}
	}
	if got, err := AVCCToAnnexB(nil, []byte{0, 0, 0, 0, 0, 0, 0, 1, 0x41}); err != nil || string(got) != "\x00\x00\x00\x01\x41" {
		t.Errorf("zero-length unit: %x %v", got, err)
	}
}

func TestRemoveEmulationPrevention(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\x00\x00\x03\x01", "\x00\x00\x01"},
		{"\x00\x00\x03\x00\x00\x03", "\x00\x00\x00\x00"},
		{"\x00\x03\x01", "\x00\x03\x01"},
		{"\x00\x00\x00\x03", "\x00\x00\x00"},
		{"\x11\x00\x00\x03\x03\x00\x00\x03", "\x11\x00\x00\x03\x00\x00"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := RemoveEmulationPrevention(nil, []byte(tc.in)); string(got) != tc.want {
			t.Errorf("%x: got %x, want %x", tc.in, got, tc.want)
		}
	}
}

// TestSplitRealStreams checks the splitter on x264 output: every file is one
// access unit that starts with SPS, PPS (an SEI) and an IDR slice.
func TestSplitRealStreams(t *testing.T) {
	files, err := filepath.Glob("testdata/*.h264")
	if err != nil || len(files) == 0 {
		t.Fatal("no testdata", err)
	}
	for _, f := range files {
		au, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var types []NALType
		total := 0
		for _, nal := range Split(au) {
			types = append(types, Type(nal))
			total += len(nal)
		}
		if len(types) < 4 || types[0] != NALSPS || types[1] != NALPPS || types[len(types)-1] != NALIDR || !IsKeyframe(au) {
			t.Errorf("%s: types %v", f, types)
		}
		// Each unit loses its start code; nothing else may go missing.
		if starts := bytes.Count(au, []byte{0, 0, 1}); total+3*starts+bytes.Count(au, []byte{0, 0, 0, 1}) != len(au) {
			t.Errorf("%s: %d payload bytes of %d with %d start codes", f, total, len(au), starts)
		}
	}
}
