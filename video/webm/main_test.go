package webm

import (
	"testing"

	"go.uber.org/goleak"
)

// ebml-go writes from goroutines of its own; none may outlive WriteClip,
// whether it succeeds or fails.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
