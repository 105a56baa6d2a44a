package mp4

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// This file checks files written by the package structurally, with
// ReadBoxes: every table agrees with every other, and every sample lies in
// the mdat, with the samples covering it exactly. Unit tests, ffprobe tests
// and the fuzzers share it.

type parsedTrack struct {
	id            uint32
	handler       string
	entry         string // sample entry type: avc1, Opus
	width, height uint16
	channels      uint16
	timescale     uint32
	mediaDur      uint64
	trackDur      uint64 // tkhd, movie timescale
	emptyEdit     uint64 // movie timescale, 0 without an edit list
	config        []byte // avcC or dOps payload
	sizes         []uint32
	durations     []uint32
	syncs         []uint32 // nil: no stss
	offsets       []uint64 // absolute file offset of each sample
	chunks        int
	tfdt          uint64 // fragmented only
	flags         []uint32
}

type parsedClip struct {
	movieDur uint64
	tracks   []*parsedTrack
}

var errCheck = errors.New("structure")

func fail(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errCheck}, args...)...)
}

func full(b *Box) (version uint8, flags uint32, p []byte, err error) {
	if b == nil {
		return 0, 0, nil, fail("missing box")
	}
	if len(b.Data) < 4 {
		return 0, 0, nil, fail("%s: short full box", b.Type)
	}
	return b.Data[0], binary.BigEndian.Uint32(b.Data) & 0xffffff, b.Data[4:], nil
}

// reader is a bounds-checked big-endian reader over a box payload.
type reader struct {
	p   []byte
	err error
}

func (r *reader) n(k int) []byte {
	if r.err != nil || len(r.p) < k {
		r.err = fail("short box")
		return make([]byte, k)
	}
	v := r.p[:k]
	r.p = r.p[k:]
	return v
}
func (r *reader) u16() uint16 { return binary.BigEndian.Uint16(r.n(2)) }
func (r *reader) u32() uint32 { return binary.BigEndian.Uint32(r.n(4)) }
func (r *reader) u64() uint64 { return binary.BigEndian.Uint64(r.n(8)) }
func (r *reader) time(v uint8) uint64 {
	if v == 1 {
		return r.u64()
	}
	return uint64(r.u32())
}

// parseClip checks a progressive file and returns its tracks.
func parseClip(file []byte) (*parsedClip, error) {
	boxes, err := ReadBoxes(file)
	if err != nil {
		return nil, err
	}
	var order []string
	for _, b := range boxes {
		order = append(order, b.Type)
	}
	if !slices.Equal(order, []string{"ftyp", "moov", "mdat"}) {
		return nil, fail("top-level boxes %v, want ftyp moov mdat", order)
	}
	mdat := boxes[2]
	mdatStart := uint64(len(file) - len(mdat.Data))
	mdatEnd := uint64(len(file))
	moov := boxes[1]
	v, _, p, err := full(Find(moov.Children, "mvhd"))
	if err != nil {
		return nil, err
	}
	r := &reader{p: p}
	r.time(v)
	r.time(v)
	if ts := r.u32(); ts != movieTimescale {
		return nil, fail("mvhd timescale %d", ts)
	}
	clip := &parsedClip{movieDur: r.time(v)}
	if r.err != nil {
		return nil, r.err
	}
	type span struct{ start, end uint64 }
	var spans []span
	for _, trak := range FindAll(moov.Children, "trak") {
		t, err := parseTrak(trak, clip.movieDur)
		if err != nil {
			return nil, err
		}
		for i, off := range t.offsets {
			end := off + uint64(t.sizes[i])
			if off < mdatStart || end > mdatEnd {
				return nil, fail("track %d sample %d at %d..%d outside mdat %d..%d", t.id, i, off, end, mdatStart, mdatEnd)
			}
			spans = append(spans, span{off, end})
		}
		clip.tracks = append(clip.tracks, t)
	}
	if len(clip.tracks) == 0 {
		return nil, fail("no tracks")
	}
	// Samples tile the mdat payload: no overlap, no hole.
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	at := mdatStart
	for _, s := range spans {
		if s.start != at {
			return nil, fail("sample at %d, expected %d", s.start, at)
		}
		at = s.end
	}
	if at != mdatEnd {
		return nil, fail("samples end at %d, mdat at %d", at, mdatEnd)
	}
	return clip, nil
}

