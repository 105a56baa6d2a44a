package spool

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestEncryptionAtRest(t *testing.T) {
	opts := testOptions(t, newFakeClock())
	opts.EncryptionKey = bytes.Repeat([]byte{7}, 32)
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, StreamConfig{Name: "secret", Shards: 1})
	secret := []byte("the-door-code-is-4711-" + string(bytes.Repeat([]byte("x"), 2000)))
	mustAppend(t, s, "secret", Record{PartitionKey: "k", Data: secret})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// nothing on disk holds the plaintext
	filepath.Walk(opts.Dir, func(path string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(path)
			if bytes.Contains(b, []byte("the-door-code-is-4711")) {
				t.Errorf("%s holds the plaintext", path)
			}
		}
		return nil
	})
	// the wrong key, or none, cannot open it
	wrong := opts
	wrong.EncryptionKey = bytes.Repeat([]byte{8}, 32)
	if s, err := Open(wrong); err == nil {
		s.Close()
		t.Error("opened with the wrong key")
	}
	none := opts
	none.EncryptionKey = nil
	if s, err := Open(none); err == nil {
		s.Close()
		t.Error("opened without the key")
	}
	s = openSpool(t, opts)
	got := readAll(t, s, "secret", "0", StartPosition{Type: TrimHorizon})
	if len(got) != 1 || !bytes.Equal(got[0].Data, secret) {
		t.Errorf("read back %d records", len(got))
	}
	bad := opts
	bad.EncryptionKey = []byte("short")
	if _, err := Open(bad); err == nil {
		t.Error("accepted a 5-byte key")
	}
}

// TestRestartWithLargeBacklog restarts over a 5-million-record backlog: the
// catalog comes back from the stats keys (no scan), every shard's first
// and last records are readable and new appends continue the sequence.
// Start-up time and memory are measured by BenchmarkStartupBacklog.
func TestRestartWithLargeBacklog(t *testing.T) {
	if testing.Short() {
		t.Skip("5M records: not in -short")
	}
	const total = 5_000_000
	opts := testOptions(t, newFakeClock())
	opts.Durability = DurabilityNone
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, StreamConfig{Name: "big", Shards: 4, Retention: 8760 * time.Hour})
	data := make([]byte, 100)
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs := make([]Record, 1000)
			for i := range recs {
				recs[i] = Record{PartitionKey: fmt.Sprintf("d%d-%d", p, i), Data: data}
			}
			for range total / 4 / len(recs) {
				if _, err := s.Append(context.Background(), "big", recs); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	before, _ := s.DescribeStream("big")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	opts.Durability = DurabilityFsync
	s = openSpool(t, opts)
	after, err := s.DescribeStream("big")
	if err != nil {
		t.Fatal(err)
	}
	if after.Records != total || after.Bytes != before.Bytes {
		t.Fatalf("after restart: %d records / %d bytes, before %d / %d", after.Records, after.Bytes, before.Records, before.Bytes)
	}
	for _, sh := range after.Shards {
		cur, _ := s.Seek("big", sh.ID, StartPosition{Type: TrimHorizon})
		res, err := s.Read(cur, ReadLimits{MaxRecords: 1})
		if err != nil || len(res.Records) != 1 || res.Records[0].Seq.Counter != 1 {
			t.Fatalf("%s first record: %+v %v", sh.ID, res.Records, err)
		}
		last, _ := ParseSeqNum(sh.LastSequence)
		cur, _ = s.Seek("big", sh.ID, StartPosition{Type: AtSequenceNumber, SequenceNumber: sh.LastSequence})
		res, err = s.Read(cur, ReadLimits{})
		if err != nil || len(res.Records) != 1 || res.Records[0].Seq != last {
			t.Fatalf("%s last record: %d records, %v", sh.ID, len(res.Records), err)
		}
		put := mustAppend(t, s, "big", Record{PartitionKey: "x", ExplicitHashKey: sh.HashRange.Start.String(), Data: data})
		if put[0].Seq.Counter != last.Counter+1 {
			t.Errorf("%s: next sequence %d, want %d", sh.ID, put[0].Seq.Counter, last.Counter+1)
		}
	}
}
