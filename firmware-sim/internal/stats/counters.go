package stats

import "sync/atomic"

// ErrorKind classifies a failed connect or publish.
type ErrorKind int

// Error kinds.
const (
	// ErrConnect is a failed connection attempt (refused, timed out, or
	// rejected by the broker).
	ErrConnect ErrorKind = iota
	// ErrPublish is a publish whose token completed with an error the
	// device did not cause: the connection dropped before PUBACK, or the
	// write failed.
	ErrPublish
	// ErrTimeout is a QoS 1 publish with no PUBACK within the ack timeout.
	ErrTimeout
	// ErrDisconnect is a publish still in flight when the reconnect fault
	// dropped the connection on purpose.
	ErrDisconnect
	numErrorKinds
)

// String returns the kind's name as used in reports.
func (k ErrorKind) String() string {
	switch k {
	case ErrConnect:
		return "connect"
	case ErrPublish:
		return "publish"
	case ErrTimeout:
		return "timeout"
	case ErrDisconnect:
		return "disconnect"
	}
	return "unknown"
}

// ErrorKinds returns every kind in report order.
func ErrorKinds() []ErrorKind {
	ks := make([]ErrorKind, numErrorKinds)
	for i := range ks {
		ks[i] = ErrorKind(i)
	}
	return ks
}

// Counters are the totals of a run. All fields may be updated from any
// goroutine; read them with Snapshot.
type Counters struct {
	Sent      atomic.Int64 // PUBLISH packets handed to the client, every kind
	Acked     atomic.Int64 // publishes completed without error (PUBACK for QoS 1, written for QoS 0)
	Connects  atomic.Int64 // successful connections, first ones included
	Connected atomic.Int64 // devices connected now

	Malformed  atomic.Int64 // malformed payloads sent
	Oversize   atomic.Int64 // oversize payloads sent
	Duplicates atomic.Int64 // extra copies of sequenced messages sent
	Bursts     atomic.Int64 // bursts started
	Reconnects atomic.Int64 // disconnects made by the reconnect fault

	errors [numErrorKinds]atomic.Int64
}

// AddError counts one error of kind k.
func (c *Counters) AddError(k ErrorKind) { c.errors[k].Add(1) }

// CounterSnapshot is the value of Counters at one moment.
type CounterSnapshot struct {
	Sent       int64
	Acked      int64
	Connects   int64
	Connected  int64
	Malformed  int64
	Oversize   int64
	Duplicates int64
	Bursts     int64
	Reconnects int64
	Errors     [numErrorKinds]int64
}

// Snapshot reads every counter.
func (c *Counters) Snapshot() CounterSnapshot {
	s := CounterSnapshot{
		Sent:       c.Sent.Load(),
		Acked:      c.Acked.Load(),
		Connects:   c.Connects.Load(),
		Connected:  c.Connected.Load(),
		Malformed:  c.Malformed.Load(),
		Oversize:   c.Oversize.Load(),
		Duplicates: c.Duplicates.Load(),
		Bursts:     c.Bursts.Load(),
		Reconnects: c.Reconnects.Load(),
	}
	for i := range c.errors {
		s.Errors[i] = c.errors[i].Load()
	}
	return s
}

// TotalErrors returns the sum over every error kind.
func (s CounterSnapshot) TotalErrors() int64 {
	var n int64
	for _, e := range s.Errors {
		n += e
	}
	return n
}

// ErrorsByKind returns the error counts keyed by kind name; every kind is
// present, zero or not.
func (s CounterSnapshot) ErrorsByKind() map[string]int64 {
	m := make(map[string]int64, len(s.Errors))
	for _, k := range ErrorKinds() {
		m[k.String()] = s.Errors[k]
	}
	return m
}
