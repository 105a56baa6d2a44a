package spool

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/golang/glog.(*fileSink).flushDaemon"),
		goleak.IgnoreAnyFunction("github.com/dgraph-io/ristretto/v2.(*defaultPolicy[...]).processItems"),
		goleak.IgnoreAnyFunction("github.com/dgraph-io/ristretto/v2.(*Cache[...]).processItems"),
		goleak.IgnoreAnyFunction("github.com/dgraph-io/badger/v4/y.(*WaterMark).process"),
		// Badger leaves these behind when Open fails (e.g. a wrong encryption key)
		goleak.IgnoreAnyFunction("github.com/dgraph-io/badger/v4.(*DB).monitorCache"),
		goleak.IgnoreAnyFunction("github.com/dgraph-io/ristretto/v2/z.(*AllocatorPool).freeupAllocators"),
	)
}

// fakeClock moves the wall and monotonic clocks independently.
type fakeClock struct {
	mu      sync.Mutex
	wall    time.Time
	elapsed time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{wall: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Wall() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall
}

func (c *fakeClock) Elapsed() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.elapsed
}

// Advance moves both clocks, as real time passing does.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.wall = c.wall.Add(d)
	c.elapsed += d
	c.mu.Unlock()
}

// Jump moves only the wall clock, as NTP or a user does.
func (c *fakeClock) Jump(d time.Duration) {
	c.mu.Lock()
	c.wall = c.wall.Add(d)
	c.mu.Unlock()
}

func testOptions(t testing.TB, clock Clock) Options {
	return Options{
		Dir:                    t.TempDir(),
		Clock:                  clock,
		MinFreeDisk:            -1,
		RetentionCheckInterval: time.Hour, // tests sweep explicitly
		GCInterval:             -1,
	}
}

func openSpool(t testing.TB, opts Options) *Spool {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustCreate(t testing.TB, s *Spool, cfg StreamConfig) {
	t.Helper()
	if err := s.CreateStream(cfg); err != nil {
		t.Fatalf("CreateStream(%+v): %v", cfg, err)
	}
}

func mustAppend(t testing.TB, s *Spool, stream string, recs ...Record) []PutResult {
	t.Helper()
	res, err := s.Append(context.Background(), stream, recs)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("Append record %d: %v", i, r.Err)
		}
	}
	return res
}

// readAll reads a shard from pos to its current end.
func readAll(t testing.TB, s *Spool, stream, shard string, pos StartPosition) []StoredRecord {
	t.Helper()
	cur, err := s.Seek(stream, shard, pos)
	if err != nil {
		t.Fatalf("Seek(%s, %s, %+v): %v", stream, shard, pos, err)
	}
	var out []StoredRecord
	for {
		res, err := s.Read(cur, ReadLimits{MaxRecords: 7})
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		out = append(out, res.Records...)
		if len(res.Records) == 0 {
			return out
		}
		cur = res.Next
	}
}

func TestAppendRoutesAndReadsBack(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	mustCreate(t, s, StreamConfig{Name: "telemetry", Shards: 4})
	res := mustAppend(t, s, "telemetry",
		Record{PartitionKey: "a", Data: []byte("r1")},
		Record{PartitionKey: "foo", Data: []byte("r2")},
		Record{PartitionKey: "a", Data: []byte("r3")},
		Record{PartitionKey: "x", ExplicitHashKey: "340282366920938463463374607431768211455", Data: []byte("r4")},
	)
	want := []string{"shardId-000000000000", "shardId-000000000002", "shardId-000000000000", "shardId-000000000003"}
	for i, r := range res {
		if r.ShardID != want[i] {
			t.Errorf("record %d went to %s, want %s", i, r.ShardID, want[i])
		}
	}
	if !(res[0].SequenceNumber() < res[2].SequenceNumber()) {
		t.Errorf("sequence numbers not increasing: %s then %s", res[0].SequenceNumber(), res[2].SequenceNumber())
	}
	got := readAll(t, s, "telemetry", "shardId-000000000000", StartPosition{Type: TrimHorizon})
	if len(got) != 2 || string(got[0].Data) != "r1" || string(got[1].Data) != "r3" || got[0].PartitionKey != "a" {
		t.Fatalf("shard 0 = %+v", got)
	}
	if got[0].SequenceNumber() != res[0].SequenceNumber() {
		t.Errorf("read seq %s, appended %s", got[0].SequenceNumber(), res[0].SequenceNumber())
	}
}

