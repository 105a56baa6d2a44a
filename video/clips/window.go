package clips

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Window is a daily time window ("22:00-06:00"), in local time of the
// location the scheduler is given. The zero Window is always open.
type Window struct {
	set        bool
	start, end int // seconds after midnight; end < start crosses midnight
}

// ParseWindow parses "HH:MM-HH:MM" (24-hour clock; an end before the
// start crosses midnight). The empty string is the always-open window.
func ParseWindow(s string) (Window, error) {
	if s == "" {
		return Window{}, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return Window{}, fmt.Errorf("%w: window %q (want HH:MM-HH:MM)", ErrInvalid, s)
	}
	start, err1 := clockTime(a)
	end, err2 := clockTime(b)
	if err1 != nil || err2 != nil {
		return Window{}, fmt.Errorf("%w: window %q (want HH:MM-HH:MM)", ErrInvalid, s)
	}
	if start == end {
		return Window{}, fmt.Errorf("%w: window %q is empty (leave it out to upload at any time)", ErrInvalid, s)
	}
	return Window{set: true, start: start, end: end}, nil
}

// clockTime parses "HH:MM" into seconds after midnight.
func clockTime(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || h[0] == '+' || h[0] == '-' || m[0] == '+' || m[0] == '-' {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return hh*3600 + mm*60, nil
}

// String returns the window as ParseWindow reads it ("" if always open).
func (w Window) String() string {
	if !w.set {
		return ""
	}
	f := func(s int) string { return fmt.Sprintf("%02d:%02d", s/3600, s/60%60) }
	return f(w.start) + "-" + f(w.end)
}

// IsZero reports whether the window is always open.
func (w Window) IsZero() bool { return !w.set }

// Contains reports whether t (in its own location) falls in the window:
// from the start, inclusive, to the end, exclusive.
func (w Window) Contains(t time.Time) bool {
	if !w.set {
		return true
	}
	s := t.Hour()*3600 + t.Minute()*60 + t.Second()
	if w.start < w.end {
		return s >= w.start && s < w.end
	}
	return s >= w.start || s < w.end
}

// NextOpen returns t if the window contains it, else the next time it
// opens (in t's location).
func (w Window) NextOpen(t time.Time) time.Time {
	if w.Contains(t) {
		return t
	}
	y, mo, d := t.Date()
	open := time.Date(y, mo, d, w.start/3600, w.start/60%60, 0, 0, t.Location())
	if !open.After(t) {
		open = time.Date(y, mo, d+1, w.start/3600, w.start/60%60, 0, 0, t.Location())
	}
	return open
}
