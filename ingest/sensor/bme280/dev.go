package bme280

import (
	"context"
	"fmt"
	"time"

	"periph.io/x/conn/v3/i2c"
)

// Addresses a BME280/BMP280 answers on (§6.2): SDO to GND gives 0x76, SDO
// to VDDIO gives 0x77.
const (
	AddrLow  uint16 = 0x76
	AddrHigh uint16 = 0x77
)

// Opts configures a Dev. The zero value is the datasheet's "weather
// monitoring" setting (§3.5.1): forced mode, ×1 oversampling, filter off.
type Opts struct {
	// Chip is the chip expected at the address: BME280 (the zero value
	// means BME280) or BMP280.
	Chip Chip
	// Temperature, Pressure and Humidity oversampling (§3.4.1..§3.4.3).
	// Humidity is ignored on a BMP280.
	Temperature, Pressure, Humidity Oversampling
	// Filter is the IIR filter coefficient (§3.4.4).
	Filter Filter
	// Mode is Forced (default) or Normal.
	Mode Mode
	// Standby is the wanted time between measurements in Normal mode; the
	// longest t_standby not above it is used (§3.6.3). Zero picks 0.5 ms.
	Standby time.Duration
	// Sleep waits d or until ctx is done; nil uses a real timer. Tests
	// inject their clock here.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Dev is an initialised BME280 or BMP280. It is not safe for concurrent
// use; one goroutine owns it.
type Dev struct {
	dev      i2c.Dev
	chip     Chip
	id       byte
	cal      Calibration
	mode     Mode
	ctrlMeas byte // osrs_t, osrs_p; mode bits zero
	measure  time.Duration
	sleep    func(ctx context.Context, d time.Duration) error
}

// New checks the chip id, resets the chip, reads its calibration and
// configures it (see the package doc). It returns an error wrapping
// ErrChipID, ErrCalibration, ErrTimeout, ErrOptions or the bus error.
func New(ctx context.Context, bus i2c.Bus, addr uint16, opts Opts) (*Dev, error) {
	if opts.Chip == 0 {
		opts.Chip = BME280
	}
	if opts.Chip != BME280 && opts.Chip != BMP280 {
		return nil, fmt.Errorf("%w: chip %s", ErrOptions, opts.Chip)
	}
	osT, err := opts.Temperature.code()
	if err != nil {
		return nil, err
	}
	osP, err := opts.Pressure.code()
	if err != nil {
		return nil, err
	}
	osH, err := opts.Humidity.code()
	if err != nil {
		return nil, err
	}
	filter, err := opts.Filter.code()
	if err != nil {
		return nil, err
	}
	d := &Dev{
		dev:      i2c.Dev{Bus: bus, Addr: addr},
		chip:     opts.Chip,
		mode:     opts.Mode,
		ctrlMeas: osT<<5 | osP<<2, // §5.4.5: osrs_t[7:5], osrs_p[4:2], mode[1:0]
		measure:  measureTime(opts.Temperature, opts.Pressure, opts.Humidity, opts.Chip == BME280),
		sleep:    opts.Sleep,
	}
	if d.sleep == nil {
		d.sleep = sleepCtx
	}

	// §5.4.1: chip id.
	var id [1]byte
	if err := d.dev.Tx([]byte{regChipID}, id[:]); err != nil {
		return nil, fmt.Errorf("bme280: read chip id at 0x%02X on %s: %w", addr, bus, err)
	}
	d.id = id[0]
	if !opts.Chip.matches(id[0]) {
		return nil, fmt.Errorf("%w: read 0x%02X (%s) at 0x%02X on %s, want %s",
			ErrChipID, id[0], Chip(id[0]), addr, bus, expectedIDs(opts.Chip))
	}
	// §5.4.2: soft reset, then wait t_startup and for the NVM copy.
	if err := d.write(regReset, resetWord); err != nil {
		return nil, err
	}
	if err := d.sleep(ctx, startupTime); err != nil {
		return nil, err
	}
	if err := d.waitStatus(ctx, statusIMUpdate); err != nil {
		return nil, err
	}
	// §4.2.2: trimming parameters.
	tp := make([]byte, calibTPLen)
	if err := d.read(regCalib00, tp); err != nil {
		return nil, err
	}
	var h []byte
	if d.chip == BME280 {
		h = make([]byte, calibHLen)
		if err := d.read(regCalib26, h); err != nil {
			return nil, err
		}
	}
	if d.cal, err = ParseCalibration(tp, h); err != nil {
		return nil, err
	}
	// §5.4.3: ctrl_hum only takes effect after a write to ctrl_meas, so it
	// goes first; §5.4.6: config is written while still in sleep mode.
	config := standbyCode(d.chip, opts.Standby)<<5 | filter<<2
	mode := byte(modeSleep)
	if d.mode == Normal {
		mode = modeNormal
	}
	w := []byte{regConfig, config, regCtrlMeas, d.ctrlMeas | mode}
	if d.chip == BME280 {
		w = append([]byte{regCtrlHum, osH}, w...)
	}
	if err := d.dev.Tx(w, nil); err != nil {
		return nil, fmt.Errorf("bme280: configure: %w", err)
	}
	if d.mode == Normal {
		// Let the first measurement complete so Sense has data.
		if err := d.sleep(ctx, d.measure); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func expectedIDs(c Chip) string {
	if c == BMP280 {
		return "0x58 (BMP280; 0x56/0x57 on samples)"
	}
	return "0x60 (BME280)"
}

// Chip returns the chip found (BME280 or BMP280).
func (d *Dev) Chip() Chip { return d.chip }

// ChipID returns the raw id register value read by New.
func (d *Dev) ChipID() byte { return d.id }

// Calibration returns the trimming parameters read by New.
func (d *Dev) Calibration() Calibration { return d.cal }

// MeasureTime returns the maximum duration of one forced measurement.
func (d *Dev) MeasureTime() time.Duration { return d.measure }

func (d *Dev) String() string {
	return fmt.Sprintf("%s at 0x%02X on %s", d.chip, d.dev.Addr, d.dev.Bus)
}

// Sense takes (forced mode) or reads (normal mode) one measurement.
func (d *Dev) Sense(ctx context.Context) (Measurement, error) {
	if d.mode == Forced {
		// §3.3.3: writing mode 01 starts one measurement; the chip returns
		// to sleep when done.
		if err := d.write(regCtrlMeas, d.ctrlMeas|modeForced); err != nil {
			return Measurement{}, err
		}
		if err := d.sleep(ctx, d.measure); err != nil {
			return Measurement{}, err
		}
		if err := d.waitStatus(ctx, statusMeasuring); err != nil {
			return Measurement{}, err
		}
	}
	n := dataLenBMP
	if d.chip == BME280 {
		n = dataLenBME
	}
	b := make([]byte, n)
	if err := d.read(regData, b); err != nil {
		return Measurement{}, err
	}
	adcT, adcP, adcH, err := DecodeData(b)
	if err != nil {
		return Measurement{}, err
	}
	return d.cal.Compensate(adcT, adcP, adcH)
}

// Halt puts the chip in sleep mode (§3.3.2).
func (d *Dev) Halt() error {
	return d.write(regCtrlMeas, d.ctrlMeas|modeSleep)
}

// waitStatus polls the status register until bit is clear: a few times,
// 1 ms apart, after the datasheet's own wait has already passed.
func (d *Dev) waitStatus(ctx context.Context, bit byte) error {
	const tries = 5
	var st [1]byte
	for i := 0; ; i++ {
		if err := d.read(regStatus, st[:]); err != nil {
			return err
		}
		if st[0]&bit == 0 {
			return nil
		}
		if i == tries-1 {
			return fmt.Errorf("%w: status 0x%02X after %d polls", ErrTimeout, st[0], tries)
		}
		if err := d.sleep(ctx, time.Millisecond); err != nil {
			return err
		}
	}
}

func (d *Dev) read(reg byte, b []byte) error {
	if err := d.dev.Tx([]byte{reg}, b); err != nil {
		return fmt.Errorf("bme280: read 0x%02X: %w", reg, err)
	}
	return nil
}

func (d *Dev) write(reg, v byte) error {
	if err := d.dev.Tx([]byte{reg, v}, nil); err != nil {
		return fmt.Errorf("bme280: write 0x%02X: %w", reg, err)
	}
	return nil
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
