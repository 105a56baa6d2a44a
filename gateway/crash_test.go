package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/spool"
)

// binPath is the gateway binary the tests run as a child process, built for
// the test's own architecture. Under qemu (make test-arm) the Makefile sets
// TRIBUTARY_TEST_EXEC to the emulator that runs it.
var binPath, simPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tributary-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "tributary")
	simPath = filepath.Join(dir, "firmware-sim")
	for out, pkg := range map[string]string{binPath: ".", simPath: "../firmware-sim"} {
		build := exec.Command("go", "build", "-o", out, pkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		if b, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, b)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// child is a gateway process.
type child struct {
	cmd  *exec.Cmd
	base string // http://host:port
	mqtt string // host:port of the embedded broker
	done chan error
}

var listenRE = regexp.MustCompile(`msg="tributary listening" http=(\S+) mqtt=(\S*)`)

// startChild runs `tributary run` over dataDir on a free loopback port and
// waits for its "listening" log line.
func startChild(t *testing.T, dataDir string, extra ...string) *child {
	t.Helper()
	return startChildTB(t, dataDir, extra...)
}

// startChildB is startChild for benchmarks.
func startChildB(b *testing.B, dataDir string, extra ...string) *child {
	b.Helper()
	return startChildTB(b, dataDir, extra...)
}

func startChildTB(t testing.TB, dataDir string, extra ...string) *child {
	t.Helper()
	args := []string{"run", "--data-dir", dataDir, "--http", "127.0.0.1:0"}
	if !slices.Contains(extra, "--mqtt") && !slices.Contains(extra, "-c") {
		args = append(args, "--mqtt", "127.0.0.1:0")
	}
	args = append(args, extra...)
	name := binPath
	if emu := os.Getenv("TRIBUTARY_TEST_EXEC"); emu != "" {
		name, args = emu, append([]string{binPath}, args...)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = t.TempDir() // no configs/gateway.yaml here: built-in defaults
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan []string, 1)
	var logTail strings.Builder
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			logTail.WriteString(line + "\n")
			mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				addr <- m
			}
		}
		c.done <- cmd.Wait()
	}()
	select {
	case m := <-addr:
		c.base, c.mqtt = "http://"+m[1], m[2]
	case err := <-c.done:
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("gateway exited before listening: %v\n%s", err, logTail.String())
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("gateway did not start within 2 minutes")
	}
	return c
}

// acked is a record the gateway acknowledged.
type acked struct {
	shard, seq, data string
}

// TestKill9UnderLoad kills the gateway with SIGKILL while producers append
// concurrently, several times over the same data directory. Every record
// whose append was acknowledged must be present afterwards, in order, and
// sequence numbers must never go backwards or repeat.
func TestKill9UnderLoad(t *testing.T) {
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	dataDir := t.TempDir()
	var (
		mu      sync.Mutex
		all     []acked
		counter = map[int]int{} // per producer: the next data number, across rounds
	)
	const producers = 8
	for round := range rounds {
		c := startChild(t, dataDir)
		client := &api.Client{Base: c.base, HTTP: &http.Client{Timeout: time.Minute}}
		killAt := 20 + rand.IntN(200) // acknowledged batches before the kill
		var batches int
		killed := make(chan struct{})
		var once sync.Once
		var wg sync.WaitGroup
		for p := range producers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-killed:
						return
					default:
					}
					mu.Lock()
					n := counter[p]
					counter[p] += 10
					mu.Unlock()
					recs := make([]api.PutRecord, 10)
					for i := range recs {
						recs[i] = api.PutRecord{PartitionKey: fmt.Sprintf("p%d", p), Data: fmt.Appendf(nil, "p%d-%08d", p, n+i)}
					}
					res, err := client.PutRecords(context.Background(), "telemetry", recs)
					if err != nil {
						return // the gateway died under us: nothing of this batch was acknowledged
					}
					mu.Lock()
					for i, r := range res.Records {
						if r.Error != "" {
							t.Errorf("round %d: record refused: %s", round, r.Error)
							continue
						}
						all = append(all, acked{r.ShardID, r.SequenceNumber, string(recs[i].Data)})
					}
					batches++
					if batches >= killAt {
						once.Do(func() {
							c.cmd.Process.Signal(syscall.SIGKILL)
							close(killed)
						})
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		once.Do(func() { c.cmd.Process.Signal(syscall.SIGKILL); close(killed) })
		<-c.done
		t.Logf("round %d: killed after %d acknowledged batches", round, batches)
	}
	verifySpool(t, filepath.Join(dataDir, "spool"), all)
}

