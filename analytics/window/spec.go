package window

import (
	"fmt"
	"math"
	"time"
)

// Kind names a window type. The zero Kind is NoWindow: an operator that only
// keeps LAG state.
type Kind uint8

// The window kinds; see the package documentation for their boundaries.
const (
	NoWindow Kind = iota
	KindTumbling
	KindHopping
	KindSliding
	KindSession
	KindCount
)

var kindNames = [...]string{"none", "tumbling", "hopping", "sliding", "session", "count"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Window describes how events are grouped in time. Build it with Tumbling,
// Hopping, Sliding, Session or Count; the fields a kind does not use are zero.
type Window struct {
	Kind    Kind
	Size    time.Duration // tumbling, hopping, sliding: window length
	Advance time.Duration // hopping: distance between window starts
	Gap     time.Duration // session: inactivity that closes a session
	Count   int           // count: events per window
	Slide   int           // count: events between window starts
}

// Tumbling windows of the given size: [k·size, (k+1)·size).
func Tumbling(size time.Duration) Window { return Window{Kind: KindTumbling, Size: size} }

// Hopping windows of the given size starting every advance: [k·advance,
// k·advance+size).
func Hopping(size, advance time.Duration) Window {
	return Window{Kind: KindHopping, Size: size, Advance: advance}
}

// Sliding gives every event a window of its group ending at it: (t−size, t].
func Sliding(size time.Duration) Window { return Window{Kind: KindSliding, Size: size} }

// Session windows per group, closed after gap without an event.
func Session(gap time.Duration) Window { return Window{Kind: KindSession, Gap: gap} }

// Count windows of n events per group, a new one starting every slide events
// (slide == n: non-overlapping).
func Count(n, slide int) Window { return Window{Kind: KindCount, Count: n, Slide: slide} }

// maxFanout bounds how many windows one event may belong to (size/advance for
// hopping, n/slide for count windows), so one event is never a loop of
// millions.
const maxFanout = 1024

// maxDuration bounds sizes, gaps and lateness (10 years) so that time
// arithmetic on int64 nanoseconds cannot overflow.
const maxDuration = 10 * 365 * 24 * time.Hour

// Validate reports whether w is well formed.
func (w Window) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s window: %s", ErrInvalidSpec, w.Kind, fmt.Sprintf(format, args...))
	}
	switch w.Kind {
	case NoWindow:
		if w != (Window{}) {
			return bad("no window takes no parameters")
		}
		return nil
	case KindTumbling, KindSliding:
		if w.Size <= 0 || w.Size > maxDuration {
			return bad("size %v must be in (0, 10 years]", w.Size)
		}
		if w.Advance != 0 || w.Gap != 0 || w.Count != 0 || w.Slide != 0 {
			return bad("takes only a size")
		}
	case KindHopping:
		if w.Size <= 0 || w.Size > maxDuration {
			return bad("size %v must be in (0, 10 years]", w.Size)
		}
		if w.Advance <= 0 || w.Advance > w.Size {
			return bad("advance %v must be in (0, size %v]", w.Advance, w.Size)
		}
		if (w.Size+w.Advance-1)/w.Advance > maxFanout {
			return bad("size/advance = %v/%v puts an event in more than %d windows", w.Size, w.Advance, maxFanout)
		}
		if w.Gap != 0 || w.Count != 0 || w.Slide != 0 {
			return bad("takes only a size and an advance")
		}
	case KindSession:
		if w.Gap <= 0 || w.Gap > maxDuration {
			return bad("gap %v must be in (0, 10 years]", w.Gap)
		}
		if w.Size != 0 || w.Advance != 0 || w.Count != 0 || w.Slide != 0 {
			return bad("takes only a gap")
		}
	case KindCount:
		if w.Count < 1 {
			return bad("count %d must be at least 1", w.Count)
		}
		if w.Slide < 1 || w.Slide > w.Count {
			return bad("slide %d must be in [1, count %d]", w.Slide, w.Count)
		}
		if (w.Count+w.Slide-1)/w.Slide > maxFanout {
			return bad("count/slide = %d/%d puts an event in more than %d windows", w.Count, w.Slide, maxFanout)
		}
		if w.Size != 0 || w.Advance != 0 || w.Gap != 0 {
			return bad("takes only a count and a slide")
		}
	default:
		return fmt.Errorf("%w: unknown window kind %d", ErrInvalidSpec, uint8(w.Kind))
	}
	return nil
}

