package sensor

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// sensor is the runtime of one Config: a producer goroutine (measure or
// input) that owns the device, and a deliverer goroutine that appends the
// queued records. The status is shared under mu.
type sensor struct {
	cfg   Config // with defaults
	app   Appender
	opts  Options
	log   *slog.Logger
	queue chan []byte

	mu sync.Mutex
	st Status
}

func newSensor(cfg Config, app Appender, opts Options) *sensor {
	cfg = cfg.withDefaults()
	return &sensor{
		cfg:   cfg,
		app:   app,
		opts:  opts,
		log:   opts.Logger.With("sensor", cfg.Name, "driver", cfg.Driver),
		queue: make(chan []byte, opts.QueueSize),
		st:    Status{Name: cfg.Name, Driver: cfg.Driver, Stream: cfg.Stream, State: StateStarting},
	}
}

func (s *sensor) status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.LastReading = append([]byte(nil), s.st.LastReading...)
	return st
}

func (s *sensor) newBackoff() *backoff {
	return &backoff{min: s.opts.BackoffMin, max: s.opts.BackoffMax}
}

// sleep waits d on the injected clock; false if ctx ended first.
func (s *sensor) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := s.opts.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	}
}

// sleepErr adapts sleep to the drivers' Opts.Sleep.
func (s *sensor) sleepErr(ctx context.Context, d time.Duration) error {
	if !s.sleep(ctx, d) {
		return context.Cause(ctx)
	}
	return nil
}

// fail records an open/read error. It logs at Warn when the sensor turns
// failing or the error changes, at Debug for repeats.
func (s *sensor) fail(err error, retry time.Duration) {
	now := s.opts.Clock.Now()
	msg := err.Error()
	s.mu.Lock()
	changed := s.st.State != StateFailing || s.st.LastError != msg
	s.st.State = StateFailing
	s.st.Errors++
	s.st.LastError, s.st.LastErrorTime = msg, now
	n := s.st.Errors
	s.mu.Unlock()
	level := slog.LevelDebug
	if changed {
		level = slog.LevelWarn
	}
	s.log.Log(context.Background(), level, "sensor read failed; retrying", "err", err, "retry_in", retry, "errors", n)
}

// ok marks the sensor healthy (device open, pin watched).
func (s *sensor) ok() {
	s.mu.Lock()
	was, errs := s.st.State, s.st.Errors
	s.st.State = StateOK
	s.mu.Unlock()
	if was == StateFailing {
		s.log.Info("sensor recovered", "errors", errs)
	}
}

// emit stamps, encodes and queues a record. When the queue is full
// (appends failing for a long time) the oldest record is dropped and
// counted, so memory stays bounded and the newest data survives.
func (s *sensor) emit(rec Record) {
	rec.Sensor, rec.Driver = s.cfg.Name, s.cfg.Driver
	data, err := rec.Marshal()
	if err != nil { // cannot happen for this struct; never panic on it
		s.fail(err, 0)
		return
	}
	s.mu.Lock()
	s.st.LastReading, s.st.LastTime = data, rec.Time
	s.st.Readings++
	s.mu.Unlock()
	s.ok()
	for {
		select {
		case s.queue <- data:
			return
		default:
		}
		select {
		case <-s.queue:
			s.mu.Lock()
			s.st.Dropped++
			n := s.st.Dropped
			s.mu.Unlock()
			if n == 1 || n%100 == 0 {
				s.log.Warn("sensor queue full; dropping oldest records", "dropped_total", n)
			}
		default:
		}
	}
}

// deliver appends queued records in order. A failed append is counted and
// retried with backoff until it succeeds or the source closes; records
// still queued then are counted as dropped by Source.Close (drain).
func (s *sensor) deliver(ctx context.Context) {
	bo := s.newBackoff()
	for {
		var data []byte
		select {
		case <-ctx.Done():
			return
		case data = <-s.queue:
		}
		for {
			err := s.app.Append(ctx, s.cfg.Stream, s.cfg.Name, data)
			if err == nil {
				bo.reset()
				s.mu.Lock()
				s.st.Appended++
				s.mu.Unlock()
				break
			}
			if ctx.Err() != nil {
				s.countDropped(1)
				return
			}
			retry := bo.next()
			s.mu.Lock()
			s.st.AppendErrors++
			s.st.LastError, s.st.LastErrorTime = "append: "+err.Error(), s.opts.Clock.Now()
			n := s.st.AppendErrors
			s.mu.Unlock()
			s.log.Warn("sensor append failed; retrying", "err", err, "retry_in", retry, "append_errors", n)
			if !s.sleep(ctx, retry) {
				s.countDropped(1)
				return
			}
		}
	}
}

func (s *sensor) drain() {
	for {
		select {
		case <-s.queue:
			s.countDropped(1)
		default:
			return
		}
	}
}

func (s *sensor) countDropped(n int64) {
	s.mu.Lock()
	s.st.Dropped += n
	s.mu.Unlock()
}

func (s *sensor) stopped() {
	s.mu.Lock()
	s.st.State = StateStopped
	s.mu.Unlock()
}
