package media

import (
	"fmt"
	"time"
)

// MaxPTS bounds |PTS| (2^47 ticks is over 18 years at 90 kHz), so that no
// time arithmetic here can overflow.
const MaxPTS = 1 << 47

// Placer lays the frames of consecutive fragments on one clip timeline that
// starts at zero. Within a fragment, frames keep their PTS differences.
// Between fragments the timeline continues as the PTS say, unless the next
// fragment jumps back (a restarted source) or forward by more than maxGap (a
// hole in the recording): then it is placed so that its first video frame
// follows the previous one by one frame interval, keeping its tracks in sync
// with each other. The MP4 and WebM clip writers share it, so both place
// the same fragments at the same times.
type Placer struct {
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

	errs PlacerErrors
}

// PlacerErrors are the errors a Placer wraps, so that each writer reports
// its own.
type PlacerErrors struct {
	BadTrack  error // a frame names a track the fragment does not have
	Timestamp error // a PTS out of range or not increasing
}

// NewPlacer returns a Placer for tracks that closes up gaps over maxGap.
func NewPlacer(tracks []Track, maxGap time.Duration, errs PlacerErrors) *Placer {
	n := len(tracks)
	p := &Placer{errs: errs, maxGap: maxGap, rates: make([]uint32, n), video: make([]bool, n),
		offsets: make([]int64, n), last: make([]int64, n), has: make([]bool, n),
		lastT: make([]time.Duration, n), first: make([]int64, n), firstT: make([]time.Duration, n),
		seen: make([]bool, n), step: 40 * time.Millisecond}
	for i, t := range tracks {
		p.rates[i], p.video[i] = t.Codec.ClockRate(), t.Codec.IsVideo()
	}
	return p
}

// CheckFrame validates what the placer relies on: the frame's track
// exists and its PTS is within MaxPTS.
func (p *Placer) CheckFrame(f *Frame) error {
	if int(f.Track) >= len(p.rates) {
		return fmt.Errorf("%w: frame of track %d, fragment has %d", p.errs.BadTrack, f.Track, len(p.rates))
	}
	if f.PTS > MaxPTS || f.PTS < -MaxPTS {
		return fmt.Errorf("%w: PTS %d out of range", p.errs.Timestamp, f.PTS)
	}
	return nil
}

// StartFragment decides where frag goes. It checks every frame's track and
// PTS range.
func (p *Placer) StartFragment(frag *Fragment) error {
	clear(p.seen)
	minT, found := time.Duration(0), false
	for i := range frag.Frames {
		f := &frag.Frames[i]
		if err := p.CheckFrame(f); err != nil {
			return err
		}
		t := TicksToDuration(f.PTS, p.rates[f.Track])
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

func (p *Placer) setOffsets() {
	for i, r := range p.rates {
		p.offsets[i] = FloorTicks(p.shift-p.origin, r)
	}
}

// Place returns f's PTS on the clip timeline, which must be above the
// track's previous one.
func (p *Placer) Place(f *Frame) (int64, error) {
	pts := f.PTS + p.offsets[f.Track]
	if pts < 0 {
		return 0, fmt.Errorf("%w: PTS %d lands before the clip start", p.errs.Timestamp, f.PTS)
	}
	if p.has[f.Track] && pts <= p.last[f.Track] {
		return 0, fmt.Errorf("%w: track %d PTS %d not after %d", p.errs.Timestamp, f.Track, pts, p.last[f.Track])
	}
	t := TicksToDuration(f.PTS, p.rates[f.Track]) + p.shift - p.origin
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

// FloorTicks converts d to ticks of a clock of rate, rounding down.
func FloorTicks(d time.Duration, rate uint32) int64 {
	q, r := int64(d)/int64(time.Second), int64(d)%int64(time.Second)
	if r < 0 {
		q, r = q-1, r+int64(time.Second)
	}
	return q*int64(rate) + r*int64(rate)/int64(time.Second)
}

// RoundTicks converts d to ticks of a clock of rate, rounding to nearest.
func RoundTicks(d time.Duration, rate uint32) int64 {
	return FloorTicks(d+time.Duration(int64(time.Second)/int64(rate)/2), rate)
}