// AggSpec is one aggregate of the SELECT list. Its argument arrives with
// each event (Event.Args, same index); count(*) ignores it.
type AggSpec struct {
	Func     Func
	Distinct bool    // count(DISTINCT x); refused for other functions
	Param    float64 // percentile: the quantile in [0, 1] (0.95 for p95)
}

// LagSpec is one LAG(x) expression: the previous value of x for the same key.
type LagSpec struct {
	// IgnoreNulls keeps the last non-NULL value: a NULL x returns the
	// previous value and does not replace it, so "the device's previous
	// reading" skips readings without the field. Without it, LAG is the
	// previous row's value, NULL or not (SQL's LAG).
	IgnoreNulls bool
}

// Spec configures an Operator. Zero caps take the defaults below.
type Spec struct {
	Window     Window
	Aggregates []AggSpec
	Lags       []LagSpec

	// EventTime: Event.Time is the record's own time, windows close by the
	// watermark (max event time − Lateness), and older events are late.
	// Otherwise Event.Time is the arrival time stamped by the runner's clock
	// and windows close by Advance(now).
	EventTime bool
	// Lateness is how far behind the newest event time an event may be and
	// still count (event time only).
	Lateness time.Duration

	// MaxGroups caps the groups of one time window (tumbling, hopping), the
	// groups with state in total (sliding, session, count), and the keys of
	// LAG state. Default DefaultMaxGroups.
	MaxGroups int
	// MaxWindows caps open windows: time windows (tumbling, hopping), open
	// sessions in total, open count windows in total, or buffered events
	// (sliding: each buffered event is a window to come or a member of
	// one). Default DefaultMaxWindows.
	MaxWindows int
	// MaxDistinct caps the values one count(DISTINCT x) holds in one group
	// of one window. Default DefaultMaxDistinct.
	MaxDistinct int
	// LagTTL forgets the LAG state of a key not seen for this long (by the
	// times passed to Previous). Zero keeps it until MaxGroups is reached.
	LagTTL time.Duration
}

// Defaults for the caps of a Spec.
const (
	DefaultMaxGroups   = 100_000
	DefaultMaxWindows  = 100_000
	DefaultMaxDistinct = 10_000
)

func (s Spec) withDefaults() Spec {
	if s.MaxGroups == 0 {
		s.MaxGroups = DefaultMaxGroups
	}
	if s.MaxWindows == 0 {
		s.MaxWindows = DefaultMaxWindows
	}
	if s.MaxDistinct == 0 {
		s.MaxDistinct = DefaultMaxDistinct
	}
	return s
}

// Validate reports whether s is well formed. It does no I/O.
func (s Spec) Validate() error {
	if err := s.Window.Validate(); err != nil {
		return err
	}
	if s.Window.Kind == NoWindow && len(s.Aggregates) > 0 {
		return fmt.Errorf("%w: aggregates need a window", ErrInvalidSpec)
	}
	for i, a := range s.Aggregates {
		if a.Func == 0 || int(a.Func) >= len(funcNames) {
			return fmt.Errorf("%w: aggregate %d: unknown function %d", ErrInvalidSpec, i, uint8(a.Func))
		}
		if a.Distinct && a.Func != FuncCount {
			return fmt.Errorf("%w: aggregate %d: DISTINCT is supported with count only, not %s", ErrInvalidSpec, i, a.Func)
		}
		if a.Func == FuncPercentile {
			if !(a.Param >= 0 && a.Param <= 1) {
				return fmt.Errorf("%w: aggregate %d: percentile %v must be in [0, 1]", ErrInvalidSpec, i, a.Param)
			}
		} else if a.Param != 0 {
			return fmt.Errorf("%w: aggregate %d: %s takes no parameter", ErrInvalidSpec, i, a.Func)
		}
	}
	if s.Lateness < 0 || s.Lateness > maxDuration {
		return fmt.Errorf("%w: lateness %v must be in [0, 10 years]", ErrInvalidSpec, s.Lateness)
	}
	if s.Lateness != 0 && !s.EventTime {
		return fmt.Errorf("%w: lateness needs event time (arrival time is never late)", ErrInvalidSpec)
	}
	if s.LagTTL < 0 || s.LagTTL > maxDuration {
		return fmt.Errorf("%w: lag TTL %v must be in [0, 10 years]", ErrInvalidSpec, s.LagTTL)
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"max groups", s.MaxGroups}, {"max windows", s.MaxWindows}, {"max distinct", s.MaxDistinct}} {
		if c.v < 0 || c.v > math.MaxInt32 {
			return fmt.Errorf("%w: %s %d must be in [0, %d]", ErrInvalidSpec, c.name, c.v, math.MaxInt32)
		}
	}
	return nil
}
