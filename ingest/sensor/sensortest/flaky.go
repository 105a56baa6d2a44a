package sensortest

import (
	"sync"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// FlakyBus wraps an i2c.Bus and, while failing, returns an error for every
// transfer instead of passing it on: a device that was unplugged (ErrNACK)
// or a bus that hangs (ErrTimeout).
type FlakyBus struct {
	Bus i2c.Bus

	mu     sync.Mutex
	err    error
	failed int
}

// Fail makes every transfer return err; Fail(nil) heals the bus.
func (f *FlakyBus) Fail(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// Failed returns the number of transfers that failed.
func (f *FlakyBus) Failed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

// Tx implements i2c.Bus.
func (f *FlakyBus) Tx(addr uint16, w, r []byte) error {
	f.mu.Lock()
	err := f.err
	if err != nil {
		f.failed++
	}
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.Bus.Tx(addr, w, r)
}

// SetSpeed implements i2c.Bus.
func (f *FlakyBus) SetSpeed(hz physic.Frequency) error { return f.Bus.SetSpeed(hz) }

// String implements i2c.Bus.
func (f *FlakyBus) String() string { return "flaky(" + f.Bus.String() + ")" }

// Close implements i2c.BusCloser; the wrapped bus stays open.
func (f *FlakyBus) Close() error { return nil }
