package spool

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSplitThenReadParentThenChildren(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 1})
	before := mustAppend(t, s, "s", Record{PartitionKey: "a", Data: []byte("p1")}, Record{PartitionKey: "foo", Data: []byte("p2")})
	parentCur, _ := s.Seek("s", "0", StartPosition{Type: TrimHorizon})

	mid := UniformRanges(HashKey{}, MaxHashKey, 2)[1].Start.String()
	if err := s.SplitShard("s", "shardId-000000000000", mid); err != nil {
		t.Fatal(err)
	}
	after := mustAppend(t, s, "s", Record{PartitionKey: "a", Data: []byte("c1")}, Record{PartitionKey: "foo", Data: []byte("c2")})
	if after[0].ShardID != "shardId-000000000001" || after[1].ShardID != "shardId-000000000002" {
		t.Errorf("children got %s, %s", after[0].ShardID, after[1].ShardID)
	}
	info, _ := s.DescribeStream("s")
	if len(info.Shards) != 3 || info.OpenShards() != 2 {
		t.Fatalf("shards after split: %+v", info.Shards)
	}
	parent := info.Shards[0]
	if parent.EndingSequence == "" || parent.EndingSequence < before[1].SequenceNumber() {
		t.Errorf("parent ending sequence %q < last record %s", parent.EndingSequence, before[1].SequenceNumber())
	}
	if strings.Join(info.Shards[1].ParentShardIDs, ",") != "shardId-000000000000" || info.Shards[2].HashRange.Start.String() != mid {
		t.Errorf("children: %+v", info.Shards[1:])
	}
	if info.Shards[1].HashRange.End.add(1) != info.Shards[2].HashRange.Start {
		t.Errorf("children ranges not adjacent")
	}
	// the parent reads to its end and then reports its children
	res, err := s.Read(parentCur, ReadLimits{})
	if err != nil || len(res.Records) != 2 {
		t.Fatalf("parent read: %d records, %v", len(res.Records), err)
	}
	// the batch that reaches the end of a closed shard says so (Kinesis
	// returns the last records with ChildShards and no next iterator)
	if !res.EndOfShard {
		t.Errorf("last batch of a closed shard does not report its end")
	}
	res, _ = s.Read(res.Next, ReadLimits{})
	if !res.EndOfShard || len(res.ChildShards) != 2 {
		t.Fatalf("parent end: EndOfShard=%v children=%v", res.EndOfShard, res.ChildShards)
	}
	// Wait on a closed shard returns at once
	if err := s.Wait(context.Background(), res.Next); err != nil {
		t.Fatal(err)
	}
	for i, c := range res.ChildShards {
		got := readAll(t, s, "s", c.ID, StartPosition{Type: TrimHorizon})
		if len(got) != 1 || string(got[0].Data) != []string{"c1", "c2"}[i] {
			t.Errorf("child %s: %+v", c.ID, got)
		}
	}
	// splitting a closed shard, or outside the range
	if err := s.SplitShard("s", "shardId-000000000000", mid); !errors.Is(err, ErrShardClosed) {
		t.Errorf("split of closed shard: %v", err)
	}
	if err := s.SplitShard("s", "shardId-000000000001", "1"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("split at range start+1: %v", err)
	}
	if err := s.SplitShard("s", "shardId-000000000001", "x"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("split with bad key: %v", err)
	}
}

func TestMergeAndUpdateShardCount(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 3})
	if err := s.MergeShards("s", "shardId-000000000000", "shardId-000000000002"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("merge of non-adjacent: %v", err)
	}
	if err := s.MergeShards("s", "shardId-000000000001", "shardId-000000000000"); err != nil {
		t.Fatal(err)
	}
	info, _ := s.DescribeStream("s")
	child := info.Shards[3]
	if child.ID != "shardId-000000000003" || strings.Join(child.ParentShardIDs, ",") != "shardId-000000000001,shardId-000000000000" {
		t.Errorf("merge child: %+v", child)
	}
	if child.HashRange.Start != (HashKey{}) || child.HashRange.End != info.Shards[1].HashRange.End {
		t.Errorf("merge child range: %v", child.HashRange)
	}
	if err := s.UpdateShardCount("s", 4); err != nil {
		t.Fatal(err)
	}
	info, _ = s.DescribeStream("s")
	// 3 splits (at ¼, ½ and ¾) and one merge (the pieces either side of ⅔)
	if info.OpenShards() != 4 || len(info.Shards) != 11 {
		t.Fatalf("after update to 4: %d open of %d", info.OpenShards(), len(info.Shards))
	}
	// every new shard is a split child (one parent) or a merge child (two)
	for _, sh := range info.Shards[4:] {
		if n := len(sh.ParentShardIDs); n != 1 && n != 2 {
			t.Errorf("%s has parents %v", sh.ID, sh.ParentShardIDs)
		}
	}
	res := mustAppend(t, s, "s", Record{PartitionKey: "foo", Data: []byte("x")})
	if res[0].ShardID != "shardId-000000000010" { // "foo" is shard 2 of 4, the merge child
		t.Errorf("foo went to %s", res[0].ShardID)
	}
	if err := s.UpdateShardCount("s", 0); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("update to 0: %v", err)
	}
}

