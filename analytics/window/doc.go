// Package window is the streaming window and aggregation engine of
// Tributary's SQL analytics: it groups events by key and time, keeps
// incremental aggregates, and emits one Result per group and window when the
// window closes. It knows nothing of SQL: the evaluator hands it group keys,
// event times and evaluated aggregate arguments as values (nil for NULL,
// bool, int64, float64, string, []any, map[string]any) and gets values back.
//
// # Use
//
//	op, err := window.New(window.Spec{
//		Window:     window.Tumbling(time.Minute),
//		Aggregates: []window.AggSpec{{Func: window.FuncAvg}, {Func: window.FuncMax}},
//		EventTime:  true, Lateness: 5 * time.Second,
//	})
//	results, err := op.Add(window.Event{Key: []any{"dev-1"}, Time: ts, Args: []any{21.5, 21.5}})
//	results = op.Advance(now)           // arrival time: the clock tick closes windows
//	state, _ := op.MarshalBinary()      // commit with the outputs and the checkpoint
//	err = op.UnmarshalBinary(state)     // after a restart, on New(sameSpec)
//
// One goroutine owns an Operator (the app runner's); Late, Groups and Stats
// may be read from any goroutine. Time is never read from the system: event
// times and clock ticks are arguments, so tests run in microseconds.
//
// # Window boundaries
//
// Times are int64 nanoseconds since 1970-01-01 UTC; windows are aligned to
// that epoch, so one-minute windows start on the minute and one-day windows
// at UTC midnight. Event times must lie between the years 1823 and 2116
// (|t| < 2^62 ns; ErrTimeRange otherwise); sizes, gaps and lateness are at
// most 10 years.
//
//   - Tumbling(size): windows [k·size, (k+1)·size) for every integer k. An
//     event belongs to exactly one; an event at exactly (k+1)·size belongs
//     to the next window.
//   - Hopping(size, advance): windows [k·advance, k·advance+size); an event
//     belongs to every window containing it: size/advance of them when
//     advance divides size (⌊⌋ or ⌈⌉ of that otherwise). size/advance ≤ 1024.
//   - Sliding(size): every event e (time t) has its own window (t−size, t]
//     over the events of its group: those with times in (t−size, t), and
//     those at exactly t that arrived no later than e (arrival order breaks
//     ties). Result.Start = t−size, Result.End = t. One Result per event,
//     emitted as soon as the watermark reaches t — in the Add of the event
//     itself with arrival time or zero lateness. This is the fraud rule's
//     window: "≥ 3 transactions over 1000 within 60 s" is Sliding(60s) with
//     count(CASE WHEN amount > 1000 THEN 1 END) ≥ 3.
//   - Session(gap): per group, an event at t covers [t, t+gap); a session
//     is a maximal union of overlapping covers, [first event, last event +
//     gap). Two events of a group share a session iff they are less than gap
//     apart (exactly gap apart: two sessions). An event that overlaps two
//     open sessions (a late event in the hole between them) merges them into
//     one.
//   - Count(n, slide): per group, in arrival order, a window of n events
//     starting at every slide-th event (slide == n: each event in one
//     window; 1 ≤ slide ≤ n, n/slide ≤ 1024). Emitted when it holds n events;
//     a window that never fills is never emitted. Result.Start and End are
//     the earliest and latest event times in it, both inclusive. Count
//     windows ignore the watermark and are never late.
//
// Only windows with at least one event exist, so empty windows emit
// nothing. Results come out in order of End, then Start, then the group's
// canonical key.
//
// # Time, watermark and lateness
//
// With Spec.EventTime, Event.Time is the record's time. The watermark is the
// largest event time seen minus Spec.Lateness (it never goes back). A
// window closes, and its Results are emitted, when watermark ≥ its End
// (sliding: ≥ the event's time; session: ≥ last event + gap). An event is
// late, refused with ErrLate and counted (Late, Stats.Late), when:
//
//   - tumbling, hopping: every window containing it has closed (for hopping,
//     an event still goes into its windows that are open);
//   - sliding: its time is before the watermark (windows up to the
//     watermark have been emitted without it); an event exactly at the
//     watermark is on time;
//   - session: its own cover [t, t+gap) would already have closed, or it
//     falls before the end of its group's last emitted session.
//
// The runner keeps the refused record and may route it to a late stream.
// Without EventTime, Event.Time is the arrival time from the runner's clock;
// a time behind the current one (a clock stepped back) is taken as the
// current one, so nothing is ever late, and windows close when Advance(now)
// is called with now ≥ End (or when an event's arrival time passes it). With
// event time, Advance does nothing: the watermark moves with the events, or
// with AdvanceWatermark (end of a bounded input; an idle-source policy).
//
// # Aggregates
//
// Every aggregate ignores NULL arguments (SQL semantics); count(*) counts
// rows. With no non-NULL input the result is NULL, except count, which is 0.
// An argument of the wrong type refuses the whole event with ErrType.
//
//   - count(x): non-NULL x. count(DISTINCT x): distinct non-NULL x, exact,
//     compared by canonical encoding (1 and 1.0 are equal); more than
//     Spec.MaxDistinct values in one group of one window refuses the event
//     with ErrTooManyDistinct (sliding windows are bounded by their
//     buffered events instead).
//   - sum(x): numbers. int64 while every input is int64 and the sum fits;
//     on overflow or a float64 input it continues as float64 (so a huge
//     sum is approximate, never wrapped).
//   - avg(x): float64, the sum above over the count.
//   - min(x), max(x): booleans, numbers and strings, ordered booleans
//     (false < true) < numbers (int64 and float64 compared exactly, NaN
//     lowest) < strings (bytewise); the first of equal values is kept.
//   - first(x), last(x): x of the event with the earliest (latest) event
//     time, ties broken by arrival order.
//   - stddev(x): population standard deviation sqrt(Σ(x−mean)²/n);
//     stddev_samp(x): sample, /(n−1), NULL for one input. Welford's update,
//     Chan et al.'s merge.
//   - percentile(x, q): approximate, from a DDSketch with relative accuracy
//     α = 1%: the answer v̂ satisfies |v̂ − x| ≤ 1%·|x|, where x is the
//     ⌊q·(n−1)⌋-th smallest input (0-based), plus 1e-9 absolute near zero;
//     q = 0 and q = 1 give the exact minimum and maximum. The bound holds
//     while one sign's inputs span under 17 decades (2048 buckets); past
//     that the smallest magnitudes fold together. NaN and ±Inf are
//     ignored. See sketch.go.
//
// LAG (Spec.Lags, Operator.Previous) is per-key state outside any window:
// the value of an expression in the key's previous row, in arrival order,
// NULL for a key's first row. IgnoreNulls keeps the last non-NULL value.
// The anomaly rule "temperature jumped by more than 5 degrees from the
// device's previous reading" is abs(temp − LAG(temp)) > 5 with the device
// as the key. Spec.LagTTL forgets keys not seen for that long.
//
// # Bounded memory
//
// Spec.MaxGroups caps the groups of one time window (or the groups with
// state, for sliding, session and count windows, and LAG keys);
// Spec.MaxWindows caps the open windows (buffered events, for sliding).
// Passing a cap refuses the event with ErrTooManyGroups or
// ErrTooManyWindows and counts it (Stats.GroupLimitHits, WindowLimitHits)
// for the runner to export; state never grows past the caps. Caps are
// checked before the event moves the watermark, so an event refused for a
// cap closes nothing. An idle operator holds about 1 KB (every aggregate and
// LAG configured); an open tumbling-window group with four aggregates about
// 540 bytes.
//
// # Snapshots
//
// MarshalBinary serialises the whole state (open windows, aggregates,
// watermark, arrival sequence, LAG state, counters) deterministically;
// UnmarshalBinary restores it exactly, so a restored operator emits what an
// uninterrupted one would have. The encoding is versioned; see snapshot.go.
package window
