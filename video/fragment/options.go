package fragment

import (
	"cmp"
	"fmt"
	"time"
)

// Defaults applied by NewBuilder to zero fields of Options.
const (
	DefaultTargetDuration = 2 * time.Second
	DefaultMaxDuration    = 10 * time.Second
	DefaultMaxBytes       = 8 << 20
	DefaultMaxFrames      = 20000
	DefaultMaxGap         = 5 * time.Second
	DefaultMaxClockSkew   = time.Second
)

// Options tune a Builder. The zero value means every default.
type Options struct {
	// FirstNumber is the Number of the first fragment.
	FirstNumber uint64
	// TargetDuration is the duration after which the next reference
	// keyframe cuts (default 2 s).
	TargetDuration time.Duration
	// MaxDuration bounds a fragment that finds no keyframe to cut at
	// (default 10 s).
	MaxDuration time.Duration
	// MaxBytes bounds a fragment's payload (default 8 MiB).
	MaxBytes int
	// MaxFrames bounds a fragment's frame count (default 20000), so tiny
	// frames cannot grow memory past MaxBytes.
	MaxFrames int
	// MaxGap is the largest reference-track PTS step inside a fragment
	// (default 5 s).
	MaxGap time.Duration
	// MaxClockSkew is how far the PTS and arrival clocks may disagree over
	// a fragment before arrival time is trusted (default 1 s).
	MaxClockSkew time.Duration
}

// Validate reports negative values and a TargetDuration above MaxDuration.
// It does no I/O.
func (o Options) Validate() error {
	switch {
	case o.TargetDuration < 0 || o.MaxDuration < 0 || o.MaxGap < 0 || o.MaxClockSkew < 0:
		return fmt.Errorf("%w: durations must not be negative", ErrInvalidOptions)
	case o.MaxBytes < 0 || o.MaxFrames < 0:
		return fmt.Errorf("%w: MaxBytes and MaxFrames must not be negative", ErrInvalidOptions)
	}
	target, maxDur := cmp.Or(o.TargetDuration, DefaultTargetDuration), cmp.Or(o.MaxDuration, DefaultMaxDuration)
	if target > maxDur {
		return fmt.Errorf("%w: TargetDuration %v exceeds MaxDuration %v", ErrInvalidOptions, target, maxDur)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.TargetDuration <= 0 {
		o.TargetDuration = DefaultTargetDuration
	}
	if o.MaxDuration <= 0 {
		o.MaxDuration = DefaultMaxDuration
	}
	o.MaxDuration = max(o.MaxDuration, o.TargetDuration)
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxFrames <= 0 {
		o.MaxFrames = DefaultMaxFrames
	}
	if o.MaxGap <= 0 {
		o.MaxGap = DefaultMaxGap
	}
	if o.MaxClockSkew <= 0 {
		o.MaxClockSkew = DefaultMaxClockSkew
	}
	return o
}
