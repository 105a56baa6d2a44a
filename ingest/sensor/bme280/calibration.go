package bme280

import (
	"encoding/binary"
	"fmt"
)

// Calibration holds the trimming parameters of one chip (§4.2.2, Table 16).
// Names follow the datasheet's dig_* variables.
type Calibration struct {
	T1         uint16
	T2, T3     int16
	P1         uint16
	P2, P3, P4 int16
	P5, P6, P7 int16
	P8, P9     int16
	H1         uint8
	H2         int16
	H3         uint8
	H4, H5     int16
	H6         int8
	// Humidity is true when H1..H6 were read (a BME280).
	Humidity bool
}

// ParseCalibration decodes the trimming parameters. tp is the 26-byte
// burst read from 0x88..0xA1 (calib00..calib25); h is the 7-byte burst from
// 0xE1..0xE7 (calib26..calib32) on a BME280, or nil on a BMP280.
//
// Layout (§4.2.2 Table 16): all 16-bit words are little-endian; dig_H1 is
// 0xA1, away from the other humidity values; dig_H4 is 0xE4[7:0] as bits
// 11:4 and 0xE5[3:0] as bits 3:0; dig_H5 is 0xE5[7:4] as bits 3:0 and
// 0xE6[7:0] as bits 11:4. Both are signed 12-bit values: the sign comes
// from the most significant byte (0xE4 / 0xE6), as in Bosch's own driver.
func ParseCalibration(tp, h []byte) (Calibration, error) {
	var c Calibration
	if len(tp) != calibTPLen {
		return c, fmt.Errorf("%w: %d bytes from 0x88, want %d", ErrCalibration, len(tp), calibTPLen)
	}
	if h != nil && len(h) != calibHLen {
		return c, fmt.Errorf("%w: %d bytes from 0xE1, want %d", ErrCalibration, len(h), calibHLen)
	}
	if uniform(tp[:24]) {
		return c, fmt.Errorf("%w: registers 0x88..0x9F all read 0x%02X (bus or chip not answering)", ErrCalibration, tp[0])
	}
	u16 := func(i int) uint16 { return binary.LittleEndian.Uint16(tp[i:]) }
	s16 := func(i int) int16 { return int16(u16(i)) }
	c.T1, c.T2, c.T3 = u16(0), s16(2), s16(4)
	c.P1, c.P2, c.P3 = u16(6), s16(8), s16(10)
	c.P4, c.P5, c.P6 = s16(12), s16(14), s16(16)
	c.P7, c.P8, c.P9 = s16(18), s16(20), s16(22)
	// tp[24] is 0xA0: reserved.
	if c.T1 == 0 || c.P1 == 0 {
		// dig_P1 is the divisor of the pressure formula; neither is zero on
		// a trimmed chip.
		return c, fmt.Errorf("%w: dig_T1=%d dig_P1=%d", ErrCalibration, c.T1, c.P1)
	}
	if h == nil {
		return c, nil
	}
	c.Humidity = true
	c.H1 = tp[25]
	c.H2 = int16(binary.LittleEndian.Uint16(h[0:]))
	c.H3 = h[2]
	c.H4 = int16(int8(h[3]))<<4 | int16(h[4]&0x0F)
	c.H5 = int16(int8(h[5]))<<4 | int16(h[4]>>4)
	c.H6 = int8(h[6])
	return c, nil
}

func uniform(b []byte) bool {
	for _, v := range b[1:] {
		if v != b[0] {
			return false
		}
	}
	return true
}

// DecodeData splits the burst read of the data registers (§5.4.7..§5.4.9)
// into raw values: 8 bytes from 0xF7 on a BME280 or 6 on a BMP280 (adcH is
// then 0). Pressure and temperature are 20-bit (msb, lsb, xlsb[7:4]);
// humidity is 16-bit (msb, lsb).
func DecodeData(b []byte) (adcT, adcP, adcH int32, err error) {
	if len(b) != dataLenBME && len(b) != dataLenBMP {
		return 0, 0, 0, fmt.Errorf("%w: %d data bytes, want %d or %d", ErrNoData, len(b), dataLenBMP, dataLenBME)
	}
	adcP = int32(b[0])<<12 | int32(b[1])<<4 | int32(b[2])>>4
	adcT = int32(b[3])<<12 | int32(b[4])<<4 | int32(b[5])>>4
	if len(b) == dataLenBME {
		adcH = int32(b[6])<<8 | int32(b[7])
	}
	return adcT, adcP, adcH, nil
}
