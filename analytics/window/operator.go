package window

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Event is one input row of an Operator.
type Event struct {
	// Key holds the GROUP BY values; empty for a query without GROUP BY.
	// The operator keeps the slice's values (not the slice) as the group's
	// key, so nested lists and maps must not be changed afterwards.
	Key []any
	// Time is the event time (Spec.EventTime) or the arrival time stamped
	// by the runner's clock.
	Time time.Time
	// Args holds one argument per Spec.Aggregates entry, same index: the
	// evaluated x of sum(x), NULL (nil) where the row has none. count(*)
	// ignores its entry.
	Args []any
}

// Result is one emitted window of one group. Values belong to the caller;
// Key is shared with the operator and other Results of the group and must
// not be modified.
type Result struct {
	Key []any
	// Start and End bound the window. Tumbling, hopping and session
	// windows hold the events in [Start, End); a sliding window those in
	// (Start, End]; a count window those whose times lie in [Start, End],
	// the earliest and latest of its events.
	Start, End time.Time
	Rows       int64 // events in the window (count(*))
	Values     []any // one per Spec.Aggregates entry
}

// Stats is the operator's state size and counters, for status and metrics.
type Stats struct {
	Groups            int   // group states in open windows
	Windows           int   // open windows (buffered events for sliding)
	LagKeys           int   // keys with LAG state
	Late              int64 // events refused with ErrLate
	GroupLimitHits    int64 // events refused with ErrTooManyGroups
	WindowLimitHits   int64 // events refused with ErrTooManyWindows
	DistinctLimitHits int64 // events refused with ErrTooManyDistinct
	// Watermark: windows ending at or before it have been emitted. Zero
	// before the first event.
	Watermark time.Time
}

// Operator is the window and aggregation state of one query. One goroutine
// owns it: Add, Advance, AdvanceWatermark, Previous, MarshalBinary and
// UnmarshalBinary must not run concurrently. Late, Groups and Stats read
// atomics and may be called from any goroutine.
type Operator struct {
	spec Spec
	eng  engine
	lag  *lagState

	wm  int64  // watermark (ns since 1970); noWatermark before any event
	seq uint64 // arrival sequence of the last applied event

	// scratch, reused by every call
	ev    event
	kbuf  []byte
	vbuf  []byte
	dbufs [][]byte
	pend  []pending
	vals  []any // values of pend

	late, groupHits, windowHits, distinctHits atomic.Int64
	groups, windows, lagKeys, watermark       atomic.Int64
}

// event is an Event after checking: times in ns, key and DISTINCT arguments
// canonically encoded.
type event struct {
	key     []byte // canonical encoding (Operator.kbuf: copy to keep)
	keyVals []any
	t       int64
	seq     uint64
	args    []any
	dkeys   [][]byte // per aggregate: canonical argument for DISTINCT
}

// engine is one window kind's state. add returns an error only before it
// changes anything; close emits (through Operator.emit) every window that
// ends at or before wm.
type engine interface {
	late(ev *event, wm int64) bool
	add(ev *event, wm int64) error
	close(wm int64)
	numGroups() int
	numWindows() int
	encode(b []byte) []byte
	decode(d *decoder)
}

// noWatermark is the watermark before the first event: nothing is late and
// nothing closes.
const noWatermark = math.MinInt64

// timeLimit bounds event times to |t| < 2^62 ns (years 1823 to 2116), so
// that times plus sizes, gaps and lateness never overflow int64.
const timeLimit = 1 << 62

// New returns an operator for spec, or an error wrapping ErrInvalidSpec.
func New(spec Spec) (*Operator, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	spec = spec.withDefaults()
	spec.Aggregates = slices.Clone(spec.Aggregates)
	spec.Lags = slices.Clone(spec.Lags)
	o := &Operator{spec: spec, wm: noWatermark, dbufs: make([][]byte, len(spec.Aggregates))}
	o.eng = o.newEngine()
	o.lag = newLagState(o)
	o.publish()
	return o, nil
}

func (o *Operator) newEngine() engine {
	w := o.spec.Window
	switch w.Kind {
	case KindTumbling:
		return newTimeWindows(o, int64(w.Size), int64(w.Size))
	case KindHopping:
		return newTimeWindows(o, int64(w.Size), int64(w.Advance))
	case KindSliding:
		return newSliding(o, int64(w.Size))
	case KindSession:
		return newSessions(o, int64(w.Gap))
	case KindCount:
		return newCounts(o, int64(w.Count), int64(w.Slide))
	}
	return noEngine{}
}

// Spec returns the operator's spec, with defaults filled in.
func (o *Operator) Spec() Spec {
	s := o.spec
	s.Aggregates, s.Lags = slices.Clone(s.Aggregates), slices.Clone(s.Lags)
	return s
}

