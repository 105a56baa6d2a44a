package mp4

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/tributary-edge/tributary/video/media"
)

// Sample flags (ISO/IEC 14496-12 8.8.3.1): sample_depends_on 2 (depends on
// no other sample) for sync samples; 1 plus sample_is_non_sync_sample for
// the rest.
const (
	flagsSync    = 0x02000000
	flagsNonSync = 0x01010000
)

// tfhd and trun flags (8.8.7.1, 8.8.8.1).
const (
	tfhdDefaultSampleFlags = 0x000020
	tfhdDefaultBaseIsMoof  = 0x020000
	trunDataOffset         = 0x000001
	trunSampleDuration     = 0x000100
	trunSampleSize         = 0x000200
	trunSampleFlags        = 0x000400
)

// WriteInit writes the initialisation segment of a fragmented stream whose
// tracks are frag.Tracks: ftyp and a moov with empty sample tables and one
// trex per track (8.8.3). H.264 tracks take their SPS/PPS, and so their
// size, from the first frame of frag that carries them. Segments whose
// SPS differs need a new initialisation segment.
func WriteInit(w io.Writer, frag *media.Fragment) error {
	if frag == nil || len(frag.Tracks) == 0 {
		return ErrNoFrames
	}
	if err := checkCodecs(frag.Tracks); err != nil {
		return err
	}
	infos := make([]*trackInfo, len(frag.Tracks))
	for i, tr := range frag.Tracks {
		info, err := newTrackInfo(i, tr, trackFrames([]*media.Fragment{frag}, i))
		if err != nil {
			return err
		}
		infos[i] = info
	}
	b := &boxBuf{b: make([]byte, 0, 1024)}
	writeFtyp(b, "ftyp", "iso6", 0, withOpus(frag.Tracks, "iso6", "isom", "mp41", "avc1")...)
	moov := b.start("moov")
	writeMvhd(b, 0, 0, uint32(len(infos))+1)
	for _, info := range infos {
		writeTrak(b, info, trakParams{})
	}
	mvex := b.start("mvex")
	for _, info := range infos {
		trex := b.startFull("trex", 0, 0) // TrackExtendsBox (8.8.3)
		b.u32(info.id)
		b.u32(1) // default_sample_description_index
		b.u32(0) // default_sample_duration
		b.u32(0) // default_sample_size
		b.u32(0) // default_sample_flags
		b.end(trex)
	}
	b.end(mvex)
	b.end(moov)
	if _, err := w.Write(b.b); err != nil {
		return fmt.Errorf("mp4: write init: %w", err)
	}
	return nil
}

// SegmentOptions tunes WriteSegment. The zero value is ready to use.
type SegmentOptions struct {
	// Origin is the time decode times count from: each track's
	// baseMediaDecodeTime is the PTS of its first sample minus Origin in
	// that track's clock. Use the same Origin for every segment of a
	// playlist, at or before its earliest frame (zero, or the PTS of the
	// first frame of the stream as a duration, media.TicksToDuration).
	Origin time.Duration
}

// segTrack is one track's samples in a segment.
type segTrack struct {
	codec     media.Codec
	sizes     []uint32
	pts       []int64
	keys      []bool
	payload   uint64
	offsetPos int // where trun's data_offset goes in the moof
}

