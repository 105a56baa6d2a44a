package clips

import (
	"fmt"
	"time"

	"github.com/tributary-edge/tributary/video/store"
)

// Formats a clip can be written in.
const (
	FormatAuto = ""     // by the video codec: H.264 → mp4, VP8 → webm
	FormatMP4  = "mp4"  // H.264 (and Opus), package mp4
	FormatWebM = "webm" // VP8 (and Opus), package webm
)

// DefaultMaxDuration is Rule.MaxDuration when zero.
const DefaultMaxDuration = 10 * time.Minute

// Rule is one clip rule: every record of the Triggers stream asks for the
// video of Camera from t−Pre to t+Post, uploaded to Dest (see the package
// doc for t, merging and naming).
type Rule struct {
	Name     string // 1–64 of A-Z a-z 0-9 . _ -; in keys, the consumer name and metadata
	Camera   string // the video stream in the store
	Triggers string // the spool stream whose every record is a trigger (one shard)
	// TimeField names a top-level JSON field of the trigger record holding
	// its time (RFC 3339 string, or epoch seconds, milliseconds,
	// microseconds or nanoseconds as a number or numeric string). Empty:
	// the record's arrival time. A record without a usable value falls
	// back to its arrival time and is counted (Status.BadTime).
	TimeField string
	Pre, Post time.Duration
	// MaxDuration caps a clip grown by merged triggers (default 10 min, at
	// most 24 h); Pre+Post must fit in it.
	MaxDuration time.Duration
	Format      string // FormatAuto, FormatMP4 or FormatWebM
	Dest        Destination
}

// Validate checks the rule without I/O.
func (r *Rule) Validate() error {
	if err := ValidateName(r.Name); err != nil {
		return fmt.Errorf("rule: %w", err)
	}
	if err := store.ValidateStreamName(r.Camera); err != nil {
		return fmt.Errorf("%w: rule %s: camera: %v", ErrInvalid, r.Name, err)
	}
	if r.Triggers == "" {
		return fmt.Errorf("%w: rule %s: no trigger stream", ErrInvalid, r.Name)
	}
	if r.Pre < 0 || r.Post < 0 || r.Pre+r.Post <= 0 {
		return fmt.Errorf("%w: rule %s: pre %v and post %v (want ≥ 0, not both 0)", ErrInvalid, r.Name, r.Pre, r.Post)
	}
	if r.MaxDuration < 0 || r.MaxDuration > 24*time.Hour || r.Pre+r.Post > r.maxDuration() {
		return fmt.Errorf("%w: rule %s: max_duration %v (want pre+post %v up to 24h)", ErrInvalid, r.Name, r.maxDuration(), r.Pre+r.Post)
	}
	if err := validFormat(r.Format); err != nil {
		return fmt.Errorf("rule %s: %w", r.Name, err)
	}
	if r.Dest == nil {
		return fmt.Errorf("%w: rule %s: no destination", ErrInvalid, r.Name)
	}
	return nil
}

func (r *Rule) maxDuration() time.Duration {
	if r.MaxDuration == 0 {
		return DefaultMaxDuration
	}
	return r.MaxDuration
}

func validFormat(f string) error {
	switch f {
	case FormatAuto, FormatMP4, FormatWebM:
		return nil
	}
	return fmt.Errorf("%w: format %q (want mp4, webm or empty for by codec)", ErrInvalid, f)
}
