package depack

import (
	"bytes"

	"github.com/pion/rtp/codecs"
)

// vp8KeyStart is the start code of a VP8 key frame (RFC 6386 9.1), after the
// 3-byte frame tag.
var vp8KeyStart = []byte{0x9d, 0x01, 0x2a}

// vp8 reassembles VP8 frames (RFC 7741): the payload descriptor (4.2) is
// stripped, a frame starts with S=1 and PID=0 and ends at the marker bit or
// a timestamp change (4.1).
type vp8 struct{}

func (vp8) add(a *frameBuf, p []byte) error {
	var d codecs.VP8Packet
	body, err := d.Unmarshal(p)
	if err != nil {
		return malformed(a, "VP8 payload descriptor: %v", err)
	}
	start := d.S == 1 && d.PID == 0
	switch {
	case start && a.started:
		return malformed(a, "VP8 frame started twice")
	case !start && !a.started:
		a.broken = true // the frame's first packet was lost
		return nil
	case start && len(body) == 0:
		return malformed(a, "VP8 frame start without payload")
	}
	a.started = true
	if err := a.grow(len(body)); err != nil {
		return err
	}
	a.buf = append(a.buf, body...)
	return nil
}

// finish classifies the frame from its frame tag (RFC 6386 9.1): P=0 is a
// key frame, which carries the start code 9d 01 2a and its dimensions.
func (vp8) finish(a *frameBuf) ([]byte, bool, bool, error) {
	if a.broken || len(a.buf) == 0 {
		return nil, false, false, nil
	}
	if len(a.buf) < 3 {
		return nil, false, false, malformed(a, "VP8 frame of %d bytes", len(a.buf))
	}
	key := a.buf[0]&0x01 == 0
	if key && (len(a.buf) < 10 || !bytes.Equal(a.buf[3:6], vp8KeyStart)) {
		return nil, false, false, malformed(a, "VP8 key frame without start code")
	}
	return a.buf, key, true, nil
}
