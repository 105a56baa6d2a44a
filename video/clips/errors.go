package clips

import "errors"

// Sentinel errors. Functions wrap them with %w and details; callers decide
// with errors.Is.
var (
	// ErrInvalid: a Rule, Schedule or Options value is malformed; the
	// message names the field.
	ErrInvalid = errors.New("clips: invalid configuration")
	// ErrPermanent: a destination refused an upload in a way retrying
	// cannot fix (an HTTP 4xx other than 408 and 429, an S3 request the
	// service calls invalid), or a clip cannot be written from its
	// fragments. The clip is skipped, counted as failed and logged.
	ErrPermanent = errors.New("clips: permanent upload failure")
	// ErrTriggerStream: the trigger stream is missing or has more than one
	// shard (the contract is one shard, never resharded).
	ErrTriggerStream = errors.New("clips: unusable trigger stream")
	// ErrStarted: Start was called twice, or after Close.
	ErrStarted = errors.New("clips: already started or closed")
)
