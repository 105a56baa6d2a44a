package webm

import (
	"bytes"
	"testing"

	"github.com/tributary-edge/tributary/video/media"
)

func FuzzVP8KeyframeSize(f *testing.F) {
	src := clipSource(f, false)
	f.Add(src.video[0][:16])
	f.Add(src.video[1][:16])
	f.Add([]byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x47, 0x38, 0xc4})
	f.Fuzz(func(t *testing.T, b []byte) {
		w, h, err := vp8KeyframeSize(b)
		if err == nil && (w <= 0 || h <= 0 || w >= 1<<14 || h >= 1<<14) {
			t.Fatalf("size %dx%d", w, h)
		}
	})
}

// fuzzOp encodes one frame for fuzzFragments: kind 0 key frame, 1 delta
// frame, 2 empty, 3 garbage taken from the input, 4 Opus-like bytes; scale
// 0..3 picks the PTS step unit.
func fuzzOp(newFrag bool, scale, kind, track byte, step int8) []byte {
	op := scale<<5 | kind<<2 | track
	if newFrag {
		op |= 0x80
	}
	return []byte{op, byte(step)}
}

func fuzzFragments(src *source, data []byte) []*media.Fragment {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	hdr := next()
	tracks := []media.Track{{Codec: media.CodecVP8}}
	if hdr&1 != 0 {
		tracks = append(tracks, media.Track{Codec: media.CodecOpus, Channels: hdr >> 1 & 3})
	}
	if hdr&0x0e == 0x0e {
		tracks = append(tracks, media.Track{Codec: media.CodecH264})
	}
	starts := []int64{0, 1<<32 - 40000, 1 << 40, -7, 1<<47 - 1000}
	var pts [4]int64
	for i := range pts {
		pts[i] = starts[int(hdr>>4)%len(starts)]
	}
	var frags []*media.Fragment
	for n := 0; len(data) > 0 && n < 400; n++ {
		op, step := next(), next()
		if op&0x80 != 0 || len(frags) == 0 {
			frags = append(frags, &media.Fragment{Tracks: tracks})
		}
		tr := op & 3
		var payload []byte
		key := false
		switch op >> 2 & 7 {
		case 0:
			payload, key = src.video[0], true
		case 1:
			payload = src.video[1]
		case 2:
		case 3:
			n := min(int(step), len(data))
			payload, data = data[:n], data[n:]
			key = step&1 == 1
		default:
			payload, key = []byte{0xfc, 0xff, 0xfe}, true
		}
		pts[tr] += int64(int8(step)) * [4]int64{1, 3600, 90000 * 100, 1 << 34}[op>>5&3]
		last := frags[len(frags)-1]
		last.Frames = append(last.Frames, media.Frame{Track: tr, PTS: pts[tr], Keyframe: key, Data: payload})
	}
	return frags
}

func FuzzWriteClip(f *testing.F) {
	seed := []byte{0x03}
	for i := 0; i < 20; i++ {
		kind := byte(1)
		if i%10 == 0 {
			kind = 0
		}
		seed = append(seed, fuzzOp(i == 10, 1, kind, 0, 1)...)
		seed = append(seed, fuzzOp(false, 0, 4, 1, 120)...)
	}
	f.Add(seed)
	f.Add(bytes.Join([][]byte{{0x10}, fuzzOp(false, 1, 0, 0, 1), fuzzOp(false, 1, 1, 0, 1), fuzzOp(true, 1, 0, 0, -16)}, nil))
	f.Add(bytes.Join([][]byte{{0x21}, fuzzOp(false, 1, 0, 0, 1), fuzzOp(false, 0, 4, 1, 5), fuzzOp(false, 1, 3, 0, 7), {1, 2, 3, 4, 5, 6, 7}}, nil))
	f.Add(bytes.Join([][]byte{{0x00}, fuzzOp(false, 3, 0, 0, 1), fuzzOp(true, 3, 0, 0, -1), fuzzOp(false, 2, 1, 0, 3)}, nil))
	src := clipSource(f, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		frags := fuzzFragments(src, data)
		var buf bytes.Buffer
		if err := WriteClip(&buf, frags, Options{}); err != nil {
			if buf.Len() != 0 {
				t.Fatalf("wrote %d bytes and failed: %v", buf.Len(), err)
			}
			return
		}
		_, blocks, err := parseWebM(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		want := map[uint64]int{}
		for _, fr := range frags {
			for _, f := range fr.Frames {
				if len(f.Data) > 0 {
					want[uint64(f.Track)+1]++
				}
			}
		}
		got := map[uint64]int{}
		for _, b := range blocks {
			got[b.track]++
		}
		for tr, n := range want {
			if got[tr] != n {
				t.Fatalf("track %d: %d blocks, want %d", tr, got[tr], n)
			}
		}
	})
}
