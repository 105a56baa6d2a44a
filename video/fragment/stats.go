package fragment

import "sync/atomic"

// Stats is a snapshot of a Builder's counters.
type Stats struct {
	// Fragments counts fragments returned.
	Fragments int64
	// Frames counts frames placed in fragments.
	Frames int64
	// DroppedFrames counts frames dropped: no fragment open (before the
	// first keyframe, after a bound), a track index out of range, or too
	// large alone.
	DroppedFrames int64
	// Oversize counts keyframes dropped for exceeding MaxBytes alone.
	Oversize int64
	// BoundCuts counts fragments closed by MaxBytes, MaxFrames or
	// MaxDuration without a keyframe to cut at.
	BoundCuts int64
	// Gaps counts fragments closed by a reference PTS step over MaxGap.
	Gaps int64
	// ClockResyncs counts fragments whose times followed arrival time
	// because PTS disagreed with it by more than MaxClockSkew.
	ClockResyncs int64
	// InvalidTrack counts frames whose Track is not one of the source's.
	InvalidTrack int64
}

type counters struct {
	fragments, frames, droppedFrames, oversize  atomic.Int64
	boundCuts, gaps, clockResyncs, invalidTrack atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Fragments:     c.fragments.Load(),
		Frames:        c.frames.Load(),
		DroppedFrames: c.droppedFrames.Load(),
		Oversize:      c.oversize.Load(),
		BoundCuts:     c.boundCuts.Load(),
		Gaps:          c.gaps.Load(),
		ClockResyncs:  c.clockResyncs.Load(),
		InvalidTrack:  c.invalidTrack.Load(),
	}
}
