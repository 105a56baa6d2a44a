package camera

import (
	"errors"
	"fmt"
)

// ErrInvalidConfig is wrapped by every error of Config.Validate.
var ErrInvalidConfig = errors.New("invalid camera configuration")

// ErrClip is wrapped by every error of ParseClip: the input is not a
// usable H.264 Annex-B clip.
var ErrClip = errors.New("unusable H.264 clip")

// ErrWHIP is wrapped by a WHIP exchange that failed at the HTTP level: the
// server could not be reached, or answered with an unexpected status
// (then the error is also a *StatusError).
var ErrWHIP = errors.New("WHIP request failed")

// ErrConnect is wrapped when ICE/DTLS did not reach the connected state
// within Config.ConnectTimeout, or when the UDP socket could not be
// opened.
var ErrConnect = errors.New("cannot connect")

// ErrConnectionLost is wrapped when an established WebRTC connection
// failed or was closed by the other side while the camera was sending.
var ErrConnectionLost = errors.New("connection lost")

// StatusError is a WHIP response with an unexpected status. It wraps
// ErrWHIP.
type StatusError struct {
	Method string // POST or DELETE
	URL    string
	Code   int    // HTTP status code
	Status string // e.g. "401 Unauthorized"
	Body   string // the start of the response body, trimmed
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("WHIP %s %s: %s", e.Method, e.URL, e.Status)
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Unwrap returns ErrWHIP.
func (e *StatusError) Unwrap() error { return ErrWHIP }
