package uplink

import (
	"context"
	"io"
	"sync"
	"time"
)

// Link is an upstream connection's bandwidth, shared by the deliveries
// that use it: a token bucket of bytes per second (bursting up to one
// second's worth) that serves the highest priority first. A delivery
// waits for the bytes of each record it sends; while a delivery of a
// higher priority is waiting, one of a lower priority does not take any,
// so on a thin link the alerts go before the bulk telemetry. Within a
// delivery, records of the live segment of a newest-first drain go
// before its backfill (see Config.NewestFirst).
type Link struct {
	rate float64

	mu      sync.Mutex
	tokens  float64
	last    time.Time
	waiting map[int]int       // priority → senders waiting
	served  map[int]time.Time // priority → when it last took bytes
	changed chan struct{}     // closed (and replaced) when waiting shrinks
}

// NewLink returns a link of bytesPerSec (> 0).
func NewLink(bytesPerSec int64) *Link {
	return &Link{rate: float64(bytesPerSec), tokens: float64(bytesPerSec), last: time.Now(),
		waiting: map[int]int{}, served: map[int]time.Time{}, changed: make(chan struct{})}
}

// wait takes n bytes at priority prio, sleeping until the bucket has them
// and no higher priority is waiting (or ctx ends).
func (l *Link) wait(ctx context.Context, prio, n int) error {
	l.mu.Lock()
	l.waiting[prio]++
	for {
		now := time.Now()
		l.tokens = min(l.rate, l.tokens+now.Sub(l.last).Seconds()*l.rate)
		l.last = now
		// A higher priority holds the link while it waits, and for a
		// moment after it was served: a sender between two records is
		// still sending.
		var hold time.Duration
		for p, c := range l.waiting {
			if p > prio && c > 0 {
				hold = time.Millisecond
			}
		}
		// …but only while it is using the link: with half a bucket
		// unused, a trickle at a higher priority leaves the rest to the
		// lower ones.
		if l.tokens < l.rate/2 {
			for p, at := range l.served {
				if p > prio {
					hold = max(hold, linkHold-now.Sub(at))
				}
			}
		}
		higher := hold > 0
		// A record larger than the bucket waits for a full bucket, then
		// goes into debt, slept out before the next.
		need := min(float64(n), l.rate)
		if !higher && l.tokens >= need {
			l.tokens -= float64(n)
			l.served[prio] = now
			debt := -l.tokens
			l.leave(prio)
			l.mu.Unlock()
			return sleep(ctx, time.Duration(debt/l.rate*float64(time.Second)))
		}
		// Wait for the bucket to refill, or for a higher priority to be
		// served (then look again).
		ch := l.changed
		d := max(hold, time.Duration(max(need-l.tokens, 1)/l.rate*float64(time.Second)))
		l.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			l.mu.Lock()
			l.leave(prio)
			l.mu.Unlock()
			return ctx.Err()
		case <-ch:
		case <-t.C:
		}
		t.Stop()
		l.mu.Lock()
	}
}

// linkHold is how long a priority keeps the link after it was served.
const linkHold = 25 * time.Millisecond

// leave removes a waiter and wakes the others (l.mu held).
func (l *Link) leave(prio int) {
	if l.waiting[prio]--; l.waiting[prio] == 0 {
		delete(l.waiting, prio)
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Wait takes n bytes of the link at priority prio (higher goes first),
// for senders outside the deliveries (video uploads): it returns when the
// bytes may go, or with ctx's error.
func (l *Link) Wait(ctx context.Context, prio, n int) error {
	if l == nil {
		return ctx.Err()
	}
	return l.wait(ctx, prio, n)
}

// Throttle returns r paced by the link at priority prio: each Read takes
// the bytes it returns (at most 16 KiB at a time, so a large body shares
// the link with others). It seeks as r does, so an SDK can rewind a body
// for a retry (the bytes then count again, as they go out again). A nil
// link returns r.
func (l *Link) Throttle(ctx context.Context, prio int, r io.ReadSeeker) io.ReadSeeker {
	if l == nil {
		return r
	}
	return &throttled{ctx: ctx, l: l, prio: prio, r: r}
}

type throttled struct {
	ctx  context.Context
	l    *Link
	prio int
	r    io.ReadSeeker
}

func (t *throttled) Read(p []byte) (int, error) {
	if len(p) > 16<<10 {
		p = p[:16<<10]
	}
	n, err := t.r.Read(p)
	if n > 0 {
		if werr := t.l.wait(t.ctx, t.prio, n); werr != nil {
			return n, werr
		}
	}
	return n, err
}

func (t *throttled) Seek(off int64, whence int) (int64, error) { return t.r.Seek(off, whence) }
