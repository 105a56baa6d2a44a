package camera

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// nal builds a NAL unit of type t with nal_ref_idc 3 and body.
func nal(t byte, body ...byte) []byte { return append([]byte{0x60 | t}, body...) }

// annexB joins NAL units with alternating 3- and 4-byte start codes.
func annexB(nals ...[]byte) []byte {
	var b []byte
	for i, n := range nals {
		if i%2 == 0 {
			b = append(b, 0, 0, 0, 1)
		} else {
			b = append(b, 0, 0, 1)
		}
		b = append(b, n...)
	}
	return b
}

// Slice headers start with first_mb_in_slice ue(v), then slice_type ue(v).
var (
	sps      = nal(nalSPS, 0x42, 0xc0, 0x1f, 0xd9)
	pps      = nal(nalPPS, 0xcb, 0x8c)
	idr      = nal(nalIDR, 0x88, 0x84)   // 1 0001000: first_mb 0, slice_type 7 (I)
	pFirst   = nal(nalSlice, 0x9a, 0x02) // 1 00110 1.: first_mb 0, slice_type 5 (P)
	pSecond  = nal(nalSlice, 0x46, 0x00) // 010 00110: first_mb 1, slice_type 5 (P)
	bSlice   = nal(nalSlice, 0x9c, 0x00) // 1 00111 00: first_mb 0, slice_type 6 (B)
	sei      = nal(nalSEI, 0x05, 0x01, 0xaa, 0x80)
	aud      = nal(nalAUD, 0xf0)
	filler12 = nal(nalFiller, 0xff, 0xff, 0x80)
)

func types(f Frame) []byte {
	var ts []byte
	for _, n := range splitNALs(f.Data) {
		ts = append(ts, nalType(n))
	}
	return ts
}

func TestSplitNALs(t *testing.T) {
	in := append([]byte{9, 9}, annexB(sps, pps, idr)...) // junk before the first start code
	in = append(in, 0, 0)                                // trailing_zero_8bits
	got := splitNALs(in)
	if len(got) != 3 || !bytes.Equal(got[0], sps) || !bytes.Equal(got[1], pps) || !bytes.Equal(got[2], idr) {
		t.Fatalf("splitNALs = %x", got)
	}
	if got := splitNALs([]byte{0, 0, 1, 0, 0, 0, 1}); len(got) != 0 {
		t.Errorf("empty units: %x", got)
	}
	if got := splitNALs([]byte{1, 2, 3}); got != nil {
		t.Errorf("no start code: %x", got)
	}
}

func TestSliceHeaders(t *testing.T) {
	for _, c := range []struct {
		n          []byte
		first, isB bool
	}{
		{idr, true, false}, {pFirst, true, false}, {pSecond, false, false}, {bSlice, true, true},
	} {
		if got := firstMBIsZero(c.n); got != c.first {
			t.Errorf("%x: firstMBIsZero %v", c.n, got)
		}
		if got := isBSlice(c.n); got != c.isB {
			t.Errorf("%x: isBSlice %v", c.n, got)
		}
	}
	r := bitReader{b: []byte{0b1_010_011_0, 0b0100_0000}} // 0, 1, 2, 3
	for want := uint(0); want < 4; want++ {
		if v, ok := r.ue(); !ok || v != want {
			t.Fatalf("ue = %d, %v; want %d", v, ok, want)
		}
	}
	if _, ok := r.ue(); ok {
		t.Error("ue past the end")
	}
}

