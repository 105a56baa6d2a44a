package uplink

import (
	"math/rand/v2"
	"time"
)

// Backoff is the wait before retry n (0 = the first retry): Min doubled n
// times, capped at Max, then moved by up to ±Jitter of itself (Firehose:
// 1 s doubling, ±15 %, capped at 120 s).
type Backoff struct {
	Min, Max time.Duration
	Jitter   float64
	// Rand returns a float in [0, 1); default math/rand/v2.
	Rand func() float64
}

// DefaultBackoff is Firehose's HTTP endpoint retry schedule.
var DefaultBackoff = Backoff{Min: time.Second, Max: 120 * time.Second, Jitter: 0.15}

// Wait returns the wait before retry n.
func (b Backoff) Wait(n int) time.Duration {
	d := b.Min
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	r := b.Rand
	if r == nil {
		r = rand.Float64
	}
	return time.Duration(float64(d) * (1 + b.Jitter*(2*r()-1)))
}
