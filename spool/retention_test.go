package spool

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// countingObserver records Dropped calls.
type countingObserver struct {
	mu      sync.Mutex
	dropped map[string]int
	added   int
}

func (o *countingObserver) Appended(stream string, records, bytes int, latency time.Duration) {
	o.mu.Lock()
	o.added += records
	o.mu.Unlock()
}

func (o *countingObserver) Dropped(stream, reason string, records int) {
	o.mu.Lock()
	if o.dropped == nil {
		o.dropped = map[string]int{}
	}
	o.dropped[stream+"/"+reason] += records
	o.mu.Unlock()
}

func (o *countingObserver) get(k string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dropped[k]
}

func TestRetentionByAge(t *testing.T) {
	clock := newFakeClock()
	obs := &countingObserver{}
	opts := testOptions(t, clock)
	opts.Observer = obs
	s := openSpool(t, opts)
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 1, Retention: time.Minute})
	old := mustAppend(t, s, "s", Record{PartitionKey: "k", Data: []byte("old")})
	clock.Advance(45 * time.Second)
	mustAppend(t, s, "s", Record{PartitionKey: "k", Data: []byte("new")})
	clock.Advance(30 * time.Second) // old is 75s old, new 30s

	// hidden from reads before the sweep deletes it
	got := readAll(t, s, "s", "0", StartPosition{Type: TrimHorizon})
	if len(got) != 1 || string(got[0].Data) != "new" {
		t.Fatalf("before sweep: %+v", got)
	}
	s.sweep()
	if n := obs.get("s/age"); n != 1 {
		t.Errorf("age drops = %d, want 1", n)
	}
	info, _ := s.DescribeStream("s")
	if info.Records != 1 {
		t.Errorf("records after sweep = %d", info.Records)
	}
	// AT_SEQUENCE_NUMBER of an expired record starts at the trim horizon
	got = readAll(t, s, "s", "0", StartPosition{Type: AtSequenceNumber, SequenceNumber: old[0].SequenceNumber()})
	if len(got) != 1 || string(got[0].Data) != "new" {
		t.Errorf("at expired seq: %+v", got)
	}
	clock.Advance(time.Minute)
	s.sweep()
	info, _ = s.DescribeStream("s")
	if info.Records != 0 || info.Bytes != 0 {
		t.Errorf("after all expired: %d records, %d bytes", info.Records, info.Bytes)
	}
}

// A Pi boots at 1970, NTP corrects the clock, users set it back: none of
// that may expire data early or make sequence numbers repeat.
func TestWallClockJumpsExpireNothing(t *testing.T) {
	clock := newFakeClock()
	clock.wall = time.Unix(0, 0).UTC() // booted without an RTC
	opts := testOptions(t, clock)
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 1, Retention: time.Hour})
	a := mustAppend(t, s, "s", Record{PartitionKey: "k", Data: []byte("a")})
	clock.Jump(56 * 365 * 24 * time.Hour) // NTP sets the time
	clock.Advance(time.Minute)
	b := mustAppend(t, s, "s", Record{PartitionKey: "k", Data: []byte("b")})
	clock.Jump(-48 * time.Hour) // someone sets it back two days
	c := mustAppend(t, s, "s", Record{PartitionKey: "k", Data: []byte("c")})
	s.sweep()
	got := readAll(t, s, "s", "0", StartPosition{Type: TrimHorizon})
	if len(got) != 3 {
		t.Fatalf("after jumps: %d records, want 3", len(got))
	}
	if !(a[0].SequenceNumber() < b[0].SequenceNumber() && b[0].SequenceNumber() < c[0].SequenceNumber()) {
		t.Errorf("sequence numbers not increasing: %s %s %s", a[0].SequenceNumber(), b[0].SequenceNumber(), c[0].SequenceNumber())
	}
	if got[2].Arrival.Before(got[1].Arrival) {
		t.Errorf("arrival went backwards in a shard: %v then %v", got[1].Arrival, got[2].Arrival)
	}
	// across a restart with an implausible saved clock, age does not jump either
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openSpool(t, opts)
	s.sweep()
	if info, _ := s.DescribeStream("s"); info.Records != 3 {
		t.Errorf("after reopen: %d records", info.Records)
	}
	// real time passing still expires
	clock.Advance(2 * time.Hour)
	s.sweep()
	if info, _ := s.DescribeStream("s"); info.Records != 0 {
		t.Errorf("after 2h: %d records", info.Records)
	}
	d := mustAppend(t, s, "s", Record{PartitionKey: "k", Data: []byte("d")})
	if !(d[0].SequenceNumber() > c[0].SequenceNumber()) {
		t.Errorf("sequence repeated after full expiry: %s after %s", d[0].SequenceNumber(), c[0].SequenceNumber())
	}
}

func TestOfflineTimeCountsWhenClockPlausible(t *testing.T) {
	clock := newFakeClock()
	opts := testOptions(t, clock)
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 1, Retention: time.Hour})
	mustAppend(t, s, "s", Record{PartitionKey: "k", Data: []byte("a")})
	s.Close()
	clock.Jump(3 * time.Hour) // powered off for three hours, RTC kept time
	s = openSpool(t, opts)
	s.sweep()
	if info, _ := s.DescribeStream("s"); info.Records != 0 {
		t.Errorf("record survived 3h offline with 1h retention")
	}
}

