package sensortest

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/onewire"

	"github.com/tributary-edge/tributary/ingest/sensor"
)

// Opener is a sensor.Opener over registered doubles. Unknown names fail
// with sensor.ErrBusNotFound / sensor.ErrPinNotFound like the host's.
// Handles it returns have a Close that only counts, so a double survives
// being re-opened after a failure. Safe for concurrent use.
type Opener struct {
	mu      sync.Mutex
	i2c     map[string]i2c.Bus
	oneWire map[string]onewire.Bus
	pins    map[string]gpio.PinIn
	errs    map[string]error
	opens   map[string]int
	closes  map[string]int
}

// NewOpener returns an empty Opener.
func NewOpener() *Opener {
	return &Opener{
		i2c: map[string]i2c.Bus{}, oneWire: map[string]onewire.Bus{}, pins: map[string]gpio.PinIn{},
		errs: map[string]error{}, opens: map[string]int{}, closes: map[string]int{},
	}
}

// AddI2C registers an I²C bus double under name.
func (o *Opener) AddI2C(name string, b i2c.Bus) {
	o.mu.Lock()
	o.i2c[name] = b
	o.mu.Unlock()
}

// AddOneWire registers a 1-Wire bus double under name.
func (o *Opener) AddOneWire(name string, b onewire.Bus) {
	o.mu.Lock()
	o.oneWire[name] = b
	o.mu.Unlock()
}

// AddPin registers a pin double under name.
func (o *Opener) AddPin(name string, p gpio.PinIn) {
	o.mu.Lock()
	o.pins[name] = p
	o.mu.Unlock()
}

// SetOpenError makes opening name fail with err; nil clears it.
func (o *Opener) SetOpenError(name string, err error) {
	o.mu.Lock()
	if err == nil {
		delete(o.errs, name)
	} else {
		o.errs[name] = err
	}
	o.mu.Unlock()
}

// Opens returns how many times name was opened successfully.
func (o *Opener) Opens(name string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.opens[name]
}

// Closes returns how many handles of name were closed.
func (o *Opener) Closes(name string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closes[name]
}

func (o *Opener) open(name string) error {
	if err := o.errs[name]; err != nil {
		return err
	}
	o.opens[name]++
	return nil
}

func (o *Opener) closed(name string) {
	o.mu.Lock()
	o.closes[name]++
	o.mu.Unlock()
}

// OpenI2C implements sensor.Opener.
func (o *Opener) OpenI2C(bus string) (i2c.BusCloser, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, ok := o.i2c[bus]
	if !ok {
		return nil, fmt.Errorf("%w: i2c bus %q (available: %s)", sensor.ErrBusNotFound, bus, keys(o.i2c))
	}
	if err := o.open(bus); err != nil {
		return nil, err
	}
	return &i2cHandle{Bus: b, close: func() { o.closed(bus) }}, nil
}

// OpenOneWire implements sensor.Opener.
func (o *Opener) OpenOneWire(bus string) (onewire.BusCloser, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, ok := o.oneWire[bus]
	if !ok {
		return nil, fmt.Errorf("%w: 1-wire bus %q (available: %s)", sensor.ErrBusNotFound, bus, keys(o.oneWire))
	}
	if err := o.open(bus); err != nil {
		return nil, err
	}
	return &oneWireHandle{Bus: b, close: func() { o.closed(bus) }}, nil
}

// OpenGPIO implements sensor.Opener.
func (o *Opener) OpenGPIO(name string) (gpio.PinIn, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	p, ok := o.pins[name]
	if !ok {
		return nil, fmt.Errorf("%w: gpio pin %q (available: %s)", sensor.ErrPinNotFound, name, keys(o.pins))
	}
	if err := o.open(name); err != nil {
		return nil, err
	}
	return p, nil
}

func keys[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

type i2cHandle struct {
	i2c.Bus
	close func()
}

func (h *i2cHandle) Close() error { h.close(); return nil }

type oneWireHandle struct {
	onewire.Bus
	close func()
}

func (h *oneWireHandle) Close() error { h.close(); return nil }

var _ sensor.Opener = (*Opener)(nil)
