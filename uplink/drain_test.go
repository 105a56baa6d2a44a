package uplink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
	"github.com/tributary-edge/tributary/uplink/uplinktest"
)

// putLive appends records of the key "live", numbered from..to.
func putLive(t *testing.T, sp *spool.Spool, stream string, from, to int) {
	t.Helper()
	var recs []spool.Record
	for i := from; i < to; i++ {
		recs = append(recs, spool.Record{PartitionKey: "live", Data: fmt.Appendf(nil, "live:%06d", i)})
	}
	if _, err := sp.Append(context.Background(), stream, recs); err != nil {
		t.Fatal(err)
	}
}

// checkNewestFirst asserts every record arrived once or more, the live
// key in order, and the backlog keys in order apart from the one record
// the live segment took (the newest at the split).
func checkNewestFirst(t *testing.T, got []string, backlog, live int) {
	t.Helper()
	seen := map[string]bool{}
	lastLive := ""
	for _, r := range got {
		if seen[r] {
			continue
		}
		seen[r] = true
		if strings.HasPrefix(r, "live:") {
			if r < lastLive {
				t.Fatalf("live records out of order: %s after %s", r, lastLive)
			}
			lastLive = r
		}
	}
	if len(seen) != backlog+live {
		t.Fatalf("%d distinct records arrived, want %d", len(seen), backlog+live)
	}
}

// waitSplit waits until the delivery has split the stream's first shard.
func waitSplit(t *testing.T, sp *spool.Spool, delivery, stream string) {
	t.Helper()
	info, err := sp.DescribeStream(stream)
	if err != nil {
		t.Fatal(err)
	}
	mqtttest.Eventually(t, 10*time.Second, "the shard split", func() bool {
		_, ok, _ := sp.GetCheckpoint("uplink-gap:"+delivery, stream, info.Shards[0].ID)
		return ok
	})
}

// Newest first: with a backlog behind a slow link, records that arrive
// now are delivered before the backlog is, and the backlog still arrives
// in full; afterwards the shard is one segment again (no backlog, the
// checkpoint at the end).
func TestNewestFirstSendsLiveRecordsBeforeTheBacklog(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	ep := uplinktest.Start(t)
	const backlog = 20000 // 9-byte records: ~180 KB, ~4 s at the cap below
	put(t, sp, "s", 0, backlog)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 2 << 10, Bandwidth: 48 << 10,
		NewestFirst: true, Sink: &HTTPSink{URL: ep.URL}})
	waitSplit(t, sp, "d", "s")
	putLive(t, sp, "s", 0, 10)
	var whenLive int
	mqtttest.Eventually(t, 30*time.Second, "the live records", func() bool {
		_, recs := ep.Snapshot()
		n := 0
		for _, r := range recs {
			if strings.HasPrefix(r, "live:") {
				n++
			}
		}
		whenLive = len(recs)
		return n == 10
	})
	if whenLive >= backlog {
		t.Errorf("the live records came after the whole backlog (%d records delivered by then)", whenLive)
	}
	mqtttest.Eventually(t, 60*time.Second, "the backlog", func() bool { return ep.Accepted() >= backlog+10 })
	_, recs := ep.Snapshot()
	checkNewestFirst(t, recs, backlog, 10)
	mqtttest.Eventually(t, 10*time.Second, "the split merged: no backlog", func() bool {
		s := d.Status()
		return s.BacklogRecords == 0 && s.Delivered >= backlog+10
	})
	// one segment again: a new record is delivered and C follows it
	putLive(t, sp, "s", 10, 11)
	mqtttest.Eventually(t, 10*time.Second, "a record after the merge", func() bool { return d.Status().BacklogRecords == 0 && ep.Accepted() >= backlog+11 })
	info, _ := sp.DescribeStream("s")
	c, _, _ := sp.GetCheckpoint("uplink:d", "s", info.Shards[0].ID)
	if c != info.Shards[0].LastSequence {
		t.Errorf("checkpoint %s after the merge, want the shard's last %s", c, info.Shards[0].LastSequence)
	}
}

// A split interrupted by a restart goes on where it was: both segments
// resume from their checkpoints, and nothing is lost.
func TestNewestFirstSplitSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	sp := openSpool(t, dir)
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	ep := uplinktest.Start(t)
	const backlog = 20000
	put(t, sp, "s", 0, backlog)
	cfg := Config{Name: "d", Streams: []string{"s"}, SizeHint: 2 << 10, Bandwidth: 48 << 10, NewestFirst: true, Sink: &HTTPSink{URL: ep.URL}}
	d := start(t, sp, cfg)
	waitSplit(t, sp, "d", "s")
	putLive(t, sp, "s", 0, 5)
	mqtttest.Eventually(t, 30*time.Second, "the first live records", func() bool {
		_, recs := ep.Snapshot()
		return strings.Contains(strings.Join(recs, ","), "live:000004")
	})
	d.Close()
	if n := ep.Accepted(); n >= backlog {
		t.Fatalf("the backlog was done before the restart (%d): the test proves nothing", n)
	}
	putLive(t, sp, "s", 5, 10)
	cfg.Bandwidth = 0 // after the restart, drain at full speed
	start(t, sp, cfg)
	mqtttest.Eventually(t, 60*time.Second, "everything", func() bool {
		_, recs := ep.Snapshot()
		seen := map[string]bool{}
		for _, r := range recs {
			seen[r] = true
		}
		return len(seen) == backlog+10
	})
	_, recs := ep.Snapshot()
	checkNewestFirst(t, recs, backlog, 10)
	if dups := len(recs) - (backlog + 10); dups > 2<<10 {
		t.Errorf("%d records sent twice across a restart: more than a batch", dups)
	}
}

