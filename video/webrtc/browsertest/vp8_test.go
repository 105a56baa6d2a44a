package browsertest

import (
	"encoding/binary"
	"testing"
)

// vp8KeyframeSize returns the picture size a VP8 key frame declares (RFC
// 6386 §9.1: the 3-byte frame tag, the start code 9d 01 2a, then 14-bit
// width and height, each with a 2-bit scale above it, little-endian). ok is
// false for an interframe or a short or malformed header.
func vp8KeyframeSize(frame []byte) (width, height int, ok bool) {
	if len(frame) < 10 || frame[0]&1 != 0 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	width = int(binary.LittleEndian.Uint16(frame[6:8]) & 0x3fff)
	height = int(binary.LittleEndian.Uint16(frame[8:10]) & 0x3fff)
	return width, height, true
}

// vp8Key320x240 is the start of a 320x240 VP8 key frame (scale bits set on
// the width, which must be ignored).
var vp8Key320x240 = []byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x41, 0xf0, 0x00, 0x00}

func TestVP8KeyframeSize(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frame  []byte
		w, h   int
		wantOK bool
	}{
		{"key", vp8Key320x240, 320, 240, true},
		{"interframe", append([]byte{0x51}, vp8Key320x240[1:]...), 0, 0, false},
		{"bad start code", append(append([]byte{}, vp8Key320x240[:3]...), 0x9d, 0x01, 0x2b, 0x40, 0x01, 0xf0, 0x00), 0, 0, false},
		{"short", vp8Key320x240[:9], 0, 0, false},
		{"empty", nil, 0, 0, false},
	} {
		w, h, ok := vp8KeyframeSize(tc.frame)
		if w != tc.w || h != tc.h || ok != tc.wantOK {
			t.Errorf("%s: got %dx%d %v, want %dx%d %v", tc.name, w, h, ok, tc.w, tc.h, tc.wantOK)
		}
	}
}

func FuzzVP8KeyframeSize(f *testing.F) {
	f.Add(vp8Key320x240)
	f.Add([]byte{0x51, 0x42, 0x00})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		w, h, ok := vp8KeyframeSize(frame)
		if !ok && (w != 0 || h != 0) {
			t.Fatalf("not ok but %dx%d", w, h)
		}
		if w >= 1<<14 || h >= 1<<14 {
			t.Fatalf("size %dx%d beyond 14 bits", w, h)
		}
	})
}
