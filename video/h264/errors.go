package h264

import "errors"

var (
	// ErrTruncated means the data ended inside a syntax element.
	ErrTruncated = errors.New("h264: truncated")
	// ErrNotSPS means the NAL unit given to ParseSPS is not a sequence
	// parameter set (nal_unit_type 7).
	ErrNotSPS = errors.New("h264: not an SPS NAL unit")
	// ErrInvalidSPS means an SPS field holds a value the standard forbids or
	// that no real stream uses (for example a picture wider than 2^16 pixels).
	ErrInvalidSPS = errors.New("h264: invalid SPS")
	// ErrInvalidAVCC means a length prefix of length-prefixed data points
	// past its end.
	ErrInvalidAVCC = errors.New("h264: invalid length-prefixed data")
)
