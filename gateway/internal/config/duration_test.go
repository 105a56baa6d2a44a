package config

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"0s", 0},
		{"100ms", 100 * time.Millisecond},
		{"30s", 30 * time.Second},
		{"24h", 24 * time.Hour},
		{"1h30m", 90 * time.Minute},
		{"1.5h", 90 * time.Minute},
		{"7d", 7 * 24 * time.Hour},
		{"0d", 0},
		{"1d12h", 36 * time.Hour},
		{"2d30m", 48*time.Hour + 30*time.Minute},
		{" 5m ", 5 * time.Minute},
		{"-1s", -time.Second},
		{"-1d", -24 * time.Hour},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil || time.Duration(got) != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, time.Duration(got), err, tt.want)
		}
	}
}

func TestParseDurationErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `invalid duration ""`},
		{"10 parsecs", `invalid duration "10 parsecs"`},
		{"100", `invalid duration "100" (missing unit: use ns, us, ms, s, m, h or d)`},
		{"d", `invalid duration "d"`},
		{"1.5d", `invalid duration "1.5d"`},
		{"1d-5h", `invalid duration "1d-5h"`},
		{"--1s", `invalid duration "--1s"`},
		{"7dd", `invalid duration "7dd"`},
		{"200000d", `invalid duration "200000d" (too large)`},
		{"106751d23h59m", `invalid duration "106751d23h59m" (too large)`},
	}
	for _, tt := range tests {
		_, err := ParseDuration(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseDuration(%q) error = %v; want %s", tt.in, err, tt.want)
		}
	}
}

func TestDurationRoundTrip(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{time.Millisecond, "1ms"},
		{100 * time.Millisecond, "100ms"},
		{1500 * time.Millisecond, "1.5s"},
		{10 * time.Second, "10s"},
		{5 * time.Minute, "5m"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + 30*time.Second, "1h0m30s"},
		{24 * time.Hour, "24h"},
		{168 * time.Hour, "168h"},
		{8760 * time.Hour, "8760h"},
		{-time.Minute, "-1m"},
	}
	for _, tt := range tests {
		d := Duration(tt.d)
		if got := d.String(); got != tt.want {
			t.Errorf("Duration(%v).String() = %q; want %q", tt.d, got, tt.want)
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", d.String(), back, err, d)
		}
		out, err := yaml.Marshal(struct{ D Duration }{d})
		if err != nil {
			t.Fatal(err)
		}
		if want := "d: " + tt.want + "\n"; string(out) != want {
			t.Errorf("yaml.Marshal(%v) = %q; want %q", tt.d, out, want)
		}
		var in struct{ D Duration }
		if err := yaml.Unmarshal(out, &in); err != nil || in.D != d {
			t.Errorf("yaml.Unmarshal(%q) = %v, %v; want %v", out, in.D, err, d)
		}
	}
}

func TestDurationUnmarshalYAML(t *testing.T) {
	tests := []struct{ in, want string }{
		{`d: "30s"`, "30s"},
		{`d: 7d`, "168h"},
		{`d: 0`, "0s"},
		{`d: 10 parsecs`, `invalid duration "10 parsecs"`},
		{`d: 15`, `invalid duration "15" (missing unit: use ns, us, ms, s, m, h or d)`},
		{`d: [1s]`, "want a duration, got a list"},
		{`d: {a: 1}`, "want a duration, got a mapping"},
	}
	for _, tt := range tests {
		var v struct{ D Duration }
		got := ""
		if err := yaml.Unmarshal([]byte(tt.in), &v); err != nil {
			got = err.Error()
		} else {
			got = v.D.String()
		}
		if got != tt.want && !strings.HasSuffix(got, tt.want) {
			t.Errorf("yaml.Unmarshal(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
}
