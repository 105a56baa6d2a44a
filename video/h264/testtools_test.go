package h264

import (
	"os"
	"os/exec"
	"testing"
)

// needTool returns the path of an external tool. It skips the test when the
// tool is missing, unless CI is set: there a missing tool fails the test.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required under CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}
