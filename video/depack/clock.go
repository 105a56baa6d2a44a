package depack

import "time"

// clock unwraps 32-bit RTP timestamps (RFC 3550 5.1) into a 64-bit PTS
// counted from the first frame, and rebases steps too large to be real.
type clock struct {
	rate            int64
	maxFwd, maxBack int64 // ticks

	started     bool
	rebase      bool // the next timestamp belongs to a new stream (SSRC or sequence restart)
	lastTS      uint32
	lastPTS     int64
	lastArrival time.Time
	frameDur    int64 // latest plausible frame-to-frame step, for rebasing
}

func newClock(rate uint32, maxFwd, maxBack time.Duration, frameDur int64) clock {
	r := int64(rate)
	return clock{rate: r, maxFwd: durToTicks(maxFwd, r), maxBack: durToTicks(maxBack, r), frameDur: frameDur}
}

func durToTicks(d time.Duration, rate int64) int64 {
	return int64(d/time.Second)*rate + int64(d%time.Second)*rate/int64(time.Second)
}

// pts returns the PTS of a frame with RTP timestamp ts that arrived at
// arrival, and whether the step from the previous frame was rebased.
//
// The step is the signed 32-bit difference of the timestamps, so wraparound
// is invisible. A step beyond the jump bounds (or the first frame after a
// restart) is replaced by the larger of one frame duration and the arrival
// time elapsed since the previous frame: PTS stays monotonic and keeps
// pace with the wall clock across a camera restart.
func (c *clock) pts(ts uint32, arrival time.Time) (int64, bool) {
	if !c.started {
		c.started, c.lastTS, c.lastPTS, c.lastArrival = true, ts, 0, arrival
		return 0, false
	}
	step := int64(int32(ts - c.lastTS))
	jumped := false
	if c.rebase || step > c.maxFwd || step < -c.maxBack {
		jumped = !c.rebase
		c.rebase = false
		step = c.frameDur
		if !arrival.IsZero() && !c.lastArrival.IsZero() {
			step = max(step, durToTicks(arrival.Sub(c.lastArrival), c.rate))
		}
	} else if step > 0 && step <= c.rate {
		c.frameDur = step
	}
	c.lastTS, c.lastArrival = ts, arrival
	c.lastPTS += step
	return c.lastPTS, jumped
}

// peek converts ts to PTS relative to the latest frame without changing
// state; ok is false before the first frame.
func (c *clock) peek(ts uint32) (int64, bool) {
	if !c.started {
		return 0, false
	}
	return c.lastPTS + int64(int32(ts-c.lastTS)), true
}
