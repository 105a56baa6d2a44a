package ds18b20

import (
	"errors"
	"strings"
	"testing"
)

// FuzzScratchpad decodes arbitrary bytes as a scratchpad: no panics, and a
// temperature that is accepted lies within −55…+125 °C, is not the reset
// value and has no undefined bits set.
func FuzzScratchpad(f *testing.F) {
	f.Add(spRoom)
	f.Add(spReset)
	f.Add(scratchpad(0xFF5E, 0x1F))
	f.Add(scratchpad(0x07D0, 0x3F))
	f.Add(make([]byte, 9))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		sp, err := DecodeScratchpad(b)
		if err != nil {
			if !errors.Is(err, ErrCRC) && !errors.Is(err, ErrNoResponse) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if r := sp.Resolution(); r < 9 || r > 12 {
			t.Fatalf("resolution %d", r)
		}
		v, err := sp.Temperature()
		if err != nil {
			if !errors.Is(err, ErrPowerOnReset) && !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		c := float64(v) / 16
		if c < -55 || c > 125 || v == powerOnReset {
			t.Fatalf("accepted %v °C", c)
		}
		if v&(1<<(12-sp.Resolution())-1) != 0 {
			t.Fatalf("undefined bits set: 0x%04X at %d bits", uint16(v), sp.Resolution())
		}
	})
}

// FuzzParseROM: no panics; an accepted id formats back to itself
// (lower-case) and carries a valid ROM CRC.
func FuzzParseROM(f *testing.F) {
	f.Add("28-0316a2791eff")
	f.Add("10-000000000002")
	f.Add("28-0316A2791EFF")
	f.Add("")
	f.Add("28--316a2791eff")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseROM(s)
		if err != nil {
			if !errors.Is(err, ErrROM) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if got := FormatROM(a); got != strings.ToLower(s) {
			t.Fatalf("ParseROM(%q) formats as %q", s, got)
		}
		if !romCRCOK(a) {
			t.Fatalf("ROM %016x has a bad CRC", uint64(a))
		}
	})
}
