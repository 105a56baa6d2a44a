package sensor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Appender is what the source writes to; the gateway adapts the spool to
// it. Append must return nil only once the record is durable, and should
// return promptly with an error when ctx is done.
type Appender interface {
	Append(ctx context.Context, stream, partitionKey string, data []byte) error
}

// DefaultQueueSize is the per-sensor bound on records waiting for Append.
const DefaultQueueSize = 64

// Options are the Source's collaborators and limits. Zero fields take
// defaults.
type Options struct {
	// Opener opens buses and pins; default HostOpener().
	Opener Opener
	// Clock drives intervals, driver waits, debouncing and backoff;
	// default SystemClock().
	Clock Clock
	// Logger receives state changes and errors; default slog.Default().
	Logger *slog.Logger
	// BackoffMin and BackoffMax bound the exponential retry delay after a
	// failed open, read or append (defaults 1s and 1m).
	BackoffMin, BackoffMax time.Duration
	// QueueSize bounds each sensor's records waiting for Append; when it
	// is full the oldest is dropped and counted (default 64).
	QueueSize int
	// EdgePoll bounds each GPIO WaitForEdge (default 500ms).
	EdgePoll time.Duration
}

func (o Options) withDefaults() Options {
	if o.Opener == nil {
		o.Opener = HostOpener()
	}
	if o.Clock == nil {
		o.Clock = SystemClock()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = DefaultBackoffMin
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = DefaultBackoffMax
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = o.BackoffMin
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.EdgePoll <= 0 {
		o.EdgePoll = DefaultEdgePoll
	}
	return o
}

// Source runs a set of sensors. Each sensor has its own goroutines, bus
// handle and backoff, so one failing sensor never stops the others.
type Source struct {
	sensors []*sensor

	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New validates cfgs (ValidateAll) and builds a Source; it does no I/O.
func New(cfgs []Config, app Appender, opts Options) (*Source, error) {
	if app == nil {
		return nil, errors.New("sensor: nil Appender")
	}
	if err := ValidateAll(cfgs); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	s := &Source{}
	for _, c := range cfgs {
		s.sensors = append(s.sensors, newSensor(c, app, opts))
	}
	return s, nil
}

// Start launches every sensor and returns at once; sensors that cannot
// open their device report it in Status and keep retrying. The sensors
// stop when ctx is done or Close is called; Close must be called in both
// cases to wait for them.
func (s *Source) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.started {
		return ErrStarted
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	for _, sn := range s.sensors {
		s.wg.Add(2)
		go func() {
			defer s.wg.Done()
			sn.deliver(ctx)
		}()
		go func() {
			defer s.wg.Done()
			if sn.cfg.Driver == DriverGPIO {
				sn.runInput(ctx)
			} else {
				sn.runMeasure(ctx)
			}
		}()
	}
	return nil
}

// Close stops all sensors, waits for their goroutines and releases their
// buses. Records not yet appended are counted in Status.Dropped. It is
// idempotent and safe to call without Start.
func (s *Source) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.wg.Wait()
	for _, sn := range s.sensors {
		sn.drain()
		sn.stopped()
	}
	return nil
}

// Status returns a snapshot of every sensor, in config order.
func (s *Source) Status() []Status {
	out := make([]Status, len(s.sensors))
	for i, sn := range s.sensors {
		out[i] = sn.status()
	}
	return out
}

// String is for logs.
func (s *Source) String() string { return fmt.Sprintf("sensor source (%d sensors)", len(s.sensors)) }
