package sensor

import (
	"encoding/json"
	"time"
)

// State is a sensor's health.
type State string

const (
	// StateStarting: opening the device; no reading yet.
	StateStarting State = "starting"
	// StateOK: the last open/read succeeded (gpio: the pin is watched).
	StateOK State = "ok"
	// StateFailing: the last open or read failed; retrying with backoff.
	StateFailing State = "failing"
	// StateStopped: the source is closed.
	StateStopped State = "stopped"
)

// Status is a snapshot of one sensor, for `tributary status` and metrics.
type Status struct {
	Name, Driver, Stream string
	State                State
	// LastReading is the last record produced, exactly as appended.
	LastReading json.RawMessage `json:",omitempty"`
	// LastTime is LastReading's time.
	LastTime time.Time
	// Readings counts records produced (readings or gpio events).
	Readings int64
	// Appended counts records the Appender accepted as durable.
	Appended int64
	// Errors counts failed opens and reads; each is retried.
	Errors int64
	// AppendErrors counts failed appends; each is retried.
	AppendErrors int64
	// Dropped counts records lost: the oldest queued record when the
	// queue was full (appends failing for long) and records still queued
	// at Close.
	Dropped int64
	// LastError and LastErrorTime describe the most recent error (an
	// append error is prefixed "append: ").
	LastError     string    `json:",omitempty"`
	LastErrorTime time.Time `json:",omitempty"`
}
