package ds18b20

import (
	"errors"
	"testing"

	"periph.io/x/conn/v3/onewire"
	"periph.io/x/conn/v3/onewire/onewiretest"
)

func TestParseFormatROM(t *testing.T) {
	a, err := ParseROM("28-0316a2791eff")
	if err != nil {
		t.Fatal(err)
	}
	if byte(a) != 0x28 || !romCRCOK(a) {
		t.Fatalf("address %016x", uint64(a))
	}
	// Serial 0x0316a2791eff goes on the wire LSB first after the family.
	if uint64(a)>>8&0xFFFFFFFFFFFF != 0x0316a2791eff {
		t.Fatalf("serial in %016x", uint64(a))
	}
	if s := FormatROM(a); s != "28-0316a2791eff" {
		t.Fatalf("FormatROM = %s", s)
	}
	for _, s := range []string{"", "28", "280316a2791eff", "28-0316a2791ef", "zz-0316a2791eff", "28-0316a2791efg"} {
		if _, err := ParseROM(s); !errors.Is(err, ErrROM) {
			t.Errorf("%q: err = %v", s, err)
		}
	}
}

func TestFind(t *testing.T) {
	a1, _ := ParseROM("28-000000000001")
	a2, _ := ParseROM("28-0316a2791eff")
	other, _ := ParseROM("10-000000000002") // a DS18S20
	bus := &onewiretest.Playback{
		Ops:     []onewiretest.IO{{W: []byte{0xf0}}, {W: []byte{0xf0}}, {W: []byte{0xf0}}},
		Devices: []onewire.Address{a1, other, a2},
	}
	got, err := Find(bus)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != a1 || got[1] != a2 {
		t.Fatalf("Find = %x", got)
	}
}
