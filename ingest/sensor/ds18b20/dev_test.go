package ds18b20

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/onewire"
	"periph.io/x/conn/v3/onewire/onewiretest"
)

var rom, _ = ParseROM("28-0316a2791eff")

// match prefixes a function command with Match ROM (55h) and the ROM code,
// LSB first, as every transaction of a Dev starts.
func match(cmd ...byte) []byte {
	w := []byte{0x55}
	for i := 0; i < 8; i++ {
		w = append(w, byte(rom>>(8*i)))
	}
	return append(w, cmd...)
}

type sleeps []time.Duration

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	*s = append(*s, d)
	return ctx.Err()
}

func playback(ops ...onewiretest.IO) *onewiretest.Playback {
	return &onewiretest.Playback{Ops: ops, DontPanic: true}
}

func TestSenseGood(t *testing.T) {
	bus := playback(
		onewiretest.IO{W: match(0xBE), R: spRoom}, // New: already 12-bit
		onewiretest.IO{W: match(0x44), Pull: onewire.StrongPullup},
		onewiretest.IO{W: match(0xBE), R: spRoom},
	)
	var s sleeps
	d, err := New(context.Background(), bus, rom, Opts{Sleep: s.sleep})
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Sense(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Celsius() != 23.125 {
		t.Fatalf("Celsius = %v", r.Celsius())
	}
	if len(s) != 1 || s[0] != 750*time.Millisecond {
		t.Fatalf("sleeps %v, want [750ms]", s)
	}
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSetResolution(t *testing.T) {
	nineBit := scratchpad(0x0550, 0x1F)
	bus := playback(
		onewiretest.IO{W: match(0xBE), R: spReset},       // 12-bit at power-on
		onewiretest.IO{W: match(0x4E, 0x4b, 0x46, 0x1F)}, // keep TH/TL, set 9 bits
		onewiretest.IO{W: match(0xBE), R: nineBit},       // verify
		onewiretest.IO{W: match(0x44), Pull: onewire.StrongPullup},
		onewiretest.IO{W: match(0xBE), R: scratchpad(0xFF5F, 0x1F)}, // −10.0625 → masked to −10.5
	)
	var s sleeps
	d, err := New(context.Background(), bus, rom, Opts{Resolution: 9, Sleep: s.sleep})
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Sense(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Celsius() != -10.5 {
		t.Fatalf("Celsius = %v", r.Celsius())
	}
	if len(s) != 1 || s[0] != 93750*time.Microsecond {
		t.Fatalf("sleeps %v", s)
	}
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSenseErrors(t *testing.T) {
	badCRC := append([]byte(nil), spRoom...)
	badCRC[8] = 0x58
	tests := []struct {
		name string
		read []byte
		want error
	}{
		{"crc", badCRC, ErrCRC},
		{"power-on 85C", spReset, ErrPowerOnReset},
		{"absent", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, ErrNoResponse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bus := playback(
				onewiretest.IO{W: match(0xBE), R: spRoom},
				onewiretest.IO{W: match(0x44), Pull: onewire.StrongPullup},
				onewiretest.IO{W: match(0xBE), R: tc.read},
			)
			d, err := New(context.Background(), bus, rom, Opts{Sleep: (&sleeps{}).sleep})
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Sense(context.Background())
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), "28-0316a2791eff") {
				t.Errorf("error %q does not name the probe", err)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	other, _ := ParseROM("10-000000000002")
	if _, err := New(context.Background(), playback(), other, Opts{}); !errors.Is(err, ErrFamily) {
		t.Fatalf("family: %v", err)
	}
	if _, err := New(context.Background(), playback(), rom, Opts{Resolution: 13}); !errors.Is(err, ErrConfig) {
		t.Fatalf("resolution: %v", err)
	}
	// The probe ignores the write (read-back still 12 bits).
	bus := playback(
		onewiretest.IO{W: match(0xBE), R: spRoom},
		onewiretest.IO{W: match(0x4E, 0x4b, 0x46, 0x5F)},
		onewiretest.IO{W: match(0xBE), R: spRoom},
	)
	if _, err := New(context.Background(), bus, rom, Opts{Resolution: 11}); !errors.Is(err, ErrConfig) {
		t.Fatalf("read-back: %v", err)
	}
	// Bus error (playback exhausted).
	if _, err := New(context.Background(), playback(), rom, Opts{}); err == nil || !strings.Contains(err.Error(), "read scratchpad") {
		t.Fatalf("bus error: %v", err)
	}
}
