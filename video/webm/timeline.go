package webm

import (
	"fmt"
	"time"

	"github.com/tributary-edge/tributary/video/media"
)

// maxPTS bounds |PTS| (2^47 ticks is over 18 years at 90 kHz), so that no
// time arithmetic here can overflow.
const maxPTS = 1 << 47

// This file is kept in step with mp4/timeline.go: both writers must place
// the same fragments at the same times.

// placer lays the frames of consecutive fragments on one clip timeline that
// starts at zero. Within a fragment, frames keep their PTS differences.
// Between fragments the timeline continues as the PTS say, unless the next
// fragment jumps back (a restarted source) or forward by more than maxGap (a
// hole in the recording): then it is placed so that its first video frame
// follows the previous one by one frame interval, keeping its tracks in sync
// with each other.
type placer struct {
	rates  []uint32
	video  []bool
	maxGap time.Duration

	started bool
	origin  time.Duration // raw time of the clip's first instant
	shift   time.Duration // added to raw times of the current fragment
	offsets []int64       // per track: ticks added to PTS in the current fragment
	last    []int64       // per track: last placed PTS
	lastT   []time.Duration
	has     []bool        // per track: last is set
	latest  time.Duration // latest placed time of any frame
	lastVid time.Duration // placed time of the last video frame
	hasVid  bool
	step    time.Duration // last video frame interval

	first  []int64 // scratch: first PTS per track in a fragment
	firstT []time.Duration
	seen   []bool
}

func newPlacer(tracks []media.Track, maxGap time.Duration) *placer {
	n := len(tracks)
	p := &placer{maxGap: maxGap, rates: make([]uint32, n), video: make([]bool, n),
		offsets: make([]int64, n), last: make([]int64, n), has: make([]bool, n),
		lastT: make([]time.Duration, n), first: make([]int64, n), firstT: make([]time.Duration, n),
		seen: make([]bool, n), step: 40 * time.Millisecond}
	for i, t := range tracks {
		p.rates[i], p.video[i] = t.Codec.ClockRate(), t.Codec.IsVideo()
	}
	return p
}

// checkFrame validates what the placer relies on.
func checkFrame(f *media.Frame, tracks int) error {
	if int(f.Track) >= tracks {
		return fmt.Errorf("%w: frame of track %d, fragment has %d", ErrBadTrack, f.Track, tracks)
	}
	if f.PTS > maxPTS || f.PTS < -maxPTS {
		return fmt.Errorf("%w: PTS %d out of range", ErrTimestamp, f.PTS)
	}
	return nil
}

// startFragment decides where frag goes. It checks every frame's track and
// PTS range.
func (p *placer) startFragment(frag *media.Fragment) error {
	clear(p.seen)
	minT, found := time.Duration(0), false
	for i := range frag.Frames {
		f := &frag.Frames[i]
		if err := checkFrame(f, len(p.rates)); err != nil {
			return err
		}
		t := media.TicksToDuration(f.PTS, p.rates[f.Track])
		if !found || t < minT {
			minT, found = t, true
		}
		if !p.seen[f.Track] {
			p.seen[f.Track], p.first[f.Track], p.firstT[f.Track] = true, f.PTS, t
		}
	}
	if !found {
		return nil
	}
	if !p.started {
		p.started, p.origin, p.shift = true, minT, 0
		p.setOffsets()
		return nil
	}
	start := minT + p.shift - p.origin
	continuous := start >= 0 && start-p.latest <= p.maxGap
	for tr, ok := range p.seen {
		if ok && p.has[tr] && p.first[tr]+p.offsets[tr] <= p.last[tr] {
			continuous = false
		}
	}
	if continuous {
		return nil
	}
	// Close up: the first video frame follows the last one by one frame
	// interval (or, without video, the earliest frame follows the latest
	// one), and no track may start before its own last frame.
	shift := p.latest + p.step - (minT - p.origin)
	for tr, ok := range p.seen {
		if ok && p.video[tr] && p.hasVid {
			shift = p.lastVid + p.step - (p.firstT[tr] - p.origin)
			break
		}
	}
	for tr, ok := range p.seen {
		if ok && p.has[tr] {
			shift = max(shift, p.lastT[tr]+time.Millisecond-(p.firstT[tr]-p.origin))
		}
	}
	p.shift = max(shift, p.origin-minT)
	p.setOffsets()
	return nil
}

func (p *placer) setOffsets() {
	for i, r := range p.rates {
		p.offsets[i] = floorTicks(p.shift-p.origin, r)
	}
}

// place returns f's PTS on the clip timeline, which must be above the
// track's previous one.
func (p *placer) place(f *media.Frame) (int64, error) {
	pts := f.PTS + p.offsets[f.Track]
	if pts < 0 {
		return 0, fmt.Errorf("%w: PTS %d lands before the clip start", ErrTimestamp, f.PTS)
	}
	if p.has[f.Track] && pts <= p.last[f.Track] {
		return 0, fmt.Errorf("%w: track %d PTS %d not after %d", ErrTimestamp, f.Track, pts, p.last[f.Track])
	}
	t := media.TicksToDuration(f.PTS, p.rates[f.Track]) + p.shift - p.origin
	p.last[f.Track], p.lastT[f.Track], p.has[f.Track] = pts, t, true
	p.latest = max(p.latest, t)
	if p.video[f.Track] {
		if d := t - p.lastVid; d > 0 && p.hasVid {
			p.step = min(max(d, time.Millisecond), time.Second)
		}
		p.lastVid, p.hasVid = t, true
	}
	return pts, nil
}

// floorTicks converts d to ticks of a clock of rate, rounding down.
func floorTicks(d time.Duration, rate uint32) int64 {
	q, r := int64(d)/int64(time.Second), int64(d)%int64(time.Second)
	if r < 0 {
		q, r = q-1, r+int64(time.Second)
	}
	return q*int64(rate) + r*int64(rate)/int64(time.Second)
}
