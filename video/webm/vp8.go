package webm

import "fmt"

// vp8KeyframeSize returns the picture size in a VP8 key frame's header
// (RFC 6386 9.1): the 3-byte frame tag (bit 0 clear for a key frame), the
// start code 9d 01 2a, then 14-bit width and height, each with a 2-bit
// scale in the top bits, little-endian.
func vp8KeyframeSize(frame []byte) (width, height int, err error) {
	if len(frame) < 10 {
		return 0, 0, fmt.Errorf("%w: %d bytes", ErrVP8Header, len(frame))
	}
	if frame[0]&1 != 0 {
		return 0, 0, fmt.Errorf("%w: not a key frame", ErrVP8Header)
	}
	if frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, fmt.Errorf("%w: start code %x", ErrVP8Header, frame[3:6])
	}
	width = int(frame[6]) | int(frame[7]&0x3f)<<8
	height = int(frame[8]) | int(frame[9]&0x3f)<<8
	if width == 0 || height == 0 {
		return 0, 0, fmt.Errorf("%w: size %dx%d", ErrVP8Header, width, height)
	}
	return width, height, nil
}