func TestSizeCapRejectNew(t *testing.T) {
	obs := &countingObserver{}
	opts := testOptions(t, newFakeClock())
	opts.Observer = obs
	s := openSpool(t, opts)
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 2, MaxBytes: 10_000})
	var full int
	for i := range 30 {
		res, err := s.Append(context.Background(), "s", []Record{{PartitionKey: string(rune('a' + i%20)), Data: make([]byte, 500)}})
		if err != nil {
			t.Fatal(err)
		}
		if errors.Is(res[0].Err, ErrStreamFull) {
			full++
		} else if res[0].Err != nil {
			t.Fatal(res[0].Err)
		}
	}
	info, _ := s.DescribeStream("s")
	if full == 0 || info.Bytes > 10_000 {
		t.Errorf("reject_new: %d refused, %d bytes stored (cap 10000)", full, info.Bytes)
	}
	if obs.get("s/full") != full {
		t.Errorf("full drops counted %d, want %d", obs.get("s/full"), full)
	}
}

func TestSizeCapDropOldest(t *testing.T) {
	clock := newFakeClock()
	obs := &countingObserver{}
	opts := testOptions(t, clock)
	opts.Observer = obs
	s := openSpool(t, opts)
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 2, MaxBytes: 10_000, WhenFull: DropOldest})
	for i := range 40 {
		mustAppend(t, s, "s", Record{PartitionKey: string(rune('a' + i%20)), Data: []byte{byte(i)}, ExplicitHashKey: []string{"0", "340282366920938463463374607431768211455"}[i%2]})
		res := mustAppend(t, s, "s", Record{PartitionKey: "pad", Data: make([]byte, 500)})
		_ = res
		clock.Advance(time.Millisecond)
	}
	s.sweep()
	info, _ := s.DescribeStream("s")
	if info.Bytes > 10_000 {
		t.Errorf("drop_oldest: %d bytes stored, cap 10000", info.Bytes)
	}
	if obs.get("s/size") == 0 {
		t.Error("no size drops counted")
	}
	// the newest records survive
	var newest []byte
	for _, sh := range info.Shards {
		for _, r := range readAll(t, s, "s", sh.ID, StartPosition{Type: TrimHorizon}) {
			if len(r.Data) == 1 && (newest == nil || r.Data[0] > newest[0]) {
				newest = r.Data
			}
		}
	}
	if newest == nil || newest[0] != 39 {
		t.Errorf("newest surviving marker = %v, want 39", newest)
	}
}

func TestDeleteStream(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 2})
	mustAppend(t, s, "s", Record{PartitionKey: "a", Data: []byte("1")})
	if err := s.SetCheckpoints(context.Background(), Checkpoint{Consumer: "c", Stream: "s", ShardID: "shardId-000000000000", SequenceNumber: SeqNum{0, 1}.String()}); err != nil {
		t.Fatal(err)
	}
	cur, _ := s.Seek("s", "0", StartPosition{Type: TrimHorizon})
	if err := s.DeleteStream("s"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(cur, ReadLimits{}); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("read of deleted stream: %v", err)
	}
	if err := s.DeleteStream("s"); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if err := s.DeleteStream("dead-letter"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("deleting the dead-letter stream: %v", err)
	}
	s.sweep()
	// recreate under the same name: a fresh, empty stream; old cursors stay dead
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 1})
	if got := readAll(t, s, "s", "0", StartPosition{Type: TrimHorizon}); len(got) != 0 {
		t.Errorf("recreated stream has %d records", len(got))
	}
	if _, err := s.Read(cur, ReadLimits{}); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("old cursor on recreated stream: %v", err)
	}
	if cps, _ := s.ListCheckpoints("c"); len(cps) != 0 {
		t.Errorf("checkpoints survived delete: %+v", cps)
	}
}

// An atomic commit that does not fit under a reject_new cap stores nothing:
// no records, no checkpoint, and no sequence numbers are used up.
func TestCommitNearCapIsAllOrNothing(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	rec := Record{PartitionKey: "k", Data: make([]byte, 200<<10)}
	size := encodedRecordSize(rec.PartitionKey, rec.Data)
	mustCreate(t, s, StreamConfig{Name: "in", Shards: 1})
	mustCreate(t, s, StreamConfig{Name: "out", Shards: 1, MaxBytes: 3*size + chunkHeaderMax + 5})
	in := mustAppend(t, s, "in", Record{PartitionKey: "k", Data: []byte("x")})
	cp := Checkpoint{Consumer: "app", Stream: "in", ShardID: in[0].ShardID, SequenceNumber: in[0].SequenceNumber()}
	_, err := s.Commit(context.Background(), "out", []Record{rec, rec, rec}, []Checkpoint{cp})
	if !errors.Is(err, ErrStreamFull) {
		t.Fatalf("commit over the cap: %v", err)
	}
	if info, _ := s.DescribeStream("out"); info.Records != 0 {
		t.Errorf("a refused commit stored %d records", info.Records)
	}
	if _, ok, _ := s.GetCheckpoint("app", "in", in[0].ShardID); ok {
		t.Error("a refused commit moved the checkpoint")
	}
	res := mustAppend(t, s, "out", Record{PartitionKey: "k", Data: []byte("small")})
	if res[0].Seq.Counter != 1 {
		t.Errorf("next sequence counter %d, want 1 (none used up)", res[0].Seq.Counter)
	}
}
