package camera

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/video/fragment"
	"github.com/tributary-edge/tributary/video/store"
)

// Config is one video stream.
type Config struct {
	Name string
	// Token is the bearer token a WHIP publisher must present; empty lets
	// anyone publish (loopback setups, tests).
	Token string
	// ViewToken is the bearer token a WHEP viewer must present; empty lets
	// anyone view.
	ViewToken string
	// Record is whether the stream records when no schedule says
	// otherwise.
	Record bool
	// Schedule, when set, decides recording instead of Record: the stream
	// records while one of its windows is open.
	Schedule []Window
	// Retention is the stream's limits in the store.
	Retention store.Limits
	// Fragment tunes fragment cutting (target duration, byte bound).
	Fragment fragment.Options
}

// Window is a daily recording window in the gateway's local time: From
// to To (To before From crosses midnight) on Days (empty: every day).
type Window struct {
	Days     []time.Weekday
	From, To time.Duration // since midnight
}

// ParseWindow reads "08:00-18:00" or "mon-fri 08:00-18:00" or
// "sat,sun 22:00-06:00".
func ParseWindow(s string) (Window, error) {
	var w Window
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) == 2 {
		days, err := parseDays(fields[0])
		if err != nil {
			return w, fmt.Errorf("%q: %w", s, err)
		}
		w.Days = days
		fields = fields[1:]
	}
	if len(fields) != 1 {
		return w, fmt.Errorf("%q: want [DAYS] HH:MM-HH:MM, e.g. \"mon-fri 08:00-18:00\"", s)
	}
	from, to, ok := strings.Cut(fields[0], "-")
	if !ok {
		return w, fmt.Errorf("%q: want HH:MM-HH:MM", s)
	}
	var err error
	if w.From, err = parseClock(from); err != nil {
		return w, fmt.Errorf("%q: %w", s, err)
	}
	if w.To, err = parseClock(to); err != nil {
		return w, fmt.Errorf("%q: %w", s, err)
	}
	if w.From == w.To {
		return w, fmt.Errorf("%q: the window is empty", s)
	}
	return w, nil
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func parseDay(s string) (time.Weekday, error) {
	for i, d := range dayNames {
		if s == d {
			return time.Weekday(i), nil
		}
	}
	return 0, fmt.Errorf("day %q: want mon, tue, wed, thu, fri, sat or sun", s)
}

func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		from, err := parseDay(a)
		if err != nil {
			return nil, err
		}
		to := from
		if isRange {
			if to, err = parseDay(b); err != nil {
				return nil, err
			}
		}
		for d := from; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == to {
				break
			}
		}
	}
	return out, nil
}

func parseClock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("time %q: want HH:MM from 00:00 to 24:00", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// open reports whether t (local time) is inside the window.
func (w Window) open(t time.Time) bool {
	since := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
	day := t.Weekday()
	if w.From < w.To {
		return w.onDay(day) && since >= w.From && since < w.To
	}
	// across midnight: the evening part belongs to day, the morning part
	// to the day before
	return (w.onDay(day) && since >= w.From) || (w.onDay((day+6)%7) && since < w.To)
}

func (w Window) onDay(d time.Weekday) bool {
	if len(w.Days) == 0 {
		return true
	}
	for _, x := range w.Days {
		if x == d {
			return true
		}
	}
	return false
}

// scheduled reports whether a schedule records at t.
func scheduled(ws []Window, t time.Time) bool {
	for _, w := range ws {
		if w.open(t) {
			return true
		}
	}
	return false
}

// Validate checks c without I/O.
func (c *Config) Validate() error {
	if err := store.ValidateStreamName(c.Name); err != nil {
		return fmt.Errorf("%w: stream %q: %v", ErrInvalidConfig, c.Name, err)
	}
	if err := c.Fragment.Validate(); err != nil {
		return fmt.Errorf("%w: stream %q: fragment: %v", ErrInvalidConfig, c.Name, err)
	}
	if c.Retention.MaxAge < 0 || c.Retention.MaxBytes < 0 {
		return fmt.Errorf("%w: stream %q: negative retention", ErrInvalidConfig, c.Name)
	}
	return nil
}
