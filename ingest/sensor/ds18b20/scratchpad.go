package ds18b20

import (
	"fmt"
	"time"

	"periph.io/x/conn/v3/onewire"
)

// ScratchpadLen is the size of the scratchpad, CRC included ("Memory",
// Figure 7).
const ScratchpadLen = 9

// Power-on reset value of the temperature register ("Operation—Measuring
// Temperature": "the power-on reset value of the temperature register is
// +85°C").
const powerOnReset = 0x0550

// Limits of the measurement range, in 1/16 °C (−55 °C, +125 °C).
const (
	minRaw = -55 * 16
	maxRaw = 125 * 16
)

// Scratchpad is the decoded scratchpad ("Memory", Figure 7): byte 0..1
// temperature LSB/MSB, 2 TH, 3 TL, 4 configuration, 5..7 reserved, 8 CRC.
type Scratchpad struct {
	// Raw is the temperature register, sign-extended two's complement in
	// 1/16 °C (Table 1), as read.
	Raw int16
	// TH and TL are the alarm trigger registers (or user bytes).
	TH, TL int8
	// Config is the configuration register: R1:R0 in bits 6:5.
	Config byte
}

// DecodeScratchpad checks and decodes a 9-byte Read Scratchpad (BEh)
// response. It returns ErrNoResponse for all 0xFF / all 0x00 and ErrCRC for
// a CRC mismatch.
func DecodeScratchpad(b []byte) (Scratchpad, error) {
	if len(b) != ScratchpadLen {
		return Scratchpad{}, fmt.Errorf("%w: %d scratchpad bytes, want %d", ErrNoResponse, len(b), ScratchpadLen)
	}
	all := func(v byte) bool {
		for _, x := range b {
			if x != v {
				return false
			}
		}
		return true
	}
	if all(0xFF) {
		return Scratchpad{}, fmt.Errorf("%w: scratchpad all 0xFF (no presence pulse)", ErrNoResponse)
	}
	if all(0x00) {
		return Scratchpad{}, fmt.Errorf("%w: scratchpad all 0x00 (bus held low)", ErrNoResponse)
	}
	// "CRC Generation": the last byte is the CRC-8 (X⁸+X⁵+X⁴+1, Maxim
	// application note 27) of the first eight.
	if !onewire.CheckCRC(b) {
		return Scratchpad{}, fmt.Errorf("%w: % X (CRC should be 0x%02X)", ErrCRC, b, onewire.CalcCRC(b[:8]))
	}
	return Scratchpad{
		Raw:    int16(uint16(b[1])<<8 | uint16(b[0])),
		TH:     int8(b[2]),
		TL:     int8(b[3]),
		Config: b[4],
	}, nil
}

// Resolution returns the resolution in bits (9..12) from R1:R0 (Table 2).
func (s Scratchpad) Resolution() int { return 9 + int(s.Config>>5&0x3) }

// Temperature returns the temperature in 1/16 °C with the bits that are
// undefined at the configured resolution cleared ("Operation—Measuring
// Temperature": bit 0 at 11 bits, bits 1:0 at 10, bits 2:0 at 9). It
// returns ErrPowerOnReset for +85 °C and ErrOutOfRange outside
// −55…+125 °C.
func (s Scratchpad) Temperature() (int16, error) {
	if s.Raw == powerOnReset {
		return 0, ErrPowerOnReset
	}
	if s.Raw < minRaw || s.Raw > maxRaw {
		return 0, fmt.Errorf("%w: raw 0x%04X (%.4f °C)", ErrOutOfRange, uint16(s.Raw), float64(s.Raw)/16)
	}
	undefined := int16(1)<<(12-s.Resolution()) - 1
	return s.Raw &^ undefined, nil
}

// configByte is the configuration register for a resolution: bit 7 reads
// 0, bits 4:0 read 1 (Figure 10), R1:R0 in 6:5.
func configByte(bits int) byte { return 0x1F | byte(bits-9)<<5 }

// ConversionTime is the maximum temperature conversion time for a
// resolution in bits (Table 2): 93.75 ms at 9 bits, doubling per bit to
// 750 ms at 12.
func ConversionTime(bits int) time.Duration {
	if bits < 9 || bits > 12 {
		bits = 12
	}
	return 93750 * time.Microsecond << (bits - 9)
}
