package device

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Faults are the misbehaviours injected into a run. Probabilities are in
// [0, 1]; zero values turn a fault off.
type Faults struct {
	// Malformed is the probability that a message slot carries a payload
	// that is not valid JSON instead of the next sequenced message.
	Malformed float64
	// Oversize is the probability that a message slot carries a 300 KiB
	// payload instead of the next sequenced message.
	Oversize float64
	// Duplicate is the probability that a sequenced message is published
	// a second time right after the first.
	Duplicate float64
	// BurstEvery > 0 makes every device send BurstSize sequenced messages
	// back to back about every BurstEvery (±20 %, first one at a random
	// offset). It has no visible effect with rate 0.
	BurstEvery time.Duration
	BurstSize  int
	// Reconnect is the probability per second that a device drops its
	// connection and reconnects.
	Reconnect float64
	// Storm > 0 drops every device's connection at the same moment every
	// Storm (a reconnect storm).
	Storm time.Duration
	// Skew > 0 gives each device a clock offset drawn from [-Skew, +Skew];
	// it shifts the payloads' "ts".
	Skew time.Duration
}

// Defaults of the fault values that may be left out.
const (
	DefaultBurstEvery = 10 * time.Second
	DefaultBurstSize  = 50
	DefaultStorm      = 10 * time.Second
)

// faultKeys are the keys ParseFaults knows, in the order String writes them.
var faultKeys = []string{"malformed", "oversize", "duplicate", "burst", "reconnect", "skew"}

// ParseFaults reads a comma-separated list of key=value pairs:
//
//	malformed=P  oversize=P  duplicate=P      probability per message
//	burst=DURATION[:N] | burst                N (50) messages every ~DURATION (10s)
//	reconnect=P                               probability per second per device
//	reconnect=storm[:DURATION]                all devices at once, every DURATION (10s)
//	skew=DURATION                             clock offsets up to ±DURATION
//
// An empty string means no faults. Errors wrap ErrInvalidFaults and quote
// the offending key.
func ParseFaults(s string) (Faults, error) {
	var f Faults
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, val, hasVal := strings.Cut(item, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		bad := func(format string, args ...any) (Faults, error) {
			return Faults{}, fmt.Errorf("%w: %q: %s", ErrInvalidFaults, key, fmt.Sprintf(format, args...))
		}
		if seen[key] {
			return bad("given twice")
		}
		seen[key] = true
		if !hasVal && key != "burst" {
			if !isFaultKey(key) {
				return bad("unknown fault (known: %s)", strings.Join(faultKeys, ", "))
			}
			return bad("needs a value, as in %s=…", key)
		}
		var err error
		switch key {
		case "malformed":
			f.Malformed, err = parseProb(val)
		case "oversize":
			f.Oversize, err = parseProb(val)
		case "duplicate":
			f.Duplicate, err = parseProb(val)
		case "burst":
			f.BurstEvery, f.BurstSize, err = parseBurst(val, hasVal)
		case "reconnect":
			if rest, ok := strings.CutPrefix(val, "storm"); ok {
				f.Storm = DefaultStorm
				if rest != "" {
					d, ok := strings.CutPrefix(rest, ":")
					if !ok {
						return bad("want storm or storm:DURATION, got %q", val)
					}
					f.Storm, err = parsePositiveDuration(d)
				}
			} else {
				f.Reconnect, err = parseProb(val)
			}
		case "skew":
			f.Skew, err = parsePositiveDuration(val)
		default:
			return bad("unknown fault (known: %s)", strings.Join(faultKeys, ", "))
		}
		if err != nil {
			return bad("%v", err)
		}
	}
	return f, nil
}

func isFaultKey(k string) bool {
	for _, fk := range faultKeys {
		if fk == k {
			return true
		}
	}
	return false
}

func parseProb(s string) (float64, error) {
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || p < 0 || p > 1 {
		return 0, fmt.Errorf("want a probability between 0 and 1, got %q", s)
	}
	return p, nil
}

func parsePositiveDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a positive duration such as 10s, got %q", s)
	}
	return d, nil
}

func parseBurst(val string, hasVal bool) (time.Duration, int, error) {
	if !hasVal || val == "" {
		return DefaultBurstEvery, DefaultBurstSize, nil
	}
	every, size, hasSize := strings.Cut(val, ":")
	d, err := parsePositiveDuration(every)
	if err != nil {
		return 0, 0, err
	}
	n := DefaultBurstSize
	if hasSize {
		if n, err = strconv.Atoi(size); err != nil || n < 1 || n > 10000 {
			return 0, 0, fmt.Errorf("want a burst size between 1 and 10000, got %q", size)
		}
	}
	return d, n, nil
}

// String writes f in the syntax ParseFaults reads, "" when no fault is on.
func (f Faults) String() string {
	var parts []string
	prob := func(k string, p float64) {
		if p > 0 {
			parts = append(parts, k+"="+strconv.FormatFloat(p, 'g', -1, 64))
		}
	}
	prob("malformed", f.Malformed)
	prob("oversize", f.Oversize)
	prob("duplicate", f.Duplicate)
	if f.BurstEvery > 0 {
		parts = append(parts, fmt.Sprintf("burst=%s:%d", f.BurstEvery, f.BurstSize))
	}
	if f.Storm > 0 {
		parts = append(parts, "reconnect=storm:"+f.Storm.String())
	} else {
		prob("reconnect", f.Reconnect)
	}
	if f.Skew > 0 {
		parts = append(parts, "skew="+f.Skew.String())
	}
	return strings.Join(parts, ",")
}