func TestBadRecordsFailAlone(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 2})
	big := make([]byte, 1<<20)
	res, err := s.Append(context.Background(), "s", []Record{
		{PartitionKey: "ok1", Data: []byte("x")},
		{PartitionKey: "", Data: []byte("x")},
		{PartitionKey: strings.Repeat("k", 257), Data: []byte("x")},
		{PartitionKey: strings.Repeat("é", 256), Data: []byte("x")}, // 256 characters, 512 bytes: fine
		{PartitionKey: "k", Data: big},                              // 1 MiB + key: too large
		{PartitionKey: "k", Data: big[:1<<20-1]},                    // exactly 1 MiB with key
		{PartitionKey: "k", ExplicitHashKey: "-5", Data: []byte("x")},
		{PartitionKey: "k", ExplicitHashKey: "340282366920938463463374607431768211456", Data: []byte("x")},
		{PartitionKey: "ok2", Data: nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantErr := []error{nil, ErrInvalidArgument, ErrInvalidArgument, nil, ErrRecordTooLarge, nil, ErrInvalidArgument, ErrInvalidArgument, nil}
	for i, w := range wantErr {
		if w == nil && res[i].Err != nil || w != nil && !errors.Is(res[i].Err, w) {
			t.Errorf("record %d: err = %v, want %v", i, res[i].Err, w)
		}
	}
	if msg := fmt.Sprint(res[2].Err); !strings.Contains(msg, "257 characters") {
		t.Errorf("message does not say what was wrong: %q", msg)
	}
	info, _ := s.DescribeStream("s")
	if info.Records != 4 {
		t.Errorf("stored %d records, want 4", info.Records)
	}
	if _, err := s.Append(context.Background(), "nope", []Record{{PartitionKey: "k"}}); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("unknown stream: %v", err)
	}
}

func TestStreamNames(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	for _, bad := range []string{"", strings.Repeat("a", 129), "a b", "a/b", "ü", "a:b"} {
		if err := s.CreateStream(StreamConfig{Name: bad, Shards: 1}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("CreateStream(%q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
	mustCreate(t, s, StreamConfig{Name: strings.Repeat("a", 128), Shards: 1})
	mustCreate(t, s, StreamConfig{Name: "A-z_0.9", Shards: 1})
	if err := s.CreateStream(StreamConfig{Name: "A-z_0.9", Shards: 1}); !errors.Is(err, ErrStreamExists) {
		t.Errorf("duplicate: %v", err)
	}
	for _, bad := range []StreamConfig{{Name: "x", Shards: 0}, {Name: "x", Shards: 1, Retention: 59 * time.Second}, {Name: "x", Shards: 1, WhenFull: "drop_newest"}, {Name: "x", Shards: 1, MaxBytes: -1}} {
		if err := s.CreateStream(bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("CreateStream(%+v) = %v", bad, err)
		}
	}
	got := s.ListStreams()
	if strings.Join(got, ",") != strings.Repeat("a", 128)+",A-z_0.9,dead-letter" {
		// sort order: uppercase before lowercase
		if len(got) != 3 {
			t.Errorf("ListStreams = %v", got)
		}
	}
}

func TestIteratorTypes(t *testing.T) {
	clock := newFakeClock()
	s := openSpool(t, testOptions(t, clock))
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 1})
	var seqs []string
	var times []time.Time
	for i := range 5 {
		res := mustAppend(t, s, "s", Record{PartitionKey: "k", Data: fmt.Appendf(nil, "%d", i)})
		seqs = append(seqs, res[0].SequenceNumber())
		times = append(times, clock.Wall())
		clock.Advance(time.Second)
	}
	sh := "shardId-000000000000"
	data := func(rs []StoredRecord) string {
		var b strings.Builder
		for _, r := range rs {
			b.Write(r.Data)
		}
		return b.String()
	}
	cases := []struct {
		pos  StartPosition
		want string
	}{
		{StartPosition{Type: TrimHorizon}, "01234"},
		{StartPosition{Type: Latest}, ""},
		{StartPosition{Type: AtSequenceNumber, SequenceNumber: seqs[2]}, "234"},
		{StartPosition{Type: AfterSequenceNumber, SequenceNumber: seqs[2]}, "34"},
		{StartPosition{Type: AtTimestamp, Timestamp: times[3]}, "34"},
		{StartPosition{Type: AtTimestamp, Timestamp: times[3].Add(-time.Millisecond)}, "34"},
		{StartPosition{Type: AtTimestamp, Timestamp: times[0].Add(-time.Hour)}, "01234"},
	}
	for _, tc := range cases {
		if got := data(readAll(t, s, "s", sh, tc.pos)); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.pos, got, tc.want)
		}
	}
	// LATEST sees what arrives after it was taken
	cur, _ := s.Seek("s", sh, StartPosition{Type: Latest})
	mustAppend(t, s, "s", Record{PartitionKey: "k", Data: []byte("5")})
	res, _ := s.Read(cur, ReadLimits{})
	if data(res.Records) != "5" {
		t.Errorf("after LATEST: %q", data(res.Records))
	}

	for _, bad := range []StartPosition{
		{Type: AtSequenceNumber, SequenceNumber: "garbage"},
		{Type: AtSequenceNumber},
		{Type: AfterSequenceNumber, SequenceNumber: SeqNum{Shard: 1, Counter: 1}.String()},
		{Type: AtTimestamp},
		{Type: AtTimestamp, Timestamp: clock.Wall().Add(time.Hour)}, // the future
		{Type: "SOMEWHERE"},
	} {
		if _, err := s.Seek("s", sh, bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Seek(%+v) = %v, want ErrInvalidArgument", bad, err)
		}
	}
	_, err := s.Seek("s", sh, StartPosition{Type: AtSequenceNumber, SequenceNumber: SeqNum{Shard: 1, Counter: 1}.String()})
	if !strings.Contains(fmt.Sprint(err), "encodes shardId-000000000001") {
		t.Errorf("wrong-shard error does not name the shard: %v", err)
	}
	if _, err := s.Seek("s", "shardId-000000000009", StartPosition{Type: TrimHorizon}); !errors.Is(err, ErrShardNotFound) {
		t.Errorf("unknown shard: %v", err)
	}
	if _, err := s.Seek("s", "bogus", StartPosition{Type: TrimHorizon}); !errors.Is(err, ErrShardNotFound) {
		t.Errorf("malformed shard id: %v", err)
	}
	if _, err := s.Seek("nope", sh, StartPosition{Type: TrimHorizon}); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("unknown stream: %v", err)
	}
}

