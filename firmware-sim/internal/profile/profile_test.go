package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newGen(t *testing.T, name string, seed uint64) *Generator {
	t.Helper()
	g, err := New(name, Options{DeviceID: "sim-0007", RunID: "run1", Seed: seed, Index: 7})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// generate returns n payloads made one second apart.
func generate(t *testing.T, g *Generator, n int) []Message {
	t.Helper()
	out := make([]Message, n)
	for i := range out {
		out[i] = g.Next(t0.Add(time.Duration(i) * time.Second))
	}
	return out
}

func TestEveryProfileMakesValidSequencedJSON(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			msgs := generate(t, newGen(t, name, 1), 500)
			for i, m := range msgs {
				if !json.Valid(m.Payload) {
					t.Fatalf("message %d is not JSON: %s", i, m.Payload)
				}
				if n := len(m.Payload); n < 90 || n > 220 {
					t.Errorf("message %d is %d bytes, want ~100-200: %s", i, n, m.Payload)
				}
				h, err := ParseHeader(m.Payload)
				if err != nil {
					t.Fatal(err)
				}
				want := uint64(i + 1)
				if m.Seq != want || h.Seq != want {
					t.Fatalf("message %d: seq %d / header seq %d, want %d", i, m.Seq, h.Seq, want)
				}
				if h.DeviceID != "sim-0007" || h.RunID != "run1" || h.Profile != name {
					t.Fatalf("header %+v", h)
				}
				if !h.TS.Equal(t0.Add(time.Duration(i) * time.Second)) {
					t.Fatalf("ts %v", h.TS)
				}
			}
		})
	}
}

func TestRangesArePlausible(t *testing.T) {
	decode := func(t *testing.T, m Message, v any) {
		t.Helper()
		if err := json.Unmarshal(m.Payload, v); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("thermostat", func(t *testing.T) {
		for _, m := range generate(t, newGen(t, "thermostat", 2), 2000) {
			var f thermostatFields
			decode(t, m, &f)
			if f.Temperature < 15 || f.Temperature > 30 || f.Humidity < 30 || f.Humidity > 70 || f.Setpoint < 19 || f.Setpoint > 23 {
				t.Fatalf("out of range: %s", m.Payload)
			}
		}
	})
	t.Run("meter", func(t *testing.T) {
		last := -1.0
		for _, m := range generate(t, newGen(t, "meter", 2), 2000) {
			var f meterFields
			decode(t, m, &f)
			if f.KWh < last || f.PowerW < 50 || f.PowerW > 7000 {
				t.Fatalf("kwh went back from %v or power out of range: %s", last, m.Payload)
			}
			last = f.KWh
		}
	})
	t.Run("tracker", func(t *testing.T) {
		var first, prev trackerFields
		for i, m := range generate(t, newGen(t, "tracker", 2), 2000) {
			var f trackerFields
			decode(t, m, &f)
			if f.Lat < -90 || f.Lat > 90 || f.Lon < -180 || f.Lon > 180 || f.SpeedKmh < 0 || f.SpeedKmh > 130 || f.Heading < 0 || f.Heading >= 360 {
				t.Fatalf("out of range: %s", m.Payload)
			}
			if i == 0 {
				first = f
			} else if d := abs(f.Lat-prev.Lat) + abs(f.Lon-prev.Lon); d > 0.1 {
				t.Fatalf("jumped %v degrees in one second: %s", d, m.Payload)
			}
			prev = f
		}
		if first.Lat == prev.Lat && first.Lon == prev.Lon {
			t.Fatal("tracker did not move")
		}
	})
	t.Run("door", func(t *testing.T) {
		want, follows := "open", 0
		for _, m := range generate(t, newGen(t, "door", 2), 2000) {
			var f doorFields
			decode(t, m, &f)
			if f.Event != want {
				t.Fatalf("event %q, want %q: %s", f.Event, want, m.Payload)
			}
			want = map[string]string{"open": "close", "close": "open"}[want]
			if m.Follow < 0 || m.Follow > 8 {
				t.Fatalf("follow %d", m.Follow)
			}
			if m.Follow > 0 {
				follows++
			}
		}
		if follows == 0 {
			t.Fatal("no door flap in 2000 events")
		}
	})
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestDeterministicWithSeed(t *testing.T) {
	for _, name := range Names() {
		a := generate(t, newGen(t, name, 42), 100)
		b := generate(t, newGen(t, name, 42), 100)
		c := generate(t, newGen(t, name, 43), 100)
		same := true
		for i := range a {
			if !bytes.Equal(a[i].Payload, b[i].Payload) || a[i].Follow != b[i].Follow {
				t.Fatalf("%s: seed 42 twice differs at %d:\n%s\n%s", name, i, a[i].Payload, b[i].Payload)
			}
			same = same && bytes.Equal(a[i].Payload, c[i].Payload)
		}
		if same {
			t.Errorf("%s: seeds 42 and 43 gave the same payloads", name)
		}
	}
}

func TestMalformedIsInvalidAndKeepsSeq(t *testing.T) {
	g := newGen(t, "thermostat", 3)
	g.Next(t0)
	for i := 0; i < 300; i++ {
		p := g.Malformed(t0)
		if json.Valid(p) {
			t.Fatalf("malformed payload is valid JSON: %s", p)
		}
		if _, err := ParseHeader(p); !errors.Is(err, ErrNotSimMessage) {
			t.Fatalf("ParseHeader(malformed) = %v", err)
		}
	}
	if m := g.Next(t0); m.Seq != 2 {
		t.Fatalf("seq after malformed payloads = %d, want 2", m.Seq)
	}
}

func TestOversize(t *testing.T) {
	g := newGen(t, "meter", 3)
	p := g.Oversize(t0)
	if len(p) != OversizeBytes || !json.Valid(p) {
		t.Fatalf("oversize payload: %d bytes, valid %v", len(p), json.Valid(p))
	}
	if _, err := ParseHeader(p); !errors.Is(err, ErrNotSimMessage) {
		t.Fatalf("ParseHeader(oversize) = %v, want ErrNotSimMessage (no seq)", err)
	}
}

func TestUnknownProfile(t *testing.T) {
	if _, err := New("toaster", Options{}); !errors.Is(err, ErrUnknownProfile) {
		t.Fatalf("New(toaster) = %v", err)
	}
}

func FuzzParseHeader(f *testing.F) {
	g, _ := New("tracker", Options{DeviceID: "d", RunID: "r"})
	f.Add(g.Next(t0).Payload)
	f.Add(g.Malformed(t0))
	f.Add([]byte(`{"device_id":"d","run":"r","seq":0}`))
	f.Add([]byte(`{"device_id":"d","run":"r","seq":-1}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHeader(data)
		if err != nil {
			if !errors.Is(err, ErrNotSimMessage) {
				t.Fatalf("error %v does not wrap ErrNotSimMessage", err)
			}
			return
		}
		if h.Seq == 0 || h.DeviceID == "" || h.RunID == "" {
			t.Fatalf("accepted %+v", h)
		}
	})
}
