package sensortest

import (
	"errors"
	"fmt"
	"sync"

	"periph.io/x/conn/v3/onewire"
)

// OneWire simulates DS18B20 probes on a 1-Wire bus: Match ROM (55h) then
// Convert T (44h), Read Scratchpad (BEh) or Write Scratchpad (4Eh), and a
// search that returns the probes present. A probe starts, and restarts
// when plugged back in, with the power-on scratchpad (85 °C, 12 bits). An
// absent probe reads as all 0xFF, like a bus nobody pulls low. It
// implements onewire.BusCloser; Close does nothing.
type OneWire struct {
	mu     sync.Mutex
	probes map[onewire.Address]*probe
	order  []onewire.Address
	err    error
}

type probe struct {
	present   bool
	temp      int16 // 1/16 °C, what the next conversion yields
	noConvert bool  // conversions do nothing (lost parasite power)
	pad       [8]byte
}

// NewOneWire returns a bus with the given probes present at 0 °C.
func NewOneWire(roms ...onewire.Address) *OneWire {
	b := &OneWire{probes: map[onewire.Address]*probe{}}
	for _, a := range roms {
		p := &probe{present: true}
		p.powerOn()
		b.probes[a] = p
		b.order = append(b.order, a)
	}
	return b
}

func (p *probe) powerOn() {
	// Figure 7 reset values: 85 °C, TH/TL from EEPROM, 12 bits, reserved.
	p.pad = [8]byte{0x50, 0x05, 0x4b, 0x46, 0x7f, 0xff, 0x0c, 0x10}
}

// SetTemperature sets what the probe's next conversion reads, in °C.
func (b *OneWire) SetTemperature(rom onewire.Address, celsius float64) {
	b.mu.Lock()
	b.probes[rom].temp = int16(celsius * 16)
	b.mu.Unlock()
}

// SetPresent unplugs (false) or plugs in (true, with a power-on reset) a
// probe.
func (b *OneWire) SetPresent(rom onewire.Address, present bool) {
	b.mu.Lock()
	p := b.probes[rom]
	if present && !p.present {
		p.powerOn()
	}
	p.present = present
	b.mu.Unlock()
}

// SetConvertFails makes conversions of a probe do nothing, so it keeps
// reporting its power-on 85 °C.
func (b *OneWire) SetConvertFails(rom onewire.Address, fails bool) {
	b.mu.Lock()
	b.probes[rom].noConvert = fails
	b.mu.Unlock()
}

// Fail makes every transaction return err; nil heals.
func (b *OneWire) Fail(err error) {
	b.mu.Lock()
	b.err = err
	b.mu.Unlock()
}

// Tx implements onewire.Bus.
func (b *OneWire) Tx(w, r []byte, _ onewire.Pullup) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	for i := range r {
		r[i] = 0xFF
	}
	if len(w) < 10 || w[0] != 0x55 {
		return errors.New("sensortest: onewire sim supports Match ROM transactions only")
	}
	var rom onewire.Address
	for i := 8; i >= 1; i-- {
		rom = rom<<8 | onewire.Address(w[i])
	}
	p, ok := b.probes[rom]
	if !ok || !p.present {
		return nil // nobody answers: the bus floats high
	}
	switch cmd := w[9]; cmd {
	case 0x44:
		if !p.noConvert {
			p.pad[0], p.pad[1] = byte(p.temp), byte(uint16(p.temp)>>8)
		}
	case 0xBE:
		pad := append(p.pad[:], onewire.CalcCRC(p.pad[:]))
		copy(r, pad)
	case 0x4E:
		if len(w) != 13 {
			return fmt.Errorf("sensortest: write scratchpad with %d bytes", len(w)-10)
		}
		p.pad[2], p.pad[3], p.pad[4] = w[10], w[11], w[12]&0x60|0x1F
	default:
		return fmt.Errorf("sensortest: unsupported command 0x%02X", cmd)
	}
	return nil
}

// Search implements onewire.Bus.
func (b *OneWire) Search(alarmOnly bool) ([]onewire.Address, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return nil, b.err
	}
	var out []onewire.Address
	for _, a := range b.order {
		if b.probes[a].present && !alarmOnly {
			out = append(out, a)
		}
	}
	return out, nil
}

// String implements onewire.Bus.
func (b *OneWire) String() string { return "sim-onewire" }

// Close implements onewire.BusCloser.
func (b *OneWire) Close() error { return nil }