func TestParseClip(t *testing.T) {
	in := annexB(
		pFirst,                  // before the first IDR: dropped
		aud, sps, pps, sei, idr, // keyframe 0
		pFirst, pSecond, filler12, // frame 1: two slices; filler dropped
		aud, pFirst, // frame 2
		idr,                         // frame 3: keyframe without SPS/PPS, gets them inserted
		pFirst,                      // frame 4
		sps, pps, sps[:0:0], pFirst, // frame 5 (an empty unit in between is skipped)
	)
	c, err := ParseClip(in)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{
		{nalSPS, nalPPS, nalSEI, nalIDR},
		{nalSlice, nalSlice},
		{nalSlice},
		{nalSPS, nalPPS, nalIDR},
		{nalSlice},
		{nalSPS, nalPPS, nalSlice},
	}
	if len(c.Frames) != len(want) {
		t.Fatalf("%d frames, want %d", len(c.Frames), len(want))
	}
	for i, f := range c.Frames {
		if got := types(f); !slices.Equal(got, want[i]) {
			t.Errorf("frame %d: NAL types %v, want %v", i, got, want[i])
		}
		if f.Keyframe != (i == 0 || i == 3) {
			t.Errorf("frame %d: keyframe %v", i, f.Keyframe)
		}
		if !bytes.HasPrefix(f.Data, startCode) {
			t.Errorf("frame %d does not start with a 4-byte start code", i)
		}
	}
	if !bytes.Equal(c.SPS, sps) || !bytes.Equal(c.PPS, pps) || c.ProfileLevelID() != "42c01f" {
		t.Errorf("SPS %x PPS %x profile-level-id %s", c.SPS, c.PPS, c.ProfileLevelID())
	}
	for i, want := range []int{3, 3, 3, 0, 0, 0} {
		if got := c.NextKeyframe(i); got != want {
			t.Errorf("NextKeyframe(%d) = %d, want %d", i, got, want)
		}
	}
	in[len(in)-1] ^= 0xff // the clip must not share memory with the input
	if types(c.Frames[5])[2] != nalSlice || c.Frames[5].Data[len(c.Frames[5].Data)-1] != pFirst[len(pFirst)-1] {
		t.Error("the clip shares memory with its input")
	}
}

func TestParseClipErrors(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty":     nil,
		"no SPS":    annexB(pps, idr),
		"no IDR":    annexB(sps, pps, pFirst),
		"B-frames":  annexB(sps, pps, idr, bSlice),
		"forbidden": annexB(sps, pps, append([]byte{0x80 | nalIDR}, 0x88)),
		"short SPS": annexB(nal(nalSPS, 0x42), pps, idr),
	} {
		if _, err := ParseClip(in); !errors.Is(err, ErrClip) {
			t.Errorf("%s: err %v, want ErrClip", name, err)
		}
	}
}

func TestDefaultClip(t *testing.T) {
	c := Default()
	if len(c.Frames) != 250 || c.ProfileLevelID() != "42c01f" {
		t.Fatalf("%d frames, profile-level-id %s", len(c.Frames), c.ProfileLevelID())
	}
	keys := 0
	for i, f := range c.Frames {
		if f.Keyframe {
			keys++
			if got := types(f); !slices.Contains(got, nalSPS) || !slices.Contains(got, nalPPS) {
				t.Errorf("keyframe %d: NAL types %v", i, got)
			}
		}
	}
	if !c.Frames[0].Keyframe || keys != 5 {
		t.Errorf("%d keyframes; first frame keyframe %v", keys, c.Frames[0].Keyframe)
	}
	if kbps := c.Bitrate(DefaultFPS) / 1000; kbps < 200 || kbps > 400 {
		t.Errorf("clip bitrate %.0f kbit/s", kbps)
	}
}

func FuzzParseClip(f *testing.F) {
	f.Add(annexB(aud, sps, pps, sei, idr, pFirst, pSecond, filler12, idr, pFirst))
	f.Add(annexB(sps, pps, idr, bSlice))
	f.Add(annexB(pps, idr))
	f.Add(defaultClip[:4096])
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseClip(b)
		if err != nil {
			if !errors.Is(err, ErrClip) {
				t.Fatalf("error %v does not wrap ErrClip", err)
			}
			return
		}
		if len(c.Frames) == 0 || !c.Frames[0].Keyframe || len(c.SPS) < 4 || len(c.PPS) == 0 {
			t.Fatalf("accepted a clip of %d frames, SPS %x, PPS %x", len(c.Frames), c.SPS, c.PPS)
		}
		total := 0
		for i, fr := range c.Frames {
			total += len(fr.Data)
			ts := types(fr)
			if len(ts) == 0 || fr.Keyframe != slices.Contains(ts, nalIDR) {
				t.Fatalf("frame %d: types %v, keyframe %v", i, ts, fr.Keyframe)
			}
			if fr.Keyframe && (!slices.Contains(ts, nalSPS) || !slices.Contains(ts, nalPPS)) {
				t.Fatalf("keyframe %d without parameter sets: %v", i, ts)
			}
			if k := c.NextKeyframe(i); !c.Frames[k].Keyframe {
				t.Fatalf("NextKeyframe(%d) = %d, not a keyframe", i, k)
			}
		}
		if total != c.Bytes {
			t.Fatalf("Bytes %d, frames hold %d", c.Bytes, total)
		}
	})
}
