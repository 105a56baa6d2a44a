package webrtc

import "errors"

var (
	// ErrNoStream is what a Source wraps when nothing is published on the
	// requested stream; the WHEP handler answers 404.
	ErrNoStream = errors.New("webrtc: stream not published")
	// ErrStreamBusy is what a Publisher may wrap to refuse a publisher
	// because the stream already has one; the WHIP handler answers 409.
	ErrStreamBusy = errors.New("webrtc: stream already has a publisher")
	// ErrClosed is returned by operations on a closed Server.
	ErrClosed = errors.New("webrtc: server closed")
	// ErrConfig wraps every Config validation error.
	ErrConfig = errors.New("webrtc: invalid config")
	// ErrBadOffer wraps the reasons an SDP offer cannot be answered.
	ErrBadOffer = errors.New("bad SDP offer")
	// ErrNoCodec is wrapped when an offer has no codec this package can
	// carry (or, for WHEP, none the stream has).
	ErrNoCodec = errors.New("no supported codec")
)
