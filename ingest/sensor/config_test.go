package sensor_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/sensor"
)

func TestValidate(t *testing.T) {
	valid := []sensor.Config{
		{Name: "greenhouse", Driver: "bme280", Stream: "env", Bus: "/dev/i2c-1"},
		{Name: "g2", Driver: "bme280", Stream: "env", Bus: "I2C1", Address: 0x77, Interval: time.Minute, Mode: "normal",
			Oversampling: sensor.Oversampling{Temperature: 2, Pressure: 16, Humidity: 1}, Filter: 16},
		{Name: "baro", Driver: "bmp280", Stream: "env", Bus: "1", Interval: 100 * time.Millisecond, Mode: "forced"},
		{Name: "freezer", Driver: "ds18b20", Stream: "cold", Bus: "OneWire1"},
		{Name: "f2", Driver: "ds18b20", Stream: "cold", Bus: "1", Device: "28-0316a2791eff", Resolution: 9, Interval: time.Second},
		{Name: "door", Driver: "gpio", Stream: "events", Pin: "GPIO17", Edge: "both", Debounce: 20 * time.Millisecond, Pull: "up"},
		{Name: "pir.hall:1", Driver: "gpio", Stream: "events", Pin: "GPIO4", Edge: "rising", Pull: "none"},
	}
	for _, c := range valid {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
	if err := sensor.ValidateAll(valid); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		c     sensor.Config
		field string
	}{
		{sensor.Config{Driver: "bme280", Stream: "s", Bus: "1"}, "name"},
		{sensor.Config{Name: "a b", Driver: "bme280", Stream: "s", Bus: "1"}, "name"},
		{sensor.Config{Name: strings.Repeat("x", 129), Driver: "gpio", Stream: "s", Pin: "P"}, "name"},
		{sensor.Config{Name: "x", Driver: "bme280", Bus: "1"}, "stream"},
		{sensor.Config{Name: "x", Stream: "s"}, "driver"},
		{sensor.Config{Name: "x", Driver: "sht31", Stream: "s"}, "driver"},
		{sensor.Config{Name: "x", Driver: "bme280", Stream: "s"}, "bus"},
		{sensor.Config{Name: "x", Driver: "bme280", Stream: "s", Bus: "1", Address: 0x40}, "address"},
		{sensor.Config{Name: "x", Driver: "bme280", Stream: "s", Bus: "1", Interval: time.Millisecond}, "interval"},
		{sensor.Config{Name: "x", Driver: "bme280", Stream: "s", Bus: "1", Interval: 48 * time.Hour}, "interval"},
		{sensor.Config{Name: "x", Driver: "bme280", Stream: "s", Bus: "1", Mode: "sleep"}, "mode"},
		{sensor.Config{Name: "x", Driver: "bme280", Stream: "s", Bus: "1", Oversampling: sensor.Oversampling{Pressure: 3}}, "oversampling.pressure"},
		{sensor.Config{Name: "x", Driver: "bmp280", Stream: "s", Bus: "1", Oversampling: sensor.Oversampling{Humidity: 1}}, "oversampling.humidity"},
		{sensor.Config{Name: "x", Driver: "bme280", Stream: "s", Bus: "1", Filter: 3}, "filter"},
		{sensor.Config{Name: "x", Driver: "bme280", Stream: "s", Bus: "1", Pin: "GPIO4"}, "pin"},
		{sensor.Config{Name: "x", Driver: "ds18b20", Stream: "s"}, "bus"},
		{sensor.Config{Name: "x", Driver: "ds18b20", Stream: "s", Bus: "1", Device: "0316a2791eff"}, "device"},
		{sensor.Config{Name: "x", Driver: "ds18b20", Stream: "s", Bus: "1", Device: "10-0316a2791eff"}, "device"},
		{sensor.Config{Name: "x", Driver: "ds18b20", Stream: "s", Bus: "1", Resolution: 8}, "resolution"},
		{sensor.Config{Name: "x", Driver: "ds18b20", Stream: "s", Bus: "1", Interval: 500 * time.Millisecond}, "interval"},
		{sensor.Config{Name: "x", Driver: "ds18b20", Stream: "s", Bus: "1", Address: 0x76}, "address"},
		{sensor.Config{Name: "x", Driver: "gpio", Stream: "s"}, "pin"},
		{sensor.Config{Name: "x", Driver: "gpio", Stream: "s", Pin: "P", Edge: "up"}, "edge"},
		{sensor.Config{Name: "x", Driver: "gpio", Stream: "s", Pin: "P", Pull: "high"}, "pull"},
		{sensor.Config{Name: "x", Driver: "gpio", Stream: "s", Pin: "P", Debounce: -time.Millisecond}, "debounce"},
		{sensor.Config{Name: "x", Driver: "gpio", Stream: "s", Pin: "P", Debounce: time.Minute}, "debounce"},
		{sensor.Config{Name: "x", Driver: "gpio", Stream: "s", Pin: "P", Interval: time.Second}, "interval"},
		{sensor.Config{Name: "x", Driver: "gpio", Stream: "s", Pin: "P", Bus: "1"}, "bus"},
	}
	for _, tc := range tests {
		err := tc.c.Validate()
		if !errors.Is(err, sensor.ErrInvalidConfig) {
			t.Errorf("%+v: err = %v", tc.c, err)
			continue
		}
		if !strings.Contains(err.Error(), ": "+tc.field+": ") {
			t.Errorf("error %q does not name field %s", err, tc.field)
		}
		if tc.c.Name != "" && len(tc.c.Name) < 100 && !strings.Contains(err.Error(), `"`+tc.c.Name+`"`) {
			t.Errorf("error %q does not name sensor %s", err, tc.c.Name)
		}
	}
}

