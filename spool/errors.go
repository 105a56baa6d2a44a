package spool

import "errors"

// Sentinel errors. Functions wrap them with %w and details; callers decide
// with errors.Is.
var (
	// ErrStreamNotFound: the named stream does not exist (or is being deleted).
	ErrStreamNotFound = errors.New("stream not found")
	// ErrStreamExists: CreateStream for a name already in use.
	ErrStreamExists = errors.New("stream already exists")
	// ErrShardNotFound: the shard id names no shard of the stream.
	ErrShardNotFound = errors.New("shard not found")
	// ErrInvalidArgument: a caller-supplied value is malformed or out of range.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrRecordTooLarge: data plus partition key exceed MaxRecordSize.
	ErrRecordTooLarge = errors.New("record too large")
	// ErrStreamFull: the stream is at its size cap and its policy is reject_new.
	ErrStreamFull = errors.New("stream full")
	// ErrDiskFull: free space under the data directory is below the reserve,
	// or the disk reported that it is out of space. Retry when space returns.
	ErrDiskFull = errors.New("disk full")
	// ErrShardClosed: a split or merge named a shard that is already closed.
	ErrShardClosed = errors.New("shard already closed")
	// ErrClosed: the spool has been closed.
	ErrClosed = errors.New("spool closed")
	// ErrTooLarge: one atomic commit (records plus checkpoints) does not fit
	// in a single transaction.
	ErrTooLarge = errors.New("commit too large for one transaction")
)
