package device

import "errors"

// ErrInvalidConfig is wrapped by every error of Config.Validate.
var ErrInvalidConfig = errors.New("invalid configuration")

// ErrInvalidFaults is wrapped by every error of ParseFaults.
var ErrInvalidFaults = errors.New("invalid --faults")

// ErrConnect is wrapped by a failed connection attempt.
var ErrConnect = errors.New("cannot connect to the broker")
