package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"go.uber.org/goleak"

	"github.com/tributary-edge/tributary/video/media"
)

func mustPut(t testing.TB, s *Store, stream string, f *media.Fragment) {
	t.Helper()
	if err := s.Put(stream, f); err != nil {
		t.Fatal(err)
	}
}

func TestPutNumbersAndValidation(t *testing.T) {
	opts := testOptions(t, newFakeClock())
	s := openStore(t, opts)
	f := fragment(0, time.Second, 10)
	mustPut(t, s, "cam", f)
	if f.Number != 1 {
		t.Errorf("assigned number %d, want 1 written back", f.Number)
	}
	noTime := fragment(0, time.Second, 10)
	noTime.ServerTime = time.Time{}
	if err := s.Put("cam", noTime); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("no server time: %v", err)
	}
	huge := fragment(time.Second, time.Second, opts.MaxFragmentSize)
	if err := s.Put("cam", huge); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over MaxFragmentSize: %v", err)
	}
	if err := s.Put(string(bytes.Repeat([]byte("x"), 256)), fragment(0, 0, 1)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("long name: %v", err)
	}
	if err := s.SetLimits("cam", Limits{MaxBytes: -1}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("negative limit: %v", err)
	}
	maxNum := fragment(2*time.Second, time.Second, 10)
	maxNum.Number = math.MaxUint64
	if err := s.Put("cam", maxNum); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("number 2⁶⁴-1: %v", err)
	}
	if n, _ := s.NextNumber("cam"); n != 2 {
		t.Errorf("next %d after refused Puts, want 2", n)
	}
	checkInvariants(t, s)
}

func TestOptionsValidate(t *testing.T) {
	for name, mutate := range map[string]func(*Options){
		"no dir":          func(o *Options) { o.Dir = "" },
		"vlog 256 MiB":    func(o *Options) { o.ValueLogFileSize = 256 << 20 },
		"fragment > vlog": func(o *Options) { o.MaxFragmentSize = 8 << 20 },
		"key length":      func(o *Options) { o.EncryptionKey = []byte("short") },
		"key, no cache":   func(o *Options) { o.EncryptionKey = make([]byte, 16); o.BlockCacheSize = -1 },
		"durability":      func(o *Options) { o.Durability = 7 },
		"policy":          func(o *Options) { o.DefaultLimits.Policy = 9 },
		"tiny memtable":   func(o *Options) { o.MemTableSize = 1 << 10 },
	} {
		o := testOptions(t, nil)
		mutate(&o)
		if s, err := Open(o); !errors.Is(err, ErrInvalidArgument) {
			if err == nil {
				s.Close()
			}
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	for _, c := range []struct {
		in   string
		want Durability
	}{{"", DurabilityFsync}, {"fsync", DurabilityFsync}, {"interval", DurabilityInterval}, {"none", DurabilityNone}} {
		if d, err := ParseDurability(c.in); err != nil || d != c.want || (c.in != "" && d.String() != c.in) {
			t.Errorf("ParseDurability(%q) = %v, %v", c.in, d, err)
		}
	}
	if _, err := ParsePolicy("drop"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ParsePolicy(drop): %v", err)
	}
}

func TestCloseIdempotent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	opts := testOptions(t, newFakeClock())
	opts.Durability = DurabilityInterval
	opts.SyncInterval = time.Millisecond
	opts.GCInterval = time.Millisecond
	opts.TrimMappedInterval = time.Millisecond
	opts.RetentionInterval = time.Millisecond
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "cam", fragment(0, time.Second, 100))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Put("cam", fragment(time.Second, time.Second, 100)); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v", err)
	}
	if _, err := s.List("cam", time.Time{}, time.Time{}, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("List after Close: %v", err)
	}
	if err := s.Range(context.Background(), "cam", time.Time{}, time.Time{}, func(*media.Fragment) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Range after Close: %v", err)
	}
}

func TestDiskReserve(t *testing.T) {
	opts := testOptions(t, newFakeClock())
	opts.MinFreeDisk = 100 << 20
	s := openStore(t, opts)
	free := int64(1 << 30)
	s.freeSpace = func(string) (int64, error) { return free, nil }
	mustPut(t, s, "cam", fragment(0, time.Second, 1000))
	free = opts.MinFreeDisk + 500 // the fragment would cross the reserve
	err := s.Put("cam", fragment(time.Second, time.Second, 1000))
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("Put at the reserve: %v, want ErrDiskFull", err)
	}
	free = 1 << 30
	mustPut(t, s, "cam", fragment(2*time.Second, time.Second, 1000))
	if u, _ := s.Usage("cam"); u.Fragments != 2 {
		t.Errorf("%d fragments, want 2", u.Fragments)
	}
	checkInvariants(t, s)
}

