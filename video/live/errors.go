package live

import "errors"

// ErrClosed is returned by Viewer.Next once the viewer or its hub is closed
// and every queued frame has been read.
var ErrClosed = errors.New("live: viewer closed")
