package mp4

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/tributary-edge/tributary/video/media"
)

// DefaultMaxGap is ClipOptions.MaxGap when zero.
const DefaultMaxGap = 2 * time.Second

// ClipOptions tunes WriteClip. The zero value is ready to use.
type ClipOptions struct {
	// MaxGap is the largest forward jump between consecutive fragments that
	// is kept as a pause. A longer jump, or one backwards (the source
	// restarted), is closed up: the next fragment follows the previous one
	// after one frame interval. Zero means DefaultMaxGap.
	MaxGap time.Duration
}

// clipPlan is the layout of a clip, worked out before anything is written.
type clipPlan struct {
	tracks   []media.Track
	infos    []*trackInfo   // per track; nil for a track without samples
	tables   []*sampleTable // per track
	first    []int64        // per track: placed PTS of its first sample
	payload  uint64         // bytes of mdat payload
	creation uint64
}

// WriteClip writes frags as one progressive MP4 file to w: ftyp, moov, mdat
// (see the package doc). The fragments must be consecutive fragments of one
// source with the same Tracks, the first starting at a video keyframe; each
// video track needs an SPS and PPS in band. The creation time is the first
// fragment's ServerTime.
//
// WriteClip reads the frames twice, first for the layout and then to write
// them, and they must not change in between (ErrChanged).
func WriteClip(w io.Writer, frags []*media.Fragment, opts ClipOptions) error {
	plan, err := planClip(frags, opts)
	if err != nil {
		return err
	}
	return plan.write(w, frags)
}

func planClip(frags []*media.Fragment, opts ClipOptions) (*clipPlan, error) {
	frags = slices.DeleteFunc(slices.Clone(frags), func(f *media.Fragment) bool { return f == nil })
	if len(frags) == 0 {
		return nil, ErrNoFrames
	}
	tracks := frags[0].Tracks
	for _, f := range frags[1:] {
		if !slices.Equal(f.Tracks, tracks) {
			return nil, fmt.Errorf("%w: fragment %d has tracks %v, fragment %d %v", ErrBadTrack, f.Number, f.Tracks, frags[0].Number, tracks)
		}
	}
	if err := checkCodecs(tracks); err != nil {
		return nil, err
	}
	if opts.MaxGap <= 0 {
		opts.MaxGap = DefaultMaxGap
	}
	plan := &clipPlan{
		tracks:   tracks,
		infos:    make([]*trackInfo, len(tracks)),
		tables:   make([]*sampleTable, len(tracks)),
		first:    make([]int64, len(tracks)),
		creation: mp4Time(frags[0].ServerTime),
	}
	for i := range plan.tables {
		plan.tables[i] = &sampleTable{}
	}
	pl := media.NewPlacer(tracks, opts.MaxGap, placerErrors)
	prevTrack := -1 // track of the previous sample in mdat
	for _, frag := range frags {
		if err := pl.StartFragment(frag); err != nil {
			return nil, err
		}
		for i := range frag.Frames {
			f := &frag.Frames[i]
			pts, err := pl.Place(f)
			if err != nil {
				return nil, err
			}
			tr := int(f.Track)
			size, err := sampleSize(tracks[tr].Codec, f)
			if err != nil {
				return nil, err
			}
			if size == 0 {
				continue
			}
			st := plan.tables[tr]
			if len(st.sizes) == 0 {
				if tracks[tr].Codec.IsVideo() && !f.Keyframe {
					return nil, fmt.Errorf("%w: track %d", ErrNoKeyframe, tr)
				}
				plan.first[tr] = pts
			}
			st.sizes = append(st.sizes, size)
			st.pts = append(st.pts, pts)
			if f.Keyframe && tracks[tr].Codec.IsVideo() {
				st.syncs = append(st.syncs, uint32(len(st.sizes)))
			}
			if tr == prevTrack {
				st.chunks[len(st.chunks)-1].n++
			} else {
				st.chunks = append(st.chunks, chunk{offset: plan.payload, n: 1})
			}
			prevTrack = tr
			plan.payload += uint64(size)
		}
	}
	found := false
	for tr, st := range plan.tables {
		if len(st.sizes) == 0 {
			continue
		}
		found = true
		info, err := newTrackInfo(tr, tracks[tr], trackFrames(frags, tr))
		if err != nil {
			return nil, err
		}
		plan.infos[tr] = info
		if err := st.finish(info); err != nil {
			return nil, err
		}
	}
	if !found {
		return nil, ErrNoFrames
	}
	return plan, nil
}

// trackFrames iterates over the frames of track tr.
func trackFrames(frags []*media.Fragment, tr int) func(fn func(*media.Frame) bool) {
	return func(fn func(*media.Frame) bool) {
		for _, frag := range frags {
			for i := range frag.Frames {
				if int(frag.Frames[i].Track) == tr && !fn(&frag.Frames[i]) {
					return
				}
			}
		}
	}
}

