package sql

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Day is the length of INTERVAL '1' DAY and of the shorthand 1d: exactly
// 24 hours (intervals are durations, not calendar periods).
const Day = 24 * time.Hour

// intervalUnits are the units of INTERVAL 'n' UNIT, singular and plural.
var intervalUnits = map[string]time.Duration{
	"MILLISECOND": time.Millisecond, "MILLISECONDS": time.Millisecond,
	"SECOND": time.Second, "SECONDS": time.Second,
	"MINUTE": time.Minute, "MINUTES": time.Minute,
	"HOUR": time.Hour, "HOURS": time.Hour,
	"DAY": Day, "DAYS": Day,
}

// shorthandUnits are the units of the duration shorthand (30s, 1h30m);
// they are lower case only, so that 1M cannot be taken for a month.
var shorthandUnits = map[string]time.Duration{
	"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": Day,
}

// canonicalUnits are used, largest first, to print an interval: the
// largest unit that divides it exactly.
var canonicalUnits = [...]struct {
	d    time.Duration
	name string
	abbr string
}{
	{Day, "DAY", "d"},
	{time.Hour, "HOUR", "h"},
	{time.Minute, "MINUTE", "m"},
	{time.Second, "SECOND", "s"},
	{time.Millisecond, "MILLISECOND", "ms"},
}

var pow10 = [...]uint64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

// scaleDecimal returns num × unit, where num is an unsigned decimal such as
// "5" or "1.5". The result must be a whole number of milliseconds and fit
// a time.Duration; otherwise msg says why.
func scaleDecimal(num string, unit time.Duration) (d time.Duration, msg string) {
	intPart, frac, _ := strings.Cut(num, ".")
	if intPart == "" || digitsLen(intPart) != len(intPart) || digitsLen(frac) != len(frac) ||
		(strings.Contains(num, ".") && frac == "") {
		return 0, "is not a number"
	}
	frac = strings.TrimRight(frac, "0")
	mantissa := strings.TrimLeft(intPart+frac, "0")
	if mantissa == "" {
		return 0, ""
	}
	if len(mantissa) > 18 || len(frac) > 18 {
		if len(frac) > 18 {
			return 0, "is not a whole number of milliseconds"
		}
		return 0, "is too large"
	}
	m, _ := strconv.ParseUint(mantissa, 10, 64)
	hi, lo := bits.Mul64(m, uint64(unit))
	div := pow10[len(frac)]
	if hi >= div {
		return 0, "is too large"
	}
	q, r := bits.Div64(hi, lo, div)
	switch {
	case q > math.MaxInt64:
		return 0, "is too large"
	case r != 0 || q%uint64(time.Millisecond) != 0:
		return 0, "is not a whole number of milliseconds"
	}
	return time.Duration(q), ""
}

// parseDurationShorthand parses the shorthand the lexer finds after
// digits: one or more of number-and-unit, such as 30s, 1.5s, 1h30m, 250ms.
// On failure msg is the whole error message.
func parseDurationShorthand(text string) (d time.Duration, msg string) {
	bad := "bad number " + strconv.Quote(text)
	if strings.ContainsFunc(text, unicode.IsLetter) {
		bad += " (a duration is written like 30s, 5m or 1h30m, with units ms, s, m, h, d)"
	}
	s := text
	for s != "" {
		n := digitsLen(s)
		if n < len(s) && s[n] == '.' {
			n += 1 + digitsLen(s[n+1:])
		}
		u := n
		for u < len(s) && (s[u] >= 'a' && s[u] <= 'z' || s[u] >= 'A' && s[u] <= 'Z') {
			u++
		}
		unit, ok := shorthandUnits[s[n:u]]
		if n == 0 || !ok {
			return 0, bad
		}
		part, why := scaleDecimal(s[:n], unit)
		if why != "" {
			return 0, "duration " + strconv.Quote(text) + " " + why
		}
		if d > math.MaxInt64-part {
			return 0, "duration " + strconv.Quote(text) + " is too large"
		}
		d += part
		s = s[u:]
	}
	return d, ""
}

// formatInterval prints d as INTERVAL 'n' UNIT with the largest unit that
// divides it exactly. A duration that is not a whole number of
// milliseconds (which the parser never produces) is printed with a
// fraction, which Parse refuses.
func formatInterval(d time.Duration) string {
	if d == 0 {
		return "INTERVAL '0' SECOND"
	}
	for _, u := range canonicalUnits {
		if d%u.d == 0 {
			return "INTERVAL '" + strconv.FormatInt(int64(d/u.d), 10) + "' " + u.name
		}
	}
	ms := strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64)
	return "INTERVAL '" + ms + "' MILLISECOND"
}

// shortDuration prints d in the shorthand for error messages: 1h30m,
// 90s, 250ms, 0s.
func shortDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range canonicalUnits {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.abbr)
			d -= n * u.d
		}
	}
	if d > 0 {
		b.WriteString("+" + d.String())
	}
	return b.String()
}
