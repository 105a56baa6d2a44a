package mp4

import (
	"time"

	"github.com/tributary-edge/tributary/video/media"
)

// movieTimescale is the timescale of mvhd, tkhd and elst: milliseconds.
const movieTimescale = 1000

// sampleTable is one track's samples in a progressive file: what stbl
// describes (ISO/IEC 14496-12 8.5 to 8.7). Chunk offsets are relative to the
// start of the mdat payload until the layout is known.
type sampleTable struct {
	sizes     []uint32
	pts       []int64  // placed PTS in the track timescale, for durations
	durations []uint32 // filled by finish
	syncs     []uint32 // 1-based numbers of sync samples (video only)
	chunks    []chunk
}

type chunk struct {
	offset uint64 // of its first sample
	n      uint32 // samples
}

// mediaDuration is the sum of the sample durations, in the track timescale.
func (st *sampleTable) mediaDuration() uint64 {
	var d uint64
	for _, v := range st.durations {
		d += uint64(v)
	}
	return d
}

// trakParams is what writeTrak needs besides the track itself.
type trakParams struct {
	creation  uint64       // seconds since 1904-01-01 UTC
	st        *sampleTable // nil for an initialisation segment
	emptyEdit uint64       // movie-timescale time before the first sample
	chunkBase uint64       // added to chunk offsets
	co64      bool
}

// writeMvhd writes the MovieHeaderBox (8.2.2).
func writeMvhd(w *boxBuf, creation, duration uint64, nextTrackID uint32) {
	v := timeVersion(creation, duration)
	b := w.startFull("mvhd", v, 0)
	w.times(v, creation, creation)
	w.u32(movieTimescale)
	w.times(v, duration)
	w.u32(0x00010000) // rate 1.0
	w.u16(0x0100)     // volume 1.0
	w.zeros(10)       // reserved
	w.matrix()
	w.zeros(24) // pre_defined
	w.u32(nextTrackID)
	w.end(b)
}

// trackDuration returns a track's duration in the movie timescale.
func trackDuration(t *trackInfo, p trakParams) uint64 {
	if p.st == nil {
		return 0
	}
	return p.emptyEdit + scale(p.st.mediaDuration(), t.timescale, movieTimescale)
}

// writeTrak writes one TrackBox (8.3.1).
func writeTrak(w *boxBuf, t *trackInfo, p trakParams) {
	trak := w.start("trak")
	dur := trackDuration(t, p)

	// TrackHeaderBox (8.3.2), flags track_enabled|track_in_movie.
	v := timeVersion(p.creation, dur)
	tkhd := w.startFull("tkhd", v, 3)
	w.times(v, p.creation, p.creation)
	w.u32(t.id)
	w.u32(0) // reserved
	w.times(v, dur)
	w.zeros(8) // reserved
	w.u16(0)   // layer
	w.u16(0)   // alternate_group
	if t.isVideo() {
		w.u16(0)
	} else {
		w.u16(0x0100) // volume 1.0
	}
	w.u16(0) // reserved
	w.matrix()
	if t.isVideo() {
		w.u32(uint32(t.info.Width) << 16)
		w.u32(uint32(t.info.Height) << 16)
	} else {
		w.u32(0)
		w.u32(0)
	}
	w.end(tkhd)

	if p.st != nil && p.emptyEdit > 0 {
		writeEdts(w, p.emptyEdit, dur-p.emptyEdit)
	}

	mdia := w.start("mdia")
	var mediaDur uint64
	if p.st != nil {
		mediaDur = p.st.mediaDuration()
	}
	v = timeVersion(p.creation, mediaDur)
	mdhd := w.startFull("mdhd", v, 0) // MediaHeaderBox (8.4.2)
	w.times(v, p.creation, p.creation)
	w.u32(t.timescale)
	w.times(v, mediaDur)
	w.u16(0x55c4) // language "und", ISO-639-2/T packed in 5-bit letters
	w.u16(0)      // pre_defined
	w.end(mdhd)

	hdlr := w.startFull("hdlr", 0, 0) // HandlerBox (8.4.3)
	w.u32(0)                          // pre_defined
	if t.isVideo() {
		w.fourcc("vide")
	} else {
		w.fourcc("soun")
	}
	w.zeros(12) // reserved
	if t.isVideo() {
		w.bytes([]byte("VideoHandler\x00"))
	} else {
		w.bytes([]byte("SoundHandler\x00"))
	}
	w.end(hdlr)

	minf := w.start("minf")
	if t.isVideo() {
		vmhd := w.startFull("vmhd", 0, 1) // VideoMediaHeaderBox (12.1.2)
		w.zeros(8)                        // graphicsmode, opcolor
		w.end(vmhd)
	} else {
		smhd := w.startFull("smhd", 0, 0) // SoundMediaHeaderBox (12.2.2)
		w.zeros(4)                        // balance, reserved
		w.end(smhd)
	}
	dinf := w.start("dinf") // DataInformationBox (8.7.1)
	dref := w.startFull("dref", 0, 0)
	w.u32(1)
	url := w.startFull("url ", 0, 1) // self-contained: data in this file
	w.end(url)
	w.end(dref)
	w.end(dinf)
	writeStbl(w, t, p)
	w.end(minf)
	w.end(mdia)
	w.end(trak)
}

