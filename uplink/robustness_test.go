package uplink

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
	"github.com/tributary-edge/tributary/uplink/uplinktest"
)

// More open shards than MaxShards: every shard is still delivered (the
// limit bounds concurrent sends, not which shards get a sender).
func TestMoreShardsThanSendSlots(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 5})
	ep := uplinktest.Start(t)
	put(t, sp, "s", 0, 500)
	start(t, sp, Config{Name: "d", Streams: []string{"s"}, MaxShards: 2, Sink: &HTTPSink{URL: ep.URL}})
	mqtttest.Eventually(t, 30*time.Second, "500 records from 5 shards", func() bool { _, r := ep.Snapshot(); return len(r) == 500 })
}

// A batch whose oldest part expired while the destination was down sends
// what is left, counts the rest lost, and moves on; an empty batch sends
// nothing at all.
func TestExpiredPartOfABatch(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1, MaxBytes: 40 << 10, WhenFull: spool.DropOldest})
	ep := uplinktest.Start(t)
	ep.SetDown(true)
	for i := range 30 { // one-record chunks of ~1 KiB: the cap drops the oldest
		sp.Append(context.Background(), "s", []spool.Record{{PartitionKey: "k", Data: append(fmt.Appendf(nil, "k:%06d", i), make([]byte, 1000)...)}})
	}
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 1 << 20, Sink: &HTTPSink{URL: ep.URL}})
	mqtttest.Eventually(t, 30*time.Second, "retrying", func() bool { return d.Status().State == "retrying" })
	for i := 30; i < 60; i++ {
		sp.Append(context.Background(), "s", []spool.Record{{PartitionKey: "k", Data: append(fmt.Appendf(nil, "k:%06d", i), make([]byte, 1000)...)}})
	}
	ep.SetDown(false)
	mqtttest.Eventually(t, 30*time.Second, "every record delivered or counted lost", func() bool {
		s := d.Status()
		return s.Delivered+s.Lost == 60 && s.BacklogRecords == 0
	})
	reqs, recs := ep.Snapshot()
	for _, r := range reqs {
		if r.Status == 200 && len(r.Data) == 0 {
			t.Fatal("an empty request was sent")
		}
	}
	if len(recs) == 0 || !strings.HasSuffix(recs[len(recs)-1][:8], "000059") {
		t.Errorf("last delivered %v", recs[max(0, len(recs)-1):])
	}
}

// A batch refused for good whose record is too big to keep as a dead
// letter is still recorded (without its data) and delivery moves on,
// rather than retrying the batch in a loop.
func TestPoisonBatchWithAHugeRecord(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	ep := uplinktest.Start(t)
	ep.SetFail(func(n int, _ *http.Request) int {
		if n == 0 {
			return 413
		}
		return 0
	})
	sp.Append(context.Background(), "s", []spool.Record{{PartitionKey: "k", Data: make([]byte, 900<<10)}, {PartitionKey: "k", Data: []byte("small")}})
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: &HTTPSink{URL: ep.URL}})
	mqtttest.Eventually(t, 30*time.Second, "the batch dead-lettered", func() bool { return d.Status().Failed == 2 })
	put(t, sp, "s", 0, 5)
	mqtttest.Eventually(t, 30*time.Second, "the next records delivered", func() bool { _, r := ep.Snapshot(); return len(r) == 5 })
	info, _ := sp.DescribeStream(sp.DeadLetterStream())
	if info.Records != 2 {
		t.Errorf("%d dead letters, want 2 (no duplicates)", info.Records)
	}
}

// Resume after Close does not bring a closed delivery back.
func TestResumeAfterCloseDoesNothing(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	ep := uplinktest.Start(t)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: &HTTPSink{URL: ep.URL}})
	d.Pause()
	d.Close()
	d.Resume(context.Background())
	put(t, sp, "s", 0, 5)
	d.Close() // waits for anything Resume could have started
	if _, r := ep.Snapshot(); len(r) != 0 {
		t.Errorf("%d records sent after Close", len(r))
	}
}

// The state is per delivery, not per last report: while one shard's
// batch waits to be retried, the delivery is retrying even as the other
// shards succeed.
func TestRetryingWhileAnyShardFails(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 4})
	ep := uplinktest.Start(t)
	var refuse atomic.Bool // the batches of the shard holding key k3
	refuse.Store(true)
	ep.SetJudge(func(data []string) int {
		if refuse.Load() && strings.HasPrefix(data[0], "k3:") {
			return 500
		}
		return 0
	})
	var recs []spool.Record
	for i := range 70 {
		recs = append(recs, spool.Record{PartitionKey: fmt.Sprint("k", i%7), Data: fmt.Appendf(nil, "k%d:%06d", i%7, i)})
	}
	res, err := sp.Append(context.Background(), "s", recs)
	if err != nil {
		t.Fatal(err)
	}
	// the records stuck behind the shard's first k3 record
	stuck, shard := 0, res[3].ShardID
	for i, r := range res {
		if r.ShardID == shard && i >= 3 {
			stuck++
		}
	}
	d, err := New(sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 1, Interval: time.Millisecond,
		Backoff: Backoff{Min: time.Second, Max: time.Second}, Rescan: 10 * time.Millisecond, Sink: &HTTPSink{URL: ep.URL}})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(context.Background())
	t.Cleanup(d.Close)
	mqtttest.Eventually(t, 10*time.Second, "the rest delivered", func() bool { return d.Status().Delivered == int64(70-stuck) })
	if s := d.Status(); s.State != "retrying" || s.RetryAttempt == 0 {
		t.Errorf("state %s, attempt %d while a shard's batch waits for its retry", s.State, s.RetryAttempt)
	}
	refuse.Store(false)
	mqtttest.Eventually(t, 10*time.Second, "connected, all delivered", func() bool {
		s := d.Status()
		return s.State == "connected" && s.RetryAttempt == 0 && s.Delivered == 70
	})
}

func TestRateMeter(t *testing.T) {
	var m rateMeter
	t0 := time.Unix(1000, 0)
	if r := m.rate(t0); r != 0 {
		t.Errorf("empty: %v", r)
	}
	for s := range 120 { // 10 records a second for two minutes
		m.add(t0.Add(time.Duration(s)*time.Second), 10)
	}
	if r := m.rate(t0.Add(119 * time.Second)); r < 9.5 || r > 10.5 {
		t.Errorf("steady 10/s: %v", r)
	}
	if r := m.rate(t0.Add(10 * time.Minute)); r != 0 {
		t.Errorf("after 8 idle minutes: %v", r)
	}
	var young rateMeter
	young.add(t0, 50)
	young.add(t0.Add(4*time.Second), 50)
	if r := young.rate(t0.Add(5 * time.Second)); r != 20 {
		t.Errorf("100 records in the first 5 s: %v, want 20", r)
	}
}