func TestMaxValueLogBytes(t *testing.T) {
	opts := testOptions(t, newFakeClock())
	opts.ValueLogFileSize = 2 << 20
	opts.MaxFragmentSize = 1 << 20
	opts.MaxValueLogBytes = 12 << 20
	s := openStore(t, opts)
	var err error
	n := 0
	for ; n < 40 && err == nil; n++ {
		err = s.Put("cam", fragment(time.Duration(n)*time.Second, time.Second, 512<<10))
	}
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("after %d Puts: %v, want ErrDiskFull", n, err)
	}
	if got := valueLogBytes(opts.Dir); got > opts.MaxValueLogBytes+int64(opts.MaxFragmentSize) {
		t.Errorf("value log is %d bytes, cap %d", got, opts.MaxValueLogBytes)
	}
	t.Logf("refused after %d fragments: %v", n-1, err)
}

// TestDiskFullTmpfs fills a small tmpfs: Puts fail with ErrDiskFull
// (never SIGBUS from a mapped write), acknowledged fragments survive, and
// Puts work again once space returns.
func TestDiskFullTmpfs(t *testing.T) {
	if os.Geteuid() != 0 || testing.Short() {
		t.Skip("needs root to mount a tmpfs; not in -short")
	}
	dir := t.TempDir()
	if out, err := runCmd("mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", dir); err != nil {
		t.Skipf("cannot mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { runCmd("umount", "-l", dir) })
	opts := testOptions(t, newFakeClock())
	opts.Dir = filepath.Join(dir, "video")
	opts.MinFreeDisk = 16 << 20
	opts.ValueLogFileSize = 8 << 20
	opts.MaxFragmentSize = 2 << 20
	s := openStore(t, opts)
	var err error
	var acked []time.Duration
	for i := 0; i < 200; i++ {
		off := time.Duration(i) * 2 * time.Second
		if err = s.Put("cam", fragment(off, 2*time.Second, 1<<20)); err != nil {
			break
		}
		acked = append(acked, off)
	}
	if !errors.Is(err, ErrDiskFull) || len(acked) < 20 {
		t.Fatalf("after %d Puts: %v, want ErrDiskFull", len(acked), err)
	}
	if free, _ := statfsFree(dir); free < opts.MinFreeDisk-(2<<20) {
		t.Errorf("Puts ate into the reserve: %d bytes free", free)
	}
	// Make room: size retention, then reclaim the value log.
	if err := s.SetLimits("cam", Limits{MaxBytes: 10 << 20}); err != nil {
		t.Fatal(err)
	}
	s.opts.ReclaimThreshold = 1
	s.sweep()
	mustPut(t, s, "cam", fragment(time.Hour, 2*time.Second, 1<<20))
	s.Close()
	s = openStore(t, opts)
	checkInvariants(t, s)
	infos, err := s.List("cam", time.Time{}, time.Time{}, 0)
	if err != nil || len(infos) == 0 || infos[len(infos)-1].ServerTime != base.Add(time.Hour) {
		t.Fatalf("after reopen: %v %v", infos, err)
	}
	t.Logf("disk full after %d fragments", len(acked))
}

func TestSyncFailureStopsWrites(t *testing.T) {
	opts := testOptions(t, newFakeClock())
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "cam", fragment(0, time.Second, 100))
	eio := errors.New("input/output error")
	s.syncDB = func() error { return eio }
	if err := s.Put("cam", fragment(time.Second, time.Second, 100)); !errors.Is(err, eio) {
		t.Fatalf("Put during a failing sync: %v", err)
	}
	s.syncDB = s.db.Sync
	if err := s.Put("cam", fragment(2*time.Second, time.Second, 100)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after a failed sync: %v, want ErrClosed", err)
	}
	if _, err := s.Get("cam", 1); err != nil {
		t.Errorf("reads go on: %v", err)
	}
	s.Close()
	s = openStore(t, opts)
	if _, err := s.Get("cam", 1); err != nil {
		t.Errorf("acknowledged fragment after reopen: %v", err)
	}
	mustPut(t, s, "cam", fragment(3*time.Second, time.Second, 100))
	checkInvariants(t, s)
}

// TestRangePages: Range pages through the index (more than one page),
// stops at fn's error or a cancelled context, and skips fragments evicted
// while it runs.
func TestRangePages(t *testing.T) {
	s := openStore(t, testOptions(t, newFakeClock()))
	const n = 3*rangePage + 7
	for i := range n {
		mustPut(t, s, "cam", fragment(time.Duration(i)*2*time.Second, 2*time.Second, 100))
	}
	var got []uint64
	err := s.Range(context.Background(), "cam", time.Time{}, time.Time{}, func(f *media.Fragment) error {
		if bad := checkIntact(f); bad != "" {
			t.Fatalf("#%d: %s", f.Number, bad)
		}
		got = append(got, f.Number)
		return nil
	})
	if err != nil || len(got) != n {
		t.Fatalf("Range: %d fragments, %v", len(got), err)
	}
	for i, num := range got {
		if num != uint64(i+1) {
			t.Fatalf("fragment %d is #%d", i, num)
		}
	}

	stopErr := errors.New("enough")
	calls := 0
	err = s.Range(context.Background(), "cam", time.Time{}, time.Time{}, func(*media.Fragment) error {
		calls++
		if calls == 70 {
			return stopErr
		}
		return nil
	})
	if !errors.Is(err, stopErr) || calls != 70 {
		t.Errorf("fn error: %v after %d calls", err, calls)
	}

	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	err = s.Range(ctx, "cam", time.Time{}, time.Time{}, func(*media.Fragment) error {
		calls++
		if calls == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls != 3 {
		t.Errorf("cancelled: %v after %d calls", err, calls)
	}

	// Evict all but the newest three while Range is at #5.
	size, _ := EncodedSize(fragment(0, 0, 100))
	got = got[:0]
	err = s.Range(context.Background(), "cam", time.Time{}, time.Time{}, func(f *media.Fragment) error {
		got = append(got, f.Number)
		if f.Number == 5 {
			return s.SetLimits("cam", Limits{MaxBytes: 3 * int64(size)})
		}
		return nil
	})
	want := []uint64{1, 2, 3, 4, 5, n - 2, n - 1, n}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Range across an eviction: %v %v, want %v", got, err, want)
	}
	checkInvariants(t, s)
}

// TestConcurrentUse runs Puts to several streams with reads, retention and
// GC alongside (for the race detector), then checks the state.
func TestConcurrentUse(t *testing.T) {
	clock := newFakeClock()
	opts := testOptions(t, clock)
	opts.ReclaimThreshold = 1 // every sweep flushes and compacts, racing the Puts
	s := openStore(t, opts)
	const streams, puts = 4, 40
	size, _ := EncodedSize(fragment(0, 0, 2000))
	for i := range streams {
		if err := s.SetLimits(fmt.Sprint("cam", i), Limits{MaxBytes: 10 * int64(size), MaxAge: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range puts {
				if err := s.Put(fmt.Sprint("cam", i), fragment(time.Duration(j)*2*time.Second, 2*time.Second, 2000)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			for i := range streams {
				name := fmt.Sprint("cam", i)
				s.List(name, time.Time{}, time.Time{}, 0)
				s.Usage(name)
				s.Last(name)
				s.Range(context.Background(), name, base, base.Add(10*time.Second), func(f *media.Fragment) error {
					if bad := checkIntact(f); bad != "" {
						t.Errorf("%s #%d: %s", name, f.Number, bad)
					}
					return nil
				})
			}
			s.sweep()
			s.valueLogGC()
		}
	}()
	wg.Wait()
	close(done)
	readers.Wait()
	checkInvariants(t, s)
	for i := range streams {
		u, err := s.Usage(fmt.Sprint("cam", i))
		if err != nil || u.Fragments != 10 || u.Newest != base.Add((puts-1)*2*time.Second) {
			t.Errorf("cam%d: %+v %v", i, u, err)
		}
	}
}

func TestEncryptionAtRest(t *testing.T) {
	opts := testOptions(t, newFakeClock())
	opts.EncryptionKey = bytes.Repeat([]byte{7}, 32)
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	secret := fragment(0, time.Second, 100)
	secret.Frames[0].Data = []byte("the-door-code-is-4711-" + string(bytes.Repeat([]byte("x"), 5000)))
	mustPut(t, s, "cam", secret)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	filepath.Walk(opts.Dir, func(path string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(path)
			if bytes.Contains(b, []byte("the-door-code-is-4711")) {
				t.Errorf("%s holds the plaintext", path)
			}
		}
		return nil
	})
	wrong := opts
	wrong.EncryptionKey = bytes.Repeat([]byte{8}, 32)
	if s, err := Open(wrong); err == nil {
		s.Close()
		t.Error("opened with the wrong key")
	}
	s = openStore(t, opts)
	f, err := s.Get("cam", 1)
	if err != nil || !bytes.Equal(f.Frames[0].Data, secret.Frames[0].Data) {
		t.Errorf("read back: %v", err)
	}
}

// TestReclaimBoundsValueLog: with delete_oldest eviction the value log
// stays near the live data (reclaim flushes the LSM tree so that GC learns
// which files are garbage) instead of growing with everything ever written,
// and a deleted stream's space comes back.
func TestReclaimBoundsValueLog(t *testing.T) {
	opts := testOptions(t, newFakeClock())
	opts.ValueLogFileSize = 4 << 20
	opts.MaxFragmentSize = 1 << 20
	s := openStore(t, opts)
	const maxBytes = 4 << 20
	if err := s.SetLimits("cam", Limits{MaxBytes: maxBytes}); err != nil {
		t.Fatal(err)
	}
	// the active file is preallocated to twice ValueLogFileSize
	bound := maxBytes + s.opts.ReclaimThreshold + 3*opts.ValueLogFileSize
	written := 0
	for i := range 240 {
		mustPut(t, s, "cam", fragment(time.Duration(i)*2*time.Second, 2*time.Second, 256<<10))
		written += 256 << 10
		if i%16 == 15 {
			s.sweep()
			if got := valueLogBytes(opts.Dir); got > bound {
				t.Fatalf("after %d MiB written: value log %d MiB, want ≤ %d MiB", written>>20, got>>20, bound>>20)
			}
		}
	}
	checkInvariants(t, s)
	mustPut(t, s, "other", fragment(0, time.Second, 100))
	if err := s.DeleteStream("cam"); err != nil {
		t.Fatal(err)
	}
	s.opts.ReclaimThreshold = 1
	s.sweep()
	if got := valueLogBytes(opts.Dir); got > 3*opts.ValueLogFileSize {
		t.Errorf("after deleting the stream: value log %d MiB", got>>20)
	}
	if f, err := s.Get("other", 1); err != nil || checkIntact(f) != "" {
		t.Errorf("other stream after reclaim: %v", err)
	}
}

// TestDeleteResumesAfterRestart: a deletion cut short by Close leaves a
// marker, and the janitor's first pass after Open finishes it.
func TestDeleteResumesAfterRestart(t *testing.T) {
	opts := testOptions(t, newFakeClock())
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	<-s.firstPass
	for i := range 20 {
		mustPut(t, s, "gone", fragment(time.Duration(i)*time.Second, time.Second, 100))
	}
	mustPut(t, s, "kept", fragment(0, time.Second, 100))
	sid := s.lookup("gone").id
	s.cancel() // as Close does: the erase stops before its first batch
	if err := s.DeleteStream("gone"); err != nil {
		t.Fatal(err)
	}
	if keysOf(t, s, sid) == 0 {
		t.Fatal("the deletion was not cut short; the test proves nothing")
	}
	s.Close()
	s = openStore(t, opts)
	if n := keysOf(t, s, sid); n != 0 {
		t.Errorf("%d keys of the deleted stream left after the first janitor pass", n)
	}
	if got := s.Streams(); fmt.Sprint(got) != "[kept]" {
		t.Errorf("streams %v", got)
	}
	checkInvariants(t, s)
}

// keysOf counts the index, fragment and deletion-marker keys of stream sid.
func keysOf(t *testing.T, s *Store, sid uint32) int {
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		for _, p := range []byte{prefixIndex, prefixFragment, prefixDeleting} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: idKey(p, sid)})
			for it.Rewind(); it.Valid(); it.Next() {
				n++
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func runCmd(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}
