package clips

import (
	"testing"

	"go.uber.org/goleak"
)

// Every worker, scheduler, server and store a test starts is gone when the
// tests end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
