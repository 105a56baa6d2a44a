package store

import (
	"fmt"
	"time"
)

// Policy says what a Put does when its stream is at MaxBytes.
type Policy uint8

const (
	// PolicyDeleteOldest evicts the oldest fragments to make room. The default.
	PolicyDeleteOldest Policy = iota
	// PolicyDenyNew refuses the Put with ErrFull; nothing is evicted except
	// by age.
	PolicyDenyNew
)

// ParsePolicy maps "delete_oldest" (or "") and "deny_new" to a Policy.
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "delete_oldest", "":
		return PolicyDeleteOldest, nil
	case "deny_new":
		return PolicyDenyNew, nil
	}
	return 0, fmt.Errorf("%w: full policy %q (want delete_oldest or deny_new)", ErrInvalidArgument, s)
}

// String returns the name ParsePolicy accepts.
func (p Policy) String() string {
	switch p {
	case PolicyDeleteOldest:
		return "delete_oldest"
	case PolicyDenyNew:
		return "deny_new"
	}
	return fmt.Sprintf("policy(%d)", uint8(p))
}

// Limits are a stream's retention settings. Zero MaxAge or MaxBytes means
// no limit of that kind.
type Limits struct {
	// MaxAge: fragments that ended longer ago than this are deleted.
	MaxAge time.Duration
	// MaxBytes caps the stream's stored bytes (Info.Size summed).
	MaxBytes int64
	// Policy applies when a Put would take the stream past MaxBytes.
	Policy Policy
}

func (l Limits) validate() error {
	if l.MaxAge < 0 || l.MaxBytes < 0 {
		return fmt.Errorf("%w: negative limit (max age %v, max bytes %d)", ErrInvalidArgument, l.MaxAge, l.MaxBytes)
	}
	if l.Policy > PolicyDenyNew {
		return fmt.Errorf("%w: %v", ErrInvalidArgument, l.Policy)
	}
	return nil
}
