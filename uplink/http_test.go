package uplink

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
	"github.com/tributary-edge/tributary/uplink/uplinktest"
)

func openSpool(t *testing.T, dir string) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(spool.Options{Dir: dir, MinFreeDisk: -1, GCInterval: -1, Durability: spool.DurabilityNone})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	return sp
}

func put(t *testing.T, sp *spool.Spool, stream string, from, to int) {
	t.Helper()
	var recs []spool.Record
	for i := from; i < to; i++ {
		recs = append(recs, spool.Record{PartitionKey: fmt.Sprint("k", i%7), Data: fmt.Appendf(nil, "k%d:%06d", i%7, i)})
	}
	if _, err := sp.Append(context.Background(), stream, recs); err != nil {
		t.Fatal(err)
	}
}

func start(t *testing.T, sp *spool.Spool, cfg Config) *Delivery {
	t.Helper()
	if cfg.Interval == 0 {
		cfg.Interval = 20 * time.Millisecond
	}
	cfg.Backoff = Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond}
	cfg.Rescan = 10 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := New(sp, cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.Start(context.Background())
	t.Cleanup(d.Close)
	return d
}

// checkOrder asserts every record arrived and, per partition key, in
// order; it returns how many arrived more than once.
func checkOrder(t *testing.T, got []string, n int) int {
	t.Helper()
	seen := map[string]bool{}
	last := map[string]string{}
	dups := 0
	for _, r := range got {
		if seen[r] {
			dups++
			continue
		}
		seen[r] = true
		key := r[:strings.IndexByte(r, ':')]
		if r < last[key] {
			t.Fatalf("key %s: %s after %s", key, r, last[key])
		}
		last[key] = r
	}
	if len(seen) != n {
		t.Fatalf("%d distinct records arrived, want %d", len(seen), n)
	}
	return dups
}

func TestHTTPDeliversEverythingInOrder(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 2})
	ep := uplinktest.Start(t)
	put(t, sp, "s", 0, 1500)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 4 << 10,
		Sink: &HTTPSink{URL: ep.URL, AccessKey: "secret-key", SourceARN: "arn:aws:firehose:us-east-1:000000000000:deliverystream/d", Attributes: map[string]string{"site": "shed"}}})
	put(t, sp, "s", 1500, 3000) // live data while the backlog drains
	mqtttest.Eventually(t, 30*time.Second, "3000 records", func() bool { _, r := ep.Snapshot(); return len(r) >= 3000 })
	reqs, recs := ep.Snapshot()
	if dups := checkOrder(t, recs, 3000); dups != 0 {
		t.Errorf("%d duplicates without any failure", dups)
	}
	for _, r := range reqs {
		if r.Status != 200 || r.AccessKey != "secret-key" || r.SourceARN == "" || r.Attributes != `{"commonAttributes":{"site":"shed"}}` {
			t.Fatalf("request %+v", r)
		}
		if len(r.Data) > HTTPMaxRecords || len(r.Data) == 0 {
			t.Fatalf("request of %d records", len(r.Data))
		}
	}
	if len(reqs) < 3000*9/(4<<10) { // ~9-byte records, 4 KiB batches
		t.Errorf("only %d requests: size hint not applied", len(reqs))
	}
	// The status follows the sink's answer, which the delivery reads after
	// the endpoint has recorded the request.
	mqtttest.Eventually(t, 10*time.Second, "status: 3000 delivered, connected", func() bool {
		s := d.Status()
		return s.Delivered == 3000 && s.State == "connected"
	})
}

// Every failure the contract names is retried with the same request id,
// until a 200 that echoes it; nothing is lost or reordered.
func TestHTTPRetriesWithTheSameRequestID(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	ep := uplinktest.Start(t)
	answers := []int{503, 500, 302, 299, 429, 400}
	ep.SetFail(func(n int, _ *http.Request) int {
		if n < len(answers) {
			return answers[n]
		}
		return 0
	})
	put(t, sp, "s", 0, 50)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: &HTTPSink{URL: ep.URL, Gzip: true}})
	mqtttest.Eventually(t, 30*time.Second, "50 records", func() bool { _, r := ep.Snapshot(); return len(r) >= 50 })
	reqs, recs := ep.Snapshot()
	checkOrder(t, recs, 50)
	if len(reqs) != len(answers)+1 {
		t.Fatalf("%d requests, want %d", len(reqs), len(answers)+1)
	}
	for _, r := range reqs {
		if r.ID != reqs[0].ID || r.Encoding != "gzip" {
			t.Errorf("request %+v (first id %s)", r, reqs[0].ID)
		}
	}
	mqtttest.Eventually(t, 10*time.Second, "status: connected again, the last error kept", func() bool {
		s := d.Status()
		return s.State == "connected" && s.LastError != ""
	})
}

