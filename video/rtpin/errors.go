package rtpin

import "errors"

var (
	// ErrConfig wraps every Config validation error; the message names the
	// field.
	ErrConfig = errors.New("rtpin: invalid config")
	// ErrSDP wraps every SDP parse error; the message names the line and
	// the field.
	ErrSDP = errors.New("rtpin: bad SDP")
	// ErrClosed is returned by Start on a closed Listener.
	ErrClosed = errors.New("rtpin: listener closed")
	// ErrStarted is returned by a second Start.
	ErrStarted = errors.New("rtpin: listener already started")
)
