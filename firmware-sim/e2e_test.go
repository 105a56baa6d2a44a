package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tributary-edge/tributary/firmware-sim/internal/brokertest"
	"github.com/tributary-edge/tributary/firmware-sim/internal/profile"
	"github.com/tributary-edge/tributary/firmware-sim/internal/report"
	"github.com/tributary-edge/tributary/firmware-sim/internal/verify"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeGateway stands in for the gateway until its broker exists: a
// subscriber on a real mosquitto stores what the broker routes, keyed by
// topic into two shards, and an httptest server serves it like the admin
// API. Tests can then lose or reorder records to see the checker fail.
type fakeGateway struct {
	t   *testing.T
	rec *brokertest.Recorder
	URL string

	// ready reports whether the recorder holds everything the test waits
	// for; the records answer waits for it (at most 5s).
	ready func([]brokertest.Message) bool
	// edit, when set, changes the records before they are served.
	mu   sync.Mutex
	edit func([]verify.Record) []verify.Record
}

const shardCount = 2

func shardOf(topic string) string {
	h := fnv.New32a()
	h.Write([]byte(topic))
	return fmt.Sprintf("shardId-%012d", h.Sum32()%shardCount)
}

func newFakeGateway(t *testing.T, broker string) *fakeGateway {
	g := &fakeGateway{t: t, rec: brokertest.Subscribe(t, broker, "#")}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/streams/telemetry", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"name":"telemetry","shards":[{"shard_id":"%s"},{"shard_id":"%s"}]}`, shardOf("a"), shardOf("b"))
	})
	mux.HandleFunc("GET /api/v1/streams/telemetry/records", func(w http.ResponseWriter, r *http.Request) {
		enc := json.NewEncoder(w)
		for _, rec := range g.records() {
			enc.Encode(rec)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

// records returns what the broker delivered, grouped by shard, in
// arrival order within each shard.
func (g *fakeGateway) records() []verify.Record {
	// This runs in the HTTP handler, where the test cannot be stopped: on
	// timeout it reports and serves what arrived, which the check flags.
	msgs := g.rec.Messages()
	if g.ready != nil && !g.ready(msgs) {
		deadline := time.NewTimer(5 * time.Second)
		defer deadline.Stop()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
	wait:
		for !g.ready(msgs) {
			select {
			case <-tick.C:
				msgs = g.rec.Messages()
			case <-deadline.C:
				g.t.Errorf("the fake gateway's recorder did not get what the test waits for within 5s")
				break wait
			}
		}
	}
	byShard := map[string][]verify.Record{}
	for _, m := range msgs {
		sh := shardOf(m.Topic)
		byShard[sh] = append(byShard[sh], verify.Record{Stream: "telemetry", ShardID: sh, SequenceNumber: fmt.Sprint(len(byShard[sh]) + 1), PartitionKey: m.Topic, Arrival: m.Received, Data: m.Payload})
	}
	var out []verify.Record
	for i := 0; i < shardCount; i++ {
		out = append(out, byShard[fmt.Sprintf("shardId-%012d", i)]...)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.edit != nil {
		out = g.edit(out)
	}
	return out
}

func (g *fakeGateway) setEdit(f func([]verify.Record) []verify.Record) {
	g.mu.Lock()
	g.edit = f
	g.mu.Unlock()
}

// lastSeqsArrived returns a ready function: true once every one of count
// devices delivered its seq last (mosquitto keeps one publisher's order
// to a subscriber, so everything before it arrived too).
func lastSeqsArrived(count int, last uint64) func([]brokertest.Message) bool {
	return func(msgs []brokertest.Message) bool {
		done := map[string]bool{}
		for _, m := range msgs {
			if h, err := profile.ParseHeader(m.Payload); err == nil && h.Seq == last {
				done[h.DeviceID] = true
			}
		}
		return len(done) >= count
	}
}

// isSeq reports whether rec is sequenced message seq of device id.
func isSeq(rec verify.Record, id string, seq uint64) bool {
	h, err := profile.ParseHeader(rec.Data)
	return err == nil && h.DeviceID == id && h.Seq == seq
}

func TestDevicesThenVerifyEndToEnd(t *testing.T) {
	b := brokertest.Start(t)
	gw := newFakeGateway(t, b.URL)
	gw.ready = lastSeqsArrived(5, 40)
	reportFile := filepath.Join(t.TempDir(), "run.json")

	code, out, errOut := runMain(t, "devices", "--broker", b.URL, "--count", "5", "--rate", "0", "--messages", "40",
		"--profile", "tracker", "--faults", "malformed=0.05,oversize=0.02,duplicate=0.05", "--seed", "3",
		"--verify", gw.URL, "--report", reportFile, "--quiet")
	if code != exitOK {
		t.Fatalf("devices: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"5 tracker devices", "acked        ", "latency      p50", "verify PASS", "missing          0"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	rep, err := report.Read(reportFile)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Devices != 5 || rep.AckedSeqs != 200 || rep.Verify == nil || !rep.Verify.OK() || rep.Verify.Acked != 200 || rep.Seed != 3 {
		t.Fatalf("report: %+v", rep)
	}
	if rep.Injected.Malformed == 0 || rep.Verify.Ignored.NotSim != uint64(rep.Injected.Malformed+rep.Injected.Oversize) {
		t.Fatalf("malformed %d + oversize %d sent, verifier ignored %d", rep.Injected.Malformed, rep.Injected.Oversize, rep.Verify.Ignored.NotSim)
	}
	if rep.Verify.Duplicates < uint64(rep.Injected.Duplicate) || rep.Verify.InjectedDuplicates != uint64(rep.Injected.Duplicate) {
		t.Fatalf("duplicates: injected %d, verifier found %d (%d injected)", rep.Injected.Duplicate, rep.Verify.Duplicates, rep.Verify.InjectedDuplicates)
	}

	// Later, from the report alone.
	code, out, errOut = runMain(t, "verify", "--gateway", gw.URL, "--acked", reportFile)
	if code != exitOK || !strings.Contains(out, "verify PASS") {
		t.Fatalf("verify: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// The gateway lost an acked message: a durability bug.
	gw.setEdit(func(recs []verify.Record) []verify.Record {
		var out []verify.Record
		for _, r := range recs {
			if !isSeq(r, "sim-0002", 17) {
				out = append(out, r)
			}
		}
		return out
	})
	verifyOut := filepath.Join(t.TempDir(), "verified.json")
	code, out, _ = runMain(t, "verify", "--gateway", gw.URL, "--acked", reportFile, "--report", verifyOut)
	if code != exitFailure || !strings.Contains(out, "verify FAIL") || !strings.Contains(out, "sim-0002: missing 1 of 40 acked: 17") {
		t.Fatalf("lost record: exit %d\n%s", code, out)
	}
	if v, err := report.Read(verifyOut); err != nil || v.Verify == nil || v.Verify.Missing != 1 {
		t.Fatalf("verify --report: %v %+v", err, v.Verify)
	}

	// The gateway swapped two records of one device: 9 then 6, 7, 8, 5
	// each come after a higher seq.
	gw.setEdit(func(recs []verify.Record) []verify.Record {
		i, j := -1, -1
		for k, r := range recs {
			if isSeq(r, "sim-0004", 5) && i < 0 {
				i = k
			}
			if isSeq(r, "sim-0004", 9) && j < 0 {
				j = k
			}
		}
		recs[i].Data, recs[j].Data = recs[j].Data, recs[i].Data
		return recs
	})
	code, out, _ = runMain(t, "verify", "--gateway", gw.URL, "--acked", reportFile)
	if code != exitFailure || !regexp.MustCompile(`out of order +4`).MatchString(out) || !strings.Contains(out, "seq 6 after 9") || !strings.Contains(out, "seq 5 after 9") {
		t.Fatalf("reordered records: exit %d\n%s", code, out)
	}
}

func TestDevicesLiveSummaryAndQoS0(t *testing.T) {
	b := brokertest.Start(t)
	code, out, errOut := runMain(t, "devices", "--broker", b.URL, "--count", "3", "--rate", "20", "--duration", "1500ms", "--qos", "0", "--profile", "door")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	live := regexp.MustCompile(`(?m)^sent \d+  acked \d+  errors 0  rate \d+/s  p50 -  p99 -  connected \d/3$`)
	if !live.MatchString(errOut) {
		t.Errorf("no live summary line in stderr:\n%s", errOut)
	}
	if !strings.Contains(out, "QoS 0") || !strings.Contains(out, "written") || strings.Contains(out, "latency") {
		t.Errorf("QoS 0 report:\n%s", out)
	}
}

func TestDevicesBrokerUnreachable(t *testing.T) {
	b := brokertest.Start(t)
	b.Stop()
	code, out, errOut := runMain(t, "devices", "--broker", b.URL, "--count", "2", "--duration", "400ms", "--quiet")
	if code != exitFailure || !strings.Contains(errOut, "no message was acknowledged") || !regexp.MustCompile(`errors +\d+  \(connect \d+\)`).MatchString(out) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func TestVerifyGatewayUnreachable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "run.json")
	rep := report.Report{Tool: report.Tool, RunID: "r1", QoS: 1}
	if err := rep.WriteFile(file); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runMain(t, "verify", "--gateway", "http://127.0.0.1:1", "--acked", file)
	if code != exitFailure || !strings.Contains(errOut, "cannot reach the gateway") {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	os.WriteFile(file, []byte(`{"tool":"something-else"}`), 0o644)
	code, _, errOut = runMain(t, "verify", "--acked", file)
	if code != exitUsage || !strings.Contains(errOut, "not a firmware-sim report") {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
}
