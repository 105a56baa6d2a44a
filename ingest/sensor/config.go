package sensor

import (
	"fmt"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/ingest/sensor/ds18b20"
)

// Driver names accepted in Config.Driver.
const (
	DriverBME280  = "bme280"  // Bosch BME280 on I²C: temperature, pressure, humidity
	DriverBMP280  = "bmp280"  // Bosch BMP280 on I²C: temperature, pressure
	DriverDS18B20 = "ds18b20" // Maxim DS18B20 on 1-Wire: temperature
	DriverGPIO    = "gpio"    // a digital input: PIR, door contact, button
)

// Defaults applied to zero Config fields.
const (
	DefaultInterval   = 30 * time.Second
	DefaultAddress    = 0x76 // BME280/BMP280 with SDO to GND
	DefaultResolution = 12   // DS18B20 bits
)

// Limits checked by Validate.
const (
	MinIntervalI2C     = 100 * time.Millisecond // BME280/BMP280
	MinIntervalOneWire = time.Second            // DS18B20 (750 ms conversion at 12 bits)
	MaxInterval        = 24 * time.Hour
	MaxDebounce        = 10 * time.Second
	maxNameLen         = 128
)

// Config describes one sensor. Zero values mean the documented default;
// fields that do not apply to the driver must be left zero (Validate
// rejects them, so a misplaced key is not silently ignored).
type Config struct {
	// Name identifies the sensor; it is the record's "sensor" field and
	// its partition key. Letters, digits and - _ . : only, up to 128.
	Name string
	// Driver is one of DriverBME280, DriverBMP280, DriverDS18B20,
	// DriverGPIO.
	Driver string
	// Stream is the spool stream records are appended to.
	Stream string

	// Bus names the I²C bus (bme280, bmp280: "/dev/i2c-1", "I2C1" or "1")
	// or the 1-Wire bus (ds18b20: "OneWire1", "netlink-w1-master 1" or
	// "1").
	Bus string
	// Address is the 7-bit I²C address (bme280, bmp280): 0x76 (default)
	// or 0x77.
	Address uint16
	// Device is the DS18B20's ROM id as /sys/bus/w1/devices spells it,
	// e.g. "28-0316a2791eff". Empty means "the only DS18B20 on the bus".
	Device string

	// Interval between measurements (bme280, bmp280, ds18b20); default
	// 30s.
	Interval time.Duration
	// Mode is "forced" (default: one measurement per interval, the chip
	// sleeps in between) or "normal" (the chip measures continuously
	// with the longest standby not above Interval; each interval reads
	// the latest). bme280, bmp280 only.
	Mode string
	// Oversampling per quantity: 1 (default), 2, 4, 8 or 16. bme280,
	// bmp280 (Humidity: bme280 only).
	Oversampling Oversampling
	// Filter is the IIR filter coefficient: 0 (off, default), 2, 4, 8 or
	// 16. bme280, bmp280.
	Filter int
	// Resolution in bits for ds18b20: 9, 10, 11 or 12 (default).
	Resolution int

	// Pin names the GPIO input (gpio): "GPIO17", or any name or number
	// periph's gpioreg knows.
	Pin string
	// Edge selects which changes are reported (gpio): "both" (default),
	// "rising" (low→high) or "falling" (high→low). Debouncing always
	// watches both.
	Edge string
	// Debounce is how long the input must stay quiet after an edge before
	// its level is believed (gpio); 0 means no debouncing. 20ms suits reed
	// and mechanical contacts; PIR modules need none.
	Debounce time.Duration
	// Pull sets the pin's internal resistor (gpio): "up", "down", "none"
	// (float) or "" (leave as configured by the OS/device tree).
	Pull string
}

// Oversampling is the BME280/BMP280 oversampling per quantity.
type Oversampling struct {
	Temperature, Pressure, Humidity int
}

func (c *Config) fieldErr(field, format string, args ...any) error {
	return fmt.Errorf("%w: sensor %q: %s: %s", ErrInvalidConfig, c.Name, field, fmt.Sprintf(format, args...))
}