func TestCheckpointsCommitAtomically(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	mustCreate(t, s, StreamConfig{Name: "in", Shards: 1})
	mustCreate(t, s, StreamConfig{Name: "out", Shards: 1})
	in := mustAppend(t, s, "in", Record{PartitionKey: "k", Data: []byte("1")}, Record{PartitionKey: "k", Data: []byte("2")})
	cp := Checkpoint{Consumer: "app", Stream: "in", ShardID: in[1].ShardID, SequenceNumber: in[1].SequenceNumber()}
	if _, err := s.Commit(context.Background(), "out", []Record{{PartitionKey: "k", Data: []byte("sum=3")}}, []Checkpoint{cp}); err != nil {
		t.Fatal(err)
	}
	seq, ok, err := s.GetCheckpoint("app", "in", in[1].ShardID)
	if err != nil || !ok || seq != in[1].SequenceNumber() {
		t.Errorf("GetCheckpoint = %q, %v, %v", seq, ok, err)
	}
	// a bad record fails the whole commit: neither output nor checkpoint moves
	cp2 := cp
	cp2.SequenceNumber = SeqNum{0, 99}.String()
	_, err = s.Commit(context.Background(), "out", []Record{{PartitionKey: "k", Data: []byte("ok")}, {PartitionKey: ""}}, []Checkpoint{cp2})
	if !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("commit with a bad record: %v", err)
	}
	if seq, _, _ := s.GetCheckpoint("app", "in", in[1].ShardID); seq != in[1].SequenceNumber() {
		t.Errorf("checkpoint moved by a failed commit: %s", seq)
	}
	if got := readAll(t, s, "out", "0", StartPosition{Type: TrimHorizon}); len(got) != 1 {
		t.Errorf("out has %d records, want 1", len(got))
	}
	// bad checkpoints
	for _, bad := range []Checkpoint{
		{Consumer: "", Stream: "in", ShardID: "0", SequenceNumber: in[0].SequenceNumber()},
		{Consumer: "app", Stream: "nope", ShardID: "0", SequenceNumber: in[0].SequenceNumber()},
		{Consumer: "app", Stream: "in", ShardID: "7", SequenceNumber: in[0].SequenceNumber()},
		{Consumer: "app", Stream: "in", ShardID: "0", SequenceNumber: "12"},
		{Consumer: "app", Stream: "in", ShardID: "0", SequenceNumber: SeqNum{3, 1}.String()},
	} {
		if err := s.SetCheckpoints(context.Background(), bad); err == nil {
			t.Errorf("SetCheckpoints(%+v) succeeded", bad)
		}
	}
	if _, ok, _ := s.GetCheckpoint("other", "in", "0"); ok {
		t.Error("unknown consumer has a checkpoint")
	}
	cps, err := s.ListCheckpoints("app")
	if err != nil || len(cps) != 1 || cps[0] != cp {
		t.Errorf("ListCheckpoints = %+v, %v", cps, err)
	}
}

func TestDeadLetter(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	err := s.AppendDeadLetter(context.Background(), DeadLetter{Source: "mqtt:devices/1/telemetry", Reason: "payload is not JSON", Data: []byte("{oops")})
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, s, s.DeadLetterStream(), "0", StartPosition{Type: TrimHorizon})
	if len(got) != 1 || !strings.Contains(string(got[0].Data), `"reason":"payload is not JSON"`) || got[0].PartitionKey != "mqtt:devices/1/telemetry" {
		t.Errorf("dead letter = %+v", got)
	}
	info, _ := s.DescribeStream(s.DeadLetterStream())
	if !info.System || info.Retention.Hours() != 168 {
		t.Errorf("dead-letter stream: %+v", info)
	}
}

