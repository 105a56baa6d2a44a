package depack

import "errors"

var (
	// ErrMalformed marks a packet whose payload breaks its RTP payload
	// format; the frame it belonged to is dropped.
	ErrMalformed = errors.New("depack: malformed payload")
	// ErrUnsupported marks a payload the depacketizer does not handle (H.264
	// interleaved mode, an unknown codec).
	ErrUnsupported = errors.New("depack: unsupported payload")
	// ErrOversize marks a frame or NAL unit that exceeded Options.MaxFrameSize
	// or Options.MaxNALSize and was dropped.
	ErrOversize = errors.New("depack: frame too large")
	// ErrInvalidOptions is returned by Options.Validate.
	ErrInvalidOptions = errors.New("depack: invalid options")
)