// Validate checks one Config without I/O. Errors wrap ErrInvalidConfig and
// name the sensor and the field. It does not modify c.
func (c *Config) Validate() error {
	if c.Name == "" {
		return c.fieldErr("name", "required")
	}
	if err := checkName(c.Name); err != "" {
		return c.fieldErr("name", "%s", err)
	}
	if c.Stream == "" {
		return c.fieldErr("stream", "required")
	}
	if err := checkName(c.Stream); err != "" {
		return c.fieldErr("stream", "%s", err)
	}
	var used []string
	switch c.Driver {
	case DriverBME280, DriverBMP280:
		used = []string{"bus", "address", "interval", "mode", "oversampling", "filter"}
		if err := c.validateI2C(); err != nil {
			return err
		}
	case DriverDS18B20:
		used = []string{"bus", "device", "interval", "resolution"}
		if err := c.validateOneWire(); err != nil {
			return err
		}
	case DriverGPIO:
		used = []string{"pin", "edge", "debounce", "pull"}
		if err := c.validateGPIO(); err != nil {
			return err
		}
	case "":
		return c.fieldErr("driver", "required (bme280, bmp280, ds18b20 or gpio)")
	default:
		return c.fieldErr("driver", "unknown driver %q (want bme280, bmp280, ds18b20 or gpio)", c.Driver)
	}
	return c.checkUnused(used)
}

func (c *Config) validateI2C() error {
	if c.Bus == "" {
		return c.fieldErr("bus", "required for %s (e.g. /dev/i2c-1)", c.Driver)
	}
	if c.Address != 0 && c.Address != 0x76 && c.Address != 0x77 {
		return c.fieldErr("address", "0x%02x: a %s answers on 0x76 (SDO to GND) or 0x77 (SDO to VDDIO)", c.Address, c.Driver)
	}
	if err := c.validateInterval(MinIntervalI2C); err != nil {
		return err
	}
	switch c.Mode {
	case "", "forced", "normal":
	default:
		return c.fieldErr("mode", "%q (want forced or normal)", c.Mode)
	}
	for _, o := range []struct {
		name string
		v    int
	}{{"oversampling.temperature", c.Oversampling.Temperature}, {"oversampling.pressure", c.Oversampling.Pressure}, {"oversampling.humidity", c.Oversampling.Humidity}} {
		switch o.v {
		case 0, 1, 2, 4, 8, 16:
		default:
			return c.fieldErr(o.name, "%d (want 1, 2, 4, 8 or 16)", o.v)
		}
	}
	if c.Driver == DriverBMP280 && c.Oversampling.Humidity != 0 {
		return c.fieldErr("oversampling.humidity", "a bmp280 has no humidity sensor")
	}
	switch c.Filter {
	case 0, 2, 4, 8, 16:
	default:
		return c.fieldErr("filter", "%d (want 0, 2, 4, 8 or 16)", c.Filter)
	}
	return nil
}

func (c *Config) validateOneWire() error {
	if c.Bus == "" {
		return c.fieldErr("bus", "required for ds18b20 (e.g. OneWire1)")
	}
	if c.Device != "" {
		if _, err := ds18b20.ParseROM(c.Device); err != nil {
			return c.fieldErr("device", "%v", err)
		}
		if c.Device[:2] != "28" {
			return c.fieldErr("device", "%q: a DS18B20's ROM id starts with family 28", c.Device)
		}
	}
	if c.Resolution != 0 && (c.Resolution < 9 || c.Resolution > 12) {
		return c.fieldErr("resolution", "%d (want 9, 10, 11 or 12)", c.Resolution)
	}
	return c.validateInterval(MinIntervalOneWire)
}

func (c *Config) validateInterval(min time.Duration) error {
	if c.Interval == 0 {
		return nil
	}
	if c.Interval < min || c.Interval > MaxInterval {
		return c.fieldErr("interval", "%s (want %s to %s)", c.Interval, min, MaxInterval)
	}
	return nil
}

