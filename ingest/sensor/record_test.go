package sensor_test

import (
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/sensor"
)

func f(v float64) *float64 { return &v }
func i(v int) *int         { return &v }

// TestRecordShapes pins the documented JSON of each driver.
func TestRecordShapes(t *testing.T) {
	at := time.Date(2026, 3, 1, 13, 0, 0, 123456789, time.FixedZone("CET", 3600))
	tests := []struct {
		r    sensor.Record
		want string
	}{
		{sensor.Record{Sensor: "greenhouse", Driver: "bme280", Time: at, TemperatureC: f(21.53), PressureHPa: f(1013.25), HumidityPct: f(45.1)},
			`{"sensor":"greenhouse","driver":"bme280","time":"2026-03-01T12:00:00.123456Z","temperature_c":21.53,"pressure_hpa":1013.25,"humidity_pct":45.1}`},
		{sensor.Record{Sensor: "baro", Driver: "bmp280", Time: at, TemperatureC: f(-3.2), PressureHPa: f(998)},
			`{"sensor":"baro","driver":"bmp280","time":"2026-03-01T12:00:00.123456Z","temperature_c":-3.2,"pressure_hpa":998}`},
		{sensor.Record{Sensor: "freezer", Driver: "ds18b20", Time: at, TemperatureC: f(-18.0625), Device: "28-0316a2791eff"},
			`{"sensor":"freezer","driver":"ds18b20","time":"2026-03-01T12:00:00.123456Z","temperature_c":-18.0625,"device":"28-0316a2791eff"}`},
		{sensor.Record{Sensor: "door", Driver: "gpio", Time: at, Pin: "GPIO17", Level: i(0), Edge: "falling", Count: 2},
			`{"sensor":"door","driver":"gpio","time":"2026-03-01T12:00:00.123456Z","pin":"GPIO17","level":0,"edge":"falling","count":2}`},
	}
	for _, tc := range tests {
		b, err := tc.r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("got  %s\nwant %s", b, tc.want)
		}
	}
}
