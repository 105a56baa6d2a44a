package config

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want ByteSize
	}{
		{"0", 0},
		{"1", 1},
		{"4096", 4096},
		{"+7", 7},
		{"10B", 10},
		{"10k", 10240},
		{"10K", 10240},
		{"512KiB", 512 * 1024},
		{"512kib", 512 * 1024},
		{"512Ki", 512 * 1024},
		{"10KB", 10000},
		{"10kb", 10000},
		{"64MiB", 64 << 20},
		{"64M", 64 << 20},
		{"256MB", 256_000_000},
		{"1GiB", 1 << 30},
		{"1g", 1 << 30},
		{"2GB", 2_000_000_000},
		{"1TiB", 1 << 40},
		{"1TB", 1_000_000_000_000},
		{"64 MiB", 64 << 20},
		{" 1KiB ", 1024},
		{"1.5GiB", 3 << 29},
		{"1.1KB", 1100},
		{"0.5k", 512},
		{".5k", 512},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseByteSizeErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `invalid byte size ""`},
		{"lots", `invalid byte size "lots"`},
		{"10 gigs", `invalid byte size "10 gigs"`},
		{"MiB", `invalid byte size "MiB"`},
		{"10XB", `invalid byte size "10XB"`},
		{"1e3", `invalid byte size "1e3"`},
		{"1.2.3K", `invalid byte size "1.2.3K"`},
		{"1-2K", `invalid byte size "1-2K"`},
		{"-5", `invalid byte size "-5" (must not be negative)`},
		{"-1KiB", `invalid byte size "-1KiB" (must not be negative)`},
		{"1.5", `invalid byte size "1.5" (not a whole number of bytes)`},
		{"0.0001KB", `invalid byte size "0.0001KB" (not a whole number of bytes)`},
		{"9223372036854775808", `invalid byte size "9223372036854775808" (too large)`},
		{"8388608TiB", `invalid byte size "8388608TiB" (too large)`},
		{"9999999.5TB", `invalid byte size "9999999.5TB" (too large)`},
	}
	for _, tt := range tests {
		_, err := ParseByteSize(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseByteSize(%q) error = %v; want %s", tt.in, err, tt.want)
		}
	}
}

func TestByteSizeRoundTrip(t *testing.T) {
	tests := []struct {
		b        ByteSize
		want     string // String()
		wantYAML string // yaml.Marshal of struct{B ByteSize}
	}{
		{0, "0", "b: 0\n"},
		{1, "1", "b: 1\n"},
		{1023, "1023", "b: 1023\n"},
		{1000, "1KB", "b: 1KB\n"},
		{1024, "1KiB", "b: 1KiB\n"},
		{1536, "1536", "b: 1536\n"}, // 1.5KiB: no unit divides it
		{256 * KiB, "256KiB", "b: 256KiB\n"},
		{64 * MiB, "64MiB", "b: 64MiB\n"},
		{256 * MB, "256MB", "b: 256MB\n"},
		{GiB, "1GiB", "b: 1GiB\n"},
		{2 * GiB, "2GiB", "b: 2GiB\n"},
		{3 * GiB / 2, "1536MiB", "b: 1536MiB\n"},
		{TB, "1TB", "b: 1TB\n"},
		{-2 * KiB, "-2KiB", "b: -2KiB\n"},
	}
	for _, tt := range tests {
		if got := tt.b.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q; want %q", int64(tt.b), got, tt.want)
		}
		out, err := yaml.Marshal(struct{ B ByteSize }{tt.b})
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != tt.wantYAML {
			t.Errorf("yaml.Marshal(%d) = %q; want %q", int64(tt.b), out, tt.wantYAML)
		}
		if tt.b < 0 {
			continue
		}
		back, err := ParseByteSize(tt.b.String())
		if err != nil || back != tt.b {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.b.String(), back, err, tt.b)
		}
		var in struct{ B ByteSize }
		if err := yaml.Unmarshal(out, &in); err != nil || in.B != tt.b {
			t.Errorf("yaml.Unmarshal(%q) = %d, %v; want %d", out, in.B, err, tt.b)
		}
	}
}

func TestByteSizeUnmarshalYAML(t *testing.T) {
	tests := []struct {
		in   string
		want string // the decoded value's String(), or the error's suffix
	}{
		{`b: 4096`, "4KiB"},
		{`b: 0x400`, "1KiB"},
		{`b: "64MiB"`, "64MiB"},
		{`b: 64mib`, "64MiB"},
		{`b: -1`, `invalid byte size "-1" (must not be negative)`},
		{`b: 1.5`, `invalid byte size "1.5" (not a whole number of bytes)`},
		{`b: lots`, `invalid byte size "lots"`},
		{`b: [1]`, "want a byte size, got a list"},
	}
	for _, tt := range tests {
		var v struct{ B ByteSize }
		got := ""
		if err := yaml.Unmarshal([]byte(tt.in), &v); err != nil {
			got = err.Error()
		} else {
			got = v.B.String()
		}
		if !strings.HasSuffix(got, tt.want) {
			t.Errorf("yaml.Unmarshal(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
}
