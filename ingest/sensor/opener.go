package sensor

import (
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/onewire"
)

// Opener opens buses and pins by the names used in Config. HostOpener is
// the real one; tests inject doubles (see sensortest.Opener) built from
// conn/v3's i2ctest and onewiretest or from simulated devices.
//
// Each sensor opens its own handle and closes it when it fails or stops,
// so one sensor's failure never closes another's bus. Open errors for a
// name that does not exist wrap ErrBusNotFound or ErrPinNotFound.
type Opener interface {
	// OpenI2C opens an I²C bus ("/dev/i2c-1", "I2C1", "1").
	OpenI2C(bus string) (i2c.BusCloser, error)
	// OpenOneWire opens a 1-Wire bus ("OneWire1", "1").
	OpenOneWire(bus string) (onewire.BusCloser, error)
	// OpenGPIO returns a GPIO pin ("GPIO17"). Pins are not closed; the
	// source calls Halt to interrupt WaitForEdge, and Close() if the pin
	// has one, when the sensor stops.
	OpenGPIO(pin string) (gpio.PinIn, error)
}
