package sensortest

import (
	"errors"
	"fmt"
	"sync"

	"periph.io/x/conn/v3/physic"
)

// ErrNACK is returned for a transfer to an address nobody answers, like
// Linux's "remote I/O error".
var ErrNACK = errors.New("sensortest: i2c NACK (remote I/O error)")

// ErrTimeout is a bus timeout (clock stretched too long, bus stuck).
var ErrTimeout = errors.New("sensortest: i2c timeout")

// CaptureCalibration is the trimming of a real BME280 (registers 0x88..0xA1
// then 0xE1..0xE7), with CaptureData (0xF7..0xFE) giving 23.72 °C,
// 1009.43 hPa, 65.31 %RH.
var (
	CaptureCalibration = []byte{0x10, 0x6e, 0x6c, 0x66, 0x32, 0x00, 0x5d, 0x95, 0xb8, 0xd5, 0xd0, 0x0b, 0x77, 0x1e, 0x9d, 0xff, 0xf9, 0xff, 0xac, 0x26, 0x0a, 0xd8, 0xbd, 0x10, 0x00, 0x4b,
		0x6e, 0x01, 0x00, 0x13, 0x05, 0x00, 0x1e}
	CaptureData = []byte{0x4a, 0x52, 0xc0, 0x80, 0x96, 0xc0, 0x7a, 0x76}
)

// BME280 simulates a BME280 (or, with ID 0x58, a BMP280) on an I²C bus at
// Addr: a 256-byte register file with auto-increment reads, writes as
// register/value pairs (BME280 §6.2.1), soft reset, a never-busy status
// and data registers set with SetData. Transfers to other addresses are
// NACKed. It implements i2c.BusCloser; Close does nothing, so one
// simulated chip can be "re-opened" many times.
type BME280 struct {
	Addr uint16

	mu    sync.Mutex
	regs  [256]byte
	txs   int
	reads [256]int
}

// NewBME280 returns a simulated chip with the given id (0x60, 0x58),
// calibration (33 bytes as CaptureCalibration; BMP280: the first 26
// suffice) and data registers.
func NewBME280(addr uint16, id byte, calib, data []byte) *BME280 {
	b := &BME280{Addr: addr}
	b.regs[0xD0] = id
	copy(b.regs[0x88:], calib[:min(26, len(calib))])
	if len(calib) > 26 {
		copy(b.regs[0xE1:], calib[26:])
	}
	copy(b.regs[0xF7:], data)
	return b
}

// SetData sets the data registers 0xF7.. (raw pressure, temperature,
// humidity).
func (b *BME280) SetData(data []byte) {
	b.mu.Lock()
	copy(b.regs[0xF7:], data)
	b.mu.Unlock()
}

// SetID changes the chip id register (a different chip "plugged in").
func (b *BME280) SetID(id byte) {
	b.mu.Lock()
	b.regs[0xD0] = id
	b.mu.Unlock()
}

// Reg returns a register's value.
func (b *BME280) Reg(r byte) byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.regs[r]
}

// Txs returns the number of transfers addressed to the chip.
func (b *BME280) Txs() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.txs
}

// Reads returns how many burst reads started at register reg (0xD0: chip
// id checks, 0x88: calibration reads, 0xF7: measurements).
func (b *BME280) Reads(reg byte) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reads[reg]
}

// Tx implements i2c.Bus.
func (b *BME280) Tx(addr uint16, w, r []byte) error {
	if addr != b.Addr {
		return fmt.Errorf("%w at 0x%02X", ErrNACK, addr)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.txs++
	if len(w) == 0 {
		return nil
	}
	if len(r) > 0 {
		if len(w) != 1 {
			return errors.New("sensortest: bme280 read must write exactly the register address")
		}
		b.reads[w[0]]++
		for i := range r {
			r[i] = b.regs[(int(w[0])+i)&0xFF]
		}
		return nil
	}
	if len(w)%2 != 0 {
		return errors.New("sensortest: bme280 write must be register/value pairs")
	}
	for i := 0; i < len(w); i += 2 {
		reg, v := w[i], w[i+1]
		switch reg {
		case 0xE0:
			if v == 0xB6 {
				b.regs[0xF2], b.regs[0xF4], b.regs[0xF5] = 0, 0, 0
			}
		case 0xF2, 0xF4, 0xF5:
			b.regs[reg] = v
		}
	}
	return nil
}

// SetSpeed implements i2c.Bus.
func (b *BME280) SetSpeed(physic.Frequency) error { return nil }

// String implements i2c.Bus.
func (b *BME280) String() string { return "sim-i2c" }

// Close implements i2c.BusCloser.
func (b *BME280) Close() error { return nil }