func TestValidateAll(t *testing.T) {
	tests := []struct {
		name  string
		cfgs  []sensor.Config
		field string
	}{
		{"duplicate name", []sensor.Config{
			{Name: "a", Driver: "gpio", Stream: "s", Pin: "GPIO4"},
			{Name: "a", Driver: "gpio", Stream: "s", Pin: "GPIO5"}}, "name"},
		{"same pin", []sensor.Config{
			{Name: "a", Driver: "gpio", Stream: "s", Pin: "GPIO4"},
			{Name: "b", Driver: "gpio", Stream: "s", Pin: "GPIO4"}}, "pin"},
		{"same i2c address (default 0x76)", []sensor.Config{
			{Name: "a", Driver: "bme280", Stream: "s", Bus: "1"},
			{Name: "b", Driver: "bmp280", Stream: "s", Bus: "1", Address: 0x76}}, "address"},
		{"1-wire without device on a shared bus", []sensor.Config{
			{Name: "a", Driver: "ds18b20", Stream: "s", Bus: "1", Device: "28-000000000001"},
			{Name: "b", Driver: "ds18b20", Stream: "s", Bus: "1"}}, "device"},
		{"same 1-wire device", []sensor.Config{
			{Name: "a", Driver: "ds18b20", Stream: "s", Bus: "1", Device: "28-000000000001"},
			{Name: "b", Driver: "ds18b20", Stream: "s", Bus: "1", Device: "28-000000000001"}}, "device"},
	}
	for _, tc := range tests {
		err := sensor.ValidateAll(tc.cfgs)
		if !errors.Is(err, sensor.ErrInvalidConfig) || !strings.Contains(err.Error(), ": "+tc.field+": ") || !strings.Contains(err.Error(), `"b"`) && tc.field != "name" {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	ok := []sensor.Config{
		{Name: "a", Driver: "bme280", Stream: "s", Bus: "1"},
		{Name: "b", Driver: "bme280", Stream: "s", Bus: "1", Address: 0x77},
		{Name: "c", Driver: "bme280", Stream: "s", Bus: "2"},
		{Name: "d", Driver: "ds18b20", Stream: "s", Bus: "1", Device: "28-000000000001"},
		{Name: "e", Driver: "ds18b20", Stream: "s", Bus: "1", Device: "28-000000000002"},
	}
	if err := sensor.ValidateAll(ok); err != nil {
		t.Fatal(err)
	}
}
