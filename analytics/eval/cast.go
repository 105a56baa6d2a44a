package eval

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Type is a CAST target.
type Type string

// The types CAST converts to. A TIMESTAMP is an int64 of milliseconds
// since the Unix epoch (UTC), as event times are everywhere in apps.
const (
	TypeString    Type = "STRING"
	TypeBigint    Type = "BIGINT"
	TypeDouble    Type = "DOUBLE"
	TypeBoolean   Type = "BOOLEAN"
	TypeTimestamp Type = "TIMESTAMP"
	TypeJSON      Type = "JSON"
)

// Cast converts a value; one that does not convert gives NULL (a record's
// bad field must not stop an app).
//
//   - BIGINT: integers; doubles truncated toward zero (NULL outside the
//     int64 range); numeric strings; booleans 1/0.
//   - DOUBLE: numbers; numeric strings.
//   - STRING: String.
//   - BOOLEAN: booleans; "true"/"false" (any case); numbers (0 is false).
//   - TIMESTAMP: epoch milliseconds from a number (below 1e11 it is taken
//     for seconds, as Firehose does) or an RFC 3339 string.
//   - JSON: a string parsed as JSON; anything else as it is.
func Cast(v any, t Type) any {
	if v == nil {
		return nil
	}
	switch t {
	case TypeString:
		return String(v)
	case TypeBigint:
		switch x := v.(type) {
		case int64:
			return x
		case float64:
			if math.IsNaN(x) || x >= math.MaxInt64 || x < math.MinInt64 {
				return nil
			}
			return int64(x)
		case bool:
			if x {
				return int64(1)
			}
			return int64(0)
		case string:
			s := strings.TrimSpace(x)
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i
			}
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				return Cast(f, TypeBigint)
			}
		}
	case TypeDouble:
		switch x := v.(type) {
		case int64:
			return float64(x)
		case float64:
			return x
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f
			}
		}
	case TypeBoolean:
		switch x := v.(type) {
		case bool:
			return x
		case string:
			if b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(x))); err == nil {
				return b
			}
		case int64:
			return x != 0
		case float64:
			return x != 0
		}
	case TypeTimestamp:
		return timestamp(v)
	case TypeJSON:
		if s, ok := v.(string); ok {
			j, err := Decode([]byte(s))
			if err != nil {
				return nil
			}
			return j
		}
		return v
	}
	return nil
}

// timestamp converts to epoch milliseconds.
func timestamp(v any) any {
	switch x := v.(type) {
	case int64:
		if x > -1e11 && x < 1e11 {
			return x * 1000
		}
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		if x > -1e11 && x < 1e11 {
			x *= 1000
		}
		return int64(x)
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
			if t, err := time.Parse(layout, strings.TrimSpace(x)); err == nil {
				return t.UnixMilli()
			}
		}
	}
	return nil
}

// Timestamp returns a value's time as a timestamp would (epoch
// milliseconds from a number or an RFC 3339 string), and whether it is
// one: for event-time fields.
func Timestamp(v any) (time.Time, bool) {
	ms, ok := timestamp(v).(int64)
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// Like matches SQL's LIKE: % any run, _ one character, escape (0: none)
// makes the next character literal. NULL gives NULL.
func Like(s, pattern any, escape rune) any {
	x, ok1 := s.(string)
	p, ok2 := pattern.(string)
	if !ok1 || !ok2 {
		return nil
	}
	return like([]rune(x), []rune(p), escape)
}

func like(s, p []rune, esc rune) bool {
	// Iterative with backtracking to the last %: linear in practice,
	// never exponential.
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && esc != 0 && p[pi] == esc && pi+1 < len(p):
			if p[pi+1] == s[si] {
				si, pi = si+1, pi+2
				continue
			}
		case pi < len(p) && p[pi] == '%':
			star, mark = pi, si
			pi++
			continue
		case pi < len(p) && (p[pi] == '_' || p[pi] == s[si]):
			si, pi = si+1, pi+1
			continue
		}
		if star < 0 {
			return false
		}
		pi, mark = star+1, mark+1
		si = mark
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}