// 413 is permanent: the batch goes to the error output (the dead-letter
// stream, with the reason) and delivery moves on.
func TestHTTP413GoesToTheErrorOutput(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	ep := uplinktest.Start(t)
	ep.SetFail(func(n int, _ *http.Request) int {
		if n == 0 {
			return 413
		}
		return 0
	})
	put(t, sp, "s", 0, 10)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: &HTTPSink{URL: ep.URL}})
	mqtttest.Eventually(t, 30*time.Second, "the refused batch in the dead-letter stream", func() bool {
		info, _ := sp.DescribeStream(sp.DeadLetterStream())
		return info.Records == 10
	})
	put(t, sp, "s", 10, 20)
	mqtttest.Eventually(t, 30*time.Second, "the next records delivered", func() bool { _, r := ep.Snapshot(); return len(r) == 10 })
	cur, _ := sp.Seek(sp.DeadLetterStream(), "shardId-000000000000", spool.StartPosition{Type: spool.TrimHorizon})
	res, _ := sp.Read(cur, spool.ReadLimits{MaxRecords: 1})
	if !strings.Contains(string(res.Records[0].Data), "413") || !strings.Contains(string(res.Records[0].Data), `"source":"uplink:d:s"`) {
		t.Errorf("dead letter: %s", res.Records[0].Data)
	}
	mqtttest.Eventually(t, 10*time.Second, "status: 10 failed, 10 delivered", func() bool {
		s := d.Status()
		return s.Failed == 10 && s.Delivered == 10
	})
}

// The checkpoint moves only after the sink confirms: a delivery stopped
// mid-outage and started again (a restart) sends what was not confirmed,
// and nothing it had confirmed.
func TestHTTPResumesFromTheCheckpointAfterARestart(t *testing.T) {
	dir := t.TempDir()
	sp := openSpool(t, dir)
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 2})
	ep := uplinktest.Start(t)
	put(t, sp, "s", 0, 200)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: &HTTPSink{URL: ep.URL}})
	mqtttest.Eventually(t, 30*time.Second, "200 records", func() bool { _, r := ep.Snapshot(); return len(r) == 200 })
	ep.SetDown(true) // the destination goes down
	put(t, sp, "s", 200, 300)
	mqtttest.Eventually(t, 30*time.Second, "retrying", func() bool { return d.Status().State == "retrying" })
	d.Close()
	sp.Close()

	sp = openSpool(t, dir)
	ep.SetDown(false) // back up
	start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: &HTTPSink{URL: ep.URL}})
	mqtttest.Eventually(t, 30*time.Second, "300 records", func() bool { _, r := ep.Snapshot(); return len(r) >= 300 })
	_, recs := ep.Snapshot()
	if dups := checkOrder(t, recs, 300); dups != 0 {
		t.Errorf("%d confirmed records sent again", dups)
	}
}

// Children of a split start only once their parent is delivered to its
// end, so per-key order holds across resharding.
func TestHTTPFollowsShardLineage(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	ep := uplinktest.Start(t)
	put(t, sp, "s", 0, 500)
	if err := sp.UpdateShardCount("s", 2); err != nil {
		t.Fatal(err)
	}
	put(t, sp, "s", 500, 1000)
	start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 1 << 10, Sink: &HTTPSink{URL: ep.URL}})
	mqtttest.Eventually(t, 30*time.Second, "1000 records", func() bool { _, r := ep.Snapshot(); return len(r) >= 1000 })
	_, recs := ep.Snapshot()
	checkOrder(t, recs, 1000)
}

func TestBackoffSchedule(t *testing.T) {
	b := Backoff{Min: time.Second, Max: 120 * time.Second, Jitter: 0.15, Rand: func() float64 { return 0.5 }}
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 64 * time.Second, 120 * time.Second, 120 * time.Second} {
		if n == 3 {
			n = 6
		} else if n > 3 {
			n += 10
		}
		if got := b.Wait(n); got != want {
			t.Errorf("Wait(%d) = %s, want %s", n, got, want)
		}
	}
	b.Rand = func() float64 { return 0 }
	if got := b.Wait(0); got != 850*time.Millisecond {
		t.Errorf("-15%%: %s", got)
	}
}

