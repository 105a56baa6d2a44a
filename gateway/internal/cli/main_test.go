package cli

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/tributary-edge/tributary/gateway/internal/server"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Badger's caches outlive a closed DB briefly; idle keep-alive
		// connections of http.DefaultClient end when the peer closes.
		goleak.IgnoreAnyFunction("github.com/dgraph-io/ristretto/v2.(*defaultPolicy[...]).processItems"),
		goleak.IgnoreAnyFunction("github.com/dgraph-io/ristretto/v2.(*Cache[...]).processItems"),
		goleak.IgnoreAnyFunction("github.com/dgraph-io/badger/v4/y.(*WaterMark).process"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("internal/poll.runtime_pollWait"),
	)
}

// runMain runs Main with stdin and args and returns the exit code and
// what it wrote to stdout and stderr.
func runMain(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, out, _ := runMain(t, "", args...)
		if code != 0 {
			t.Errorf("%q: exit %d", args, code)
		}
		for _, c := range commands {
			if !strings.Contains(out, "  "+c.name+" ") {
				t.Errorf("%q: usage does not list %q:\n%s", args, c.name, out)
			}
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	code, out, errOut := runMain(t, "", "frobnicate")
	if code != 2 || out != "" || !strings.HasPrefix(errOut, `error: unknown command "frobnicate"`) || !strings.Contains(errOut, "Commands:") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runMain(t, "", "streams", "frobnicate")
	if code != 2 || !strings.HasPrefix(errOut, `error: unknown command "streams frobnicate"`) {
		t.Errorf("streams: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut = runMain(t, ""); code != 2 || !strings.Contains(errOut, "Usage:") {
		t.Errorf("no args: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut = runMain(t, "", "--bogus", "streams"); code != 2 {
		t.Errorf("bad global flag: exit %d, stderr %q", code, errOut)
	}
}

func TestCommandHelp(t *testing.T) {
	for _, args := range [][]string{
		{"run", "-h"}, {"check", "-h"}, {"put", "-h"}, {"tail", "--help"}, {"version", "-h"},
		{"streams", "ls", "-h"}, {"streams", "create", "-h"}, {"streams", "describe", "-h"},
		{"streams", "reshard", "-h"}, {"streams", "delete", "-h"}, {"streams", "help"},
	} {
		code, out, errOut := runMain(t, "", args...)
		if code != 0 || !strings.Contains(out, "Usage: tributary") || errOut != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"put"},
		{"put", "s", "a", "b"},
		{"put", "s", "x", "-o", "yaml"},
		{"tail"},
		{"tail", "s", "-o", "csv"},
		{"tail", "s", "--limit", "-1"},
		{"streams"},
		{"streams", "create"},
		{"streams", "create", "s", "--max-bytes", "lots"},
		{"streams", "create", "s", "--when-full", "panic"},
		{"streams", "create", "s", "--retention", "forever"},
		{"streams", "describe", "a", "b"},
		{"streams", "reshard", "s"},
		{"streams", "ls", "extra"},
		{"run", "extra"},
		{"version", "-o", "yaml"},
	} {
		code, out, errOut := runMain(t, "", args...)
		if code != 2 || out != "" || errOut == "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and a message", args, code, out, errOut)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runMain(t, "", "version")
	want := fmt.Sprintf("tributary %s (%s %s/%s)\n", server.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if code != 0 || out != want {
		t.Errorf("exit %d, stdout %q; want %q", code, out, want)
	}
	code, out, _ = runMain(t, "", "version", "-o", "json")
	if code != 0 || !strings.Contains(out, `"version": "`+server.Version+`"`) {
		t.Errorf("json: exit %d, stdout %q", code, out)
	}
}

func TestRunConfigErrors(t *testing.T) {
	clearConfigEnv(t)
	code, out, errOut := runMain(t, "", "run", "--data-dir", "", "--http", "nope")
	want := "error: --data-dir: must not be empty\nerror: --http: must be host:port (got \"nope\")\n"
	if code != 2 || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing, %q", code, out, errOut, want)
	}
	path := writeFile(t, "bad.yaml", "log:\n  levl: debug\n")
	code, _, errOut = runMain(t, "", "run", "-c", path)
	if code != 2 || !strings.Contains(errOut, "log.levl: unknown key") {
		t.Errorf("bad file: exit %d, stderr %q", code, errOut)
	}
}
