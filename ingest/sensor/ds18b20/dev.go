package ds18b20

import (
	"context"
	"fmt"
	"time"

	"periph.io/x/conn/v3/onewire"
)

// Function commands ("DS18B20 Function Commands", Table 3).
const (
	cmdConvertT        = 0x44
	cmdWriteScratchpad = 0x4E
	cmdReadScratchpad  = 0xBE
)

// Opts configures a Dev.
type Opts struct {
	// Resolution in bits, 9..12; zero means 12 (the power-on default).
	Resolution int
	// Sleep waits d or until ctx is done; nil uses a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Dev is one DS18B20 on a bus. It is not safe for concurrent use.
type Dev struct {
	dev   onewire.Dev
	bits  int
	sleep func(ctx context.Context, d time.Duration) error
}

// Reading is one temperature conversion.
type Reading struct {
	// Sixteenths is the temperature in 1/16 °C.
	Sixteenths int16
}

// Celsius returns the temperature in °C; it is exact (a multiple of
// 1/16).
func (r Reading) Celsius() float64 { return float64(r.Sixteenths) / 16 }

// New checks the ROM's family code and sets the resolution (see the
// package doc).
func New(ctx context.Context, bus onewire.Bus, addr onewire.Address, opts Opts) (*Dev, error) {
	if opts.Resolution == 0 {
		opts.Resolution = 12
	}
	if opts.Resolution < 9 || opts.Resolution > 12 {
		return nil, fmt.Errorf("%w: resolution %d bits (want 9..12)", ErrConfig, opts.Resolution)
	}
	if byte(addr) != Family {
		return nil, fmt.Errorf("%w: ROM %s has family 0x%02X, want 0x28", ErrFamily, FormatROM(addr), byte(addr))
	}
	d := &Dev{dev: onewire.Dev{Bus: bus, Addr: addr}, bits: opts.Resolution, sleep: opts.Sleep}
	if d.sleep == nil {
		d.sleep = sleepCtx
	}
	sp, err := d.readScratchpad()
	if err != nil {
		return nil, err
	}
	if sp.Resolution() == d.bits {
		return d, nil
	}
	// Write Scratchpad: TH, TL, configuration, in that order (Table 3).
	w := []byte{cmdWriteScratchpad, byte(sp.TH), byte(sp.TL), configByte(d.bits)}
	if err := d.dev.Tx(w, nil); err != nil {
		return nil, fmt.Errorf("ds18b20: write scratchpad of %s: %w", d, err)
	}
	sp, err = d.readScratchpad()
	if err != nil {
		return nil, err
	}
	if sp.Resolution() != d.bits {
		return nil, fmt.Errorf("%w: %s reads back %d-bit resolution after writing %d", ErrConfig, d, sp.Resolution(), d.bits)
	}
	return d, nil
}

func (d *Dev) String() string { return FormatROM(d.dev.Addr) + " on " + d.dev.Bus.String() }

// Resolution returns the resolution in bits.
func (d *Dev) Resolution() int { return d.bits }

// Sense converts and reads one temperature.
func (d *Dev) Sense(ctx context.Context) (Reading, error) {
	// Convert T, then keep the strong pull-up on while converting
	// ("Powering the DS18B20").
	if err := d.dev.TxPower([]byte{cmdConvertT}, nil); err != nil {
		return Reading{}, fmt.Errorf("ds18b20: convert T on %s: %w", d, err)
	}
	if err := d.sleep(ctx, ConversionTime(d.bits)); err != nil {
		return Reading{}, err
	}
	sp, err := d.readScratchpad()
	if err != nil {
		return Reading{}, err
	}
	t, err := sp.Temperature()
	if err != nil {
		return Reading{}, fmt.Errorf("%s: %w", d, err)
	}
	return Reading{Sixteenths: t}, nil
}

func (d *Dev) readScratchpad() (Scratchpad, error) {
	b := make([]byte, ScratchpadLen)
	if err := d.dev.Tx([]byte{cmdReadScratchpad}, b); err != nil {
		return Scratchpad{}, fmt.Errorf("ds18b20: read scratchpad of %s: %w", d, err)
	}
	sp, err := DecodeScratchpad(b)
	if err != nil {
		return Scratchpad{}, fmt.Errorf("%s: %w", d, err)
	}
	return sp, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
