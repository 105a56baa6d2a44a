package clips

import "time"

// Status is a worker's or scheduler's progress, for metrics and the admin
// API. Counters only grow; an outcome (clip, empty, failed, covered) is
// counted once its checkpoint is stored, so it will not be redone.
type Status struct {
	Name   string // the rule or schedule
	Camera string

	// Worker: trigger records read; of them, merged into a clip another
	// trigger opened, covered by a clip already uploaded, and with an
	// unusable TimeField (their arrival time was used).
	Triggers, Merged, Covered, BadTime int64

	Clips     int64 // objects uploaded (event clips or recording chunks)
	Bytes     int64 // their size
	Fragments int64 // fragments in them
	Empty     int64 // worker: clips skipped for want of video
	Failed    int64 // clips refused for good (ErrPermanent) and skipped
	Truncated int64 // clips cut short by MaxClipBytes or a track change
	Deleted   int64 // scheduler: fragments deleted after upload

	Retries  int64 // failed attempts that were retried
	Retrying bool  // the current clip's last attempt failed
	Waiting  bool  // worker: a clip is waiting for its video

	LastError   string
	LastErrorAt time.Time
	LastKey     string // the last object uploaded
	LastUpload  time.Time
	// Checkpoint is the worker's last processed trigger sequence number,
	// or the scheduler's last uploaded fragment ("number@time").
	Checkpoint string
	NextRun    time.Time // scheduler: when the next pass starts
}