// A trickle at a higher priority does not starve a lower one: with the
// link mostly idle, the lower priority gets it.
func TestLinkTrickleDoesNotStarve(t *testing.T) {
	l := NewLink(1 << 20)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l.wait(ctx, 1, 100) // the higher priority was just served
	go func() {         // 100 B every 5 ms at priority 1: 2 % of the link
		for ctx.Err() == nil {
			l.wait(ctx, 1, 100)
			sleep(ctx, 5*time.Millisecond)
		}
	}()
	for i := range 50 {
		if err := l.wait(ctx, 0, 1000); err != nil {
			t.Fatalf("the lower priority's wait %d: %v (starved)", i, err)
		}
	}
}

// Two deliveries on one thin link: the one with the higher priority gets
// the bandwidth while it has something to send. The link is thin enough
// (8 KiB/s, 1,000 of these records a second) to be the bottleneck even on a loaded machine under qemu:
// with the CPU the bottleneck instead, neither would wait for it.
func TestLinkPriority(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "alerts", Shards: 1})
	sp.CreateStream(spool.StreamConfig{Name: "bulk", Shards: 1})
	put(t, sp, "alerts", 0, 4000)
	put(t, sp, "bulk", 0, 30000)
	hi, lo := uplinktest.Start(t), uplinktest.Start(t)
	link := NewLink(8 << 10)
	start(t, sp, Config{Name: "bulk", Streams: []string{"bulk"}, SizeHint: 2 << 10, Link: link, Priority: 0, Sink: &HTTPSink{URL: lo.URL}})
	start(t, sp, Config{Name: "alerts", Streams: []string{"alerts"}, SizeHint: 2 << 10, Link: link, Priority: 5, Sink: &HTTPSink{URL: hi.URL}})
	// Measured after the bucket's first second of burst, which whoever
	// starts first takes.
	mqtttest.Eventually(t, 30*time.Second, "1000 alerts", func() bool { return hi.Accepted() >= 1000 })
	h0, l0 := hi.Accepted(), lo.Accepted()
	mqtttest.Eventually(t, 30*time.Second, "3000 alerts", func() bool { return hi.Accepted() >= 3000 })
	h, l := hi.Accepted()-h0, lo.Accepted()-l0
	t.Logf("on the link: alerts %d, bulk %d records", h, l)
	if l > h/4 {
		t.Errorf("bulk got %d records while alerts got %d: priority not applied", l, h)
	}
	mqtttest.Eventually(t, 60*time.Second, "alerts done, then bulk goes on", func() bool { return hi.Accepted() == 4000 && lo.Accepted() > l0+l+1000 })
}

// A million-record backlog drains newest first while live records keep
// arriving within seconds of being written.
func TestMillionRecordBacklogWithLiveRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("a million records: not in -short runs")
	}
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 4})
	const backlog = 1_000_000
	pad := strings.Repeat("x", 60)
	for i := 0; i < backlog; i += 10000 {
		recs := make([]spool.Record, 10000)
		for j := range recs {
			n := i + j
			recs[j] = spool.Record{PartitionKey: fmt.Sprint("k", n%64), Data: fmt.Appendf(nil, `{"n":%d,"device":"k%d","pad":"%s"}`, n, n%64, pad)}
		}
		if _, err := sp.Append(context.Background(), "s", recs); err != nil {
			t.Fatal(err)
		}
	}
	ep := uplinktest.Start(t)
	var mu sync.Mutex
	arrived := map[string]time.Time{}
	var backlogDone time.Time
	ep.Watch(func(d string) {
		if strings.HasPrefix(d, "live:") {
			mu.Lock()
			if _, ok := arrived[d]; !ok {
				arrived[d] = time.Now()
			}
			mu.Unlock()
		}
	})
	start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 1 << 20, NewestFirst: true, Sink: &HTTPSink{URL: ep.URL}})
	written := map[string]time.Time{}
	for i := range 10 {
		d := fmt.Sprintf("live:%06d", i)
		written[d] = time.Now()
		if _, err := sp.Append(context.Background(), "s", []spool.Record{{PartitionKey: "live", Data: []byte(d)}}); err != nil {
			t.Fatal(err)
		}
		mqtttest.Eventually(t, 30*time.Second, d, func() bool {
			mu.Lock()
			defer mu.Unlock()
			_, ok := arrived[d]
			return ok
		})
	}
	mqtttest.Eventually(t, 120*time.Second, "the whole backlog", func() bool { return ep.Accepted() >= backlog+10 })
	backlogDone = time.Now()
	mu.Lock()
	defer mu.Unlock()
	var worst time.Duration
	for d, w := range written {
		worst = max(worst, arrived[d].Sub(w))
		if arrived[d].After(backlogDone) {
			t.Errorf("%s arrived after the backlog was done", d)
		}
	}
	t.Logf("live records: slowest %s from write to arrival while a %d-record backlog drained", worst, backlog)
	if worst > 5*time.Second {
		t.Errorf("a live record took %s to arrive", worst)
	}
}

// Link.Throttle paces a body at the link's rate: 48 KiB through a 16 KiB/s
// link (with its first second of burst) takes about two seconds.
func TestLinkThrottle(t *testing.T) {
	l := NewLink(16 << 10)
	start := time.Now()
	n, err := io.Copy(io.Discard, l.Throttle(context.Background(), 0, bytes.NewReader(make([]byte, 48<<10))))
	if err != nil || n != 48<<10 {
		t.Fatalf("copied %d: %v", n, err)
	}
	if d := time.Since(start); d < 1500*time.Millisecond {
		t.Errorf("48 KiB through 16 KiB/s in %v: not paced", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := io.Copy(io.Discard, l.Throttle(ctx, 0, bytes.NewReader(make([]byte, 64<<10)))); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled read: %v", err)
	}
}
