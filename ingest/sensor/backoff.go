package sensor

import "time"

// Default backoff limits.
const (
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = time.Minute
)

// backoff doubles from min to max; reset after a success. No jitter:
// sensors retry independently and a bus is not a shared server.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	switch {
	case b.cur == 0:
		b.cur = b.min
	case b.cur < b.max:
		b.cur *= 2
	}
	if b.cur > b.max {
		b.cur = b.max
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }
