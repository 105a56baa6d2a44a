package bme280

import "errors"

var (
	// ErrChipID: the id register (0xD0) holds a value other than the one
	// expected for the configured chip. The message names both.
	ErrChipID = errors.New("bme280: unexpected chip id")
	// ErrCalibration: the trimming parameters are missing or implausible
	// (short read, all 0x00 / all 0xFF, dig_T1 or dig_P1 zero).
	ErrCalibration = errors.New("bme280: invalid calibration data")
	// ErrNoData: a data register holds the "measurement skipped" value
	// (0x80000 for temperature and pressure, 0x8000 for humidity).
	ErrNoData = errors.New("bme280: no measurement data")
	// ErrOutOfRange: the compensated value lies outside the sensor's
	// operating range; the transfer or the calibration is corrupt.
	ErrOutOfRange = errors.New("bme280: reading out of range")
	// ErrTimeout: the chip stayed busy (NVM copy or measurement) longer
	// than the datasheet allows.
	ErrTimeout = errors.New("bme280: chip busy too long")
	// ErrOptions: Opts holds a value the chip does not support.
	ErrOptions = errors.New("bme280: invalid options")
)
