package webm

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/at-wat/ebml-go/mkvcore"
	"github.com/at-wat/ebml-go/webm"

	"github.com/tributary-edge/tributary/video/media"
)

// DefaultMaxGap is Options.MaxGap when zero.
const DefaultMaxGap = 2 * time.Second

// Options tunes WriteClip. The zero value is ready to use.
type Options struct {
	// MaxGap is the largest forward jump between consecutive fragments that
	// is kept as a pause. A longer jump, or one backwards (the source
	// restarted), is closed up: the next fragment follows the previous one
	// after one frame interval. Zero means DefaultMaxGap.
	MaxGap time.Duration
}

// block is one frame to write, found by its place in the fragments.
type block struct {
	ms    int64 // timestamp in milliseconds from the clip start
	frag  int32
	frame int32
}

type clipPlan struct {
	tracks   []media.Track
	entries  []webm.TrackEntry
	number   []int // per track: index in entries, -1 if left out
	blocks   []block
	duration int64 // ms
	clusters int   // expected clusters, to size the Cues
	video    uint64
}

// WriteClip writes frags as one WebM file to w. The fragments must be
// consecutive fragments of one source with the same Tracks, VP8 and
// optionally Opus, the first starting at a video key frame.
func WriteClip(w io.Writer, frags []*media.Fragment, opts Options) error {
	plan, err := planClip(frags, opts)
	if err != nil {
		return err
	}
	return plan.write(w, frags)
}

func planClip(frags []*media.Fragment, opts Options) (*clipPlan, error) {
	if !slices.ContainsFunc(frags, func(f *media.Fragment) bool { return f != nil }) {
		return nil, ErrNoFrames
	}
	var tracks []media.Track
	for _, f := range frags {
		if f == nil {
			continue
		}
		if tracks == nil {
			tracks = f.Tracks
		} else if !slices.Equal(f.Tracks, tracks) {
			return nil, fmt.Errorf("%w: fragment %d has tracks %v, not %v", ErrBadTrack, f.Number, f.Tracks, tracks)
		}
	}
	for i, tr := range tracks {
		if tr.Codec != media.CodecVP8 && tr.Codec != media.CodecOpus {
			return nil, fmt.Errorf("%w: track %d is %v", ErrUnsupportedCodec, i, tr.Codec)
		}
	}
	if opts.MaxGap <= 0 {
		opts.MaxGap = DefaultMaxGap
	}
	p := &clipPlan{tracks: tracks, number: make([]int, len(tracks))}
	pl := media.NewPlacer(tracks, opts.MaxGap, placerErrors)
	count := make([]int, len(tracks))
	size := make([][2]int, len(tracks))
	lastMS := make([]int64, len(tracks))
	stepMS := make([]int64, len(tracks))
	for fi, frag := range frags {
		if frag == nil {
			continue
		}
		if err := pl.StartFragment(frag); err != nil {
			return nil, err
		}
		for i := range frag.Frames {
			f := &frag.Frames[i]
			pts, err := pl.Place(f)
			if err != nil {
				return nil, err
			}
			if len(f.Data) == 0 {
				continue
			}
			tr := f.Track
			if count[tr] == 0 && tracks[tr].Codec.IsVideo() {
				wd, ht, err := vp8KeyframeSize(f.Data)
				if err != nil || !f.Keyframe {
					return nil, fmt.Errorf("%w: track %d: %w", ErrNoKeyframe, tr, err)
				}
				size[tr] = [2]int{wd, ht}
			}
			ms := pts * 1000 / int64(tracks[tr].Codec.ClockRate())
			if count[tr] > 0 {
				stepMS[tr] = ms - lastMS[tr]
			}
			if f.Keyframe && tracks[tr].Codec.IsVideo() {
				p.clusters++
			}
			count[tr]++
			lastMS[tr] = ms
			p.blocks = append(p.blocks, block{ms: ms, frag: int32(fi), frame: int32(i)})
		}
	}
	if len(p.blocks) == 0 {
		return nil, ErrNoFrames
	}
	for tr, t := range tracks {
		p.number[tr] = -1
		if count[tr] == 0 {
			continue
		}
		step := stepMS[tr]
		if count[tr] == 1 {
			step = 40
			if !t.Codec.IsVideo() {
				step = 20
			}
		}
		p.duration = max(p.duration, lastMS[tr]+step)
		e := webm.TrackEntry{TrackNumber: uint64(tr) + 1, TrackUID: uint64(tr) + 1}
		if t.Codec.IsVideo() {
			e.Name, e.CodecID, e.TrackType = "Video", "V_VP8", 1
			e.Video = &webm.Video{PixelWidth: uint64(size[tr][0]), PixelHeight: uint64(size[tr][1])}
			if p.video == 0 {
				p.video = e.TrackNumber
			}
		} else {
			ch := t.Channels
			if ch == 0 || ch > 2 {
				ch = 2
			}
			e.Name, e.CodecID, e.TrackType = "Audio", "A_OPUS", 2
			e.CodecPrivate = opusHead(ch)
			e.SeekPreRoll = uint64(80 * time.Millisecond)
			e.Audio = &webm.Audio{SamplingFrequency: 48000, Channels: uint64(ch)}
		}
		p.number[tr] = len(p.entries)
		p.entries = append(p.entries, e)
	}
	// Time order across tracks; within a track the order stays (stable).
	slices.SortStableFunc(p.blocks, func(a, b block) int {
		switch {
		case a.ms < b.ms:
			return -1
		case a.ms > b.ms:
			return 1
		}
		return 0
	})
	p.clusters += int(p.duration/0x7fff) + 1
	return p, nil
}

