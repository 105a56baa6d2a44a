package clips

import "time"

// Clock is the time source of workers and schedulers: trigger waits, polls,
// retry backoff and schedule intervals all go through it, so tests drive
// them without sleeping.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// SystemClock returns the process clock.
func SystemClock() Clock { return systemClock{} }