func (c *Config) validateGPIO() error {
	if c.Pin == "" {
		return c.fieldErr("pin", "required for gpio (e.g. GPIO17)")
	}
	if _, err := parseEdge(c.Edge); err != nil {
		return c.fieldErr("edge", "%v", err)
	}
	if _, err := parsePull(c.Pull); err != nil {
		return c.fieldErr("pull", "%v", err)
	}
	if c.Debounce < 0 || c.Debounce > MaxDebounce {
		return c.fieldErr("debounce", "%s (want 0 to %s)", c.Debounce, MaxDebounce)
	}
	return nil
}

// checkUnused rejects fields set for a driver that does not use them.
func (c *Config) checkUnused(used []string) error {
	set := map[string]bool{
		"bus":          c.Bus != "",
		"address":      c.Address != 0,
		"device":       c.Device != "",
		"interval":     c.Interval != 0,
		"mode":         c.Mode != "",
		"oversampling": c.Oversampling != Oversampling{},
		"filter":       c.Filter != 0,
		"resolution":   c.Resolution != 0,
		"pin":          c.Pin != "",
		"edge":         c.Edge != "",
		"debounce":     c.Debounce != 0,
		"pull":         c.Pull != "",
	}
	for _, u := range used {
		delete(set, u)
	}
	for _, f := range []string{"bus", "address", "device", "interval", "mode", "oversampling", "filter", "resolution", "pin", "edge", "debounce", "pull"} {
		if set[f] {
			return c.fieldErr(f, "not used by driver %s", c.Driver)
		}
	}
	return nil
}

func checkName(s string) string {
	if len(s) > maxNameLen {
		return fmt.Sprintf("longer than %d characters", maxNameLen)
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == ':':
		default:
			return fmt.Sprintf("%q: only letters, digits and - _ . : are allowed", s)
		}
	}
	return ""
}

// ValidateAll validates each Config and the set: names must be unique, no
// two sensors may use the same GPIO pin or the same I²C address on a bus,
// and 1-Wire sensors sharing a bus must each name their device.
func ValidateAll(cfgs []Config) error {
	names := map[string]bool{}
	claims := map[string]string{} // resource → sensor name
	oneWire := map[string][]*Config{}
	claim := func(c *Config, field, key string) error {
		if other, ok := claims[key]; ok {
			return c.fieldErr(field, "%s is already used by sensor %q", key, other)
		}
		claims[key] = c.Name
		return nil
	}
	for i := range cfgs {
		c := &cfgs[i]
		if err := c.Validate(); err != nil {
			return err
		}
		if names[c.Name] {
			return c.fieldErr("name", "duplicate sensor name")
		}
		names[c.Name] = true
		var err error
		switch c.Driver {
		case DriverBME280, DriverBMP280:
			err = claim(c, "address", fmt.Sprintf("i2c bus %s address 0x%02x", c.Bus, c.withDefaults().Address))
		case DriverDS18B20:
			for _, o := range oneWire[c.Bus] {
				if o.Device == "" || c.Device == "" {
					return c.fieldErr("device", "sensor %q is on 1-wire bus %s too: DS18B20s sharing a bus must each name their device", o.Name, c.Bus)
				}
				if strings.EqualFold(o.Device, c.Device) {
					return c.fieldErr("device", "%s on 1-wire bus %s is already used by sensor %q", c.Device, c.Bus, o.Name)
				}
			}
			oneWire[c.Bus] = append(oneWire[c.Bus], c)
		case DriverGPIO:
			err = claim(c, "pin", "pin "+c.Pin)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// withDefaults returns a copy with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	switch c.Driver {
	case DriverBME280, DriverBMP280:
		if c.Address == 0 {
			c.Address = DefaultAddress
		}
		if c.Mode == "" {
			c.Mode = "forced"
		}
	case DriverDS18B20:
		if c.Resolution == 0 {
			c.Resolution = DefaultResolution
		}
	case DriverGPIO:
		if c.Edge == "" {
			c.Edge = "both"
		}
	}
	if c.Driver != DriverGPIO && c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	return c
}