// finish turns placed PTS into sample durations.
func (st *sampleTable) finish(t *trackInfo) error {
	st.durations = make([]uint32, len(st.pts))
	for i := 0; i+1 < len(st.pts); i++ {
		d := st.pts[i+1] - st.pts[i]
		if d > math.MaxUint32 {
			return fmt.Errorf("%w: track %d: gap of %d ticks", ErrTimestamp, t.id-1, d)
		}
		st.durations[i] = uint32(d)
	}
	if n := len(st.durations); n > 1 {
		st.durations[n-1] = st.durations[n-2]
	} else if n == 1 {
		st.durations[0] = t.fallbackDuration()
	}
	st.pts = nil
	return nil
}

// moov builds the MovieBox for chunk offsets starting at chunkBase.
func (p *clipPlan) moov(chunkBase uint64, co64 bool) (*boxBuf, error) {
	w := &boxBuf{b: make([]byte, 0, 4096)}
	params := make([]trakParams, len(p.infos))
	var dur uint64
	var next uint32
	for tr, info := range p.infos {
		if info == nil {
			continue
		}
		params[tr] = trakParams{creation: p.creation, st: p.tables[tr], chunkBase: chunkBase, co64: co64,
			emptyEdit: scale(uint64(p.first[tr]), info.timescale, movieTimescale)}
		dur = max(dur, trackDuration(info, params[tr]))
		next = info.id + 1
	}
	moov := w.start("moov")
	writeMvhd(w, p.creation, dur, next)
	for tr, info := range p.infos {
		if info != nil {
			writeTrak(w, info, params[tr])
		}
	}
	w.end(moov)
	if w.overflow {
		return nil, fmt.Errorf("%w: moov over 4 GiB", ErrTooLarge)
	}
	return w, nil
}

func (p *clipPlan) write(w io.Writer, frags []*media.Fragment) error {
	head := &boxBuf{}
	var stored []media.Track
	for tr, info := range p.infos {
		if info != nil {
			stored = append(stored, p.tracks[tr])
		}
	}
	// ISO/IEC 14496-12 brands; 'iso2' for the sample tables used, 'avc1'
	// for 14496-15 video, 'mp41' for players that look for it.
	writeFtyp(head, "ftyp", "isom", 0x200, withOpus(stored, "isom", "iso2", "avc1", "mp41")...)
	mdatHeader := uint64(8)
	if p.payload+8 > math.MaxUint32 {
		mdatHeader = 16 // size 1 and a 64-bit largesize (4.2)
	}
	// Chunk offsets count from the file start, so they depend on the size
	// of moov, which depends on whether they need 64 bits: size moov with
	// 32-bit offsets, switch to co64 if the last byte would be beyond
	// 4 GiB, then build it for real.
	moov, err := p.moov(0, false)
	if err != nil {
		return err
	}
	co64 := uint64(len(head.b)+len(moov.b))+mdatHeader+p.payload > math.MaxUint32
	if co64 {
		if moov, err = p.moov(0, true); err != nil {
			return err
		}
	}
	if moov, err = p.moov(uint64(len(head.b)+len(moov.b))+mdatHeader, co64); err != nil {
		return err
	}
	head.b = append(head.b, moov.b...)
	if mdatHeader == 8 {
		head.b = binary.BigEndian.AppendUint32(head.b, uint32(p.payload+8))
		head.b = append(head.b, "mdat"...)
	} else {
		head.b = binary.BigEndian.AppendUint32(head.b, 1)
		head.b = append(head.b, "mdat"...)
		head.b = binary.BigEndian.AppendUint64(head.b, p.payload+16)
	}

	bw := bufio.NewWriterSize(w, writeBufferSize)
	if _, err := bw.Write(head.b); err != nil {
		return fmt.Errorf("mp4: write header: %w", err)
	}
	var written uint64
	for _, frag := range frags {
		if frag == nil {
			continue
		}
		for i := range frag.Frames {
			f := &frag.Frames[i]
			if int(f.Track) >= len(p.tracks) {
				return fmt.Errorf("%w: frame of track %d", ErrChanged, f.Track)
			}
			n, err := writeSample(bw, p.tracks[f.Track].Codec, f)
			if err != nil {
				return fmt.Errorf("mp4: write samples: %w", err)
			}
			written += uint64(n)
		}
	}
	if written != p.payload {
		return fmt.Errorf("%w: planned %d bytes of samples, wrote %d", ErrChanged, p.payload, written)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mp4: write samples: %w", err)
	}
	return nil
}
