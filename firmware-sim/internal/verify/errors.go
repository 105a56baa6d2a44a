package verify

import "errors"

// ErrGateway is wrapped by an error answer of the gateway's admin API.
var ErrGateway = errors.New("gateway error")

// ErrStreamNotFound is wrapped when the stream to verify does not exist.
var ErrStreamNotFound = errors.New("stream not found")

// ErrBadRecord is wrapped when a line of the records answer is not a
// record: the answer cannot be trusted, so verification stops.
var ErrBadRecord = errors.New("bad record line from the gateway")

// ErrIncomplete is wrapped when the gateway ended the records answer
// with an error line: the stream was not read to its end.
var ErrIncomplete = errors.New("the gateway could not read the whole stream")
