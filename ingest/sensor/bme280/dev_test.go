package bme280

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"
)

// sleeps records the waits a Dev asks for instead of sleeping.
type sleeps []time.Duration

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	*s = append(*s, d)
	return ctx.Err()
}

// initOps is the register traffic of New for the captured BME280 at 0x76
// with the zero Opts (forced, ×1, filter off).
func initOps(addr uint16) []i2ctest.IO {
	return []i2ctest.IO{
		{Addr: addr, W: []byte{0xD0}, R: []byte{0x60}},              // chip id
		{Addr: addr, W: []byte{0xE0, 0xB6}},                         // soft reset
		{Addr: addr, W: []byte{0xF3}, R: []byte{0x00}},              // status: NVM copied
		{Addr: addr, W: []byte{0x88}, R: captureTP},                 // calib00..25
		{Addr: addr, W: []byte{0xE1}, R: captureH},                  // calib26..32
		{Addr: addr, W: []byte{0xF2, 0x01, 0xF5, 0x00, 0xF4, 0x24}}, // ctrl_hum ×1, config, ctrl_meas ×1/×1 sleep
	}
}

func TestForcedMeasurementPlayback(t *testing.T) {
	ops := append(initOps(0x76),
		i2ctest.IO{Addr: 0x76, W: []byte{0xF4, 0x25}},            // forced mode
		i2ctest.IO{Addr: 0x76, W: []byte{0xF3}, R: []byte{0x08}}, // still measuring
		i2ctest.IO{Addr: 0x76, W: []byte{0xF3}, R: []byte{0x00}}, // done
		i2ctest.IO{Addr: 0x76, W: []byte{0xF7}, R: captureData},  // burst read
		i2ctest.IO{Addr: 0x76, W: []byte{0xF4, 0x24}},            // Halt: sleep mode
	)
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
	var s sleeps
	d, err := New(context.Background(), bus, 0x76, Opts{Sleep: s.sleep})
	if err != nil {
		t.Fatal(err)
	}
	if d.Chip() != BME280 || d.ChipID() != 0x60 || d.Calibration() != captureCal {
		t.Fatalf("chip %v id %#x cal %+v", d.Chip(), d.ChipID(), d.Calibration())
	}
	m, err := d.Sense(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m.Temperature != 2372 || m.Pressure != 25841330 || m.Humidity != 66873 || !m.HasHumidity {
		t.Fatalf("measurement %+v", m)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
	// t_startup, then the §9.1 maximum for ×1/×1/×1 (9.3 ms), then one
	// 1 ms poll interval.
	want := sleeps{2 * time.Millisecond, 9300 * time.Microsecond, time.Millisecond}
	if len(s) != len(want) {
		t.Fatalf("sleeps %v, want %v", s, want)
	}
	for i := range want {
		if s[i] != want[i] {
			t.Fatalf("sleeps %v, want %v", s, want)
		}
	}
	if got := d.String(); got != "BME280 at 0x76 on playback" {
		t.Fatalf("String = %q", got)
	}
}

func TestNormalModeBMP280Playback(t *testing.T) {
	tp := append([]byte(nil), captureTP...)
	bus := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
		{Addr: 0x77, W: []byte{0xD0}, R: []byte{0x57}}, // BMP280 sample id
		{Addr: 0x77, W: []byte{0xE0, 0xB6}},
		{Addr: 0x77, W: []byte{0xF3}, R: []byte{0x01}}, // NVM copy running
		{Addr: 0x77, W: []byte{0xF3}, R: []byte{0x00}},
		{Addr: 0x77, W: []byte{0x88}, R: tp},
		// config: t_sb 1000 ms (101), filter 16 (100); ctrl_meas osrs_t ×2
		// (010), osrs_p ×16 (101), normal (11).
		{Addr: 0x77, W: []byte{0xF5, 0xB0, 0xF4, 0x57}},
		{Addr: 0x77, W: []byte{0xF7}, R: captureData[:6]},
	}}
	var s sleeps
	d, err := New(context.Background(), bus, 0x77, Opts{
		Chip: BMP280, Temperature: 2, Pressure: 16, Filter: 16, Mode: Normal,
		Standby: 1500 * time.Millisecond, Sleep: s.sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.Sense(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m.Temperature != 2372 || m.Pressure != 25841330 || m.HasHumidity {
		t.Fatalf("measurement %+v", m)
	}
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
	// 1.25 + 2.3·2 + 2.3·16 + 0.575 = 43.225 ms (BMP280 Table 13: 43.2).
	if s[len(s)-1] != 43225*time.Microsecond {
		t.Fatalf("sleeps %v", s)
	}
}

func TestChipIDMismatch(t *testing.T) {
	bus := &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
		{Addr: 0x76, W: []byte{0xD0}, R: []byte{0x58}},
	}}
	_, err := New(context.Background(), bus, 0x76, Opts{Sleep: (&sleeps{}).sleep})
	if !errors.Is(err, ErrChipID) {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []string{"0x58", "BMP280", "0x60", "BME280", "0x76"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %s", err, s)
		}
	}
	bus = &i2ctest.Playback{DontPanic: true, Ops: []i2ctest.IO{
		{Addr: 0x76, W: []byte{0xD0}, R: []byte{0x61}},
	}}
	_, err = New(context.Background(), bus, 0x76, Opts{Chip: BMP280, Sleep: (&sleeps{}).sleep})
	if !errors.Is(err, ErrChipID) || !strings.Contains(err.Error(), "0x61") || !strings.Contains(err.Error(), "0x58") {
		t.Fatalf("err = %v", err)
	}
}

func TestMeasurementTimeout(t *testing.T) {
	ops := append(initOps(0x76), i2ctest.IO{Addr: 0x76, W: []byte{0xF4, 0x25}})
	for i := 0; i < 5; i++ {
		ops = append(ops, i2ctest.IO{Addr: 0x76, W: []byte{0xF3}, R: []byte{0x08}})
	}
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
	d, err := New(context.Background(), bus, 0x76, Opts{Sleep: (&sleeps{}).sleep})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Sense(context.Background()); !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Opts{{Temperature: 3}, {Pressure: 32}, {Humidity: 5}, {Filter: 3}, {Chip: 0x61}} {
		if _, err := New(context.Background(), &i2ctest.Playback{}, 0x76, o); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: err = %v", o, err)
		}
	}
}

func TestBusErrorIsWrapped(t *testing.T) {
	// An exhausted playback returns an error for the first Tx: like a NACK.
	bus := &i2ctest.Playback{DontPanic: true}
	_, err := New(context.Background(), bus, 0x76, Opts{})
	if err == nil || !strings.Contains(err.Error(), "chip id") {
		t.Fatalf("err = %v", err)
	}
}

func TestStandbyCode(t *testing.T) {
	tests := []struct {
		chip Chip
		want time.Duration
		code byte
	}{
		{BME280, 0, 0},
		{BME280, 15 * time.Millisecond, 6},
		{BME280, 25 * time.Millisecond, 7},
		{BME280, time.Hour, 5},
		{BMP280, time.Hour, 7},
		{BMP280, 3 * time.Second, 6},
		{BMP280, 200 * time.Millisecond, 2},
	}
	for _, tc := range tests {
		if got := standbyCode(tc.chip, tc.want); got != tc.code {
			t.Errorf("%v %v: code %d, want %d", tc.chip, tc.want, got, tc.code)
		}
	}
}
