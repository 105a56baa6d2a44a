package analytics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
)

func openSpool(t *testing.T) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(spool.Options{Dir: t.TempDir(), MinFreeDisk: -1, GCInterval: -1, Durability: spool.DurabilityNone})
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
		recs = append(recs, spool.Record{PartitionKey: fmt.Sprint("k", i%5), Data: fmt.Appendf(nil, "k%d:%06d", i%5, i)})
	}
	if _, err := sp.Append(context.Background(), stream, recs); err != nil {
		t.Fatal(err)
	}
}

// next takes pages until want records came, committing each page's
// checkpoint as an app would; it returns the records' data.
func next(t *testing.T, sp *spool.Spool, in *Input, want int) []string {
	t.Helper()
	var got []string
	deadline := time.After(10 * time.Second)
	for len(got) < want {
		select {
		case p := <-in.Pages():
			for _, r := range p.Records {
				got = append(got, string(r.Data))
			}
			if p.Last != (spool.SeqNum{}) {
				cp := spool.Checkpoint{Consumer: "sql:app", Stream: p.Stream, ShardID: p.ShardID, SequenceNumber: p.Last.String()}
				if err := sp.SetCheckpoints(context.Background(), cp); err != nil {
					t.Fatal(err)
				}
			}
		case <-deadline:
			t.Fatalf("%d records after 10 s, want %d (input error: %v)", len(got), want, in.Err())
		}
	}
	return got
}

func checkKeyOrder(t *testing.T, got []string) {
	t.Helper()
	last := map[string]string{}
	for _, r := range got {
		k := r[:2]
		if r <= last[k] {
			t.Fatalf("%s after %s", r, last[k])
		}
		last[k] = r
	}
}

// Records come in order per key across a reshard (children after their
// parents), and a restart goes on from the checkpoints.
func TestInputFollowsShardsAndCheckpoints(t *testing.T) {
	sp := openSpool(t)
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 2})
	put(t, sp, "s", 0, 300)
	in := NewInput(sp, "sql:app", []string{"s"}, spool.StartPosition{Type: spool.TrimHorizon})
	in.rescan = 10 * time.Millisecond
	in.Start(context.Background())
	got := next(t, sp, in, 300)
	if err := sp.UpdateShardCount("s", 4); err != nil {
		t.Fatal(err)
	}
	put(t, sp, "s", 300, 600)
	got = append(got, next(t, sp, in, 300)...)
	checkKeyOrder(t, got)
	in.Close()

	put(t, sp, "s", 600, 700)
	in2 := NewInput(sp, "sql:app", []string{"s"}, spool.StartPosition{Type: spool.TrimHorizon})
	in2.rescan = 10 * time.Millisecond
	in2.Start(context.Background())
	defer in2.Close()
	again := next(t, sp, in2, 100)
	if len(again) != 100 || again[0] < "k0:000600"[:2] {
		t.Fatalf("after a restart: %d records, first %s", len(again), again[0])
	}
	for _, r := range again {
		if r[3:] < "000600" {
			t.Fatalf("record %s read again after its checkpoint", r)
		}
	}
}

// LATEST: a shard without a checkpoint starts at what comes next.
func TestInputFromLatest(t *testing.T) {
	sp := openSpool(t)
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	put(t, sp, "s", 0, 50)
	in := NewInput(sp, "sql:live", []string{"s", "later"}, spool.StartPosition{Type: spool.Latest})
	in.rescan = 10 * time.Millisecond
	in.Start(context.Background())
	defer in.Close()
	// the reader seeks LATEST when it starts: wait for it, then write
	mqtttest.Eventually(t, 5*time.Second, "the reader running", func() bool {
		in.mu.Lock()
		defer in.mu.Unlock()
		return in.running["s/shardId-000000000000"]
	})
	put(t, sp, "s", 50, 60)
	sp.CreateStream(spool.StreamConfig{Name: "later", Shards: 1}) // found by a rescan, read from its start
	put(t, sp, "later", 0, 5)
	got := next(t, sp, in, 15)
	for _, r := range got[:10] {
		if r[3:] < "000050" {
			t.Fatalf("LATEST gave an old record %s", r)
		}
	}
}
