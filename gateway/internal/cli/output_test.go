package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/tributary-edge/tributary/gateway/internal/api"
)

func TestHumanBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{3 << 19, "1.5 MiB"},
		{1 << 30, "1 GiB"},
		{1<<20 - 1, "1 MiB"}, // 1023.999 KiB rounds up to the next unit
		{5 << 40, "5 TiB"},
		{1<<63 - 1, "8 EiB"},
	}
	for _, tt := range tests {
		if got := humanBytes(tt.n); got != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestShortDuration(t *testing.T) {
	for in, want := range map[string]string{
		"24h0m0s":  "24h",
		"1h30m0s":  "1h30m",
		"1h0m30s":  "1h0m30s",
		"10m0s":    "10m",
		"30s":      "30s",
		"168h0m0s": "7d",
		"36h0m0s":  "36h",
		"bogus":    "bogus",
	} {
		if got := shortDuration(in); got != want {
			t.Errorf("shortDuration(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAbbreviateHashKey(t *testing.T) {
	for in, want := range map[string]string{
		"0":                                       "0000",
		"85070591730234615865843651857942052863":  "3fff", // 2^126-1
		"85070591730234615865843651857942052864":  "4000", // 2^126
		"340282366920938463463374607431768211455": "ffff", // 2^128-1
		"340282366920938463463374607431768211456": "340282366920938463463374607431768211456",
		"-1": "-1",
		"x":  "x",
	} {
		if got := abbreviateHashKey(in); got != want {
			t.Errorf("abbreviateHashKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscapeData(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"hello", 0, "hello"},
		{"héllo ✓", 0, "héllo ✓"},
		{"a\tb\nc\x00", 0, `a\tb\nc\x00`},
		{"\xff\xfe", 0, `\xff\xfe`},
		{`back\slash "q"`, 0, `back\\slash "q"`},
		{"\u200b", 0, `\u200b`},
		{"abcdef", 6, "abcdef"},
		{"abcdefg", 6, "abcde…"},
		{"abcd\n", 5, "abcd…"},
		{"abc\n", 5, `abc\n`},
	}
	for _, tt := range tests {
		if got := escapeData([]byte(tt.in), tt.max); got != tt.want {
			t.Errorf("escapeData(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestErrorLine(t *testing.T) {
	const server = "http://127.0.0.1:1"
	apiErr := &api.APIError{Status: 404, ErrorBody: api.ErrorBody{Code: api.CodeStreamNotFound, Message: `stream not found: "x"`}}
	if got, want := errorLine(server, apiErr), `error: StreamNotFound: stream not found: "x"`; got != want {
		t.Errorf("API error: got %q, want %q", got, want)
	}
	// A real refused connection, as the client reports it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := &api.Client{Base: "http://" + addr}
	_, err = c.ListStreams(context.Background())
	if err == nil {
		t.Fatal("ListStreams on a closed port: no error")
	}
	want := fmt.Sprintf(`error: cannot reach the gateway at http://%s (is "tributary run" running?)`, addr)
	if got := errorLine("http://"+addr, err); got != want {
		t.Errorf("refused: got %q, want %q", got, want)
	}
	if got := errorLine(server, errors.New("boom")); got != "error: boom" {
		t.Errorf("other: got %q", got)
	}
}

func TestTruncate(t *testing.T) {
	if got := truncate("short", 10); got != "short" {
		t.Errorf("got %q", got)
	}
	if got := truncate("ünïcödé-key", 5); got != "ünïc…" || !strings.HasSuffix(got, "…") {
		t.Errorf("got %q", got)
	}
}
