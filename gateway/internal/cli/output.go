package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tributary-edge/tributary/gateway/internal/api"
)

// reportError prints err from talking to the gateway at server and
// returns exitFailure. A gateway error prints as "error: Code: message";
// a failure to connect names the server and suggests starting it.
func reportError(e *env, server string, err error) int {
	fmt.Fprintln(e.stderr, errorLine(server, err))
	return exitFailure
}

// errorLine is the one-line message reportError prints.
func errorLine(server string, err error) string {
	var apiErr *api.APIError
	var opErr *net.OpError
	switch {
	case errors.As(err, &apiErr):
		return fmt.Sprintf("error: %s: %s", apiErr.Code, apiErr.Message)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Sprintf("error: cannot reach the gateway at %s (is \"tributary run\" running?)", server)
	}
	return "error: " + err.Error()
}

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// humanBytes formats n with a binary unit and at most one decimal:
// "512 B", "1.5 KiB", "2 MiB".
func humanBytes(n int64) string {
	const units = "KMGTPE"
	if n < 1024 && n > -1024 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	i := -1
	for (f >= 1024 || f <= -1024) && i < len(units)-1 {
		f /= 1024
		i++
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	if s == "1024.0" && i < len(units)-1 { // 1023.96 KiB rounds up
		s, i = "1.0", i+1
	}
	s = strings.TrimSuffix(s, ".0")
	return s + " " + units[i:i+1] + "iB"
}

// shortDuration rewrites a Go duration string without its zero tails:
// "24h0m0s" → "24h", "1h30m0s" → "1h30m". Anything unparsable is
// returned unchanged.
func shortDuration(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	out := d.String()
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		out = fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return out
}

// maxHashKey is 2^128-1, the largest partition hash key.
var maxHashKey = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))

// abbreviateHashKey shows a decimal 128-bit hash key as its first 4 hex
// digits (of 32): "0" → "0000", 2^126 → "4000". Anything else is
// returned unchanged.
func abbreviateHashKey(dec string) string {
	n, ok := new(big.Int).SetString(dec, 10)
	if !ok || n.Sign() < 0 || n.Cmp(maxHashKey) > 0 {
		return dec
	}
	return fmt.Sprintf("%032x", n)[:4]
}

// escapeData shows data as text: printable characters as they are, others
// escaped Go-style (\n, \x00, \u200b), and truncates the result to max
// runes with a trailing "…" (max <= 0 means no limit).
func escapeData(data []byte, max int) string {
	var b strings.Builder
	runes := 0
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		var piece string
		switch {
		case r == utf8.RuneError && size == 1:
			piece = fmt.Sprintf(`\x%02x`, data[0])
		case r == '\\':
			piece = `\\`
		case strconv.IsPrint(r):
			piece = string(r)
		default:
			q := strconv.QuoteRune(r)
			piece = q[1 : len(q)-1]
		}
		n := utf8.RuneCountInString(piece)
		if max > 0 && runes+n > max-1 && (runes+n > max || len(data) > size) {
			b.WriteString("…")
			return b.String()
		}
		b.WriteString(piece)
		runes += n
		data = data[size:]
	}
	return b.String()
}

// truncate shortens s to at most max runes, ending with "…" when cut.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}
