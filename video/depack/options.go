package depack

import (
	"fmt"
	"time"
)

// Defaults applied by New to zero fields of Options.
const (
	DefaultReorderPackets  = 64
	DefaultReorderDelay    = 100 * time.Millisecond
	DefaultMaxFrameSize    = 4 << 20
	DefaultMaxForwardJump  = 10 * time.Second
	DefaultMaxBackwardJump = time.Second
)

// maxReorderPackets caps Options.ReorderPackets: a window of half the
// sequence space could no longer tell late packets from early ones.
const maxReorderPackets = 4096

// Options tune a Depacketizer. The zero value means every default.
type Options struct {
	// Track is copied into every Frame.Track.
	Track uint8
	// ReorderPackets bounds the reorder buffer in packets (default 64, at
	// most 4096).
	ReorderPackets int
	// ReorderDelay bounds how long a gap in the sequence is waited for
	// before the missing packets are declared lost (default 100 ms).
	ReorderDelay time.Duration
	// MaxFrameSize bounds one frame in bytes (default 4 MiB).
	MaxFrameSize int
	// MaxNALSize bounds one H.264 NAL unit in bytes (default MaxFrameSize).
	MaxNALSize int
	// MaxForwardJump and MaxBackwardJump bound an RTP timestamp step
	// between consecutive frames; a larger step is a clock reset and is
	// rebased (defaults 10 s and 1 s).
	MaxForwardJump  time.Duration
	MaxBackwardJump time.Duration
	// ParameterSets are H.264 SPS and PPS NAL units known out of band (SDP
	// sprop-parameter-sets, RFC 6184 8.1), without start codes. They seed
	// the parameter sets inserted ahead of IDR access units that lack them.
	ParameterSets [][]byte
}

// Validate reports options New would replace: negative values, a
// reorder window over 4096 packets, MaxNALSize above MaxFrameSize. It does
// no I/O.
func (o Options) Validate() error {
	switch {
	case o.ReorderPackets < 0 || o.ReorderPackets > maxReorderPackets:
		return fmt.Errorf("%w: ReorderPackets %d not in [0, %d]", ErrInvalidOptions, o.ReorderPackets, maxReorderPackets)
	case o.ReorderDelay < 0:
		return fmt.Errorf("%w: ReorderDelay %v is negative", ErrInvalidOptions, o.ReorderDelay)
	case o.MaxFrameSize < 0:
		return fmt.Errorf("%w: MaxFrameSize %d is negative", ErrInvalidOptions, o.MaxFrameSize)
	case o.MaxNALSize < 0:
		return fmt.Errorf("%w: MaxNALSize %d is negative", ErrInvalidOptions, o.MaxNALSize)
	case o.MaxFrameSize > 0 && o.MaxNALSize > o.MaxFrameSize:
		return fmt.Errorf("%w: MaxNALSize %d exceeds MaxFrameSize %d", ErrInvalidOptions, o.MaxNALSize, o.MaxFrameSize)
	case o.MaxForwardJump < 0 || o.MaxBackwardJump < 0:
		return fmt.Errorf("%w: timestamp jump bounds must not be negative", ErrInvalidOptions)
	}
	return nil
}

// withDefaults returns o with every zero or out-of-range field replaced by
// its default.
func (o Options) withDefaults() Options {
	if o.ReorderPackets <= 0 {
		o.ReorderPackets = DefaultReorderPackets
	}
	o.ReorderPackets = min(o.ReorderPackets, maxReorderPackets)
	if o.ReorderDelay <= 0 {
		o.ReorderDelay = DefaultReorderDelay
	}
	if o.MaxFrameSize <= 0 {
		o.MaxFrameSize = DefaultMaxFrameSize
	}
	if o.MaxNALSize <= 0 || o.MaxNALSize > o.MaxFrameSize {
		o.MaxNALSize = o.MaxFrameSize
	}
	if o.MaxForwardJump <= 0 {
		o.MaxForwardJump = DefaultMaxForwardJump
	}
	if o.MaxBackwardJump <= 0 {
		o.MaxBackwardJump = DefaultMaxBackwardJump
	}
	return o
}
