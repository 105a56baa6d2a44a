package sensor

import (
	"encoding/json"
	"math"
	"time"
)

// Record is the JSON document appended for every reading (measurement
// drivers) or event (gpio). Fields a driver does not produce are omitted;
// the package doc lists the exact shape per driver. Units are in the field
// names.
type Record struct {
	// Sensor is Config.Name; it is also the partition key.
	Sensor string `json:"sensor"`
	// Driver is Config.Driver.
	Driver string `json:"driver"`
	// Time is when the reading completed or the edge was seen, UTC,
	// RFC 3339 with up to microsecond precision.
	Time time.Time `json:"time"`

	// TemperatureC in °C: bme280 and bmp280 to 0.01, ds18b20 exact to its
	// resolution (1/16 at 12 bits).
	TemperatureC *float64 `json:"temperature_c,omitempty"`
	// PressureHPa in hPa to 0.01 (bme280, bmp280).
	PressureHPa *float64 `json:"pressure_hpa,omitempty"`
	// HumidityPct in %RH to 0.01 (bme280).
	HumidityPct *float64 `json:"humidity_pct,omitempty"`
	// Device is the DS18B20's ROM id ("28-0316a2791eff").
	Device string `json:"device,omitempty"`

	// Pin is the GPIO pin name (gpio).
	Pin string `json:"pin,omitempty"`
	// Level is the debounced level after the change: 0 or 1 (gpio).
	Level *int `json:"level,omitempty"`
	// Edge is "rising" (0→1) or "falling" (1→0) (gpio).
	Edge string `json:"edge,omitempty"`
	// Count numbers the events of this sensor since the source started,
	// from 1, so a consumer can see gaps (gpio).
	Count int64 `json:"count,omitempty"`
}

// Marshal returns the record's JSON with Time in UTC.
func (r Record) Marshal() ([]byte, error) {
	r.Time = r.Time.UTC().Truncate(time.Microsecond)
	return json.Marshal(r)
}

func ptr[T any](v T) *T { return &v }

// round2 rounds to two decimals, so 1009.4269 prints as 1009.43.
func round2(v float64) float64 { return math.Round(v*100) / 100 }
