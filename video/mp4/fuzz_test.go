package mp4

import (
	"bytes"
	"testing"

	"github.com/tributary-edge/tributary/video/h264"
	"github.com/tributary-edge/tributary/video/media"
)

func FuzzReadBoxes(f *testing.F) {
	src := clipSource(f, true)
	var clip bytes.Buffer
	if err := WriteClip(&clip, src.fragments(), ClipOptions{}); err != nil {
		f.Fatal(err)
	}
	f.Add(clip.Bytes()[:4000])
	init, segs := writeFragmented(f, src.fragments()[:1], SegmentOptions{})
	f.Add(init)
	f.Add(segs[0][:2000])
	f.Add([]byte("\x00\x00\x00\x01moov\x00\x00\x00\x00\x00\x00\x00\x10"))
	f.Add([]byte("\x00\x00\x00\x00mdat"))
	f.Fuzz(func(t *testing.T, b []byte) {
		boxes, err := ReadBoxes(b)
		var walk func([]*Box, int64, int64)
		walk = func(bs []*Box, lo, hi int64) {
			for _, box := range bs {
				end := box.Offset + box.Size
				if box.Offset < lo || end > hi || box.Size < int64(len(box.Data))+8 {
					t.Fatalf("%q at %d..%d outside %d..%d", box.Type, box.Offset, end, lo, hi)
				}
				if data := b[end-int64(len(box.Data)) : end]; !bytes.Equal(data, box.Data) {
					t.Fatalf("%q: Data is not the end of the box", box.Type)
				}
				walk(box.Children, end-int64(len(box.Data)), end)
			}
		}
		walk(boxes, 0, int64(len(b)))
		if err == nil {
			total := 0
			for _, box := range boxes {
				total = int(box.Offset + box.Size)
			}
			if total != len(b) {
				t.Fatalf("boxes end at %d of %d", total, len(b))
			}
		}
	})
}

// fuzzInput turns bytes into fragments: a header byte picks the tracks and
// where PTS start, then each op byte (plus one for the PTS step) adds a
// frame of some kind, possibly starting a new fragment.
type fuzzInput struct {
	idr, p []byte
}

func newFuzzInput(t testing.TB) *fuzzInput {
	aus := accessUnits(readTestdata(t, "clip.h264"))
	return &fuzzInput{idr: aus[0], p: aus[1]}
}

func (in *fuzzInput) fragments(data []byte) []*media.Fragment {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	hdr := next()
	tracks := []media.Track{{Codec: media.CodecH264}}
	if hdr&1 != 0 {
		tracks = append(tracks, media.Track{Codec: media.CodecOpus, Channels: hdr >> 1 & 3})
	}
	if hdr&0x0e == 0x0e {
		tracks = append(tracks, media.Track{Codec: media.CodecVP8})
	}
	starts := []int64{0, 1<<32 - 40000, 1 << 40, -7, 1<<47 - 1000}
	pts := [4]int64{}
	for i := range pts {
		pts[i] = starts[int(hdr>>4)%len(starts)]
	}
	var frags []*media.Fragment
	for frames := 0; len(data) > 0 && frames < 400; frames++ {
		op, step := next(), next()
		if op&0x80 != 0 || len(frags) == 0 {
			frags = append(frags, &media.Fragment{Number: uint64(len(frags)), Tracks: tracks})
		}
		tr := op & 3
		var payload []byte
		key := false
		switch op >> 2 & 7 {
		case 0:
			payload, key = in.idr, true
		case 1:
			payload = in.p
		case 2: // empty
		case 3: // garbage from the input
			n := min(int(step), len(data))
			payload, data = data[:n], data[n:]
			key = step&1 == 1
		case 4:
			payload, key = in.idr[4:], true // no start code
		case 5:
			sps, pps := h264.ParameterSets(in.idr)
			payload = slicesConcat([]byte{0, 0, 1}, sps, []byte{0, 0, 1}, pps)
			key = true
		case 6:
			payload = []byte{0, 0, 0, 1, 0, 0, 0, 1}
		case 7:
			payload, key = []byte{0xfc, 0xff, 0xfe}, true
		}
		scale := [4]int64{1, 3600, 90000 * 100, 1 << 34}[op>>5&3]
		pts[tr] += int64(int8(step)) * scale
		last := frags[len(frags)-1]
		last.Frames = append(last.Frames, media.Frame{Track: tr, PTS: pts[tr], Keyframe: key, Data: payload})
	}
	return frags
}

