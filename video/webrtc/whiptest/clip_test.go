package whiptest

import (
	"bytes"
	"testing"

	"github.com/pion/rtp/codecs"

	"github.com/tributary-edge/tributary/video/media"
)

func TestClip(t *testing.T) {
	aus := Clip()
	if len(aus) != 3*ClipFPS {
		t.Fatalf("%d access units, want %d", len(aus), 3*ClipFPS)
	}
	keys := 0
	for i, au := range aus {
		if !bytes.HasPrefix(au, startCode) {
			t.Fatalf("unit %d does not start with a 4-byte start code", i)
		}
		nals := NALUnits(au)
		if IsH264Keyframe(au) {
			keys++
			if i%ClipFPS != 0 || nals[0][0]&0x1f != 7 || nals[1][0]&0x1f != 8 {
				t.Fatalf("keyframe %d: not at a GOP start or SPS/PPS not in band", i)
			}
		}
		slices := 0
		for _, n := range nals {
			if typ := n[0] & 0x1f; typ == 1 || typ == 5 {
				slices++
			}
			if n[0]&0x1f == 9 {
				t.Fatalf("unit %d keeps an AUD", i)
			}
		}
		if slices != 1 {
			t.Fatalf("unit %d has %d slices", i, slices)
		}
	}
	if keys != 3 {
		t.Fatalf("%d keyframes, want 3", keys)
	}
}

func TestSplitAccessUnits(t *testing.T) {
	sps, pps := []byte{0x67, 0x42}, []byte{0x68, 0xce}
	idr0, idr1 := []byte{0x65, 0x88, 0x01}, []byte{0x65, 0x08, 0x02} // first_mb 0, then non-zero
	p0 := []byte{0x41, 0x9a, 0x03}
	aud := []byte{0x09, 0xf0}
	var s []byte
	for _, n := range [][]byte{aud, sps, pps, idr0, idr1, aud, p0, p0} {
		s = append(s, 0, 0, 1)
		s = append(s, n...)
	}
	got := SplitAccessUnits(s)
	if len(got) != 3 {
		t.Fatalf("%d units, want 3 (IDR in two slices, then two P frames)", len(got))
	}
	want0 := bytes.Join([][]byte{nil, sps, pps, idr0, idr1}, startCode)
	if !bytes.Equal(got[0], want0) {
		t.Fatalf("unit 0 = %x, want %x", got[0], want0)
	}
	if !IsH264Keyframe(got[0]) || IsH264Keyframe(got[1]) {
		t.Fatal("keyframe detection")
	}
}

func FuzzSplitAccessUnits(f *testing.F) {
	f.Add(clipH264[:600])
	f.Add([]byte{0, 0, 1, 0x09, 0, 0, 0, 1, 0x65, 0x80, 0, 0, 1, 0x41, 0x80})
	f.Add([]byte{0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		total := 0
		for _, au := range SplitAccessUnits(b) {
			if !bytes.HasPrefix(au, startCode) {
				t.Fatalf("unit without start code: %x", au)
			}
			for _, n := range NALUnits(au) {
				if len(n) == 0 || n[0]&0x1f == 9 {
					t.Fatalf("empty NAL or AUD kept in %x", au)
				}
				total += len(n)
			}
		}
		if total > len(b) {
			t.Fatalf("%d NAL bytes out of %d input", total, len(b))
		}
	})
}

// TestAssemblerRoundTrip: pion's payloader then the assembler give back
// the clip's access units with their timing.
func TestAssemblerRoundTrip(t *testing.T) {
	aus := Clip()
	pay := &codecs.H264Payloader{}
	asm := NewAssembler(0, media.CodecH264)
	var got []media.Frame
	seq := uint16(65000) // wraps
	for i, au := range aus {
		payloads := pay.Payload(1200, au)
		for j, p := range payloads {
			pkt := rtpPacket(seq, uint32(4294960000+uint32(i)*3600), j == len(payloads)-1, p)
			seq++
			got = append(got, asm.Push(pkt)...)
		}
	}
	if len(got) != len(aus)-1 { // the last one waits for a following packet
		t.Fatalf("%d frames, want %d", len(got), len(aus)-1)
	}
	for i, f := range got {
		if !bytes.Equal(f.Data, aus[i]) || f.PTS != int64(i)*3600 || f.Keyframe != (i%ClipFPS == 0) {
			t.Fatalf("frame %d: pts %d keyframe %v equal %v", i, f.PTS, f.Keyframe, bytes.Equal(f.Data, aus[i]))
		}
	}
}
