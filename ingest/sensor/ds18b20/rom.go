package ds18b20

import (
	"fmt"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/onewire"
)

// Family is the DS18B20 family code, the ROM code's first byte ("64-bit
// Lasered ROM Code", Figure 6).
const Family = 0x28

// ParseROM parses a ROM id in the Linux w1 spelling that
// /sys/bus/w1/devices shows: two hex digits of family code, a dash, and 12
// hex digits of serial number, e.g. "28-0316a2791eff". The CRC byte of the
// ROM code is computed ("CRC Generation"), so the Address matches what a
// search returns.
func ParseROM(s string) (onewire.Address, error) {
	fam, serial, ok := strings.Cut(s, "-")
	if !ok || len(fam) != 2 || len(serial) != 12 {
		return 0, fmt.Errorf("%w: %q (want the w1 form ff-ssssssssssss, e.g. 28-0316a2791eff)", ErrROM, s)
	}
	f, err1 := strconv.ParseUint(fam, 16, 8)
	n, err2 := strconv.ParseUint(serial, 16, 48)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%w: %q is not hexadecimal", ErrROM, s)
	}
	// On the wire (and in onewire.Address, little-endian): family, serial
	// LSB first, CRC.
	var b [8]byte
	b[0] = byte(f)
	for i := 0; i < 6; i++ {
		b[1+i] = byte(n >> (8 * i))
	}
	b[7] = onewire.CalcCRC(b[:7])
	var a uint64
	for i := 7; i >= 0; i-- {
		a = a<<8 | uint64(b[i])
	}
	return onewire.Address(a), nil
}

// FormatROM returns the w1 spelling of a ROM code ("28-0316a2791eff").
func FormatROM(a onewire.Address) string {
	return fmt.Sprintf("%02x-%012x", uint64(a)&0xFF, uint64(a)>>8&0xFFFFFFFFFFFF)
}

// Find searches the bus and returns the DS18B20s on it (family 28h whose
// ROM CRC is valid).
func Find(bus onewire.Bus) ([]onewire.Address, error) {
	all, err := bus.Search(false)
	if err != nil {
		return nil, fmt.Errorf("ds18b20: search %s: %w", bus, err)
	}
	var out []onewire.Address
	for _, a := range all {
		if a&0xFF == Family && romCRCOK(a) {
			out = append(out, a)
		}
	}
	return out, nil
}

func romCRCOK(a onewire.Address) bool {
	var b [8]byte
	for i := range b {
		b[i] = byte(a >> (8 * i))
	}
	return onewire.CheckCRC(b[:])
}
