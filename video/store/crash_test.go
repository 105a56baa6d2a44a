package store

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const crashChildEnv = "VIDEOSTORE_CRASH_CHILD_DIR"

// TestCrashKeepsAcknowledged runs a child process (this test binary again)
// that Puts fragments in a loop and reports each on stdout once Put has
// returned; the parent kills it with SIGKILL at a random point, reopens
// the store and checks that every acknowledged fragment is there and
// intact, that at most the one in flight was added besides, and that the
// stored usage agrees with the index. Rounds continue on the same
// directory, so numbering after a crash is checked too.
func TestCrashKeepsAcknowledged(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	rounds := 6
	if testing.Short() {
		rounds = 3
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	acked := map[uint64]int64{} // number → server time
	var last uint64
	for round := range rounds {
		killAfter := 1 + rng.IntN(25)
		got := runCrashChild(t, dir, killAfter)
		for _, a := range got {
			if a.number != last+1 {
				t.Fatalf("round %d: child acknowledged #%d after #%d", round, a.number, last)
			}
			acked[a.number], last = a.ns, a.number
		}

		opts := testOptions(t, newFakeClock())
		opts.Dir = dir
		s := openStore(t, opts)
		checkInvariants(t, s)
		for n, ns := range acked {
			f, err := s.Get("cam", n)
			if err != nil {
				t.Fatalf("round %d: acknowledged #%d: %v", round, n, err)
			}
			if f.ServerTime.UnixNano() != ns {
				t.Fatalf("round %d: #%d has server time %v", round, n, f.ServerTime)
			}
			if bad := checkIntact(f); bad != "" {
				t.Fatalf("round %d: #%d: %s", round, n, bad)
			}
		}
		u, err := s.Usage("cam")
		if err != nil {
			t.Fatal(err)
		}
		extra := u.Fragments - int64(len(acked))
		if extra != 0 && extra != 1 {
			t.Fatalf("round %d: %d fragments stored, %d acknowledged", round, u.Fragments, len(acked))
		}
		if extra == 1 { // the one in flight made it; it must be whole
			f, err := s.Get("cam", last+1)
			if err != nil {
				t.Fatalf("round %d: an unacknowledged fragment is stored, but not #%d: %v", round, last+1, err)
			}
			if bad := checkIntact(f); bad != "" {
				t.Fatalf("round %d: in-flight #%d: %s", round, last+1, bad)
			}
			acked[last+1] = f.ServerTime.UnixNano()
			last++
		}
		t.Logf("round %d: killed after %d acks; %d fragments stored (in flight one kept: %v)", round, len(got), u.Fragments, extra == 1)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

type ack struct {
	number uint64
	ns     int64
}

// runCrashChild starts the child, SIGKILLs it as soon as its killAfter-th
// acknowledgement is read — the child is by then somewhere in its next
// Put, wherever the scheduler put it — and returns every acknowledgement
// it printed.
func runCrashChild(t *testing.T, dir string, killAfter int) []ack {
	t.Helper()
	cmd := crashCommand(t, dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acks []ack
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var a ack
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %d", &a.number, &a.ns); err != nil {
			t.Errorf("child printed %q", sc.Text())
			continue
		}
		acks = append(acks, a)
		if len(acks) == killAfter && !killed {
			cmd.Process.Kill()
			killed = true
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !killed || !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v after %d acks (killed: %v); stderr:\n%s", err, len(acks), killed, stderr.String())
	}
	return acks
}

// crashCommand re-executes this test binary as the child. Under qemu-user
// without binfmt_misc (the ARM test runs) the kernel cannot run it
// directly, so the child goes through the same emulator, which the kernel
// runs natively.
func crashCommand(t *testing.T, dir string) *exec.Cmd {
	args := []string{"-test.run=^TestCrashKeepsAcknowledged$", "-test.v=false", "-test.timeout=2m"}
	cmd := exec.Command(os.Args[0], args...)
	probe := exec.Command(os.Args[0], "-test.run=^$")
	if err := probe.Run(); errors.Is(err, syscall.ENOEXEC) {
		emu := map[string]string{"arm64": "qemu-aarch64-static", "arm": "qemu-arm-static"}[runtime.GOARCH]
		path, lerr := exec.LookPath(emu)
		if emu == "" || lerr != nil {
			t.Skipf("cannot re-execute the test binary (%v) and no %q emulator found", err, emu)
		}
		cmd = exec.Command(path, append([]string{os.Args[0]}, args...)...)
	}
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	return cmd
}

// crashChild Puts fragments of 20–300 KB to stream "cam" in dir and prints
// "ack NUMBER SERVERTIME_NS" after each Put returns. It exits on its own
// only after a minute or when stdout is gone.
func crashChild(dir string) {
	opts := Options{Dir: dir, MinFreeDisk: -1, ValueLogFileSize: 8 << 20, MaxFragmentSize: 4 << 20,
		GCInterval: -1, TrimMappedInterval: -1}
	s, err := Open(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	next, err := s.NextNumber("cam")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 2))
	deadline := time.Now().Add(time.Minute)
	for n := next; time.Now().Before(deadline); n++ {
		f := fragment(time.Duration(n)*2*time.Second, 2*time.Second, 20<<10+rng.IntN(280<<10))
		f.Number = n
		if err := s.Put("cam", f); err != nil {
			fmt.Fprintln(os.Stderr, "put:", err)
			os.Exit(2)
		}
		if _, err := os.Stdout.WriteString("ack " + strconv.FormatUint(n, 10) + " " + strconv.FormatInt(f.ServerTime.UnixNano(), 10) + "\n"); err != nil {
			os.Exit(3)
		}
	}
	os.Exit(4)
}
