package sensor

import (
	"context"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// DefaultEdgePoll bounds each WaitForEdge call, so a stopped source is
// noticed and a missed edge is caught by re-reading the level.
const DefaultEdgePoll = 500 * time.Millisecond

func parseEdge(s string) (gpio.Edge, error) {
	switch s {
	case "", "both":
		return gpio.BothEdges, nil
	case "rising":
		return gpio.RisingEdge, nil
	case "falling":
		return gpio.FallingEdge, nil
	}
	return gpio.NoEdge, fmt.Errorf("%q (want both, rising or falling)", s)
}

func parsePull(s string) (gpio.Pull, error) {
	switch s {
	case "":
		return gpio.PullNoChange, nil
	case "none":
		return gpio.Float, nil
	case "up":
		return gpio.PullUp, nil
	case "down":
		return gpio.PullDown, nil
	}
	return gpio.PullNoChange, fmt.Errorf("%q (want up, down or none)", s)
}

// runInput is the producer of gpio sensors.
//
// The pin is configured for both edges whatever Config.Edge says: the
// debouncer must see every transition to know the settled level; Edge only
// filters which changes become records.
//
// Debounce (settle-time): after an edge at t0 the input must stay quiet for
// Debounce (each further edge restarts the wait); then the level is read.
// If it differs from the last settled level, that is one change, reported
// with time t0 — when the change began — and the next count. If it is the
// same (a glitch or a bounce that came back), nothing is reported. With
// Debounce 0 the level is read right after each edge.
//
// Every EdgePoll without an edge the level is re-read; a change found that
// way (an edge the driver missed) is reported with the time it was found.
func (s *sensor) runInput(ctx context.Context) {
	bo := s.newBackoff()
	want, _ := parseEdge(s.cfg.Edge)
	pull, _ := parsePull(s.cfg.Pull)
	var count int64
	for ctx.Err() == nil {
		pin, err := s.openPin(pull)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			retry := bo.next()
			s.fail(err, retry)
			s.sleep(ctx, retry)
			continue
		}
		bo.reset()
		s.ok()
		s.watch(ctx, pin, want, &count)
		// watch returns only when ctx is done: release the pin (the
		// line request, for the GPIO character device) if it can be.
		if r, ok := pin.(gpio.RealPin); ok {
			pin = r.Real()
		}
		switch c := pin.(type) {
		case interface{ Close() error }:
			_ = c.Close()
		case interface{ Close() }:
			c.Close()
		}
	}
}

func (s *sensor) openPin(pull gpio.Pull) (gpio.PinIn, error) {
	pin, err := s.opts.Opener.OpenGPIO(s.cfg.Pin)
	if err != nil {
		return nil, err
	}
	if err := pin.In(pull, gpio.BothEdges); err != nil {
		return nil, fmt.Errorf("sensor: configure gpio %s as input with edge detection: %w", s.cfg.Pin, err)
	}
	return pin, nil
}

func (s *sensor) watch(ctx context.Context, pin gpio.PinIn, want gpio.Edge, count *int64) {
	// Halt interrupts a blocked WaitForEdge when the source stops; the
	// deferred wait makes sure it has finished before the pin is closed.
	halted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(halted)
		_ = pin.Halt()
	})
	defer func() {
		if !stop() {
			<-halted
		}
	}()
	clock := s.opts.Clock
	stable := pin.Read()
	report := func(level gpio.Level, at time.Time) {
		edge := gpio.FallingEdge
		if level == gpio.High {
			edge = gpio.RisingEdge
		}
		stable = level
		if want != gpio.BothEdges && want != edge {
			return
		}
		*count++
		lv, name := 0, "falling"
		if level == gpio.High {
			lv, name = 1, "rising"
		}
		s.emit(Record{Time: at, Pin: s.cfg.Pin, Level: ptr(lv), Edge: name, Count: *count})
	}
	for ctx.Err() == nil {
		if !pin.WaitForEdge(s.opts.EdgePoll) {
			if ctx.Err() == nil {
				if l := pin.Read(); l != stable {
					report(l, clock.Now())
				}
			}
			continue
		}
		t0 := clock.Now()
		if d := s.cfg.Debounce; d > 0 {
			quietUntil := t0.Add(d)
			for ctx.Err() == nil {
				rest := quietUntil.Sub(clock.Now())
				if rest <= 0 || !pin.WaitForEdge(rest) {
					break
				}
				quietUntil = clock.Now().Add(d) // a bounce: wait again
			}
			if ctx.Err() != nil {
				return
			}
		}
		if l := pin.Read(); l != stable {
			report(l, t0)
		}
	}
}
