package sensor

import "errors"

var (
	// ErrInvalidConfig: a Config failed validation. The message names the
	// sensor and the field.
	ErrInvalidConfig = errors.New("sensor: invalid config")
	// ErrBusNotFound: the I²C or 1-Wire bus named in a config does not
	// exist on this host. The message names the bus and lists the buses
	// that exist. The sensor keeps retrying with backoff: a bus can
	// appear later (a module loaded, a USB adapter plugged in).
	ErrBusNotFound = errors.New("sensor: bus not found")
	// ErrPinNotFound: the GPIO pin named in a config does not exist on
	// this host.
	ErrPinNotFound = errors.New("sensor: pin not found")
	// ErrClosed: Start was called on a closed Source.
	ErrClosed = errors.New("sensor: source closed")
	// ErrStarted: Start was called twice.
	ErrStarted = errors.New("sensor: source already started")
)
