package sensor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/onewire"

	"github.com/tributary-edge/tributary/ingest/sensor/bme280"
	"github.com/tributary-edge/tributary/ingest/sensor/ds18b20"
)

// device is an opened measurement device: the driver plus the bus handle
// it owns.
type device interface {
	// sense takes one reading and fills the value fields of a Record.
	sense(ctx context.Context) (Record, error)
	// close releases the bus (best effort; errors are not actionable).
	close()
}

// runMeasure is the producer of bme280, bmp280 and ds18b20 sensors. It
// opens the device (bus, chip id, calibration), reads every Interval on a
// fixed schedule, and on any error closes everything, waits with
// exponential backoff and starts again from the open, so a device that
// was unplugged, replaced or reset is re-identified and re-calibrated.
func (s *sensor) runMeasure(ctx context.Context) {
	bo := s.newBackoff()
	var dev device
	defer func() {
		if dev != nil {
			dev.close()
		}
	}()
	var next time.Time
	for ctx.Err() == nil {
		if dev == nil {
			d, err := s.open(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				retry := bo.next()
				s.fail(err, retry)
				s.sleep(ctx, retry)
				continue
			}
			dev, next = d, time.Time{}
		}
		began := s.opts.Clock.Now()
		rec, err := dev.sense(ctx)
		if err != nil {
			dev.close()
			dev = nil
			if ctx.Err() != nil {
				return
			}
			retry := bo.next()
			s.fail(err, retry)
			s.sleep(ctx, retry)
			continue
		}
		bo.reset()
		now := s.opts.Clock.Now()
		rec.Time = now
		s.emit(rec)
		// Fixed-rate schedule: readings begin every Interval from the
		// first one after an open; a slot that has already passed is
		// skipped, not bunched.
		if next.IsZero() {
			next = began
		}
		next = next.Add(s.cfg.Interval)
		if !next.After(now) {
			next = now.Add(s.cfg.Interval)
		}
		s.sleep(ctx, next.Sub(s.opts.Clock.Now()))
	}
}

func (s *sensor) open(ctx context.Context) (device, error) {
	switch s.cfg.Driver {
	case DriverBME280, DriverBMP280:
		return s.openBME(ctx)
	case DriverDS18B20:
		return s.openDS(ctx)
	}
	return nil, fmt.Errorf("sensor: no measurement driver %q", s.cfg.Driver)
}

type bmeDevice struct {
	bus i2c.BusCloser
	dev *bme280.Dev
}

func (s *sensor) openBME(ctx context.Context) (device, error) {
	bus, err := s.opts.Opener.OpenI2C(s.cfg.Bus)
	if err != nil {
		return nil, err
	}
	chip := bme280.BME280
	if s.cfg.Driver == DriverBMP280 {
		chip = bme280.BMP280
	}
	mode := bme280.Forced
	if s.cfg.Mode == "normal" {
		mode = bme280.Normal
	}
	dev, err := bme280.New(ctx, bus, s.cfg.Address, bme280.Opts{
		Chip:        chip,
		Temperature: bme280.Oversampling(s.cfg.Oversampling.Temperature),
		Pressure:    bme280.Oversampling(s.cfg.Oversampling.Pressure),
		Humidity:    bme280.Oversampling(s.cfg.Oversampling.Humidity),
		Filter:      bme280.Filter(s.cfg.Filter),
		Mode:        mode,
		Standby:     s.cfg.Interval,
		Sleep:       s.sleepErr,
	})
	if err != nil {
		_ = bus.Close()
		return nil, err
	}
	return &bmeDevice{bus: bus, dev: dev}, nil
}

func (d *bmeDevice) sense(ctx context.Context) (Record, error) {
	m, err := d.dev.Sense(ctx)
	if err != nil {
		return Record{}, err
	}
	r := Record{
		TemperatureC: ptr(m.Celsius()),
		PressureHPa:  ptr(round2(m.HectoPascal())),
	}
	if m.HasHumidity {
		r.HumidityPct = ptr(round2(m.RelativeHumidity()))
	}
	return r, nil
}

func (d *bmeDevice) close() {
	_ = d.dev.Halt() // stop normal-mode conversions; fails harmlessly if gone
	_ = d.bus.Close()
}

type dsDevice struct {
	bus onewire.BusCloser
	dev *ds18b20.Dev
	rom string
}

func (s *sensor) openDS(ctx context.Context) (device, error) {
	bus, err := s.opts.Opener.OpenOneWire(s.cfg.Bus)
	if err != nil {
		return nil, err
	}
	addr, err := s.findDS(bus)
	if err == nil {
		var dev *ds18b20.Dev
		dev, err = ds18b20.New(ctx, bus, addr, ds18b20.Opts{Resolution: s.cfg.Resolution, Sleep: s.sleepErr})
		if err == nil {
			return &dsDevice{bus: bus, dev: dev, rom: ds18b20.FormatROM(addr)}, nil
		}
	}
	_ = bus.Close()
	return nil, err
}

// findDS resolves Config.Device, or searches for the only DS18B20.
func (s *sensor) findDS(bus onewire.Bus) (onewire.Address, error) {
	if s.cfg.Device != "" {
		return ds18b20.ParseROM(s.cfg.Device) // validated already
	}
	found, err := ds18b20.Find(bus)
	if err != nil {
		return 0, err
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return 0, fmt.Errorf("%w: no DS18B20 on 1-wire bus %q", ds18b20.ErrNotFound, s.cfg.Bus)
	}
	roms := make([]string, len(found))
	for i, a := range found {
		roms[i] = ds18b20.FormatROM(a)
	}
	return 0, fmt.Errorf("%w: %d DS18B20s on 1-wire bus %q (%s): set device to choose one",
		ds18b20.ErrNotFound, len(found), s.cfg.Bus, strings.Join(roms, ", "))
}

func (d *dsDevice) sense(ctx context.Context) (Record, error) {
	r, err := d.dev.Sense(ctx)
	if err != nil {
		return Record{}, err
	}
	return Record{TemperatureC: ptr(r.Celsius()), Device: d.rom}, nil
}

func (d *dsDevice) close() { _ = d.bus.Close() }
