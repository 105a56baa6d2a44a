package camera

import "time"

// maxLag is how far behind its schedule a camera may fall before the
// pacer gives up catching up and restarts the schedule from now.
const maxLag = time.Second

// pacer is a drift-free frame schedule: frame n is due at
// start + n/fps. It holds no clock; callers pass the time.
type pacer struct {
	start  time.Time
	fps    float64
	n      int64 // frames taken since start
	resets int64 // restarts after falling more than maxLag behind
}

func newPacer(start time.Time, fps float64) *pacer {
	return &pacer{start: start, fps: fps}
}

// at returns when frame n of the current schedule is due.
func (p *pacer) at(n int64) time.Time {
	return p.start.Add(time.Duration(float64(n) * float64(time.Second) / p.fps))
}

// next returns when the next frame is due.
func (p *pacer) next() time.Time { return p.at(p.n) }

// take reports whether a frame is due at now and, if so, counts it. When
// the next frame was due more than maxLag ago, the schedule restarts with
// that frame due now, so a stalled sender does not burst.
func (p *pacer) take(now time.Time) bool {
	due := p.next()
	if now.Before(due) {
		return false
	}
	if now.Sub(due) > maxLag {
		p.start = now
		p.n = 0
		p.resets++
	}
	p.n++
	return true
}
