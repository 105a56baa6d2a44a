package bme280

import (
	"errors"
	"testing"
)

// FuzzCompensate feeds arbitrary register contents (26 calibration bytes
// from 0x88, 7 from 0xE1, 8 data bytes from 0xF7) through the same path as
// Dev.Sense: ParseCalibration, DecodeData, Compensate. It must not panic,
// and any reading it accepts must lie within the operating range.
func FuzzCompensate(f *testing.F) {
	seed := func(tp, h, data []byte) {
		b := append(append(append([]byte(nil), tp...), h...), data...)
		f.Add(b)
	}
	seed(captureTP, captureH, captureData)
	seed(captureTP, captureH, []byte{0x65, 0x5A, 0xC0, 0x7E, 0xED, 0x00, 0x7A, 0x76})
	seed(captureTP, captureH, []byte{0x80, 0, 0, 0x80, 0, 0, 0x80, 0})
	seed(make([]byte, 26), captureH, captureData)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < calibTPLen {
			_, err := ParseCalibration(b, nil)
			if err == nil {
				t.Fatal("short calibration accepted")
			}
			return
		}
		tp, rest := b[:calibTPLen], b[calibTPLen:]
		var h []byte
		if len(rest) >= calibHLen {
			h, rest = rest[:calibHLen], rest[calibHLen:]
		}
		c, err := ParseCalibration(tp, h)
		if err != nil {
			if !errors.Is(err, ErrCalibration) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if len(rest) > dataLenBME {
			rest = rest[:dataLenBME]
		}
		adcT, adcP, adcH, err := DecodeData(rest)
		if err != nil {
			return
		}
		if adcT < 0 || adcT > 0xFFFFF || adcP < 0 || adcP > 0xFFFFF || adcH < 0 || adcH > 0xFFFF {
			t.Fatalf("raw values out of their bit width: %d %d %d", adcT, adcP, adcH)
		}
		m, err := c.Compensate(adcT, adcP, adcH)
		if err != nil {
			if !errors.Is(err, ErrNoData) && !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if m.Celsius() < -40 || m.Celsius() > 85 {
			t.Fatalf("temperature %v accepted", m.Celsius())
		}
		if m.HectoPascal() < 300 || m.HectoPascal() > 1100 {
			t.Fatalf("pressure %v accepted", m.HectoPascal())
		}
		if m.HasHumidity != c.Humidity {
			t.Fatal("humidity presence differs from calibration")
		}
		if m.HasHumidity && (m.RelativeHumidity() < 0 || m.RelativeHumidity() > 100) {
			t.Fatalf("humidity %v accepted", m.RelativeHumidity())
		}
	})
}