func parseTrak(trak *Box, movieDur uint64) (*parsedTrack, error) {
	t := &parsedTrack{}
	v, _, p, err := full(Find(trak.Children, "tkhd"))
	if err != nil {
		return nil, err
	}
	r := &reader{p: p}
	r.time(v)
	r.time(v)
	t.id = r.u32()
	r.u32()
	t.trackDur = r.time(v)
	if r.err != nil {
		return nil, r.err
	}
	if t.trackDur > movieDur {
		return nil, fail("track %d duration %d > movie %d", t.id, t.trackDur, movieDur)
	}
	if elst := Find(trak.Children, "edts", "elst"); elst != nil {
		v, _, p, err := full(elst)
		if err != nil {
			return nil, err
		}
		r := &reader{p: p}
		if n := r.u32(); n != 2 {
			return nil, fail("elst with %d entries", n)
		}
		t.emptyEdit = r.time(v)
		if mt := r.time(v); mt != 1<<32-1 && mt != 1<<64-1 {
			return nil, fail("first edit not empty: media_time %d", mt)
		}
		r.u32()
		if d := r.time(v); t.emptyEdit+d != t.trackDur {
			return nil, fail("edits %d+%d != tkhd %d", t.emptyEdit, d, t.trackDur)
		}
		if r.err != nil {
			return nil, r.err
		}
	}
	v, _, p, err = full(Find(trak.Children, "mdia", "mdhd"))
	if err != nil {
		return nil, err
	}
	r = &reader{p: p}
	r.time(v)
	r.time(v)
	t.timescale = r.u32()
	t.mediaDur = r.time(v)
	_, _, p, err = full(Find(trak.Children, "mdia", "hdlr"))
	if err != nil {
		return nil, err
	}
	if len(p) < 8 {
		return nil, fail("short hdlr")
	}
	t.handler = string(p[4:8])
	stbl := Find(trak.Children, "mdia", "minf", "stbl")
	if stbl == nil {
		return nil, fail("track %d: no stbl", t.id)
	}
	if err := parseStsd(t, Find(stbl.Children, "stsd")); err != nil {
		return nil, err
	}
	if err := parseTables(t, stbl); err != nil {
		return nil, fmt.Errorf("track %d: %w", t.id, err)
	}
	return t, nil
}

func parseStsd(t *parsedTrack, stsd *Box) error {
	if stsd == nil || len(stsd.Children) != 1 || binary.BigEndian.Uint32(stsd.Data[4:]) != 1 {
		return fail("track %d: stsd must hold one entry", t.id)
	}
	e := stsd.Children[0]
	t.entry = e.Type
	switch e.Type {
	case "avc1":
		if t.handler != "vide" {
			return fail("avc1 in %q track", t.handler)
		}
		t.width = binary.BigEndian.Uint16(e.Data[24:])
		t.height = binary.BigEndian.Uint16(e.Data[26:])
		c := Find(e.Children, "avcC")
		if c == nil || len(c.Data) < 7 {
			return fail("avc1 without avcC")
		}
		t.config = c.Data
	case "Opus":
		if t.handler != "soun" {
			return fail("Opus in %q track", t.handler)
		}
		t.channels = binary.BigEndian.Uint16(e.Data[16:])
		c := Find(e.Children, "dOps")
		if c == nil || len(c.Data) != 11 {
			return fail("Opus without an 11-byte dOps")
		}
		t.config = c.Data
	default:
		return fail("sample entry %q", e.Type)
	}
	return nil
}