// eachRecord opens the spool in dir with the Go API and calls fn for every
// record of the telemetry stream, shard by shard, in sequence order.
func eachRecord(t *testing.T, dir string, fn func(shard string, r spool.StoredRecord)) {
	t.Helper()
	sp, err := spool.Open(spool.Options{Dir: dir, MinFreeDisk: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	info, err := sp.DescribeStream("telemetry")
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range info.Shards {
		cur, err := sp.Seek("telemetry", sh.ID, spool.StartPosition{Type: spool.TrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		for {
			res, err := sp.Read(cur, spool.ReadLimits{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Records {
				fn(sh.ID, r)
			}
			if len(res.Records) == 0 {
				break
			}
			cur = res.Next
		}
	}
}

// verifySpool checks the acknowledged records: present with their data,
// each shard in strictly increasing sequence order, and per partition key
// in the order it was sent.
func verifySpool(t *testing.T, dir string, all []acked) {
	t.Helper()
	stored := map[string]string{} // shard/seq -> data
	lastSeq := map[string]string{}
	lastN := map[string]int{} // shard/key -> number
	eachRecord(t, dir, func(shard string, r spool.StoredRecord) {
		seq := r.SequenceNumber()
		if seq <= lastSeq[shard] {
			t.Fatalf("%s: sequence %s after %s", shard, seq, lastSeq[shard])
		}
		lastSeq[shard] = seq
		key, num, _ := strings.Cut(string(r.Data), "-")
		n, _ := strconv.Atoi(num)
		if prev, ok := lastN[shard+"/"+key]; ok && n <= prev {
			t.Fatalf("%s: key %s out of order: %d after %d", shard, key, n, prev)
		}
		lastN[shard+"/"+key] = n
		stored[shard+"/"+seq] = string(r.Data)
	})
	missing := 0
	seen := map[string]bool{}
	for _, a := range all {
		k := a.shard + "/" + a.seq
		if seen[k] {
			t.Errorf("sequence number %s acknowledged twice", k)
		}
		seen[k] = true
		if got, ok := stored[k]; !ok || got != a.data {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged record %s (%s) missing or changed: %q", k, a.data, got)
			}
		}
	}
	t.Logf("%d acknowledged records all present (%d stored in total)", len(all)-missing, len(stored))
	if missing > 0 {
		t.Fatalf("%d acknowledged records lost", missing)
	}
}

// TestSIGTERMShutsDownCleanly: SIGTERM finishes in-flight work, syncs and
// exits 0; the data is there on the next start.
func TestSIGTERMShutsDownCleanly(t *testing.T) {
	dataDir := t.TempDir()
	c := startChild(t, dataDir)
	client := &api.Client{Base: c.base}
	res, err := client.PutRecords(context.Background(), "telemetry", []api.PutRecord{{PartitionKey: "k", Data: []byte("before-term")}})
	if err != nil {
		t.Fatal(err)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(time.Minute):
		c.cmd.Process.Kill()
		t.Fatal("gateway did not exit within a minute of SIGTERM")
	}
	verifySpool(t, filepath.Join(dataDir, "spool"), []acked{{res.Records[0].ShardID, res.Records[0].SequenceNumber, "before-term"}})
}

// TestBadConfigExits2: a config typo names the key path and exits 2.
func TestBadConfigExits2(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(cfg, []byte("spool:\n  durabilty: fsync\nstreams:\n  - name: t\n    shards: four\n"), 0o600)
	name, args := binPath, []string{"run", "-c", cfg}
	if emu := os.Getenv("TRIBUTARY_TEST_EXEC"); emu != "" {
		name, args = emu, append([]string{binPath}, args...)
	}
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	for _, want := range []string{"spool.durabilty: unknown key", "streams[0].shards"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
