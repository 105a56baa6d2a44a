package sensor_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c"

	"github.com/tributary-edge/tributary/ingest/sensor"
	"github.com/tributary-edge/tributary/ingest/sensor/sensortest"
)

const runFor = 10 * time.Second // real-time cap for fake-clock runs

func TestBME280RecordsAppended(t *testing.T) {
	clock := sensortest.NewClock(t0)
	op := sensortest.NewOpener()
	op.AddI2C("/dev/i2c-1", simBME(0x76))
	app := &appender{}
	src := start(t, []sensor.Config{{Name: "greenhouse", Driver: "bme280", Stream: "env", Bus: "/dev/i2c-1", Interval: 10 * time.Second}},
		app, sensor.Options{Opener: op, Clock: clock})
	if !clock.RunUntil(func() bool { return app.count("greenhouse") >= 3 }, runFor) {
		t.Fatal("no three readings")
	}
	recs := app.all()
	if recs[0].stream != "env" || recs[0].key != "greenhouse" {
		t.Fatalf("stream %q key %q", recs[0].stream, recs[0].key)
	}
	// Reading time: t_startup 2 ms + the ×1 measurement time 9.3 ms after
	// start; values from the captured chip (see bme280 tests).
	want := `{"sensor":"greenhouse","driver":"bme280","time":"2026-03-01T12:00:00.0113Z","temperature_c":23.72,"pressure_hpa":1009.43,"humidity_pct":65.31}`
	if string(recs[0].data) != want {
		t.Fatalf("record\n got %s\nwant %s", recs[0].data, want)
	}
	got := app.bySensor(t, "greenhouse")
	for i := 1; i < len(got); i++ {
		if d := got[i].Time.Sub(got[i-1].Time); d != 10*time.Second {
			t.Errorf("readings %d and %d are %v apart, want the 10s interval", i-1, i, d)
		}
	}
	st := statusOf(src, "greenhouse")
	if st.State != sensor.StateOK || st.Readings < 3 || st.Errors != 0 || st.Driver != "bme280" || st.Stream != "env" {
		t.Fatalf("status %+v", st)
	}
	if !st.LastTime.Equal(got[len(got)-1].Time) && st.Readings == int64(len(got)) {
		t.Fatalf("LastTime %v", st.LastTime)
	}
	if !strings.Contains(string(st.LastReading), `"temperature_c":23.72`) {
		t.Fatalf("LastReading %s", st.LastReading)
	}
}

// timedOpener records the fake time of every I²C open.
type timedOpener struct {
	*sensortest.Opener
	clock *sensortest.Clock
	mu    sync.Mutex
	times []time.Time
}

func (o *timedOpener) OpenI2C(bus string) (i2c.BusCloser, error) {
	o.mu.Lock()
	o.times = append(o.times, o.clock.Now())
	o.mu.Unlock()
	return o.Opener.OpenI2C(bus)
}

