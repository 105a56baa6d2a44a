package webm

import (
	"os"
	"strings"
	"testing"
)

// TestTimelineInStep checks that this package's placer is the same code as
// mp4's, so a clip downloaded as MP4 or WebM has the same timing.
func TestTimelineInStep(t *testing.T) {
	mine, err := os.ReadFile("timeline.go")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := os.ReadFile("../mp4/timeline.go")
	if err != nil {
		t.Skip("mp4 sources not available:", err)
	}
	norm := func(s, pkg, other string) string {
		s = strings.Replace(s, "package "+pkg+"\n", "", 1)
		s = strings.Replace(s, "// This file is kept in step with "+other+"/timeline.go", "", 1)
		if i := strings.Index(s, "// roundTicks"); i >= 0 { // mp4 only
			s = s[:i]
		}
		return strings.TrimSpace(s)
	}
	if norm(string(mine), "webm", "mp4") != norm(string(theirs), "mp4", "webm") {
		t.Error("webm/timeline.go and mp4/timeline.go have drifted apart")
	}
}
