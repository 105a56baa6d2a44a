package spool

import "time"

// Clock is the spool's source of time, injected so tests can move the wall
// clock and the monotonic clock independently.
type Clock interface {
	// Wall returns the wall-clock time; it may jump either way.
	Wall() time.Time
	// Elapsed returns monotonic time since an arbitrary fixed start; it
	// never goes backwards and ignores wall-clock changes.
	Elapsed() time.Duration
}

type systemClock struct{ start time.Time }

// SystemClock returns the process clock.
func SystemClock() Clock { return systemClock{start: time.Now()} }

func (c systemClock) Wall() time.Time        { return time.Now().Round(0) }
func (c systemClock) Elapsed() time.Duration { return time.Since(c.start) }

// plausibleWall is the earliest wall time the spool believes: a Pi without an
// RTC boots at 1970 until NTP sets the clock.
var plausibleWall = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// spoolClock measures record age. It advances only with Clock.Elapsed while
// the process runs, starting from the value persisted by the last commit.
type spoolClock struct {
	clock  Clock
	baseMs int64         // spool time at open
	base   time.Duration // Elapsed at open
}

func newSpoolClock(c Clock, savedSpoolMs, savedWallMs int64) spoolClock {
	base := savedSpoolMs
	now := c.Wall().UnixMilli()
	if savedWallMs >= plausibleWall && now >= plausibleWall && now > savedWallMs {
		base += now - savedWallMs // powered off for that long
	}
	return spoolClock{clock: c, baseMs: base, base: c.Elapsed()}
}

func (s spoolClock) nowMs() int64 {
	return s.baseMs + (s.clock.Elapsed() - s.base).Milliseconds()
}
