package camera

import "errors"

var (
	// ErrUnknownStream: the stream is not configured.
	ErrUnknownStream = errors.New("camera: unknown video stream")
	// ErrClosed: the manager is closed.
	ErrClosed = errors.New("camera: closed")
	// ErrInvalidConfig: a stream's configuration cannot run.
	ErrInvalidConfig = errors.New("camera: invalid config")
)