func TestPauseAndResume(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	ep := uplinktest.Start(t)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: &HTTPSink{URL: ep.URL}})
	put(t, sp, "s", 0, 10)
	mqtttest.Eventually(t, 30*time.Second, "10 records", func() bool { _, r := ep.Snapshot(); return len(r) == 10 })
	d.Pause()
	if s := d.Status(); s.State != "paused" {
		t.Fatalf("state %q", s.State)
	}
	put(t, sp, "s", 10, 20)
	// Paused: nothing is running that could send (Pause waited for it).
	if _, r := ep.Snapshot(); len(r) != 10 {
		t.Fatalf("%d records sent while paused", len(r))
	}
	d.Resume(context.Background())
	// A batch whose answer was still on its way when Pause cancelled it is
	// sent again (at-least-once; same request id): count distinct records.
	mqtttest.Eventually(t, 30*time.Second, "20 distinct records", func() bool {
		_, r := ep.Snapshot()
		seen := map[string]bool{}
		for _, x := range r {
			seen[x] = true
		}
		return len(seen) == 20
	})
	_, recs := ep.Snapshot()
	checkOrder(t, recs, 20)
}

// The status reports the backlog while the destination is down, and
// records the size cap dropped before they could be delivered are counted
// as lost, not silently skipped.
func TestBacklogAndLossAreReported(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1, MaxBytes: 64 << 10, WhenFull: spool.DropOldest})
	ep := uplinktest.Start(t)
	ep.SetDown(true)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 1 << 10, Sink: &HTTPSink{URL: ep.URL}})
	put(t, sp, "s", 0, 100)
	mqtttest.Eventually(t, 30*time.Second, "a backlog of 100", func() bool {
		s := d.Status()
		return s.BacklogRecords == 100 && s.BacklogBytes > 0 && !s.Oldest.IsZero() && s.State == "retrying"
	})
	// Far more than the 64 KiB cap: the oldest are dropped while the
	// destination is down.
	big := make([]spool.Record, 0, 200)
	for i := 100; i < 300; i++ {
		big = append(big, spool.Record{PartitionKey: fmt.Sprint("k", i%7), Data: append(fmt.Appendf(nil, "k%d:%06d", i%7, i), make([]byte, 1000)...)})
	}
	for _, r := range big {
		if _, err := sp.Append(context.Background(), "s", []spool.Record{r}); err != nil {
			t.Fatal(err)
		}
	}
	ep.SetDown(false)
	mqtttest.Eventually(t, 30*time.Second, "every record delivered or counted lost", func() bool {
		s := d.Status()
		return s.Delivered+s.Lost == 300 && s.BacklogRecords == 0
	})
	if s := d.Status(); s.Lost == 0 {
		t.Errorf("nothing counted lost: %+v", s)
	}
}

// A bandwidth cap spaces the sending: 60 KiB at 40 KiB/s (with its one
// second of burst) cannot be done in under half a second.
func TestBandwidthCap(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	ep := uplinktest.Start(t)
	var recs []spool.Record
	for i := range 60 {
		recs = append(recs, spool.Record{PartitionKey: "k", Data: append(fmt.Appendf(nil, "k:%06d", i), make([]byte, 1024-8)...)})
	}
	sp.Append(context.Background(), "s", recs)
	begin := time.Now()
	start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 4 << 10, Bandwidth: 40 << 10, Sink: &HTTPSink{URL: ep.URL}})
	mqtttest.Eventually(t, 30*time.Second, "60 records", func() bool { _, r := ep.Snapshot(); return len(r) == 60 })
	if took := time.Since(begin); took < 450*time.Millisecond {
		t.Errorf("60 KiB went in %s at a 40 KiB/s cap", took)
	}
}

// A batch in flight when the gateway stops is cut at the same point after
// the restart, even though more records arrived meanwhile: the resend has
// the same identity (request id), so the endpoint can recognise it.
func TestResendAfterRestartKeepsTheBatchIdentity(t *testing.T) {
	dir := t.TempDir()
	sp := openSpool(t, dir)
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	ep := uplinktest.Start(t)
	ep.SetDown(true)
	put(t, sp, "s", 0, 40)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: &HTTPSink{URL: ep.URL}})
	mqtttest.Eventually(t, 30*time.Second, "the batch tried", func() bool { r, _ := ep.Snapshot(); return len(r) >= 1 })
	d.Close()
	sp.Close()
	first, _ := ep.Snapshot()

	sp = openSpool(t, dir)
	put(t, sp, "s", 40, 80) // would have joined the batch if it were cut afresh
	ep.SetDown(false)
	start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: &HTTPSink{URL: ep.URL}})
	mqtttest.Eventually(t, 30*time.Second, "80 records", func() bool { _, r := ep.Snapshot(); return len(r) == 80 })
	reqs, recs := ep.Snapshot()
	checkOrder(t, recs, 80)
	var resent *uplinktest.Request
	for i := len(first); i < len(reqs); i++ {
		if reqs[i].Status == 200 {
			resent = &reqs[i]
			break
		}
	}
	if resent == nil || resent.ID != first[0].ID || len(resent.Data) != 40 {
		t.Fatalf("first request after the restart: %+v; before: %+v", resent, first[0])
	}
}
