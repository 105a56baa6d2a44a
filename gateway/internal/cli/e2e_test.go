package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/gateway/internal/server"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
)

// End-to-end tests: the CLI against a real gateway on a random loopback
// port, over a temporary data directory.

// startGateway runs a gateway and returns its admin API URL.
func startGateway(t *testing.T, mutate ...func(*config.Config)) string {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.MQTT.Listen = "127.0.0.1:0"
	cfg.Spool.MinFreeDisk = 0
	for _, m := range mutate {
		m(cfg)
	}
	g, err := server.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return "http://" + g.Addr()
}

// cli runs "tributary --server srv args…" with stdin and returns the exit
// code, stdout and stderr.
func cli(t *testing.T, srv, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runMain(t, stdin, append([]string{"--server", srv}, args...)...)
}

// mustCLI is cli that fails the test unless the command exits 0.
func mustCLI(t *testing.T, srv, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := cli(t, srv, stdin, args...)
	if code != 0 {
		t.Fatalf("tributary %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	mqtttest.Eventually(t, 10*time.Second, what, cond)
}

var putLineRE = regexp.MustCompile(`^shardId-\d+ \d+$`)

func TestE2EStreams(t *testing.T) {
	srv := startGateway(t)

	out := mustCLI(t, srv, "", "streams", "create", "orders", "--shards", "2", "--retention", "2h", "--max-bytes", "1GiB", "--when-full", "drop_oldest")
	if out != "stream orders created (2 shards, retention 2h)\n" {
		t.Errorf("create: %q", out)
	}
	if code, _, errOut := cli(t, srv, "", "streams", "create", "orders"); code != 1 || !strings.HasPrefix(errOut, "error: StreamExists: ") {
		t.Errorf("create again: exit %d, stderr %q", code, errOut)
	}

	out = mustCLI(t, srv, "", "streams", "ls")
	if !regexp.MustCompile(`(?m)^NAME +SHARDS +RECORDS +BYTES +RETENTION +WHEN_FULL$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^orders +2 +0 +0 B +2h +drop_oldest$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^telemetry +4 +0 +0 B +24h +reject_new$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^dead-letter \(system\) `).MatchString(out) {
		t.Errorf("ls:\n%s", out)
	}
	var list api.StreamList
	if err := json.Unmarshal([]byte(mustCLI(t, srv, "", "streams", "ls", "-o", "json")), &list); err != nil || len(list.Streams) != 3 {
		t.Errorf("ls -o json: %v, %+v", err, list)
	}

	out = mustCLI(t, srv, "", "streams", "describe", "orders")
	for _, want := range []string{
		`(?m)^Name: +orders$`, `(?m)^Open shards: +2 \(2 in total\)$`, `(?m)^Max bytes: +1 GiB \(1073741824 bytes\)$`,
		`(?m)^When full: +drop_oldest$`,
		`(?m)^SHARD +STATE +HASH_RANGE +PARENTS +RECORDS +LAST_SEQUENCE$`,
		`(?m)^shardId-0+ +open +0000\.\.7fff +- +0 +-$`,
		`(?m)^shardId-0+1 +open +8000\.\.ffff +- +0 +-$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("describe: no match for %s in\n%s", want, out)
		}
	}

	out = mustCLI(t, srv, "", "streams", "reshard", "orders", "--shards", "3")
	if out != "stream orders resharded to 3 open shards\n" {
		t.Errorf("reshard: %q", out)
	}
	var s api.Stream
	if err := json.Unmarshal([]byte(mustCLI(t, srv, "", "streams", "describe", "-o", "json", "orders")), &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "orders" || s.OpenShards != 3 || len(s.Shards) != 7 || s.WhenFull != "drop_oldest" || s.MaxBytes != 1<<30 {
		t.Errorf("describe -o json after reshard: %+v", s)
	}

	if out := mustCLI(t, srv, "", "streams", "delete", "orders"); out != "stream orders deleted\n" {
		t.Errorf("delete: %q", out)
	}
	code, out, errOut := cli(t, srv, "", "streams", "describe", "orders")
	if code != 1 || out != "" || !strings.HasPrefix(errOut, "error: StreamNotFound: ") {
		t.Errorf("describe deleted: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// countingProxy forwards to target and counts PutRecords requests.
func countingProxy(t *testing.T, target string) (string, *atomic.Int64) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	var puts atomic.Int64
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/records") {
			puts.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p.URL, &puts
}

func TestE2EPutAndTail(t *testing.T) {
	srv := startGateway(t)
	mustCLI(t, srv, "", "streams", "create", "events", "--shards", "2")

	// One record from an argument, flags after the positionals.
	out := mustCLI(t, srv, "", "put", "events", "--key", "k", "hello")
	if !putLineRE.MatchString(strings.TrimSuffix(out, "\n")) {
		t.Errorf("put DATA: %q", out)
	}

	// 1200 stdin lines with one key: three PutRecords requests, one shard.
	proxy, puts := countingProxy(t, srv)
	var in strings.Builder
	var want []string
	for i := 1; i <= 1200; i++ {
		fmt.Fprintf(&in, "line %d\r\n", i)
		want = append(want, fmt.Sprintf("line %d", i))
	}
	out = mustCLI(t, proxy, in.String(), "put", "events", "--key", "k")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1200 || !putLineRE.MatchString(lines[0]) || !putLineRE.MatchString(lines[1199]) {
		t.Errorf("put stdin: %d lines, first %q", len(lines), lines[0])
	}
	if n := puts.Load(); n != 3 {
		t.Errorf("put stdin: %d PutRecords requests, want 3", n)
	}

	// Every record came from key k, so one shard holds them in order.
	out = mustCLI(t, srv, "", "tail", "events", "--from", "trim_horizon")
	if wantOut := "hello\n" + strings.Join(want, "\n") + "\n"; out != wantOut {
		got := strings.Split(out, "\n")
		t.Errorf("tail raw: %d lines, first %q; want %d lines", len(got), got[0], len(want)+2)
	}

	out = mustCLI(t, srv, "", "tail", "events", "-o", "json", "--limit", "3")
	jsonLines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(jsonLines) != 3 {
		t.Fatalf("tail -o json --limit 3: %d lines:\n%s", len(jsonLines), out)
	}
	for i, line := range jsonLines {
		var r api.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("tail -o json line %d: %v", i, err)
		}
		wantData := "hello"
		if i > 0 {
			wantData = want[i-1]
		}
		if r.Stream != "events" || r.PartitionKey != "k" || string(r.Data) != wantData || r.SequenceNumber == "" || r.Arrival.IsZero() {
			t.Errorf("tail -o json line %d: %+v", i, r)
		}
	}

	out = mustCLI(t, srv, "", "tail", "events", "-o", "table", "--limit", "1")
	if !regexp.MustCompile(`^SEQUENCE +SHARD +KEY +ARRIVAL +DATA\n\d+ +shardId-\d+ +k +\d{4}-\d\d-\d\dT[0-9:.]+Z +hello\n$`).MatchString(out) {
		t.Errorf("tail -o table:\n%s", out)
	}

	// Random keys spread records over both shards; the set comes back.
	mustCLI(t, srv, "", "streams", "create", "spread", "--shards", "2")
	var spread []string
	for i := range 64 {
		spread = append(spread, fmt.Sprintf("r%02d", i))
	}
	out = mustCLI(t, srv, strings.Join(spread, "\n"), "put", "spread", "-")
	shards := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		shards[strings.Fields(l)[0]] = true
	}
	if len(shards) != 2 {
		t.Errorf("64 random keys went to %d shards, want 2", len(shards))
	}
	got := strings.Split(strings.TrimSuffix(mustCLI(t, srv, "", "tail", "spread"), "\n"), "\n")
	slices.Sort(got)
	if !slices.Equal(got, spread) {
		t.Errorf("tail spread: %q", got)
	}

	// put -o json prints one PutRecordsResult per request.
	out = mustCLI(t, srv, "", "put", "events", "-o", "json", "x")
	var res api.PutRecordsResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.FailedCount != 0 || len(res.Records) != 1 {
		t.Errorf("put -o json: %v, %q", err, out)
	}
}

func TestE2EPutErrors(t *testing.T) {
	srv := startGateway(t)

	code, out, errOut := cli(t, srv, "", "put", "nope", "x")
	if code != 1 || out != "" || !strings.HasPrefix(errOut, "error: StreamNotFound: ") {
		t.Errorf("unknown stream: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// A record too large for the spool fails alone; the others land.
	big := strings.Repeat("x", 2<<20)
	code, out, errOut = cli(t, srv, "ok 1\n"+big+"\nok 3\n", "put", "telemetry")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 1 || len(lines) != 3 || !putLineRE.MatchString(lines[0]) || !putLineRE.MatchString(lines[2]) ||
		!strings.HasPrefix(lines[1], "error: RecordTooLarge ") || !strings.HasSuffix(lines[1], " (line 2)") ||
		errOut != "1 of 3 records failed\n" {
		t.Errorf("too large: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, _, errOut = cli(t, srv, "", "tail", "nope")
	if code != 1 || !strings.HasPrefix(errOut, "error: StreamNotFound: ") {
		t.Errorf("tail unknown stream: exit %d, stderr %q", code, errOut)
	}
}

func TestE2EUnreachable(t *testing.T) {
	srv := startGateway(t) // then find a port nobody listens on
	u, _ := url.Parse(srv)
	dead := "http://127.0.0.1:1"
	if u.Port() == "1" {
		t.Skip("gateway got port 1")
	}
	code, _, errOut := cli(t, dead, "", "streams", "ls")
	want := "error: cannot reach the gateway at " + dead + " (is \"tributary run\" running?)\n"
	if code != 1 || errOut != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", code, errOut, want)
	}
}

// TestE2ETailFollow follows a stream, sees records put after it started,
// and ends cleanly with exit 0 when interrupted.
func TestE2ETailFollow(t *testing.T) {
	srv := startGateway(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	e := &env{ctx: ctx, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, server: srv}
	done := make(chan int, 1)
	go func() { done <- e.main([]string{"tail", "telemetry", "--from", "latest", "-f"}) }()

	// The tail starts at "latest" once connected: put until one shows up.
	n := 0
	waitFor(t, "the first followed record", func() bool {
		n++
		mustCLI(t, srv, "", "put", "telemetry", fmt.Sprintf("early %d", n))
		return strings.Contains(stdout.String(), "early ")
	})
	mustCLI(t, srv, "", "put", "telemetry", "--key", "k", "after")
	waitFor(t, "the record put while following", func() bool {
		return strings.Contains(stdout.String(), "\nafter\n")
	})
	cancel() // what Ctrl-C does
	select {
	case code := <-done:
		if code != 0 || stderr.String() != "" {
			t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("tail -f did not end after interrupt")
	}
}

// TestE2ERun runs "tributary run" on a random port, uses it, and stops it
// with a real SIGINT.
func TestE2ERun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGINT")
	}
	clearConfigEnv(t)
	var stdout, stderr syncBuffer
	e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, server: defaultServer}
	done := make(chan int, 1)
	dataDir := t.TempDir()
	go func() {
		done <- e.main([]string{"run", "--data-dir", dataDir, "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0"})
	}()

	addrRE := regexp.MustCompile(`msg="tributary listening" http=(127\.0\.0\.1:\d+) mqtt=127\.0\.0\.1:\d+ data_dir=(\S+) durability=fsync`)
	var m []string
	waitFor(t, `"tributary listening"`, func() bool {
		select {
		case code := <-done:
			t.Fatalf("run exited %d early:\n%s", code, stderr.String())
		default:
		}
		m = addrRE.FindStringSubmatch(stderr.String())
		return m != nil
	})
	if m[2] != dataDir {
		t.Errorf("logged data_dir %q, want %q", m[2], dataDir)
	}
	out := mustCLI(t, "http://"+m[1], "", "streams", "ls")
	if !strings.Contains(out, "telemetry ") {
		t.Errorf("streams ls on the run gateway:\n%s", out)
	}

	p, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(stderr.String(), "msg=stopped") {
			t.Errorf("run: exit %d after SIGINT\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not stop after SIGINT")
	}
}
