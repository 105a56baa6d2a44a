package cli

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func TestParseArgsInterleaved(t *testing.T) {
	tests := []struct {
		args       []string
		positional []string
		key        string
		shards     int
		follow     bool
	}{
		{args: nil, positional: nil},
		{args: []string{"telemetry", "--key", "k", "hello"}, positional: []string{"telemetry", "hello"}, key: "k"},
		{args: []string{"--key=k", "telemetry", "hello"}, positional: []string{"telemetry", "hello"}, key: "k"},
		{args: []string{"s", "--shards", "2"}, positional: []string{"s"}, shards: 2},
		{args: []string{"-shards", "3", "s", "-f"}, positional: []string{"s"}, shards: 3, follow: true},
		{args: []string{"s", "-", "--key", "k"}, positional: []string{"s", "-"}, key: "k"},
		{args: []string{"s", "--", "--key", "k"}, positional: []string{"s", "--key", "k"}},
		{args: []string{"--key", "k", "--", "-x"}, positional: []string{"-x"}, key: "k"},
		{args: []string{"a", "b", "--", "c", "--", "-f"}, positional: []string{"a", "b", "c", "--", "-f"}},
		{args: []string{"a", "--follow=false", "b"}, positional: []string{"a", "b"}},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		key := fs.String("key", "", "")
		shards := fs.Int("shards", 0, "")
		follow := fs.Bool("f", false, "")
		fs.BoolVar(follow, "follow", false, "")
		pos, err := parseArgs(fs, tt.args)
		if err != nil {
			t.Errorf("parseArgs(%q): %v", tt.args, err)
			continue
		}
		if !slices.Equal(pos, tt.positional) || *key != tt.key || *shards != tt.shards || *follow != tt.follow {
			t.Errorf("parseArgs(%q) = %q key=%q shards=%d follow=%v; want %q key=%q shards=%d follow=%v",
				tt.args, pos, *key, *shards, *follow, tt.positional, tt.key, tt.shards, tt.follow)
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"s", "--nope"},
		{"s", "--shards"},
		{"s", "--shards", "two"},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Int("shards", 0, "")
		if pos, err := parseArgs(fs, args); err == nil {
			t.Errorf("parseArgs(%q) = %q, nil; want an error", args, pos)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1234", 1234},
		{"1KiB", 1024},
		{"1KB", 1000},
		{"512MB", 512_000_000},
		{"512MiB", 512 << 20},
		{"1GiB", 1 << 30},
		{"1GB", 1_000_000_000},
		{"1gib", 1 << 30},
		{"1.5GiB", 3 << 29},
		{"10k", 10240},
	}
	for _, tt := range tests {
		got, err := parseByteSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "lots", "-1", "1XB", "1.5", "GiB"} {
		if got, err := parseByteSize(bad); err == nil {
			t.Errorf("parseByteSize(%q) = %d, nil; want an error", bad, got)
		}
	}
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:4567":  "http://127.0.0.1:4567",
		"http://127.0.0.1:4567/": "http://127.0.0.1:4567",
		"10.0.0.5:4567":          "http://10.0.0.5:4567",
		"https://gw.example:443": "https://gw.example:443",
	} {
		c := clientFlags{server: in}
		if got := c.baseURL(); got != want {
			t.Errorf("baseURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestServerFromEnv(t *testing.T) {
	if got := serverFromEnv(func(string) string { return "" }); got != defaultServer {
		t.Errorf("unset: got %q, want %q", got, defaultServer)
	}
	env := func(k string) string {
		if k == "TRIBUTARY_SERVER" {
			return "http://gw:1"
		}
		return ""
	}
	if got := serverFromEnv(env); got != "http://gw:1" {
		t.Errorf("set: got %q", got)
	}
}
