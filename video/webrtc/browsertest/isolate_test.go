//go:build linux

package browsertest

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

const (
	// childEnv marks the re-run test binary inside the namespace; its value
	// is the host's network namespace (readlink /proc/self/ns/net), which
	// the child checks it is not in.
	childEnv = "TRIBUTARY_BROWSERTEST_HOSTNS"
	// childTimeout bounds one isolated test run, browser included.
	childTimeout = 3 * time.Minute
)

// iceIP is the namespace's one non-loopback address: ICE runs on it.
var iceIP = net.IPv4(10, 199, 0, 1)

// nsSetup configures the fresh namespace: lo up, and a veth pair kept
// inside it, because Chromium gathers no ICE candidates on loopback
// interfaces. trib0 holds iceIP as a /32, so the namespace has no route
// but its local ones; trib1 has no address. No IPv6 addresses are
// generated on either.
var nsSetup = [][]string{
	{"link", "set", "lo", "up"},
	{"link", "add", "trib0", "type", "veth", "peer", "name", "trib1"},
	{"link", "set", "trib0", "addrgenmode", "none"},
	{"link", "set", "trib1", "addrgenmode", "none"},
	{"addr", "add", iceIP.String() + "/32", "dev", "trib0"},
	{"link", "set", "trib1", "up"},
	{"link", "set", "trib0", "up"},
}

// isolate runs the calling test in a private network namespace. In the go
// test process it checks the requirements (skipping or, under CI, failing
// without them), re-runs the test binary for t.Name() alone in a new
// network namespace, reports that run's outcome as t's and returns false:
// the caller must return at once. In the re-run it sets the namespace up
// and returns true: the caller runs the test body, after which no
// goroutine may be left (goleak).
func isolate(t *testing.T) bool {
	t.Helper()
	if hostNS := os.Getenv(childEnv); hostNS != "" {
		// Registered first, so it runs after every other cleanup: the
		// server, the clients and the browser's goroutines must be gone.
		t.Cleanup(func() { goleak.VerifyNone(t) })
		setupNamespace(t, hostNS)
		return true
	}
	requireTools(t)
	runIsolated(t)
	return false
}

// requireTools skips t, or fails it when CI is set, unless this is amd64
// Linux with root, ip(8) and chromium. Other architectures always skip.
func requireTools(t *testing.T) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skipf("browser interop runs on amd64 only (GOARCH=%s: qemu-user cannot run chromium)", runtime.GOARCH)
	}
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (to create a network namespace)")
	}
	if ipTool() == "" {
		missing = append(missing, "ip(8) from iproute2")
	}
	if chromiumPath() == "" {
		missing = append(missing, "chromium")
	}
	if len(missing) == 0 {
		return
	}
	msg := "browser interop needs " + strings.Join(missing, ", ")
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set, so this is a failure, not a skip)")
	}
	t.Skip(msg)
}

// lookTool returns the first of names found in PATH or, for bare names, in
// dirs; "" if none.
func lookTool(names []string, dirs ...string) string {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
		for _, d := range dirs {
			p := filepath.Join(d, n)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	return ""
}

// ipTool is the path of ip(8), which root's PATH may lack.
func ipTool() string { return lookTool([]string{"ip"}, "/usr/sbin", "/sbin") }

// runIsolated re-runs the test binary for t alone in a new network
// namespace and makes its outcome t's.
func runIsolated(t *testing.T) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("finding the test binary: %v", err)
	}
	hostNS, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatalf("reading own network namespace: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe,
		"-test.run="+childRun(t.Name()), "-test.count=1", "-test.v=true",
		"-test.timeout="+(childTimeout-10*time.Second).String())
	cmd.Env = append(os.Environ(), childEnv+"="+hostNS)
	// Pdeathsig: if go test dies, so does the run (and, through its own
	// Pdeathsig, the browser).
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	out := newTailBuffer(4 << 20)
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the test binary in a new network namespace: %v", err)
	}
	ns, nsErr := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid))
	err = cmd.Wait()
	if nsErr == nil && ns != hostNS {
		if n := killNamespace(ns); n > 0 {
			t.Logf("killed %d process(es) left in the test's network namespace", n)
		}
	}
	log := out.String()
	name := t.Name()
	switch {
	case ctx.Err() != nil:
		t.Fatalf("isolated run killed after %v:\n%s", childTimeout, log)
	case err != nil:
		t.Fatalf("isolated run failed (%v) after %v:\n%s", err, time.Since(start).Round(time.Millisecond), log)
	case strings.Contains(log, "--- SKIP: "+name+" ("):
		t.Skipf("isolated run skipped:\n%s", log)
	case !strings.Contains(log, "--- PASS: "+name+" ("):
		t.Fatalf("isolated run did not report %s as passed:\n%s", name, log)
	}
	if testing.Verbose() {
		t.Logf("isolated run passed:\n%s", log)
	}
}

// childRun is the re-run's -test.run pattern: exactly the top-level test
// name, followed by the subtest levels of this process's own -test.run
// (everything after its first '/'), so that "-run Views/Cross" still
// selects only that subtest.
func childRun(name string) string {
	pattern := "^" + regexp.QuoteMeta(name) + "$"
	if f := flag.Lookup("test.run"); f != nil {
		if _, sub, ok := strings.Cut(f.Value.String(), "/"); ok {
			pattern += "/" + sub
		}
	}
	return pattern
}

// killNamespace SIGKILLs every process whose network namespace is ns and
// returns how many it signalled.
func killNamespace(ns string) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid)); err == nil && link == ns {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				n++
			}
		}
	}
	return n
}

// setupNamespace configures the re-run's namespace (see nsSetup) after
// checking it is a fresh one and not the host's.
func setupNamespace(t *testing.T, hostNS string) {
	t.Helper()
	own, err := os.Readlink("/proc/self/ns/net")
	if err != nil || own == hostNS {
		t.Fatalf("refusing to configure interfaces: not in a private network namespace (own %q, host %q, %v)", own, hostNS, err)
	}
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatalf("listing interfaces: %v", err)
	}
	if len(ifs) != 1 || ifs[0].Name != "lo" {
		t.Fatalf("refusing to configure interfaces: namespace is not fresh: %v", ifs)
	}
	ip := ipTool()
	for _, args := range nsSetup {
		if out, err := exec.Command(ip, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
}