func TestReadLimits(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 1})
	recs := make([]Record, 100)
	for i := range recs {
		recs[i] = Record{PartitionKey: "k", Data: make([]byte, 100)}
	}
	mustAppend(t, s, "s", recs...)
	cur, _ := s.Seek("s", "0", StartPosition{Type: TrimHorizon})
	res, err := s.Read(cur, ReadLimits{MaxRecords: 10})
	if err != nil || len(res.Records) != 10 || res.MillisBehind < 0 {
		t.Fatalf("MaxRecords 10: %d records, %v", len(res.Records), err)
	}
	res, _ = s.Read(res.Next, ReadLimits{MaxBytes: 1000})
	if len(res.Records) != 9 { // 9 × (100 + 1 key byte) ≤ 1000
		t.Errorf("MaxBytes 1000: %d records, want 9", len(res.Records))
	}
	if res.Records[0].Seq.Counter != 11 {
		t.Errorf("second batch starts at %d, want 11", res.Records[0].Seq.Counter)
	}
	// a single record larger than MaxBytes is still returned, alone
	res, _ = s.Read(res.Next, ReadLimits{MaxBytes: 10})
	if len(res.Records) != 1 {
		t.Errorf("MaxBytes 10: %d records, want 1", len(res.Records))
	}
}

func TestWaitWakesOnAppend(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 1})
	cur, _ := s.Seek("s", "0", StartPosition{Type: Latest})
	done := make(chan error, 1)
	go func() { done <- s.Wait(context.Background(), cur) }()
	select {
	case err := <-done:
		t.Fatalf("Wait returned before any append: %v", err)
	default:
	}
	mustAppend(t, s, "s", Record{PartitionKey: "k", Data: []byte("x")})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cur2, _ := s.Seek("s", "0", StartPosition{Type: Latest})
	go func() { done <- s.Wait(ctx, cur2) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait after cancel = %v", err)
	}
}

func TestReopenKeepsRecordsAndSequence(t *testing.T) {
	clock := newFakeClock()
	opts := testOptions(t, clock)
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 2, Retention: time.Hour, MaxBytes: 1 << 30, WhenFull: DropOldest})
	first := mustAppend(t, s, "s", Record{PartitionKey: "a", Data: []byte("1")}, Record{PartitionKey: "a", Data: []byte("2")})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), "s", []Record{{PartitionKey: "a"}}); !errors.Is(err, ErrClosed) {
		t.Errorf("append after close: %v", err)
	}
	s = openSpool(t, opts)
	info, err := s.DescribeStream("s")
	if err != nil {
		t.Fatal(err)
	}
	if info.Records != 2 || info.Retention != time.Hour || info.WhenFull != DropOldest || len(info.Shards) != 2 {
		t.Errorf("after reopen: %+v", info)
	}
	next := mustAppend(t, s, "s", Record{PartitionKey: "a", Data: []byte("3")})
	if !(next[0].SequenceNumber() > first[1].SequenceNumber()) {
		t.Errorf("sequence went backwards across reopen: %s then %s", first[1].SequenceNumber(), next[0].SequenceNumber())
	}
	got := readAll(t, s, "s", first[0].ShardID, StartPosition{Type: TrimHorizon})
	if len(got) != 3 {
		t.Errorf("read %d records after reopen, want 3", len(got))
	}
}