// parseTables reads stts, stss, stsc, stsz and stco/co64 and checks that
// they agree.
func parseTables(t *parsedTrack, stbl *Box) error {
	_, _, p, err := full(Find(stbl.Children, "stsz"))
	if err != nil {
		return err
	}
	r := &reader{p: p}
	if fixed := r.u32(); fixed != 0 {
		return fail("stsz sample_size %d", fixed)
	}
	n := r.u32()
	if uint64(n)*4 != uint64(len(r.p)) {
		return fail("stsz count %d for %d bytes", n, len(r.p))
	}
	for range n {
		t.sizes = append(t.sizes, r.u32())
	}

	_, _, p, err = full(Find(stbl.Children, "stts"))
	if err != nil {
		return err
	}
	r = &reader{p: p}
	entries := r.u32()
	var sum uint64
	for range entries {
		count, delta := r.u32(), r.u32()
		if r.err != nil || count == 0 || uint64(len(t.durations))+uint64(count) > uint64(n) {
			return fail("stts entry %d x %d", count, delta)
		}
		for range count {
			t.durations = append(t.durations, delta)
		}
		sum += uint64(count) * uint64(delta)
	}
	if uint32(len(t.durations)) != n || len(r.p) != 0 {
		return fail("stts covers %d samples of %d", len(t.durations), n)
	}
	if sum != t.mediaDur {
		return fail("stts sum %d, mdhd %d", sum, t.mediaDur)
	}

	if stss := Find(stbl.Children, "stss"); stss != nil {
		_, _, p, err := full(stss)
		if err != nil {
			return err
		}
		r := &reader{p: p}
		k := r.u32()
		t.syncs = []uint32{}
		for range k {
			s := r.u32()
			if s == 0 || s > n || (len(t.syncs) > 0 && s <= t.syncs[len(t.syncs)-1]) {
				return fail("stss entry %d", s)
			}
			t.syncs = append(t.syncs, s)
		}
		if r.err != nil || len(r.p) != 0 {
			return fail("stss size")
		}
	}

	var offsets []uint64
	if co := Find(stbl.Children, "stco"); co != nil {
		_, _, p, err := full(co)
		if err != nil {
			return err
		}
		r := &reader{p: p}
		k := r.u32()
		for range k {
			offsets = append(offsets, uint64(r.u32()))
		}
		if r.err != nil || len(r.p) != 0 {
			return fail("stco size")
		}
	} else if co := Find(stbl.Children, "co64"); co != nil {
		_, _, p, err := full(co)
		if err != nil {
			return err
		}
		r := &reader{p: p}
		k := r.u32()
		for range k {
			offsets = append(offsets, r.u64())
		}
		if r.err != nil || len(r.p) != 0 {
			return fail("co64 size")
		}
	} else {
		return fail("no chunk offsets")
	}
	t.chunks = len(offsets)

	_, _, p, err = full(Find(stbl.Children, "stsc"))
	if err != nil {
		return err
	}
	r = &reader{p: p}
	k := r.u32()
	type stscEntry struct{ first, per uint32 }
	var stsc []stscEntry
	for range k {
		e := stscEntry{r.u32(), r.u32()}
		if sdi := r.u32(); sdi != 1 || e.per == 0 || e.first == 0 ||
			(len(stsc) > 0 && e.first <= stsc[len(stsc)-1].first) || int(e.first) > len(offsets) {
			return fail("stsc entry %+v sdi %d", e, sdi)
		}
		stsc = append(stsc, e)
	}
	if r.err != nil || len(r.p) != 0 || (len(offsets) > 0 && (len(stsc) == 0 || stsc[0].first != 1)) {
		return fail("stsc")
	}
	sample := 0
	for c, off := range offsets {
		per := uint32(0)
		for _, e := range stsc {
			if int(e.first) <= c+1 {
				per = e.per
			}
		}
		for range per {
			if sample >= int(n) {
				return fail("chunks hold more samples than stsz")
			}
			t.offsets = append(t.offsets, off)
			off += uint64(t.sizes[sample])
			sample++
		}
	}
	if sample != int(n) {
		return fail("chunks hold %d samples, stsz %d", sample, n)
	}
	return nil
}

