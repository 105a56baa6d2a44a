package window

import "errors"

// Sentinel errors. The operator wraps them with %w and details (which
// aggregate, which cap, which value); callers decide with errors.Is. Every
// error from Add leaves the operator exactly as it was before the call: an
// event is applied to all of its windows or to none.
var (
	// ErrInvalidSpec: a Spec or Window that Validate refuses (a size of
	// zero, DISTINCT on an aggregate other than count, a percentile outside
	// [0, 1], ...). New returns it; nothing else does.
	ErrInvalidSpec = errors.New("invalid window spec")
	// ErrLate: the event belongs only to windows that have already closed.
	// It is counted (Late) and not applied; the runner may route the record
	// to a late stream.
	ErrLate = errors.New("late event")
	// ErrTooManyGroups: applying the event would need one group more than
	// Spec.MaxGroups allows (per time window, or in total for sliding,
	// session and count windows and for LAG state). Counted in
	// Stats.GroupLimitHits.
	ErrTooManyGroups = errors.New("too many groups")
	// ErrTooManyWindows: applying the event would open one window more than
	// Spec.MaxWindows allows. Counted in Stats.WindowLimitHits.
	ErrTooManyWindows = errors.New("too many open windows")
	// ErrTooManyDistinct: a count(DISTINCT x) would hold more than
	// Spec.MaxDistinct values in one group of one window. Counted in
	// Stats.DistinctLimitHits.
	ErrTooManyDistinct = errors.New("too many distinct values")
	// ErrType: an aggregate argument or group key of a type the aggregate
	// cannot take (sum of a string, min of an array, a Go type outside the
	// value model). The event is not applied; the rest of the stream is.
	ErrType = errors.New("value of the wrong type")
	// ErrTimeRange: an event time outside what int64 nanoseconds since
	// 1970 can hold (years 1678 to 2262).
	ErrTimeRange = errors.New("time out of range")
	// ErrBadSnapshot: UnmarshalBinary was given bytes that are not a
	// snapshot of this version, are truncated or corrupt, or were taken from
	// an operator with a different Spec.
	ErrBadSnapshot = errors.New("bad window snapshot")
)
