package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/ingest/sensor"
)

// Sensor is a sensor attached to the gateway itself (I²C, 1-Wire, GPIO),
// read through periph.io; its records go to Stream keyed by its name. The
// drivers and their record shapes are in docs/config.md#sensors.
type Sensor struct {
	// Name is the record's "sensor" field and its partition key.
	Name string `yaml:"name"`
	// Driver: bme280, bmp280, ds18b20 or gpio.
	Driver string `yaml:"driver"`
	// Stream receives the records (created with one shard if missing);
	// default "sensors".
	Stream string `yaml:"stream"`
	// Bus is the I²C bus (bme280, bmp280: "/dev/i2c-1") or the 1-Wire bus
	// (ds18b20: "1").
	Bus string `yaml:"bus"`
	// Address is the I²C address, 0x76 (default) or 0x77.
	Address uint16 `yaml:"address"`
	// Device is a DS18B20's ROM id ("28-0316a2791eff"); empty: the only one.
	Device string `yaml:"device"`
	// Interval between measurements; default 30s.
	Interval Duration `yaml:"interval"`
	// Mode is forced (default) or normal (bme280, bmp280).
	Mode string `yaml:"mode"`
	// Oversampling per quantity: 1, 2, 4, 8 or 16 (bme280, bmp280).
	Oversampling SensorOversampling `yaml:"oversampling"`
	// Filter is the IIR filter coefficient: 0, 2, 4, 8 or 16.
	Filter int `yaml:"filter"`
	// Resolution in bits, 9 to 12 (ds18b20; default 12).
	Resolution int `yaml:"resolution"`
	// Pin is the GPIO input ("GPIO17").
	Pin string `yaml:"pin"`
	// Edge is both (default), rising or falling (gpio).
	Edge string `yaml:"edge"`
	// Debounce is how long an input must be quiet before its level is
	// believed (gpio); 0: none.
	Debounce Duration `yaml:"debounce"`
	// Pull is up, down, none or empty: as the OS left it (gpio).
	Pull string `yaml:"pull"`
}

// SensorOversampling is a BME280/BMP280's oversampling per quantity.
type SensorOversampling struct {
	Temperature int `yaml:"temperature"`
	Pressure    int `yaml:"pressure"`
	Humidity    int `yaml:"humidity"`
}

func (s *Sensor) setDefaults() { *s = Sensor{Stream: "sensors"} }

// SensorConfig returns the sensor package's form of s.
func (s *Sensor) SensorConfig() sensor.Config {
	return sensor.Config{
		Name: s.Name, Driver: s.Driver, Stream: s.Stream, Bus: s.Bus, Address: s.Address, Device: s.Device,
		Interval: time.Duration(s.Interval), Mode: s.Mode,
		Oversampling: sensor.Oversampling{Temperature: s.Oversampling.Temperature, Pressure: s.Oversampling.Pressure, Humidity: s.Oversampling.Humidity},
		Filter:       s.Filter, Resolution: s.Resolution, Pin: s.Pin, Edge: s.Edge, Debounce: time.Duration(s.Debounce), Pull: s.Pull,
	}
}

// SensorConfigs returns every configured sensor in the sensor package's form.
func (c *Config) SensorConfigs() []sensor.Config {
	out := make([]sensor.Config, len(c.Sensors))
	for i := range c.Sensors {
		out[i] = c.Sensors[i].SensorConfig()
	}
	return out
}

func (c *Config) validateSensors(v *validator) {
	ok := true
	for i := range c.Sensors {
		sc := c.Sensors[i].SensorConfig()
		if err := sc.Validate(); err != nil {
			v.check(fmt.Sprintf("sensors[%d]", i), sensorMsg(err))
			ok = false
		}
	}
	if ok {
		if err := sensor.ValidateAll(c.SensorConfigs()); err != nil {
			v.check("sensors", sensorMsg(err))
		}
	}
}

// sensorMsg drops the sentinel's prefix: the key path says where.
func sensorMsg(err error) string {
	msg := err.Error()
	if errors.Is(err, sensor.ErrInvalidConfig) {
		msg = strings.TrimPrefix(msg, sensor.ErrInvalidConfig.Error()+": ")
	}
	return msg
}