// TestNACKBackoffAndRecovery: a device that NACKs is retried with
// exponential backoff (1, 2, 4, 8, 8 s), every failure is counted, and when
// it answers again it is re-identified (chip id) and re-calibrated before
// readings resume; later a bus timeout does the same.
func TestNACKBackoffAndRecovery(t *testing.T) {
	clock := sensortest.NewClock(t0)
	chip := simBME(0x76)
	bus := &sensortest.FlakyBus{Bus: chip}
	bus.Fail(sensortest.ErrNACK)
	op := &timedOpener{Opener: sensortest.NewOpener(), clock: clock}
	op.AddI2C("/dev/i2c-1", bus)
	app := &appender{}
	src := start(t, []sensor.Config{{Name: "attic", Driver: "bme280", Stream: "env", Bus: "/dev/i2c-1", Interval: time.Minute}},
		app, sensor.Options{Opener: op, Clock: clock, BackoffMin: time.Second, BackoffMax: 8 * time.Second})

	for i := 0; i < 6; i++ {
		if !clock.WaitTimers(1, runFor) {
			t.Fatal("sensor is not waiting to retry")
		}
		clock.AdvanceToNext()
	}
	if !clock.WaitTimers(1, runFor) {
		t.Fatal("sensor is not waiting to retry")
	}
	op.mu.Lock()
	times := append([]time.Time(nil), op.times...)
	op.mu.Unlock()
	wantGaps := []time.Duration{1, 2, 4, 8, 8, 8}
	if len(times) != 7 {
		t.Fatalf("%d attempts, want 7", len(times))
	}
	for i, g := range wantGaps {
		if d := times[i+1].Sub(times[i]); d != g*time.Second {
			t.Errorf("retry %d after %v, want %v", i+1, d, g*time.Second)
		}
	}
	st := statusOf(src, "attic")
	if st.State != sensor.StateFailing || st.Errors != 7 || st.Readings != 0 {
		t.Fatalf("status %+v", st)
	}
	if !strings.Contains(st.LastError, "NACK") || !strings.Contains(st.LastError, "chip id") || !st.LastErrorTime.Equal(times[6]) {
		t.Fatalf("last error %q at %v", st.LastError, st.LastErrorTime)
	}
	if op.Opens("/dev/i2c-1") != 7 || op.Closes("/dev/i2c-1") != 7 {
		t.Fatalf("opens %d closes %d: each failed attempt must close its handle", op.Opens("/dev/i2c-1"), op.Closes("/dev/i2c-1"))
	}

	// The device answers again.
	bus.Fail(nil)
	if !clock.RunUntil(func() bool { return app.count("attic") >= 2 }, runFor) {
		t.Fatal("no recovery")
	}
	if chip.Reads(0xD0) != 1 || chip.Reads(0x88) != 1 {
		t.Fatalf("chip id reads %d, calibration reads %d", chip.Reads(0xD0), chip.Reads(0x88))
	}
	if st := statusOf(src, "attic"); st.State != sensor.StateOK || st.Errors != 7 {
		t.Fatalf("after recovery %+v", st)
	}

	// A bus timeout in the middle of operation.
	bus.Fail(sensortest.ErrTimeout)
	if !clock.RunUntil(func() bool { return statusOf(src, "attic").Errors >= 9 }, runFor) {
		t.Fatal("timeouts not counted")
	}
	if st := statusOf(src, "attic"); st.State != sensor.StateFailing || !strings.Contains(st.LastError, "timeout") {
		t.Fatalf("status %+v", st)
	}
	bus.Fail(nil)
	n := app.count("attic")
	if !clock.RunUntil(func() bool { return app.count("attic") >= n+1 }, runFor) {
		t.Fatal("no recovery after timeout")
	}
	if chip.Reads(0xD0) != 2 || chip.Reads(0x88) != 2 || chip.Reads(0xE1) != 2 {
		t.Fatalf("recovery did not re-check the chip id and re-read calibration: %d %d %d",
			chip.Reads(0xD0), chip.Reads(0x88), chip.Reads(0xE1))
	}
}

// TestFailingSensorDoesNotStopOthers runs a dead sensor, a sensor whose
// chip was swapped, and two healthy ones on the same clock.
func TestFailingSensorDoesNotStopOthers(t *testing.T) {
	clock := sensortest.NewClock(t0)
	op := sensortest.NewOpener()
	dead := &sensortest.FlakyBus{Bus: simBME(0x76)}
	dead.Fail(sensortest.ErrNACK)
	op.AddI2C("/dev/i2c-1", dead)
	// Bus 3 holds a BMP280 where a BME280 is configured.
	op.AddI2C("/dev/i2c-3", sensortest.NewBME280(0x76, 0x58, sensortest.CaptureCalibration, sensortest.CaptureData))
	op.AddI2C("/dev/i2c-2", sensortest.NewBME280(0x77, 0x60, sensortest.CaptureCalibration, sensortest.CaptureData))
	rom, _ := dsROM()
	ow := sensortest.NewOneWire(rom)
	ow.SetTemperature(rom, -18.5)
	op.AddOneWire("OneWire1", ow)
	app := &appender{}
	src := start(t, []sensor.Config{
		{Name: "dead", Driver: "bme280", Stream: "env", Bus: "/dev/i2c-1", Interval: time.Second},
		{Name: "swapped", Driver: "bme280", Stream: "env", Bus: "/dev/i2c-3", Interval: time.Second},
		{Name: "alive", Driver: "bme280", Stream: "env", Bus: "/dev/i2c-2", Address: 0x77, Interval: time.Second},
		{Name: "freezer", Driver: "ds18b20", Stream: "cold", Bus: "OneWire1", Interval: 2 * time.Second},
	}, app, sensor.Options{Opener: op, Clock: clock})
	if !clock.RunUntil(func() bool { return app.count("alive") >= 5 && app.count("freezer") >= 3 }, runFor) {
		t.Fatalf("healthy sensors starved: alive %d freezer %d", app.count("alive"), app.count("freezer"))
	}
	if st := statusOf(src, "dead"); st.Errors < 2 || st.State != sensor.StateFailing || app.count("dead") != 0 {
		t.Fatalf("dead: %+v", st)
	}
	st := statusOf(src, "swapped")
	if st.Errors < 2 || !strings.Contains(st.LastError, "read 0x58 (BMP280)") || !strings.Contains(st.LastError, "want 0x60 (BME280)") {
		t.Fatalf("swapped: %+v", st)
	}
	// The dead one comes back; the others keep going.
	dead.Fail(nil)
	n := app.count("alive")
	if !clock.RunUntil(func() bool { return app.count("dead") >= 1 && app.count("alive") > n }, runFor) {
		t.Fatal("dead sensor did not recover")
	}
}

