package store

import "errors"

// Sentinel errors. Functions wrap them with %w and details; callers decide
// with errors.Is.
var (
	// ErrNotFound: no such stream, or no such fragment in it.
	ErrNotFound = errors.New("not found")
	// ErrInvalidArgument: a caller-supplied value is malformed or out of range.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrOutOfOrder: Put with a fragment number below the stream's next number.
	ErrOutOfOrder = errors.New("fragment number already used")
	// ErrTooLarge: the fragment exceeds MaxFragmentSize or the stream's MaxBytes.
	ErrTooLarge = errors.New("fragment too large")
	// ErrFull: the stream is at MaxBytes and its policy is deny_new. Retry
	// once age retention has freed space.
	ErrFull = errors.New("stream full")
	// ErrDiskFull: free space under Dir is below the reserve, the value log
	// reached MaxValueLogBytes, or the disk reported that it is out of
	// space. Retry when space returns.
	ErrDiskFull = errors.New("disk full")
	// ErrCorrupt: a stored or supplied encoding failed its checks.
	ErrCorrupt = errors.New("corrupt fragment encoding")
	// ErrClosed: the store has been closed, or a failed sync stopped writes.
	ErrClosed = errors.New("video store closed")
)
