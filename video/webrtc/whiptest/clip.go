package whiptest

import (
	"bytes"
	_ "embed"
)

// clipH264 is 3 s of 320x240 testsrc at 25 fps, H.264 constrained
// baseline, a keyframe (IDR with SPS/PPS) every 25 frames, Annex-B. Made
// with:
//
//	ffmpeg -f lavfi -i testsrc=size=320x240:rate=25 -t 3 -pix_fmt yuv420p \
//	  -c:v libx264 -profile:v baseline -bf 0 -g 25 \
//	  -bsf:v h264_mp4toannexb -f h264 clip.h264
//
//go:embed clip.h264
var clipH264 []byte

// ClipFPS is the clip's frame rate.
const ClipFPS = 25

// Clip returns the embedded clip as access units in the form media.Frame
// carries them (see SplitAccessUnits). Each call returns fresh slices.
func Clip() [][]byte { return SplitAccessUnits(clipH264) }

// startCode is the 4-byte Annex-B start code.
var startCode = []byte{0, 0, 0, 1}

// NALUnits splits an Annex-B byte stream (ITU-T H.264 Annex B) at its 3- or
// 4-byte start codes and returns the NAL units without them.
func NALUnits(annexB []byte) [][]byte {
	var out [][]byte
	i, start := 0, -1
	for i+3 <= len(annexB) {
		if annexB[i] == 0 && annexB[i+1] == 0 && annexB[i+2] == 1 {
			if start >= 0 {
				out = append(out, trimZeros(annexB[start:i]))
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 && start < len(annexB) {
		out = append(out, annexB[start:])
	}
	return out
}

// trimZeros drops the trailing zero bytes before a start code (the fourth
// byte of a 4-byte code, or trailing_zero_8bits).
func trimZeros(nal []byte) []byte {
	return bytes.TrimRight(nal, "\x00")
}

// SplitAccessUnits splits an Annex-B stream into access units (ITU-T H.264
// §7.4.1.2.3) and rewrites each with 4-byte start codes and without access
// unit delimiters: the form pion's H.264 payloader and depacketizer round
// trip byte for byte. A new access unit starts at an AUD, at SPS/PPS/SEI
// after a slice, or at a slice whose first_mb_in_slice is 0 after a slice.
func SplitAccessUnits(annexB []byte) [][]byte {
	var aus [][]byte
	var cur []byte
	sawSlice := false
	flush := func() {
		if len(cur) > 0 {
			aus = append(aus, cur)
		}
		cur, sawSlice = nil, false
	}
	for _, nal := range NALUnits(annexB) {
		if len(nal) == 0 {
			continue
		}
		typ := nal[0] & 0x1f
		switch {
		case typ == 9: // access unit delimiter
			flush()
			continue
		case typ == 6 || typ == 7 || typ == 8:
			if sawSlice {
				flush()
			}
		case typ == 1 || typ == 5:
			// first_mb_in_slice is ue(v); 0 codes as a single 1 bit.
			if sawSlice && len(nal) > 1 && nal[1]&0x80 != 0 {
				flush()
			}
			sawSlice = true
		}
		cur = append(cur, startCode...)
		cur = append(cur, nal...)
	}
	flush()
	return aus
}

// IsH264Keyframe reports whether an Annex-B access unit holds an IDR slice.
func IsH264Keyframe(au []byte) bool {
	for _, nal := range NALUnits(au) {
		if len(nal) > 0 && nal[0]&0x1f == 5 {
			return true
		}
	}
	return false
}
