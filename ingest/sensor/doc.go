// Package sensor is Tributary's sensor source: it reads sensors wired to
// the gateway itself (a BME280 on the Pi's I²C bus, a DS18B20 probe on
// 1-Wire, a PIR or a door contact on a GPIO pin) and appends one JSON
// record per reading or event to a stream, with the sensor name as the
// partition key. Hardware access goes through periph.io/x/conn/v3
// interfaces; on Linux, periph.io/x/host/v3 provides the buses (see
// HostOpener). The device drivers are this module's own, written from the
// datasheets: packages bme280 and ds18b20.
//
// # Drivers
//
//	driver   hardware                       bus          values
//	bme280   Bosch BME280                   I²C          temperature, pressure, humidity
//	bmp280   Bosch BMP280                   I²C          temperature, pressure
//	ds18b20  Maxim DS18B20 probe            1-Wire       temperature
//	gpio     PIR, reed/door contact, button GPIO input   level changes (events)
//
// Measurement drivers (bme280, bmp280, ds18b20) read every Config.Interval
// (default 30s) on a fixed-rate schedule. The BME280/BMP280 runs in forced
// mode by default (one conversion per interval, the chip sleeps in
// between, the datasheet's setting for weather monitoring); "normal" mode
// lets the chip convert continuously with the longest standby not above
// the interval. Oversampling (1..16 per quantity) and the IIR filter (0..16)
// are configurable. The DS18B20 resolution is 9..12 bits (default 12:
// 1/16 °C, 750 ms per conversion).
//
// The gpio driver watches both edges of an input, debounces them (see
// Config.Debounce) and emits one event per settled level change, stamped
// with the time the change began; Config.Edge selects rising, falling or
// both.
//
// # Records
//
// Each record is one JSON object (see Record). Units are part of the field
// names; fields a driver does not produce are absent. time is UTC, RFC 3339
// with up to microsecond precision; for measurements it is when the
// conversion completed.
//
//	bme280:  {"sensor":"greenhouse","driver":"bme280","time":"2026-03-01T12:00:00.0113Z","temperature_c":23.72,"pressure_hpa":1009.43,"humidity_pct":65.31}
//	bmp280:  {"sensor":"baro","driver":"bmp280","time":"…Z","temperature_c":23.72,"pressure_hpa":1009.43}
//	ds18b20: {"sensor":"freezer","driver":"ds18b20","time":"…Z","temperature_c":-18.5,"device":"28-0316a2791eff"}
//	gpio:    {"sensor":"door","driver":"gpio","time":"…Z","pin":"GPIO17","level":1,"edge":"rising","count":1}
//
// temperature_c has 0.01 °C resolution on a BME280/BMP280 and is exact in
// 1/16 °C steps on a DS18B20; pressure_hpa and humidity_pct are rounded to
// 0.01. For gpio, level is the debounced level after the change (0 or 1),
// edge is "rising" (0→1) or "falling" (1→0), and count numbers this
// sensor's events since the source started (from 1), so gaps are visible.
// No event is emitted for the initial level at start.
//
// # Wiring notes (Raspberry Pi)
//
//   - I²C: enable with dtparam=i2c_arm=on; SDA is GPIO2 (pin 3), SCL GPIO3
//     (pin 5); bus "/dev/i2c-1". A BME280 breakout answers on 0x76 (SDO to
//     GND) or 0x77 (SDO to 3V3); `tributary sensors probe --bus /dev/i2c-1`
//     (Probe) lists the addresses that answer. Power it from 3V3.
//   - 1-Wire: dtoverlay=w1-gpio (data on GPIO4, pin 7) with a 4.7 kΩ
//     pull-up from data to 3V3. The kernel w1 master appears as bus
//     "OneWire1" (or its number); the probe's ROM id is the directory name
//     in /sys/bus/w1/devices (28-…). Prefer powered (3-wire) probes: the
//     kernel's netlink interface does not provide the strong pull-up a
//     parasite-powered probe needs during conversion.
//   - GPIO: name pins as the OS does ("GPIO17"). A contact between a pin
//     and GND wants Pull "up" and Debounce about 20ms; a PIR module drives
//     its output (Pull "none" or "", no debounce needed). Inputs are 3.3 V
//     only.
//
// # Errors and health
//
// Every sensor runs in its own goroutines with its own bus handle, so a
// sensor that is missing, NACKs, times out or returns garbage never stops
// the others. Any open or read error is counted (Status.Errors), recorded
// (LastError, LastErrorTime) and retried with exponential backoff
// (Options.BackoffMin..BackoffMax, default 1s..1m) on the injected Clock.
// After a failure the device is re-opened from scratch: bus re-opened, chip
// id re-checked and calibration re-read (bme280/bmp280), family, presence
// and resolution re-checked (ds18b20), so a device that is unplugged,
// replaced or power-cycled recovers on its own. Data that is implausible is
// an error, never a record: BME280 values outside −40…85 °C or
// 300…1100 hPa or marked "skipped", DS18B20 scratchpads with a bad CRC,
// all 0xFF/0x00, the 85 °C power-on value, or outside −55…125 °C.
//
// On a machine without the bus or pin (a CI runner, a laptop), opening
// fails fast with an error wrapping ErrBusNotFound or ErrPinNotFound that
// names the bus and lists those that exist, and the sensor keeps retrying;
// nothing panics.
//
// Records go through a bounded per-sensor queue (Options.QueueSize,
// default 64) to the Appender, which must return only once the record is
// durable. A failed append is counted (AppendErrors) and retried with
// backoff, in order, never skipped. Only if appends keep failing until
// the queue is full is the oldest queued record dropped, counted in
// Status.Dropped and logged; records still queued at Close are counted
// there too.
//
// # Lifecycle
//
// New validates the configs (no I/O); Start launches the sensors and
// returns; Status returns a snapshot at any time; Close cancels, waits for
// every goroutine and releases buses and pins (idempotent). Time is
// injected (Options.Clock); package sensortest provides a fake clock and
// simulated devices for tests.
package sensor