func (p *clipPlan) write(w io.Writer, frags []*media.Fragment) error {
	out := newOutput(w)
	var sink io.WriteCloser = out
	opts := []mkvcore.BlockWriterOption{
		mkvcore.WithSegmentInfo(&webm.Info{TimecodeScale: uint64(time.Millisecond),
			MuxingApp: "tributary", WritingApp: "tributary", Duration: float64(p.duration)}),
		// Frames are already in time order; the default interceptor would
		// reorder and could drop them.
		mkvcore.WithBlockInterceptor(nil),
	}
	if p.video != 0 {
		opts = append(opts, mkvcore.WithMinMaxClusterDuration(p.video, 0, 0x7fff))
	}
	if s, ok := w.(io.WriteSeeker); ok {
		if pos, err := s.Seek(0, io.SeekCurrent); err == nil && pos == 0 {
			sink = &seekingOutput{output: out, s: s}
			// A CuePoint takes under 32 bytes.
			opts = append(opts, mkvcore.WithSeekHead(true), mkvcore.WithCues(64+32*p.clusters))
		}
	}
	var mu sync.Mutex
	var libErr error
	record := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if libErr == nil {
			libErr = err
		}
	}
	opts = append(opts, mkvcore.WithOnFatalHandler(record), mkvcore.WithOnErrorHandler(record))
	writers, err := webm.NewSimpleBlockWriter(sink, p.entries, opts...)
	if err != nil {
		return fmt.Errorf("webm: start writer: %w", err)
	}
	for _, b := range p.blocks {
		f := &frags[b.frag].Frames[b.frame]
		if int(f.Track) >= len(p.number) || p.number[f.Track] < 0 {
			record(fmt.Errorf("webm: frames changed during write: frame of track %d", f.Track))
			break
		}
		if _, err := writers[p.number[f.Track]].Write(f.Keyframe, b.ms, f.Data); err != nil {
			record(err)
		}
		mu.Lock()
		stop := libErr != nil
		mu.Unlock()
		if stop || out.error() != nil {
			break
		}
	}
	// Closing the last track's writer waits for ebml-go to finish the file.
	for _, wr := range writers {
		if err := wr.Close(); err != nil {
			record(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return errors.Join(out.error(), libErr)
}
