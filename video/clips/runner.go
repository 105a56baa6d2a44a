package clips

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// runner is what Worker and Scheduler share: options, status, lifecycle and
// the retry loop. One goroutine (run) owns the work; Status reads a copy.
type runner struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	st      Status
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// Status returns a copy of the current status.
func (b *runner) status() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st
}

func (b *runner) update(fn func(*Status)) {
	b.mu.Lock()
	fn(&b.st)
	b.mu.Unlock()
}

// noteError records err as the last error.
func (b *runner) noteError(err error) {
	now := b.opts.Clock.Now()
	b.update(func(s *Status) { s.LastError, s.LastErrorAt = err.Error(), now })
}

// claim marks the runner started, once: Start calls it before touching
// any state, so a second Start cannot race the goroutine.
func (b *runner) claim() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started || b.closed {
		return ErrStarted
	}
	b.started = true
	return nil
}

// launch runs fn on its own goroutine until Close.
func (b *runner) launch(ctx context.Context, fn func(context.Context)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ctx, b.cancel = context.WithCancel(ctx)
	b.done = make(chan struct{})
	go func() {
		defer close(b.done)
		fn(ctx)
	}()
}

// close cancels the goroutine and waits for it; it is idempotent.
func (b *runner) close() {
	b.mu.Lock()
	b.closed = true
	cancel, done := b.cancel, b.done
	b.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// retry runs fn until it succeeds, fails with an error wrapping
// ErrPermanent (returned), or ctx ends (ctx.Err()). Other errors are
// logged, counted and retried after the backoff.
func (b *runner) retry(ctx context.Context, what string, fn func() error) error {
	for n := 0; ; n++ {
		err := fn()
		if err == nil {
			if n > 0 {
				b.update(func(s *Status) { s.Retrying = false })
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrPermanent) {
			b.update(func(s *Status) { s.Retrying = false })
			return err
		}
		b.noteError(err)
		b.update(func(s *Status) { s.Retries++; s.Retrying = true })
		wait := b.opts.Backoff.Wait(n)
		b.log.Warn("retrying", "what", what, "attempt", n+1, "in", wait, "err", err)
		if err := sleep(ctx, b.opts.Clock, wait); err != nil {
			return err
		}
	}
}
