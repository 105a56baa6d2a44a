package ds18b20

import (
	"errors"
	"testing"

	"periph.io/x/conn/v3/onewire"
)

// hexBytes are real scratchpads as printed by the Linux w1_therm driver
// (w1_slave), CRC included.
var (
	// "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES ... t=23125"
	spRoom = []byte{0x72, 0x01, 0x4b, 0x46, 0x7f, 0xff, 0x0e, 0x10, 0x57}
	// The power-on scratchpad: 85 °C, TH 75, TL 70, 12 bits, CRC 1C.
	spReset = []byte{0x50, 0x05, 0x4b, 0x46, 0x7f, 0xff, 0x0c, 0x10, 0x1c}
)

// scratchpad builds a valid scratchpad for a temperature register and
// configuration byte.
func scratchpad(raw uint16, config byte) []byte {
	b := []byte{byte(raw), byte(raw >> 8), 0x4b, 0x46, config, 0xff, 0x0c, 0x10, 0}
	b[8] = onewire.CalcCRC(b[:8])
	return b
}

func TestDecodeKnownScratchpads(t *testing.T) {
	sp, err := DecodeScratchpad(spRoom)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Resolution() != 12 || sp.TH != 75 || sp.TL != 70 || sp.Config != 0x7f {
		t.Fatalf("%+v", sp)
	}
	temp, err := sp.Temperature()
	if err != nil || float64(temp)/16 != 23.125 {
		t.Fatalf("temperature %d/16, %v; want 23.125", temp, err)
	}
	sp, err = DecodeScratchpad(spReset)
	if err != nil {
		t.Fatal(err) // the CRC is fine: the value itself is the problem
	}
	if _, err := sp.Temperature(); !errors.Is(err, ErrPowerOnReset) {
		t.Fatalf("85 °C: err = %v", err)
	}
}

// TestTemperatureTable1 decodes every row of the datasheet's Table 1
// ("Temperature/Data Relationship"), 12-bit resolution.
func TestTemperatureTable1(t *testing.T) {
	tests := []struct {
		raw  uint16
		want float64
		err  error
	}{
		{0x07D0, 125, nil},
		{0x0550, 85, ErrPowerOnReset},
		{0x0191, 25.0625, nil},
		{0x00A2, 10.125, nil},
		{0x0008, 0.5, nil},
		{0x0000, 0, nil},
		{0xFFF8, -0.5, nil},
		{0xFF5E, -10.125, nil},
		{0xFE6F, -25.0625, nil},
		{0xFC90, -55, nil},
		{0x07D1, 0, ErrOutOfRange},
		{0xFC8F, 0, ErrOutOfRange},
	}
	for _, tc := range tests {
		sp, err := DecodeScratchpad(scratchpad(tc.raw, 0x7F))
		if err != nil {
			t.Fatal(err)
		}
		got, err := sp.Temperature()
		if !errors.Is(err, tc.err) {
			t.Errorf("0x%04X: err = %v, want %v", tc.raw, err, tc.err)
			continue
		}
		if err == nil && float64(got)/16 != tc.want {
			t.Errorf("0x%04X: %v °C, want %v", tc.raw, float64(got)/16, tc.want)
		}
	}
}

func TestResolutionMasksUndefinedBits(t *testing.T) {
	tests := []struct {
		config byte
		bits   int
		want   int16
	}{
		{0x1F, 9, 0x0190},
		{0x3F, 10, 0x0194},
		{0x5F, 11, 0x0196},
		{0x7F, 12, 0x0197},
	}
	for _, tc := range tests {
		sp, err := DecodeScratchpad(scratchpad(0x0197, tc.config))
		if err != nil {
			t.Fatal(err)
		}
		got, err := sp.Temperature()
		if sp.Resolution() != tc.bits || err != nil || got != tc.want {
			t.Errorf("config 0x%02X: %d bits, 0x%04X, %v", tc.config, sp.Resolution(), got, err)
		}
		if configByte(tc.bits) != tc.config {
			t.Errorf("configByte(%d) = 0x%02X", tc.bits, configByte(tc.bits))
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	bad := append([]byte(nil), spRoom...)
	bad[0] ^= 0x01
	ff := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"crc", bad, ErrCRC},
		{"all ff", ff, ErrNoResponse},
		{"all zero (CRC would pass)", make([]byte, 9), ErrNoResponse},
		{"short", spRoom[:8], ErrNoResponse},
	}
	for _, tc := range tests {
		if _, err := DecodeScratchpad(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestConversionTime(t *testing.T) {
	want := map[int]string{9: "93.75ms", 10: "187.5ms", 11: "375ms", 12: "750ms"}
	for bits, w := range want {
		if got := ConversionTime(bits).String(); got != w {
			t.Errorf("%d bits: %s, want %s", bits, got, w)
		}
	}
}
