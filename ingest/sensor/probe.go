package sensor

import "fmt"

// Probe scans an I²C bus like i2cdetect -r and returns, in ascending
// order, the 7-bit addresses 0x08..0x77 that acknowledge a one-byte read.
// (periph's I²C API has no SMBus quick write; a one-byte read is what
// i2cdetect itself uses for EEPROM ranges and is harmless for sensors.)
// Addresses outside 0x08..0x77 are reserved by the I²C specification
// (UM10204 §3.1.12) and not probed. It returns the Opener's error, e.g.
// one wrapping ErrBusNotFound, if the bus cannot be opened.
func Probe(opener Opener, bus string) ([]uint16, error) {
	b, err := opener.OpenI2C(bus)
	if err != nil {
		return nil, err
	}
	var found []uint16
	var buf [1]byte
	for addr := uint16(0x08); addr <= 0x77; addr++ {
		if b.Tx(addr, nil, buf[:]) == nil {
			found = append(found, addr)
		}
	}
	if err := b.Close(); err != nil {
		return found, fmt.Errorf("sensor: close i2c bus %q: %w", bus, err)
	}
	return found, nil
}
