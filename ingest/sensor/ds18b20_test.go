package sensor_test

import (
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/onewire"

	"github.com/tributary-edge/tributary/ingest/sensor"
	"github.com/tributary-edge/tributary/ingest/sensor/ds18b20"
	"github.com/tributary-edge/tributary/ingest/sensor/sensortest"
)

func dsROM() (onewire.Address, error) { return ds18b20.ParseROM("28-0316a2791eff") }

func TestDS18B20Source(t *testing.T) {
	rom, _ := dsROM()
	clock := sensortest.NewClock(t0)
	bus := sensortest.NewOneWire(rom)
	bus.SetTemperature(rom, -18.5)
	op := sensortest.NewOpener()
	op.AddOneWire("OneWire1", bus)
	app := &appender{}
	src := start(t, []sensor.Config{{Name: "freezer", Driver: "ds18b20", Stream: "cold", Bus: "OneWire1", Interval: 10 * time.Second}},
		app, sensor.Options{Opener: op, Clock: clock, BackoffMin: time.Second, BackoffMax: time.Second})
	if !clock.RunUntil(func() bool { return app.count("freezer") >= 1 }, runFor) {
		t.Fatal("no reading")
	}
	// 750 ms conversion at 12 bits; the probe was found by search.
	want := `{"sensor":"freezer","driver":"ds18b20","time":"2026-03-01T12:00:00.75Z","temperature_c":-18.5,"device":"28-0316a2791eff"}`
	if got := string(app.all()[0].data); got != want {
		t.Fatalf("record\n got %s\nwant %s", got, want)
	}

	// Conversions stop working: the probe reports its power-on 85 °C.
	bus.SetConvertFails(rom, true)
	bus.SetPresent(rom, false)
	bus.SetPresent(rom, true) // power cycle: scratchpad back to 85 °C
	if !clock.RunUntil(func() bool { return strings.Contains(statusOf(src, "freezer").LastError, "85") }, runFor) {
		t.Fatalf("85 °C not reported as an error: %+v", statusOf(src, "freezer"))
	}
	// Unplugged: nothing answers.
	bus.SetPresent(rom, false)
	if !clock.RunUntil(func() bool { return strings.Contains(statusOf(src, "freezer").LastError, "no DS18B20") }, runFor) {
		t.Fatalf("absence not reported: %+v", statusOf(src, "freezer"))
	}
	// Back, and converting again.
	bus.SetConvertFails(rom, false)
	bus.SetTemperature(rom, -17.0625)
	bus.SetPresent(rom, true)
	if !clock.RunUntil(func() bool {
		recs := app.bySensor(t, "freezer")
		return *recs[len(recs)-1].TemperatureC == -17.0625
	}, runFor) {
		t.Fatal("no recovery")
	}
	st := statusOf(src, "freezer")
	if st.State != sensor.StateOK || st.Errors < 2 {
		t.Fatalf("status %+v", st)
	}
	for _, r := range app.bySensor(t, "freezer") {
		if *r.TemperatureC == 85 {
			t.Fatal("85 °C appended as a reading")
		}
	}
}

func TestDS18B20NeedsDeviceWhenSeveral(t *testing.T) {
	a, _ := ds18b20.ParseROM("28-000000000001")
	b, _ := ds18b20.ParseROM("28-000000000002")
	clock := sensortest.NewClock(t0)
	bus := sensortest.NewOneWire(a, b)
	op := sensortest.NewOpener()
	op.AddOneWire("1", bus)
	app := &appender{}
	src := start(t, []sensor.Config{{Name: "probe", Driver: "ds18b20", Stream: "s", Bus: "1"}},
		app, sensor.Options{Opener: op, Clock: clock})
	if !clock.RunUntil(func() bool { return statusOf(src, "probe").Errors >= 1 }, runFor) {
		t.Fatal("no error")
	}
	msg := statusOf(src, "probe").LastError
	for _, s := range []string{"28-000000000001", "28-000000000002", "set device"} {
		if !strings.Contains(msg, s) {
			t.Errorf("%q does not mention %s", msg, s)
		}
	}
	// Naming one works.
	_ = src.Close()
	src = start(t, []sensor.Config{{Name: "probe", Driver: "ds18b20", Stream: "s", Bus: "1", Device: "28-000000000002", Resolution: 10}},
		app, sensor.Options{Opener: op, Clock: clock})
	if !clock.RunUntil(func() bool { return app.count("probe") >= 1 }, runFor) {
		t.Fatalf("no reading: %+v", statusOf(src, "probe"))
	}
	if r := app.bySensor(t, "probe")[0]; r.Device != "28-000000000002" {
		t.Fatalf("record %+v", r)
	}
}