func slicesConcat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// nonEmpty counts the frames of track tr that have a payload to store.
func nonEmpty(frames []media.Frame, tracks []media.Track, tr int) int {
	n := 0
	for _, f := range frames {
		if int(f.Track) != tr {
			continue
		}
		if tracks[tr].Codec == media.CodecH264 && h264.AVCCSize(f.Data) > 0 ||
			tracks[tr].Codec != media.CodecH264 && len(f.Data) > 0 {
			n++
		}
	}
	return n
}

// fuzzOp encodes one frame for fuzzInput: kind 0 IDR, 1 P, 2 empty,
// 3 garbage, 4 IDR without start code, 5 SPS/PPS only, 6 start codes only,
// 7 Opus-like bytes; scale 0..3 picks the PTS step unit.
func fuzzOp(newFrag bool, scale, kind, track byte, step int8) []byte {
	op := scale<<5 | kind<<2 | track
	if newFrag {
		op |= 0x80
	}
	return []byte{op, byte(step)}
}

func fuzzSeeds(f *testing.F) {
	// Video and Opus, two fragments, 40 ms and 20 ms steps (3600 = 1 unit,
	// Opus 960 ticks as 960 units of 1).
	seed := []byte{0x03}
	for i := 0; i < 20; i++ {
		kind := byte(1)
		if i%10 == 0 {
			kind = 0
		}
		seed = append(seed, fuzzOp(i == 10, 1, kind, 0, 1)...)
		seed = append(seed, fuzzOp(false, 0, 7, 1, 120)...)
	}
	f.Add(seed)
	f.Add(slicesConcat([]byte{0x10}, fuzzOp(false, 1, 0, 0, 1), fuzzOp(false, 1, 1, 0, 1), fuzzOp(true, 1, 0, 0, -16)))
	f.Add(slicesConcat([]byte{0x21}, fuzzOp(false, 1, 0, 0, 1), fuzzOp(false, 0, 7, 1, 5), fuzzOp(false, 1, 3, 0, 7), []byte{1, 2, 3, 4, 5, 6, 7}))
	f.Add(slicesConcat([]byte{0x00}, fuzzOp(false, 0, 5, 0, 0), fuzzOp(false, 3, 0, 0, 1), fuzzOp(true, 3, 0, 0, -1), fuzzOp(false, 2, 6, 0, 3)))
	f.Add(slicesConcat([]byte{0x0f}, fuzzOp(false, 1, 0, 0, 1), fuzzOp(false, 0, 0, 2, 1), fuzzOp(false, 0, 0, 3, 1)))
}

func FuzzWriteClip(f *testing.F) {
	fuzzSeeds(f)
	in := newFuzzInput(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		frags := in.fragments(data)
		var buf bytes.Buffer
		if err := WriteClip(&buf, frags, ClipOptions{}); err != nil {
			if buf.Len() != 0 {
				t.Fatalf("wrote %d bytes and failed: %v", buf.Len(), err)
			}
			return
		}
		clip, err := parseClip(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		var all []media.Frame
		for _, fr := range frags {
			all = append(all, fr.Frames...)
		}
		for _, tr := range clip.tracks {
			if want := nonEmpty(all, frags[0].Tracks, int(tr.id)-1); len(tr.sizes) != want {
				t.Fatalf("track %d: %d samples, want %d", tr.id, len(tr.sizes), want)
			}
		}
	})
}

func FuzzWriteSegment(f *testing.F) {
	fuzzSeeds(f)
	in := newFuzzInput(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		frags := in.fragments(data)
		if len(frags) == 0 {
			return
		}
		var buf bytes.Buffer
		if err := WriteInit(&buf, frags[0]); err == nil {
			if _, err := parseInit(buf.Bytes()); err != nil {
				t.Fatal(err)
			}
		}
		for i, frag := range frags {
			buf.Reset()
			if err := WriteSegment(&buf, uint32(i), frag, SegmentOptions{}); err != nil {
				continue
			}
			seq, tracks, err := parseSegment(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if seq != uint32(i) {
				t.Fatalf("seq %d, want %d", seq, i)
			}
			for _, tr := range tracks {
				if want := nonEmpty(frag.Frames, frag.Tracks, int(tr.id)-1); len(tr.sizes) != want {
					t.Fatalf("track %d: %d samples, want %d", tr.id, len(tr.sizes), want)
				}
			}
		}
	})
}