func TestExpiredParentsAreForgotten(t *testing.T) {
	clock := newFakeClock()
	s := openSpool(t, testOptions(t, clock))
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 1, Retention: time.Hour})
	mustAppend(t, s, "s", Record{PartitionKey: "a", Data: []byte("old")})
	if err := s.UpdateShardCount("s", 2); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Minute)
	s.sweep()
	if info, _ := s.DescribeStream("s"); len(info.Shards) != 3 {
		t.Fatalf("parent forgotten while it still holds data: %d shards", len(info.Shards))
	}
	clock.Advance(31 * time.Minute)
	s.sweep()
	info, _ := s.DescribeStream("s")
	if len(info.Shards) != 2 || info.Shards[0].ID != "shardId-000000000001" {
		t.Fatalf("after expiry: %+v", info.Shards)
	}
	if got := info.Shards[0].ParentShardIDs; len(got) != 1 || got[0] != "shardId-000000000000" {
		t.Errorf("child lost its parent id: %v", got)
	}
	if _, err := s.Seek("s", "shardId-000000000000", StartPosition{Type: TrimHorizon}); !errors.Is(err, ErrShardNotFound) {
		t.Errorf("expired parent still seekable: %v", err)
	}
	// the index is never reused
	if err := s.UpdateShardCount("s", 1); err != nil {
		t.Fatal(err)
	}
	info, _ = s.DescribeStream("s")
	if last := info.Shards[len(info.Shards)-1].ID; last != "shardId-000000000003" {
		t.Errorf("new shard id %s", last)
	}
}

