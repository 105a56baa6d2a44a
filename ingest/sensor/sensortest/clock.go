// Package sensortest provides doubles for testing code built on package
// sensor: a fake Clock, a simulated GPIO input pin with scripted edges,
// register-level simulations of a BME280 (I²C) and DS18B20 probes
// (1-Wire), an I²C bus wrapper that injects NACKs and timeouts, and an
// Opener over all of them. They complement conn/v3's i2ctest and
// onewiretest (strict replay of recorded traffic) with devices that keep
// answering for as long as a test runs.
package sensortest

import (
	"sort"
	"sync"
	"time"

	"github.com/tributary-edge/tributary/ingest/sensor"
)

// Clock is a fake sensor.Clock. Time moves only when a test (or a
// simulated Pin) advances it; timers whose deadline is reached fire then.
// Safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*timer
}

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

type timer struct {
	c        *Clock
	deadline time.Time
	ch       chan time.Time
	fired    bool
}

func (t *timer) C() <-chan time.Time { return t.ch }

func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.fired {
		return false
	}
	t.fired = true
	t.c.remove(t)
	return true
}

// Now implements sensor.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer implements sensor.Clock. A timer for d <= 0 fires at once.
func (c *Clock) NewTimer(d time.Duration) sensor.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{c: c, deadline: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.fired = true
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

func (c *Clock) remove(t *timer) {
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return
		}
	}
}

// Advance moves the clock forward by d, firing due timers in deadline
// order.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(c.now.Add(d))
}

// Set moves the clock to t if t is later than now.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(t)
}

func (c *Clock) setLocked(t time.Time) {
	if t.After(c.now) {
		c.now = t
	}
	sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].deadline.Before(c.timers[j].deadline) })
	for len(c.timers) > 0 && !c.timers[0].deadline.After(c.now) {
		t := c.timers[0]
		c.timers = c.timers[1:]
		t.fired = true
		t.ch <- c.now
	}
}

// Pending returns the number of timers waiting to fire.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Next returns the earliest pending deadline.
func (c *Clock) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	next := c.timers[0].deadline
	for _, t := range c.timers[1:] {
		if t.deadline.Before(next) {
			next = t.deadline
		}
	}
	return next, true
}

// AdvanceToNext moves the clock to the earliest pending deadline and fires
// what is due; false if no timer is pending.
func (c *Clock) AdvanceToNext() bool {
	next, ok := c.Next()
	if ok {
		c.Set(next)
	}
	return ok
}

// WaitTimers waits, in real time up to timeout, until at least n timers
// are pending: the goroutines under test have reached their waits.
func (c *Clock) WaitTimers(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if c.Pending() >= n {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// RunUntil advances the clock timer by timer until cond holds or the real
// timeout passes; it reports whether cond held. Between steps it lets the
// goroutines under test run until they block on a timer again. Use it
// for scenarios where exact times do not matter, only order.
func (c *Clock) RunUntil(cond func() bool, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		if c.Pending() == 0 {
			time.Sleep(50 * time.Microsecond)
			continue
		}
		// Give goroutines released by the last step a moment to arm
		// their next, possibly earlier, timer.
		time.Sleep(100 * time.Microsecond)
		c.AdvanceToNext()
	}
	return cond()
}

var _ sensor.Clock = (*Clock)(nil)