// writeEdts writes an EditBox with an empty edit of length empty followed
// by the whole media (8.6.5, 8.6.6), both in the movie timescale, so a track
// that starts after the clip does so in sync.
func writeEdts(w *boxBuf, empty, media uint64) {
	edts := w.start("edts")
	v := timeVersion(empty, media)
	elst := w.startFull("elst", v, 0)
	w.u32(2)
	w.times(v, empty)
	if v == 1 {
		w.u64(^uint64(0)) // media_time -1: empty edit
	} else {
		w.u32(^uint32(0))
	}
	w.u32(0x00010000) // media_rate 1.0
	w.times(v, media, 0)
	w.u32(0x00010000)
	w.end(elst)
	w.end(edts)
}

// writeStbl writes the SampleTableBox (8.5.1); with p.st nil its tables are
// empty, as in an initialisation segment.
func writeStbl(w *boxBuf, t *trackInfo, p trakParams) {
	stbl := w.start("stbl")
	stsd := w.startFull("stsd", 0, 0) // SampleDescriptionBox (8.5.2)
	w.u32(1)
	t.writeSampleEntry(w)
	w.end(stsd)

	st := p.st
	if st == nil {
		st = &sampleTable{}
	}
	// TimeToSampleBox (8.6.1.2), run-length coded.
	stts := w.startFull("stts", 0, 0)
	countAt := len(w.b)
	w.u32(0)
	var entries uint32
	for i := 0; i < len(st.durations); {
		j := i + 1
		for j < len(st.durations) && st.durations[j] == st.durations[i] {
			j++
		}
		w.u32(uint32(j - i))
		w.u32(st.durations[i])
		entries++
		i = j
	}
	putU32(w.b[countAt:], entries)
	w.end(stts)

	// SyncSampleBox (8.6.2): absent means every sample is a sync sample.
	if t.isVideo() {
		stss := w.startFull("stss", 0, 0)
		w.u32(uint32(len(st.syncs)))
		for _, s := range st.syncs {
			w.u32(s)
		}
		w.end(stss)
	}

	// SampleToChunkBox (8.7.4), one entry per change of chunk length.
	stsc := w.startFull("stsc", 0, 0)
	countAt = len(w.b)
	w.u32(0)
	entries = 0
	for i, c := range st.chunks {
		if i > 0 && st.chunks[i-1].n == c.n {
			continue
		}
		w.u32(uint32(i + 1)) // first_chunk
		w.u32(c.n)
		w.u32(1) // sample_description_index
		entries++
	}
	putU32(w.b[countAt:], entries)
	w.end(stsc)

	stsz := w.startFull("stsz", 0, 0) // SampleSizeBox (8.7.3)
	w.u32(0)                          // sample_size: sizes vary
	w.u32(uint32(len(st.sizes)))
	for _, s := range st.sizes {
		w.u32(s)
	}
	w.end(stsz)

	// ChunkOffsetBox (8.7.5): 32-bit stco unless an offset needs co64.
	if p.co64 {
		co := w.startFull("co64", 0, 0)
		w.u32(uint32(len(st.chunks)))
		for _, c := range st.chunks {
			w.u64(p.chunkBase + c.offset)
		}
		w.end(co)
	} else {
		co := w.startFull("stco", 0, 0)
		w.u32(uint32(len(st.chunks)))
		for _, c := range st.chunks {
			w.u32(uint32(p.chunkBase + c.offset))
		}
		w.end(co)
	}
	w.end(stbl)
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// writeFtyp writes a FileTypeBox (4.3) or, with typ "styp", a
// SegmentTypeBox (8.16.2).
func writeFtyp(w *boxBuf, typ, major string, minor uint32, compatible ...string) {
	b := w.start(typ)
	w.fourcc(major)
	w.u32(minor)
	for _, c := range compatible {
		w.fourcc(c)
	}
	w.end(b)
}

// withOpus adds the brand 'Opus' to brands when a track is Opus
// (Encapsulation of Opus in ISO Base Media File Format 4.1).
func withOpus(tracks []media.Track, brands ...string) []string {
	for _, t := range tracks {
		if t.Codec == media.CodecOpus {
			return append(brands, "Opus")
		}
	}
	return brands
}

// mp4Epoch is the origin of ISO BMFF times: 1904-01-01 00:00:00 UTC.
var mp4Epoch = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)

// mp4Time converts t to seconds since mp4Epoch; zero or earlier gives 0.
func mp4Time(t time.Time) uint64 {
	if t.IsZero() || t.Before(mp4Epoch) {
		return 0
	}
	return uint64(t.Unix() - mp4Epoch.Unix())
}

// scale converts v from timescale from to timescale to, rounding to
// nearest, without overflowing for any v below 2^63 / 2^17.
func scale(v uint64, from, to uint32) uint64 {
	q, r := v/uint64(from), v%uint64(from)
	return q*uint64(to) + (r*uint64(to)+uint64(from)/2)/uint64(from)
}