func TestAttributesPersistAndSerialise(t *testing.T) {
	opts := testOptions(t, newFakeClock())
	s := openSpool(t, opts)
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 1, Attributes: []byte(`{"n":0}`)})
	// concurrent read-modify-writes are serialised: none is lost
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := s.UpdateAttributes("s", func(cur []byte) ([]byte, error) {
				var v struct{ N int }
				if err := json.Unmarshal(cur, &v); err != nil {
					return nil, err
				}
				v.N++
				return json.Marshal(map[string]int{"n": v.N})
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	refused := errors.New("refused")
	if err := s.UpdateAttributes("s", func([]byte) ([]byte, error) { return nil, refused }); !errors.Is(err, refused) {
		t.Errorf("fn error: %v", err)
	}
	if err := s.UpdateAttributes("nope", func(b []byte) ([]byte, error) { return b, nil }); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("missing stream: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openSpool(t, opts)
	info, err := s.DescribeStream("s")
	if err != nil || string(info.Attributes) != `{"n":20}` {
		t.Fatalf("after restart: %s, %v", info.Attributes, err)
	}
}

func TestDeleteCheckpoints(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	mustCreate(t, s, StreamConfig{Name: "in", Shards: 2})
	in := mustAppend(t, s, "in", Record{PartitionKey: "a", Data: []byte("1")}, Record{PartitionKey: "b", Data: []byte("2")})
	var cps []Checkpoint
	for _, r := range in {
		for _, c := range []string{"app", "app2", "ap"} { // "ap" is a prefix of "app": kept
			cps = append(cps, Checkpoint{Consumer: c, Stream: "in", ShardID: r.ShardID, SequenceNumber: r.SequenceNumber()})
		}
	}
	if err := s.SetCheckpoints(context.Background(), cps...); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCheckpoints("app"); err != nil {
		t.Fatal(err)
	}
	for c, want := range map[string]int{"app": 0, "app2": len(in), "ap": len(in)} {
		if got, err := s.ListCheckpoints(c); err != nil || len(got) != want {
			t.Errorf("%s: %d checkpoints (%v), want %d", c, len(got), err, want)
		}
	}
	if err := s.DeleteCheckpoints(""); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty consumer: %v", err)
	}
}

// State commits with records and checkpoints, all or nothing.
func TestCommitState(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	mustCreate(t, s, StreamConfig{Name: "in", Shards: 1})
	mustCreate(t, s, StreamConfig{Name: "out", Shards: 1})
	in := mustAppend(t, s, "in", Record{PartitionKey: "k", Data: []byte("1")})
	cp := Checkpoint{Consumer: "app", Stream: "in", ShardID: in[0].ShardID, SequenceNumber: in[0].SequenceNumber()}
	if _, err := s.CommitState(context.Background(), "out", []Record{{PartitionKey: "k", Data: []byte("o")}}, []Checkpoint{cp},
		[]State{{Owner: "app", Key: "windows", Value: []byte("w1")}, {Owner: "app", Key: "empty", Value: []byte{}}}); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.GetState("app", "windows"); err != nil || !ok || string(v) != "w1" {
		t.Errorf("GetState = %q, %v, %v", v, ok, err)
	}
	if v, ok, _ := s.GetState("app", "empty"); !ok || len(v) != 0 {
		t.Errorf("an empty value: %q, %v", v, ok)
	}
	// a failing commit (a bad record) writes no state
	_, err := s.CommitState(context.Background(), "out", []Record{{PartitionKey: ""}}, nil, []State{{Owner: "app", Key: "windows", Value: []byte("w2")}})
	if !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("bad record: %v", err)
	}
	if v, _, _ := s.GetState("app", "windows"); string(v) != "w1" {
		t.Errorf("state written by a failed commit: %q", v)
	}
	// a large value goes to Badger's value log: 4 MiB in one commit
	big := make([]byte, 4<<20)
	if _, err := s.CommitState(context.Background(), "", nil, nil, []State{{Owner: "app", Key: "big", Value: big}}); err != nil {
		t.Errorf("4 MiB of state: %v", err)
	}
	// nil deletes; DeleteState forgets an owner
	if _, err := s.CommitState(context.Background(), "", nil, nil, []State{{Owner: "app", Key: "windows"}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GetState("app", "windows"); ok {
		t.Errorf("state not deleted")
	}
	if err := s.DeleteState("app"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GetState("app", "empty"); ok {
		t.Errorf("DeleteState left a key")
	}
	if _, err := s.CommitState(context.Background(), "", nil, nil, []State{{Owner: "", Key: "x", Value: []byte("v")}}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty owner: %v", err)
	}
}

func TestCommitStreams(t *testing.T) {
	s := openSpool(t, testOptions(t, newFakeClock()))
	for _, name := range []string{"in", "out", "late"} {
		mustCreate(t, s, StreamConfig{Name: name, Shards: 2})
	}
	in := mustAppend(t, s, "in", Record{PartitionKey: "k", Data: []byte("1")})
	cp := Checkpoint{Consumer: "app", Stream: "in", ShardID: in[0].ShardID, SequenceNumber: in[0].SequenceNumber()}
	ctx := context.Background()
	res, err := s.CommitStreams(ctx, []StreamRecords{
		{Stream: "out", Records: []Record{{PartitionKey: "a", Data: []byte("o1")}, {PartitionKey: "b", Data: []byte("o2")}}},
		{Stream: "late", Records: []Record{{PartitionKey: "c", Data: []byte("l1")}}},
	}, []Checkpoint{cp}, []State{{Owner: "app", Key: "q", Value: []byte("s1")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || len(res[0]) != 2 || len(res[1]) != 1 || res[1][0].Err != nil || res[1][0].ShardID == "" {
		t.Fatalf("results = %+v", res)
	}
	if got := countRecords(t, s, "out"); got != 2 {
		t.Errorf("out holds %d records, want 2", got)
	}
	if got := countRecords(t, s, "late"); got != 1 {
		t.Errorf("late holds %d records, want 1", got)
	}
	// one bad record in the second stream refuses all: no output, no
	// checkpoint, no state
	cp2 := cp
	cp2.SequenceNumber = mustAppend(t, s, "in", Record{PartitionKey: "k", Data: []byte("2")})[0].SequenceNumber()
	_, err = s.CommitStreams(ctx, []StreamRecords{
		{Stream: "out", Records: []Record{{PartitionKey: "a", Data: []byte("o3")}}},
		{Stream: "late", Records: []Record{{PartitionKey: "c", Data: []byte("l2")}, {PartitionKey: ""}}},
	}, []Checkpoint{cp2}, []State{{Owner: "app", Key: "q", Value: []byte("s2")}})
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), `stream "late"`) || !strings.Contains(err.Error(), "record 1") {
		t.Errorf("bad record in the second stream: %v", err)
	}
	if got := countRecords(t, s, "out"); got != 2 {
		t.Errorf("a refused commit wrote to out: %d records", got)
	}
	if v, _, _ := s.GetState("app", "q"); string(v) != "s1" {
		t.Errorf("a refused commit wrote state %q", v)
	}
	if seq, _, _ := s.GetCheckpoint("app", "in", cp.ShardID); seq != cp.SequenceNumber {
		t.Errorf("a refused commit moved the checkpoint to %s", seq)
	}
	// an unknown stream refuses all too
	if _, err := s.CommitStreams(ctx, []StreamRecords{
		{Stream: "out", Records: []Record{{PartitionKey: "a", Data: []byte("o3")}}},
		{Stream: "nope", Records: []Record{{PartitionKey: "c", Data: []byte("x")}}},
	}, nil, nil); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("unknown stream: %v", err)
	}
	if got := countRecords(t, s, "out"); got != 2 {
		t.Errorf("a commit naming an unknown stream wrote to out: %d records", got)
	}
	// the writer carries on with ordinary appends
	mustAppend(t, s, "out", Record{PartitionKey: "a", Data: []byte("o4")})
	if got := countRecords(t, s, "out"); got != 3 {
		t.Errorf("out holds %d records after an append, want 3", got)
	}
}

// countRecords reads every shard of a stream from its start.
func countRecords(t *testing.T, s *Spool, stream string) int {
	t.Helper()
	desc, err := s.DescribeStream(stream)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sh := range desc.Shards {
		n += len(readAll(t, s, stream, sh.ID, StartPosition{Type: TrimHorizon}))
	}
	return n
}
