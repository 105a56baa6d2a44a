package bme280

import (
	"errors"
	"testing"
)

// Registers of a real BME280 (periph.io/x/devices bmxx80 tests).
var (
	captureTP   = []byte{0x10, 0x6e, 0x6c, 0x66, 0x32, 0x00, 0x5d, 0x95, 0xb8, 0xd5, 0xd0, 0x0b, 0x77, 0x1e, 0x9d, 0xff, 0xf9, 0xff, 0xac, 0x26, 0x0a, 0xd8, 0xbd, 0x10, 0x00, 0x4b}
	captureH    = []byte{0x6e, 0x01, 0x00, 0x13, 0x05, 0x00, 0x1e}
	captureData = []byte{0x4a, 0x52, 0xc0, 0x80, 0x96, 0xc0, 0x7a, 0x76}
)

func TestParseCalibration(t *testing.T) {
	c, err := ParseCalibration(captureTP, captureH)
	if err != nil {
		t.Fatal(err)
	}
	if c != captureCal {
		t.Fatalf("got %+v\nwant %+v", c, captureCal)
	}
	bmp, err := ParseCalibration(captureTP, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := captureCal
	want.H1, want.H2, want.H4, want.H6, want.Humidity = 0, 0, 0, 0, false
	if bmp != want {
		t.Fatalf("BMP280: got %+v", bmp)
	}
}

// TestParseCalibrationHumiditySplit checks the 12-bit dig_H4/dig_H5 packing
// of 0xE4..0xE6 (Table 16), including negative values: the sign comes from
// 0xE4 for H4 and from 0xE6 for H5, the shared 0xE5 gives H4's low nibble
// and H5's low nibble (from its high half).
func TestParseCalibrationHumiditySplit(t *testing.T) {
	tests := []struct {
		e4, e5, e6 byte
		h4, h5     int16
	}{
		{0x13, 0x05, 0x00, 309, 0},
		{0x13, 0xA5, 0x03, 0x135, 0x03A},
		{0xF3, 0x2A, 0xFE, -198, -30},   // 0xF3A = -198, 0xFE2 = -30
		{0x80, 0x0F, 0x7F, -2033, 2032}, // 0x80F = -2033, 0x7F0 = 2032
	}
	for _, tc := range tests {
		h := []byte{0x6e, 0x01, 0x00, tc.e4, tc.e5, tc.e6, 0x1e}
		c, err := ParseCalibration(captureTP, h)
		if err != nil {
			t.Fatal(err)
		}
		if c.H4 != tc.h4 || c.H5 != tc.h5 {
			t.Errorf("E4..E6 %02X %02X %02X: H4=%d H5=%d, want %d %d", tc.e4, tc.e5, tc.e6, c.H4, c.H5, tc.h4, tc.h5)
		}
	}
}

func TestParseCalibrationErrors(t *testing.T) {
	ff := make([]byte, 26)
	for i := range ff {
		ff[i] = 0xFF
	}
	zeroP1 := append([]byte(nil), captureTP...)
	zeroP1[6], zeroP1[7] = 0, 0
	tests := []struct {
		name  string
		tp, h []byte
	}{
		{"short", captureTP[:25], nil},
		{"short humidity", captureTP, captureH[:6]},
		{"all zero", make([]byte, 26), nil},
		{"all 0xFF", ff, captureH},
		{"dig_P1 zero", zeroP1, captureH},
	}
	for _, tc := range tests {
		if _, err := ParseCalibration(tc.tp, tc.h); !errors.Is(err, ErrCalibration) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
}

func TestDecodeData(t *testing.T) {
	adcT, adcP, adcH, err := DecodeData(captureData)
	if err != nil || adcT != 0x8096C || adcP != 0x4A52C || adcH != 0x7A76 {
		t.Fatalf("DecodeData = %#x %#x %#x %v", adcT, adcP, adcH, err)
	}
	adcT, adcP, adcH, err = DecodeData(captureData[:6])
	if err != nil || adcT != 0x8096C || adcP != 0x4A52C || adcH != 0 {
		t.Fatalf("DecodeData(6) = %#x %#x %#x %v", adcT, adcP, adcH, err)
	}
	if _, _, _, err := DecodeData(captureData[:7]); !errors.Is(err, ErrNoData) {
		t.Fatalf("7 bytes: %v", err)
	}
}
