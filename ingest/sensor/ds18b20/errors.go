package ds18b20

import "errors"

var (
	// ErrCRC: the scratchpad's CRC byte does not match its contents.
	ErrCRC = errors.New("ds18b20: scratchpad CRC mismatch")
	// ErrNoResponse: the scratchpad read as all 0xFF or all 0x00: no
	// device answered, or the bus is shorted.
	ErrNoResponse = errors.New("ds18b20: no response")
	// ErrPowerOnReset: the temperature register holds its power-on value,
	// +85 °C, so no conversion result is available.
	ErrPowerOnReset = errors.New("ds18b20: power-on reset value (85 °C)")
	// ErrOutOfRange: the temperature lies outside −55…+125 °C.
	ErrOutOfRange = errors.New("ds18b20: temperature out of range")
	// ErrFamily: the ROM code's family byte is not 28h.
	ErrFamily = errors.New("ds18b20: not a DS18B20 family code")
	// ErrNotFound: a search found no DS18B20 (or not the one asked for).
	ErrNotFound = errors.New("ds18b20: device not found")
	// ErrROM: a ROM id string could not be parsed.
	ErrROM = errors.New("ds18b20: invalid ROM id")
	// ErrConfig: the resolution could not be set (read-back differs) or
	// is not 9..12.
	ErrConfig = errors.New("ds18b20: configuration failed")
)