func TestAppendErrorsRetriedNotLost(t *testing.T) {
	clock := sensortest.NewClock(t0)
	op := sensortest.NewOpener()
	op.AddI2C("1", sensortest.NewBME280(0x76, 0x58, sensortest.CaptureCalibration[:26], sensortest.CaptureData[:6]))
	app := &appender{fail: 3}
	src := start(t, []sensor.Config{{Name: "shed", Driver: "bmp280", Stream: "env", Bus: "1", Interval: 5 * time.Second}},
		app, sensor.Options{Opener: op, Clock: clock})
	if !clock.RunUntil(func() bool { return app.count("shed") >= 4 }, runFor) {
		t.Fatal("records not delivered after append errors")
	}
	st := statusOf(src, "shed")
	if st.AppendErrors != 3 || st.Dropped != 0 || !strings.HasPrefix(st.LastError, "append: spool full") {
		t.Fatalf("status %+v", st)
	}
	recs := app.bySensor(t, "shed")
	for i, r := range recs {
		if r.HumidityPct != nil || r.TemperatureC == nil || *r.TemperatureC != 23.72 || r.Driver != "bmp280" {
			t.Fatalf("record %d: %+v", i, r)
		}
		if i > 0 && !r.Time.After(recs[i-1].Time) {
			t.Fatalf("record %d is not after record %d: out of order", i, i-1)
		}
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	// Nothing was lost: every reading taken was appended (a record still
	// queued at Close would be counted as dropped).
	st = statusOf(src, "shed")
	if st.Readings != st.Appended+st.Dropped || st.Appended != int64(app.count("shed")) || st.Appended < 4 {
		t.Fatalf("after Close: readings %d, appended %d (appender saw %d), dropped %d",
			st.Readings, st.Appended, app.count("shed"), st.Dropped)
	}
}

func TestQueueBoundDropsOldest(t *testing.T) {
	clock := sensortest.NewClock(t0)
	op := sensortest.NewOpener()
	op.AddI2C("1", simBME(0x76))
	app := &appender{fail: 1 << 30}
	src := start(t, []sensor.Config{{Name: "g", Driver: "bme280", Stream: "env", Bus: "1", Interval: time.Second}},
		app, sensor.Options{Opener: op, Clock: clock, QueueSize: 2, BackoffMax: time.Hour})
	if !clock.RunUntil(func() bool { return statusOf(src, "g").Dropped >= 3 }, runFor) {
		t.Fatalf("no drops: %+v", statusOf(src, "g"))
	}
	app.setFail(0)
	before := statusOf(src, "g").Readings
	if !clock.RunUntil(func() bool { return int64(app.count("g")) >= 2 && statusOf(src, "g").Readings > before+2 }, runFor) {
		t.Fatal("no delivery after the appender recovered")
	}
	_ = src.Close()
	st := statusOf(src, "g")
	if st.Readings != st.Appended+st.Dropped || st.Appended != int64(app.count("g")) {
		t.Fatalf("accounting: %+v, appended %d", st, app.count("g"))
	}
}

func TestLifecycle(t *testing.T) {
	if _, err := sensor.New(nil, nil, sensor.Options{}); err == nil {
		t.Fatal("nil appender accepted")
	}
	if _, err := sensor.New([]sensor.Config{{Name: "x", Driver: "bme280", Stream: "s"}}, &appender{}, sensor.Options{}); !errors.Is(err, sensor.ErrInvalidConfig) {
		t.Fatalf("invalid config: %v", err)
	}
	op := sensortest.NewOpener()
	src, err := sensor.New([]sensor.Config{{Name: "x", Driver: "bme280", Stream: "s", Bus: "nope"}}, &appender{},
		sensor.Options{Opener: op, Clock: sensortest.NewClock(t0), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := src.Start(context.Background()); !errors.Is(err, sensor.ErrStarted) {
		t.Fatalf("second Start: %v", err)
	}
	eventually(t, "bus-not-found error", func() bool { return statusOf(src, "x").Errors >= 1 })
	if st := statusOf(src, "x"); !strings.Contains(st.LastError, `"nope"`) {
		t.Fatalf("status %+v", st)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Start(context.Background()); !errors.Is(err, sensor.ErrClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
	if st := statusOf(src, "x"); st.State != sensor.StateStopped {
		t.Fatalf("state %s", st.State)
	}
	// Close without Start.
	src2, _ := sensor.New(nil, &appender{}, sensor.Options{})
	if err := src2.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStartContextCancel: cancelling Start's context stops the sensors too.
func TestStartContextCancel(t *testing.T) {
	op := sensortest.NewOpener()
	op.AddI2C("1", simBME(0x76))
	src, err := sensor.New([]sensor.Config{{Name: "x", Driver: "bme280", Stream: "s", Bus: "1"}}, &appender{},
		sensor.Options{Opener: op, Clock: sensortest.NewClock(t0), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := src.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	done := make(chan struct{})
	go func() { _ = src.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(runFor):
		t.Fatal("Close hung")
	}
}
