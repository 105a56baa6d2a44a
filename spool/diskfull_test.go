package spool

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDiskFull fills a small tmpfs until appends fail, then frees space:
// producers get ErrDiskFull (never a crash or a corrupt spool), every
// acknowledged record survives, and appends work again once space returns.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })

	opts := testOptions(t, newFakeClock())
	opts.Dir = filepath.Join(dir, "spool")
	opts.MinFreeDisk = 20 << 20
	opts.ValueLogFileSize = 8 << 20
	opts.MemTableSize = 2 << 20
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 2})

	// leave about 40 MiB free
	var fs unix.Statfs_t
	unix.Statfs(dir, &fs)
	free := int64(fs.Bavail) * int64(fs.Bsize)
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, free-40<<20), 0o600); err != nil {
		t.Fatal(err)
	}

	var acked []PutResult
	var fullErr error
	payload := make([]byte, 64<<10)
	for i := 0; i < 2000 && fullErr == nil; i++ {
		res, err := s.Append(context.Background(), "s", []Record{{PartitionKey: string(rune('a' + i%26)), Data: payload}})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Err != nil {
			fullErr = res[0].Err
			break
		}
		acked = append(acked, res[0])
	}
	if !errors.Is(fullErr, ErrDiskFull) || len(acked) < 50 {
		t.Fatalf("after %d appends: err = %v, want ErrDiskFull", len(acked), fullErr)
	}
	t.Logf("disk full after %d records: %v", len(acked), fullErr)
	unix.Statfs(dir, &fs)
	if left := int64(fs.Bavail) * int64(fs.Bsize); left < opts.MinFreeDisk-(1<<20) {
		t.Errorf("appends ate into the reserve: %d bytes left, reserve %d", left, opts.MinFreeDisk)
	}

	os.Remove(filler)
	// below the reserve, free space is checked at every commit
	again, err := s.AppendOne(context.Background(), "s", Record{PartitionKey: "after", Data: []byte("space is back")})
	if err != nil {
		t.Fatalf("append after freeing space: %v", err)
	}
	acked = append(acked, again)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openSpool(t, opts)
	info, _ := s.DescribeStream("s")
	if info.Records != int64(len(acked)) {
		t.Errorf("after reopen: %d records, acknowledged %d", info.Records, len(acked))
	}
	for _, a := range acked {
		cur, err := s.Seek("s", a.ShardID, StartPosition{Type: AtSequenceNumber, SequenceNumber: a.SequenceNumber()})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Read(cur, ReadLimits{MaxRecords: 1})
		if err != nil || len(res.Records) != 1 || res.Records[0].Seq != a.Seq {
			t.Fatalf("acknowledged %s missing: %+v %v", a.SequenceNumber(), res.Records, err)
		}
	}
}

// TestSyncFailureStopsWrites: after a failed fsync nothing written since
// can be trusted (the kernel may have dropped the pages), so the append
// fails and every later write is refused until the spool is reopened.
func TestSyncFailureStopsWrites(t *testing.T) {
	opts := testOptions(t, newFakeClock())
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, StreamConfig{Name: "s", Shards: 1})
	ok := mustAppend(t, s, "s", Record{PartitionKey: "k", Data: []byte("durable")})
	s.syncDB = func() error { return unix.EIO }
	res, err := s.Append(context.Background(), "s", []Record{{PartitionKey: "k", Data: []byte("lost?")}})
	if err != nil || !errors.Is(res[0].Err, unix.EIO) {
		t.Fatalf("append during a failing sync: %v %v", err, res[0].Err)
	}
	s.syncDB = s.db.Sync
	if _, err := s.Append(context.Background(), "s", []Record{{PartitionKey: "k", Data: []byte("after")}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after a failed sync: %v, want ErrClosed", err)
	}
	s.Close()
	s = openSpool(t, opts)
	got := readAll(t, s, "s", "0", StartPosition{Type: TrimHorizon})
	if len(got) == 0 || got[0].Seq != ok[0].Seq {
		t.Fatalf("acknowledged record missing after reopen: %+v", got)
	}
	if _, err := s.AppendOne(context.Background(), "s", Record{PartitionKey: "k", Data: []byte("again")}); err != nil {
		t.Errorf("append after reopen: %v", err)
	}
}