// parseInit checks an initialisation segment and returns its tracks.
func parseInit(init []byte) ([]*parsedTrack, error) {
	boxes, err := ReadBoxes(init)
	if err != nil {
		return nil, err
	}
	if len(boxes) != 2 || boxes[0].Type != "ftyp" || boxes[1].Type != "moov" {
		return nil, fail("init boxes")
	}
	var tracks []*parsedTrack
	for _, trak := range FindAll(boxes[1].Children, "trak") {
		t, err := parseTrak(trak, 0)
		if err != nil {
			return nil, err
		}
		if len(t.sizes) != 0 || t.chunks != 0 {
			return nil, fail("init track %d has samples", t.id)
		}
		tracks = append(tracks, t)
	}
	trex := FindAll(Find(boxes[1].Children, "mvex").Children, "trex")
	if len(trex) != len(tracks) || len(tracks) == 0 {
		return nil, fail("%d trex for %d tracks", len(trex), len(tracks))
	}
	return tracks, nil
}

// parseSegment checks a media segment and returns its sequence number and
// its track fragments; offsets are from the start of seg.
func parseSegment(seg []byte) (uint32, []*parsedTrack, error) {
	boxes, err := ReadBoxes(seg)
	if err != nil {
		return 0, nil, err
	}
	if len(boxes) != 2 || boxes[0].Type != "moof" || boxes[1].Type != "mdat" {
		return 0, nil, fail("segment boxes")
	}
	moof, mdat := boxes[0], boxes[1]
	mdatStart := uint64(len(seg) - len(mdat.Data))
	_, _, p, err := full(Find(moof.Children, "mfhd"))
	if err != nil {
		return 0, nil, err
	}
	r := &reader{p: p}
	seq := r.u32()
	var tracks []*parsedTrack
	at := mdatStart
	for _, traf := range FindAll(moof.Children, "traf") {
		t := &parsedTrack{}
		_, flags, p, err := full(Find(traf.Children, "tfhd"))
		if err != nil {
			return 0, nil, err
		}
		r := &reader{p: p}
		t.id = r.u32()
		var defFlags uint32
		if flags&tfhdDefaultSampleFlags != 0 {
			defFlags = r.u32()
		}
		if flags&tfhdDefaultBaseIsMoof == 0 || r.err != nil {
			return 0, nil, fail("tfhd flags %x", flags)
		}
		v, _, p, err := full(Find(traf.Children, "tfdt"))
		if err != nil {
			return 0, nil, err
		}
		r = &reader{p: p}
		t.tfdt = r.time(v)
		_, flags, p, err = full(Find(traf.Children, "trun"))
		if err != nil {
			return 0, nil, err
		}
		r = &reader{p: p}
		n := r.u32()
		off := uint64(moof.Offset) + uint64(int32(r.u32()))
		if flags&0x000001 == 0 || flags&0x000300 != 0x000300 {
			return 0, nil, fail("trun flags %x", flags)
		}
		for range n {
			t.durations = append(t.durations, r.u32())
			size := r.u32()
			t.sizes = append(t.sizes, size)
			f := defFlags
			if flags&trunSampleFlags != 0 {
				f = r.u32()
			}
			t.flags = append(t.flags, f)
			t.offsets = append(t.offsets, off)
			off += uint64(size)
		}
		if r.err != nil || len(r.p) != 0 {
			return 0, nil, fail("trun size")
		}
		if len(t.offsets) > 0 && t.offsets[0] != at {
			return 0, nil, fail("track %d data at %d, expected %d", t.id, t.offsets[0], at)
		}
		at = off
		tracks = append(tracks, t)
	}
	if at != uint64(len(seg)) {
		return 0, nil, fail("samples end at %d, segment at %d", at, len(seg))
	}
	return seq, tracks, nil
}