// WriteSegment writes frag as one media segment of a fragmented stream:
// a moof with sequence number seq and one traf per track that has frames,
// then an mdat with the samples of each track in turn. Decode times are
// 64-bit, so PTS beyond 2^32 need no rebasing; see SegmentOptions.Origin to
// start near zero.
func WriteSegment(w io.Writer, seq uint32, frag *media.Fragment, opts SegmentOptions) error {
	if frag == nil {
		return ErrNoFrames
	}
	if err := checkCodecs(frag.Tracks); err != nil {
		return err
	}
	tracks := make([]segTrack, len(frag.Tracks))
	for i := range tracks {
		tracks[i].codec = frag.Tracks[i].Codec
	}
	var total uint64
	for i := range frag.Frames {
		f := &frag.Frames[i]
		if int(f.Track) >= len(tracks) {
			return fmt.Errorf("%w: frame of track %d, fragment has %d", ErrBadTrack, f.Track, len(tracks))
		}
		if f.PTS > media.MaxPTS || f.PTS < -media.MaxPTS {
			return fmt.Errorf("%w: PTS %d out of range", ErrTimestamp, f.PTS)
		}
		t := &tracks[f.Track]
		size, err := sampleSize(t.codec, f)
		if err != nil {
			return err
		}
		if size == 0 {
			continue
		}
		if n := len(t.pts); n > 0 && f.PTS <= t.pts[n-1] {
			return fmt.Errorf("%w: track %d PTS %d not after %d", ErrTimestamp, f.Track, f.PTS, t.pts[n-1])
		}
		t.sizes = append(t.sizes, size)
		t.pts = append(t.pts, f.PTS)
		t.keys = append(t.keys, f.Keyframe)
		t.payload += uint64(size)
		total += uint64(size)
	}
	if total == 0 {
		return ErrNoFrames
	}

	b := &boxBuf{b: make([]byte, 0, 1024)}
	moof := b.start("moof")
	mfhd := b.startFull("mfhd", 0, 0) // MovieFragmentHeaderBox (8.8.5)
	b.u32(seq)
	b.end(mfhd)
	for i := range tracks {
		if err := writeTraf(b, uint32(i)+1, &tracks[i], opts.Origin); err != nil {
			return err
		}
	}
	b.end(moof)
	// data_offset is from the start of the moof (default-base-is-moof) to
	// the track's first sample in the mdat that follows.
	offset := uint64(len(b.b)) + 8
	if offset+total > math.MaxInt32 {
		return fmt.Errorf("%w: segment of %d bytes", ErrTooLarge, offset+total)
	}
	for i := range tracks {
		t := &tracks[i]
		if len(t.sizes) > 0 {
			putU32(b.b[t.offsetPos:], uint32(offset))
			offset += t.payload
		}
	}
	b.b = binary.BigEndian.AppendUint32(b.b, uint32(total+8))
	b.b = append(b.b, "mdat"...)

	bw := bufio.NewWriterSize(w, writeBufferSize)
	if _, err := bw.Write(b.b); err != nil {
		return fmt.Errorf("mp4: write segment: %w", err)
	}
	var written uint64
	for tr := range tracks {
		for i := range frag.Frames {
			if f := &frag.Frames[i]; int(f.Track) == tr {
				n, err := writeSample(bw, tracks[tr].codec, f)
				if err != nil {
					return fmt.Errorf("mp4: write segment: %w", err)
				}
				written += uint64(n)
			}
		}
	}
	if written != total {
		return fmt.Errorf("%w: planned %d bytes of samples, wrote %d", ErrChanged, total, written)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mp4: write segment: %w", err)
	}
	return nil
}

// writeTraf writes a TrackFragmentBox (8.8.6) for t, unless it is empty.
func writeTraf(b *boxBuf, id uint32, t *segTrack, origin time.Duration) error {
	n := len(t.sizes)
	if n == 0 {
		return nil
	}
	rate := t.codec.ClockRate()
	base := t.pts[0] - media.RoundTicks(origin, rate)
	if base < 0 {
		return fmt.Errorf("%w: track %d decode time %d below zero (origin %v)", ErrTimestamp, id-1, base, origin)
	}
	video := t.codec.IsVideo()
	traf := b.start("traf")
	flags := uint32(tfhdDefaultBaseIsMoof)
	if !video {
		flags |= tfhdDefaultSampleFlags
	}
	tfhd := b.startFull("tfhd", 0, flags) // TrackFragmentHeaderBox (8.8.7)
	b.u32(id)
	if !video {
		b.u32(flagsSync)
	}
	b.end(tfhd)

	tfdt := b.startFull("tfdt", 1, 0) // TrackFragmentBaseMediaDecodeTimeBox (8.8.12)
	b.u64(uint64(base))
	b.end(tfdt)

	flags = trunDataOffset | trunSampleDuration | trunSampleSize
	if video {
		flags |= trunSampleFlags
	}
	trun := b.startFull("trun", 0, flags) // TrackRunBox (8.8.8)
	b.u32(uint32(n))
	t.offsetPos = len(b.b)
	b.u32(0) // data_offset, filled in once the moof size is known
	var dur uint32
	for i := range n {
		switch {
		case i+1 < n:
			d := t.pts[i+1] - t.pts[i]
			if d > math.MaxUint32 {
				return fmt.Errorf("%w: track %d: gap of %d ticks", ErrTimestamp, id-1, d)
			}
			dur = uint32(d)
		case n == 1:
			dur = (&trackInfo{codec: t.codec, timescale: rate}).fallbackDuration()
		}
		b.u32(dur) // the last sample repeats the previous duration
		b.u32(t.sizes[i])
		if video {
			if t.keys[i] {
				b.u32(flagsSync)
			} else {
				b.u32(flagsNonSync)
			}
		}
	}
	b.end(trun)
	b.end(traf)
	return nil
}