// Add applies one event and returns the windows that closed because of it,
// in order of End, then Start, then key. Sliding windows emit here (one per
// event, once the watermark reaches it); count windows emit when full.
//
// Errors (the operator is unchanged after each): ErrLate, ErrTooManyGroups,
// ErrTooManyWindows, ErrTooManyDistinct, ErrType, ErrTimeRange, and
// ErrInvalidSpec for an operator without a window.
func (o *Operator) Add(e Event) ([]Result, error) {
	if o.spec.Window.Kind == NoWindow {
		return nil, fmt.Errorf("%w: Add on an operator without a window", ErrInvalidSpec)
	}
	ev, err := o.check(e)
	if err != nil {
		return nil, err
	}
	if !o.spec.EventTime {
		ev.t = max(ev.t, o.wm) // a clock that stepped back is not lateness
	}
	if o.eng.late(ev, o.wm) {
		o.late.Add(1)
		return nil, fmt.Errorf("%w: %s is behind the watermark %s", ErrLate, fmtTime(ev.t), fmtTime(o.wm))
	}
	ev.seq = o.seq + 1
	if err := o.eng.add(ev, o.wm); err != nil {
		switch {
		case errors.Is(err, ErrTooManyGroups):
			o.groupHits.Add(1)
		case errors.Is(err, ErrTooManyWindows):
			o.windowHits.Add(1)
		case errors.Is(err, ErrTooManyDistinct):
			o.distinctHits.Add(1)
		}
		return nil, err
	}
	o.seq = ev.seq
	wm := ev.t
	if o.spec.EventTime {
		wm -= int64(o.spec.Lateness)
	}
	return o.raise(wm), nil
}

// Advance is the arrival-time clock tick: it closes the windows that end at
// or before now and returns them. With event time it does nothing: the
// watermark moves with the events (AdvanceWatermark forces it).
func (o *Operator) Advance(now time.Time) []Result {
	if o.spec.EventTime {
		return nil
	}
	return o.AdvanceWatermark(now)
}

// AdvanceWatermark raises the watermark to wm (never lowers it) and returns
// the windows that closed: for the end of a bounded input, or an idle-source
// policy of the runner's. Count windows have no watermark and never close
// this way.
func (o *Operator) AdvanceWatermark(wm time.Time) []Result {
	return o.raise(clampNanos(wm))
}

func (o *Operator) raise(wm int64) []Result {
	if wm > o.wm {
		o.wm = wm
	}
	o.eng.close(o.wm)
	o.publish()
	return o.flush()
}

// Late returns how many events were refused as late.
func (o *Operator) Late() int64 { return o.late.Load() }

// Groups returns how many group states the open windows hold.
func (o *Operator) Groups() int { return int(o.groups.Load()) }

// Stats returns the state size and counters.
func (o *Operator) Stats() Stats {
	s := Stats{
		Groups:            int(o.groups.Load()),
		Windows:           int(o.windows.Load()),
		LagKeys:           int(o.lagKeys.Load()),
		Late:              o.late.Load(),
		GroupLimitHits:    o.groupHits.Load(),
		WindowLimitHits:   o.windowHits.Load(),
		DistinctLimitHits: o.distinctHits.Load(),
	}
	if wm := o.watermark.Load(); wm != noWatermark {
		s.Watermark = time.Unix(0, wm).UTC()
	}
	return s
}

func (o *Operator) publish() {
	o.groups.Store(int64(o.eng.numGroups()))
	o.windows.Store(int64(o.eng.numWindows()))
	o.lagKeys.Store(int64(len(o.lag.keys)))
	o.watermark.Store(o.wm)
}

// check converts and checks an Event without changing the operator.
func (o *Operator) check(e Event) (*event, error) {
	t, err := nanos(e.Time)
	if err != nil {
		return nil, err
	}
	if len(e.Args) != len(o.spec.Aggregates) {
		return nil, fmt.Errorf("%w: %d arguments for %d aggregates", ErrType, len(e.Args), len(o.spec.Aggregates))
	}
	if o.kbuf, err = appendKey(o.kbuf[:0], e.Key); err != nil {
		return nil, fmt.Errorf("group key: %w", err)
	}
	storeAll := o.spec.Window.Kind == KindSliding // sliding keeps the rows
	for i := range o.spec.Aggregates {
		s := &o.spec.Aggregates[i]
		v := e.Args[i]
		o.dbufs[i] = o.dbufs[i][:0]
		if v == nil || s.Func == FuncCountStar {
			continue
		}
		if err := checkArg(s.Func, v); err != nil {
			return nil, fmt.Errorf("aggregate %d: %w", i, err)
		}
		if s.Distinct || storeAll || s.Func == FuncFirst || s.Func == FuncLast {
			// the value is kept: it must be in the value model
			if o.dbufs[i], err = appendValue(o.dbufs[i], v, true, 0); err != nil {
				return nil, fmt.Errorf("aggregate %d: %w", i, err)
			}
		}
	}
	o.ev = event{key: o.kbuf, keyVals: e.Key, t: t, args: e.Args, dkeys: o.dbufs}
	return &o.ev, nil
}

