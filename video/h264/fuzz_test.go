package h264

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func FuzzSplit(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x01\x67\x42\x00\x00\x01\x68\xce\x00\x00\x00\x00\x01\x65\x88\x84\x00"))
	f.Add([]byte("\x00\x00\x01\x00\x00\x01\x00\x00\x00\x01\x41"))
	f.Add([]byte("\xff\x12\x00\x00\x01\x41\x00\x00\x03\x01"))
	if files, _ := filepath.Glob("testdata/*.h264"); len(files) > 0 {
		if b, err := os.ReadFile(files[0]); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, au []byte) {
		nals := Split(au)
		prevEnd := 0
		for _, nal := range nals {
			if len(nal) == 0 || nal[len(nal)-1] == 0 {
				t.Fatalf("empty unit or trailing zero: %x", nal)
			}
			if bytes.Contains(nal, []byte{0, 0, 1}) {
				t.Fatalf("unit holds a start code: %x", nal)
			}
			// Units alias au, in order.
			off := cap(au) - cap(nal)
			if off < prevEnd || !bytes.Equal(au[off:off+len(nal)], nal) {
				t.Fatalf("unit at %d does not alias au after %d", off, prevEnd)
			}
			prevEnd = off + len(nal)
		}
		avcc := AnnexBToAVCC(nil, au)
		if len(avcc) != AVCCSize(au) {
			t.Fatalf("AVCCSize %d, wrote %d", AVCCSize(au), len(avcc))
		}
		annexB, err := AVCCToAnnexB(nil, avcc)
		if err != nil {
			t.Fatal(err)
		}
		again := Split(annexB)
		if len(again) != len(nals) {
			t.Fatalf("round trip: %d units, want %d", len(again), len(nals))
		}
		for i := range nals {
			if !bytes.Equal(again[i], nals[i]) {
				t.Fatalf("round trip unit %d: %x, want %x", i, again[i], nals[i])
			}
		}
		_ = IsKeyframe(au)
		ParameterSets(au)
		// AVCCToAnnexB must not panic on arbitrary input either.
		_, _ = AVCCToAnnexB(nil, au)
		rbsp := RemoveEmulationPrevention(nil, au)
		if len(rbsp) > len(au) {
			t.Fatalf("RBSP longer than EBSP")
		}
	})
}

func FuzzParseSPS(f *testing.F) {
	for _, tc := range spsCases() {
		f.Add(tc.f.encode())
	}
	files, _ := filepath.Glob("testdata/*.h264")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			if sps, _ := ParameterSets(b); sps != nil {
				f.Add(sps)
			}
		}
	}
	f.Fuzz(func(t *testing.T, nal []byte) {
		s, err := ParseSPS(nal)
		if err != nil {
			return
		}
		if s.Width <= 0 || s.Height <= 0 || s.Width > maxMBs*16 || s.Height > maxMBs*16 {
			t.Fatalf("size %dx%d", s.Width, s.Height)
		}
		if s.ChromaFormatIDC > 3 || s.BitDepthLuma < 8 || s.BitDepthLuma > 14 {
			t.Fatalf("%+v", s)
		}
		_ = s.CodecString()
		_ = s.Timing.FrameRate()
	})
}
