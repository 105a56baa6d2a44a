package uplink

import "errors"

// ErrPermanent marks a sink error that retrying cannot fix (a request the
// destination refuses as such, a record that cannot be converted). Sinks
// wrap it; the delivery sends the batch to the error output.
var ErrPermanent = errors.New("permanent delivery failure")