// nanos converts an event time, refusing times outside ±2^62 ns.
func nanos(t time.Time) (int64, error) {
	const limitSec = timeLimit / 1_000_000_000
	if s := t.Unix(); s < -limitSec || s > limitSec {
		return 0, fmt.Errorf("%w: %s", ErrTimeRange, t.UTC().Format(time.RFC3339))
	}
	n := t.UnixNano()
	if n <= -timeLimit || n >= timeLimit {
		return 0, fmt.Errorf("%w: %s", ErrTimeRange, t.UTC().Format(time.RFC3339))
	}
	return n, nil
}

func clampNanos(t time.Time) int64 {
	n, err := nanos(t)
	if err != nil {
		if t.Unix() < 0 {
			return -timeLimit + 1
		}
		return timeLimit - 1
	}
	return n
}

func fmtTime(ns int64) string {
	if ns == noWatermark {
		return "(none)"
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

// group is one group's aggregates in one window.
type group struct {
	key  []any // the key values of the group's first event
	rows int64
	accs []acc
}

func (o *Operator) newGroup(keyVals []any) *group {
	return &group{key: cloneKey(keyVals), accs: make([]acc, len(o.spec.Aggregates))}
}

// checkDistinct reports whether applying ev to g would overflow a DISTINCT
// set.
func (o *Operator) checkDistinct(g *group, ev *event) error {
	for i := range o.spec.Aggregates {
		s := &o.spec.Aggregates[i]
		if !s.Distinct || ev.args[i] == nil {
			continue
		}
		set := g.accs[i].set
		if len(set) >= o.spec.MaxDistinct {
			if _, ok := set[string(ev.dkeys[i])]; !ok {
				return fmt.Errorf("%w: aggregate %d already holds %d values (cap %d)", ErrTooManyDistinct, i, len(set), o.spec.MaxDistinct)
			}
		}
	}
	return nil
}

// apply folds ev into g.
func (o *Operator) apply(g *group, ev *event) {
	g.rows++
	for i := range o.spec.Aggregates {
		s := &o.spec.Aggregates[i]
		if v := ev.args[i]; v != nil || s.Func == FuncCountStar {
			g.accs[i].add(s, v, ev.t, ev.seq, ev.dkeys[i])
		}
	}
}

// mergeGroup folds b into a.
func (o *Operator) mergeGroup(a, b *group) {
	a.rows += b.rows
	for i := range o.spec.Aggregates {
		a.accs[i].merge(&o.spec.Aggregates[i], &b.accs[i])
	}
}

// pending is an emitted result waiting for Operator.flush to order it; its
// values are vals[at : at+len(Aggregates)] of Operator.vals.
type pending struct {
	key string
	r   Result
	at  int
}

// emit queues g's result for the window [start, end).
func (o *Operator) emit(key string, g *group, start, end int64) {
	at := len(o.vals)
	for i := range g.accs {
		o.vals = append(o.vals, g.accs[i].result(&o.spec.Aggregates[i]))
	}
	o.pend = append(o.pend, pending{key: key, at: at, r: Result{
		Key: g.key, Start: time.Unix(0, start).UTC(), End: time.Unix(0, end).UTC(), Rows: g.rows,
	}})
}

// flush returns the queued results ordered by End, Start, then key. The
// results' values share one allocation.
func (o *Operator) flush() []Result {
	if len(o.pend) == 0 {
		return nil
	}
	if len(o.pend) > 1 {
		slices.SortStableFunc(o.pend, func(a, b pending) int {
			if c := a.r.End.Compare(b.r.End); c != 0 {
				return c
			}
			if c := a.r.Start.Compare(b.r.Start); c != 0 {
				return c
			}
			return strings.Compare(a.key, b.key)
		})
	}
	n := len(o.spec.Aggregates)
	vals := make([]any, len(o.vals))
	out := make([]Result, len(o.pend))
	for i := range o.pend {
		p := &o.pend[i]
		out[i] = p.r
		out[i].Values = vals[i*n : (i+1)*n : (i+1)*n]
		copy(out[i].Values, o.vals[p.at:p.at+n])
	}
	clear(o.pend)
	clear(o.vals)
	o.pend, o.vals = o.pend[:0], o.vals[:0]
	return out
}

// floorDiv is ⌊a/b⌋ for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// sortedKeys returns m's keys in order, for deterministic snapshots.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	return keys
}

// noEngine is the window of an operator that only keeps LAG state.
type noEngine struct{}

func (noEngine) late(*event, int64) bool { return false }
func (noEngine) add(*event, int64) error { return nil }
func (noEngine) close(int64)             {}
func (noEngine) numGroups() int          { return 0 }
func (noEngine) numWindows() int         { return 0 }
func (noEngine) encode(b []byte) []byte  { return b }
func (noEngine) decode(*decoder)         {}

// cloneKey copies key values for a new group; an empty key is nil, in live
// and restored operators alike.
func cloneKey(k []any) []any {
	if len(k) == 0 {
		return nil
	}
	return slices.Clone(k)
}
