package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration that reads and writes YAML as a Go duration
// string ("100ms", "30s", "24h", "1h30m"). A leading whole number of days
// is also accepted ("7d", "1d12h"); a day is always 24h. A bare number other
// than 0 is rejected because it has no unit. Convert with time.Duration(d).
type Duration time.Duration

// ParseDuration parses s as described on Duration. The error names the
// offending text, e.g. `invalid duration "10 parsecs"`.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	sign, rest := "", t
	if strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+") {
		sign, rest = rest[:1], rest[1:]
	}
	var days int64
	hadDays := false
	if i := strings.IndexByte(rest, 'd'); i > 0 && isDigits(rest[:i]) {
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n > int64(math.MaxInt64/(24*time.Hour)) {
			return 0, fmt.Errorf("invalid duration %q (too large)", s)
		}
		days, rest, hadDays = n, rest[i+1:], true
	}
	var d time.Duration
	if rest != "" || !hadDays {
		var err error
		d, err = time.ParseDuration(rest)
		if err != nil || d < 0 || strings.ContainsAny(rest, "+-") {
			if isDigits(rest) {
				return 0, fmt.Errorf("invalid duration %q (missing unit: use ns, us, ms, s, m, h or d)", s)
			}
			return 0, fmt.Errorf("invalid duration %q", s)
		}
	}
	total := time.Duration(days) * 24 * time.Hour
	if d > math.MaxInt64-total {
		return 0, fmt.Errorf("invalid duration %q (too large)", s)
	}
	total += d
	if sign == "-" {
		total = -total
	}
	return Duration(total), nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats d like time.Duration.String without trailing zero units:
// "24h", "1h30m", "5m", "100ms", "0s". ParseDuration(d.String()) == d.
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// UnmarshalYAML implements yaml.Unmarshaler; the node must be a scalar in
// the syntax described on Duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a duration, got %s", describe(n))
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML implements yaml.Marshaler, writing d.String().
func (d Duration) MarshalYAML() (any, error) {
	return d.String(), nil
}
