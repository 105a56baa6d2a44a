package bme280

import (
	"fmt"
	"time"
)

// Register map, BME280 §5.3 Table 18 (BMP280 §4.2 Table 18 is the same
// without ctrl_hum, the humidity data and the second calibration block).
const (
	regCalib00  = 0x88 // calib00..calib25: 0x88..0xA1
	regChipID   = 0xD0
	regReset    = 0xE0
	regCalib26  = 0xE1 // calib26..calib41: 0xE1..0xF0 (humidity uses 0xE1..0xE7)
	regCtrlHum  = 0xF2
	regStatus   = 0xF3
	regCtrlMeas = 0xF4
	regConfig   = 0xF5
	regData     = 0xF7 // press_msb .. hum_lsb: 0xF7..0xFE

	resetWord = 0xB6 // §5.4.2: writing 0xB6 to reset triggers a power-on reset

	statusMeasuring = 1 << 3 // §5.4.4 bit 3
	statusIMUpdate  = 1 << 0 // §5.4.4 bit 0

	modeSleep  = 0x0 // §5.4.5 Table 25
	modeForced = 0x1
	modeNormal = 0x3

	calibTPLen  = 26                   // 0x88..0xA1
	calibHLen   = 7                    // 0xE1..0xE7
	dataLenBME  = 8                    // 0xF7..0xFE
	dataLenBMP  = 6                    // 0xF7..0xFC
	startupTime = 2 * time.Millisecond // Table 1, t_startup
)

// Chip identifies the device by its id register (0xD0).
type Chip uint8

const (
	// BME280 is the humidity, pressure and temperature sensor (id 0x60).
	BME280 Chip = 0x60
	// BMP280 is the pressure and temperature sensor (id 0x58; samples
	// report 0x56 or 0x57, BMP280 §4.3.1).
	BMP280 Chip = 0x58
)

func (c Chip) String() string {
	switch c {
	case BME280:
		return "BME280"
	case BMP280, 0x56, 0x57:
		return "BMP280"
	}
	return fmt.Sprintf("unknown(0x%02X)", uint8(c))
}

// matches reports whether id read from 0xD0 is chip c.
func (c Chip) matches(id byte) bool {
	if c == BMP280 {
		return id == 0x58 || id == 0x56 || id == 0x57
	}
	return id == byte(c)
}

// Mode is the power mode used for measurements (§3.3).
type Mode uint8

const (
	// Forced takes one measurement per Sense and sleeps in between
	// (§3.3.3); recommended for weather monitoring (§3.5.1).
	Forced Mode = iota
	// Normal measures continuously every standby period (§3.3.4); Sense
	// reads the latest result.
	Normal
)

// Oversampling is a sample count per measurement: 1, 2, 4, 8 or 16; zero
// means 1. Skipping a measurement is not offered.
type Oversampling uint8

// code returns the osrs_x register field (§5.4.3, §5.4.5, Tables 20, 23,
// 24): 001 ×1, 010 ×2, 011 ×4, 100 ×8, 101 ×16.
func (o Oversampling) code() (byte, error) {
	switch o {
	case 0, 1:
		return 1, nil
	case 2:
		return 2, nil
	case 4:
		return 3, nil
	case 8:
		return 4, nil
	case 16:
		return 5, nil
	}
	return 0, fmt.Errorf("%w: oversampling %d (want 1, 2, 4, 8 or 16)", ErrOptions, o)
}

func (o Oversampling) count() int {
	if o == 0 {
		return 1
	}
	return int(o)
}

// Filter is the IIR filter coefficient: 0 (off), 2, 4, 8 or 16 (§3.4.4,
// §5.4.6 Table 28).
type Filter uint8

func (f Filter) code() (byte, error) {
	switch f {
	case 0:
		return 0, nil
	case 2:
		return 1, nil
	case 4:
		return 2, nil
	case 8:
		return 3, nil
	case 16:
		return 4, nil
	}
	return 0, fmt.Errorf("%w: filter coefficient %d (want 0, 2, 4, 8 or 16)", ErrOptions, f)
}

// standby tables: t_sb codes 0..7 (BME280 §5.4.6 Table 27; BMP280 §4.3.5
// Table 21 differs in codes 6 and 7).
var (
	standbyBME = [8]time.Duration{500 * time.Microsecond, 62500 * time.Microsecond, 125 * time.Millisecond,
		250 * time.Millisecond, 500 * time.Millisecond, time.Second, 10 * time.Millisecond, 20 * time.Millisecond}
	standbyBMP = [8]time.Duration{500 * time.Microsecond, 62500 * time.Microsecond, 125 * time.Millisecond,
		250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
)

// standbyCode picks the longest t_sb not above want (the shortest if
// want is below all of them).
func standbyCode(chip Chip, want time.Duration) byte {
	table := standbyBME
	if chip != BME280 {
		table = standbyBMP
	}
	best := byte(0)
	for code, d := range table {
		if d <= want && d > table[best] {
			best = byte(code)
		}
	}
	return best
}

// measureTime is the maximum measurement time of §9.1 (Appendix B):
// 1.25 + 2.3·osrs_t + (2.3·osrs_p + 0.575) + (2.3·osrs_h + 0.575) ms. It
// also matches the BMP280's Table 13 maxima (e.g. 6.4 ms at ×1/×1).
func measureTime(t, p, h Oversampling, humidity bool) time.Duration {
	us := 1250 + 2300*t.count() + 2300*p.count() + 575
	if humidity {
		us += 2300*h.count() + 575
	}
	return time.Duration(us) * time.Microsecond
}
