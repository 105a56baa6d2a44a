package spool

// Benchmarks for `make bench`. Each reports, besides ns/op:
//
//	recs/s      records made durable per second
//	p50_ms      median append-to-durable latency (one Append call)
//	p99_ms      99th percentile of the same
//	write_amp   bytes this process wrote to disk (/proc/self/io write_bytes)
//	            per byte of record data appended
//	x_fsync     recs/s ÷ the disk's raw fsync rate (records per raw fsync)
//	x_seq_bw    data bytes/s ÷ the disk's raw sequential write bandwidth
//
// BenchmarkDisk measures the raw figures. BenchmarkSustainRSS and
// BenchmarkStartupBacklog are run in their own processes by the Makefile so
// that VmHWM (peak RSS) is theirs alone.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const benchRecordSize = 100

// benchDir is where benchmarks put data: $TRIBUTARY_BENCH_DIR or a temp dir
// (on this machine /tmp is the same disk as the work tree).
func benchDir(b *testing.B) string {
	if d := os.Getenv("TRIBUTARY_BENCH_DIR"); d != "" {
		dir, err := os.MkdirTemp(d, "bench")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	return b.TempDir()
}

// procIO returns write_bytes from /proc/self/io.
func procWriteBytes() int64 {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// procStatus returns a field of /proc/self/status in bytes (VmRSS, VmHWM).
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n << 10
		}
	}
	return 0
}

var (
	rawOnce             sync.Once
	rawFsyncs, rawSeqBW float64
)

// rawDisk measures the disk under dir: 4 KiB write+fdatasync operations per
// second, and sequential write bandwidth (256 MiB in 1 MiB writes, then
// fsync).
func rawDisk(b *testing.B, dir string) (fsyncsPerSec, bytesPerSec float64) {
	rawOnce.Do(func() {
		f, err := os.Create(filepath.Join(dir, "raw"))
		if err != nil {
			b.Fatal(err)
		}
		defer os.Remove(f.Name())
		defer f.Close()
		buf := make([]byte, 4096)
		n := 0
		start := time.Now()
		for time.Since(start) < 2*time.Second {
			f.WriteAt(buf, int64(n%256)*4096)
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			n++
		}
		rawFsyncs = float64(n) / time.Since(start).Seconds()
		big := make([]byte, 1<<20)
		f.Truncate(0)
		start = time.Now()
		for range 256 {
			f.Write(big)
		}
		f.Sync()
		rawSeqBW = float64(256<<20) / time.Since(start).Seconds()
	})
	return rawFsyncs, rawSeqBW
}

func BenchmarkDisk(b *testing.B) {
	dir := benchDir(b)
	b.Run("raw", func(b *testing.B) {
		fs, bw := rawDisk(b, dir)
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(fs, "fsyncs/s")
		b.ReportMetric(bw/(1<<20), "seq_MiB/s")
	})
	// Badger writes its logs through shared memory maps and syncs them
	// with msync. On kernels that cache files in large folios, each sync
	// writes back whole folios, so small commits are amplified by the
	// disk stack itself: this is the floor for the spool's write_amp.
	for _, size := range []int{4 << 10, 64 << 10, 640 << 10} {
		b.Run(fmt.Sprintf("mmap_msync_append=%dKiB", size>>10), func(b *testing.B) {
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(mmapAppendAmp(b, dir, size), "write_amp")
		})
	}
}

// mmapAppendAmp appends size-byte writes to a shared mapping, msyncing
// after each, for 64 MiB, and returns bytes written per byte appended.
func mmapAppendAmp(b *testing.B, dir string, size int) float64 {
	const total = 64 << 20
	f, err := os.Create(filepath.Join(dir, "mmap"))
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := f.Truncate(total); err != nil {
		b.Fatal(err)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, total, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Munmap(m)
	chunk := bytes.Repeat([]byte{'x'}, size)
	io0 := procWriteBytes()
	for off := 0; off+size <= total; off += size {
		copy(m[off:], chunk)
		if err := unix.Msync(m, unix.MS_SYNC); err != nil {
			b.Fatal(err)
		}
	}
	return float64(procWriteBytes()-io0) / float64(total/size*size)
}

func benchOptions(b *testing.B, d Durability) Options {
	return Options{
		Dir:         benchDir(b),
		Durability:  d,
		MinFreeDisk: -1,
		GCInterval:  -1,
	}
}

// BenchmarkAppend: durability × producers × batch size. b.N is the number
// of records.
func BenchmarkAppend(b *testing.B) {
	for _, d := range []Durability{DurabilityFsync, DurabilityInterval, DurabilityNone} {
		for _, batch := range []int{1, 500} {
			for _, producers := range []int{1, 16, 256} {
				name := fmt.Sprintf("%s/batch=%d/producers=%d", d, batch, producers)
				b.Run(name, func(b *testing.B) { benchAppend(b, d, batch, producers) })
			}
		}
	}
}

func benchAppend(b *testing.B, d Durability, batch, producers int) {
	opts := benchOptions(b, d)
	fsyncs, seqBW := rawDisk(b, opts.Dir)
	s, err := Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateStream(StreamConfig{Name: "bench", Shards: 4}); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, benchRecordSize)
	calls := (b.N + batch - 1) / batch
	var next atomic.Int64
	lat := make([][]time.Duration, producers)
	var wg sync.WaitGroup
	io0 := procWriteBytes()
	b.ResetTimer()
	start := time.Now()
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs := make([]Record, batch)
			for i := range recs {
				recs[i] = Record{PartitionKey: fmt.Sprintf("device-%d-%d", p, i), Data: data}
			}
			for next.Add(1) <= int64(calls) {
				t0 := time.Now()
				res, err := s.Append(context.Background(), "bench", recs)
				if err != nil || res[0].Err != nil {
					b.Error(err, res[0].Err)
					return
				}
				lat[p] = append(lat[p], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	written := procWriteBytes() - io0
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	records := float64(calls * batch)
	rps := records / elapsed.Seconds()
	b.ReportMetric(rps, "recs/s")
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50_ms")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99_ms")
	}
	b.ReportMetric(float64(written)/(records*benchRecordSize), "write_amp")
	b.ReportMetric(rps/fsyncs, "x_fsync")
	b.ReportMetric(rps*benchRecordSize/seqBW, "x_seq_bw")
}

// BenchmarkRead reads back a 200k-record stream from TRIM_HORIZON in
// batches of 10,000. b.N is the number of records read.
func BenchmarkRead(b *testing.B) {
	opts := benchOptions(b, DurabilityNone)
	s, err := Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateStream(StreamConfig{Name: "bench", Shards: 4}); err != nil {
		b.Fatal(err)
	}
	fillStream(b, s, "bench", 200_000)
	b.ResetTimer()
	start := time.Now()
	read := 0
	for read < b.N {
		for _, sh := range []string{"0", "1", "2", "3"} {
			cur, err := s.Seek("bench", sh, StartPosition{Type: TrimHorizon})
			if err != nil {
				b.Fatal(err)
			}
			for read < b.N {
				res, err := s.Read(cur, ReadLimits{})
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Records) == 0 {
					break
				}
				read += len(res.Records)
				cur = res.Next
			}
		}
	}
	b.ReportMetric(float64(read)/time.Since(start).Seconds(), "recs/s")
}

func fillStream(b *testing.B, s *Spool, stream string, n int) {
	data := make([]byte, benchRecordSize)
	recs := make([]Record, 500)
	var wg sync.WaitGroup
	var next atomic.Int64
	for p := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs := slices.Clone(recs)
			for i := range recs {
				recs[i] = Record{PartitionKey: fmt.Sprintf("device-%d-%d", p, i), Data: data}
			}
			for next.Add(500) <= int64(n) {
				if _, err := s.Append(context.Background(), stream, recs); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkSustainRSS appends for 20 s with 64 producers in batches of 100
// (fsync mode) while a reader tails every shard, and reports peak RSS.
// Run alone: go test -run '^$' -bench SustainRSS -benchtime 1x ./spool/
func BenchmarkSustainRSS(b *testing.B) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(64 << 20) // as the gateway's default memory_limit
	}
	dur := 20 * time.Second
	if v := os.Getenv("TRIBUTARY_SUSTAIN"); v != "" {
		dur, _ = time.ParseDuration(v)
	}
	opts := benchOptions(b, DurabilityFsync)
	s, err := Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.CreateStream(StreamConfig{Name: "bench", Shards: 4})
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	data := make([]byte, benchRecordSize)
	var appended, readN atomic.Int64
	var wg sync.WaitGroup
	io0 := procWriteBytes()
	for p := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs := make([]Record, 100)
			for i := range recs {
				recs[i] = Record{PartitionKey: fmt.Sprintf("d%d-%d", p, i), Data: data}
			}
			for ctx.Err() == nil {
				if _, err := s.Append(context.Background(), "bench", recs); err != nil {
					return
				}
				appended.Add(100)
			}
		}()
	}
	for _, sh := range []string{"0", "1", "2", "3"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cur, _ := s.Seek("bench", sh, StartPosition{Type: TrimHorizon})
			for ctx.Err() == nil {
				res, err := s.Read(cur, ReadLimits{MaxRecords: 1000})
				if err != nil {
					return
				}
				readN.Add(int64(len(res.Records)))
				cur = res.Next
				if len(res.Records) == 0 {
					s.Wait(ctx, cur)
				}
			}
		}()
	}
	// sample the anonymous (heap, caches) and file-backed (mapped Badger
	// files, reclaimable) parts of RSS while sustaining
	var peakAnon, peakFile int64
	sample := time.NewTicker(100 * time.Millisecond)
	for ctx.Err() == nil {
		select {
		case <-sample.C:
			peakAnon = max(peakAnon, procStatus("RssAnon"))
			peakFile = max(peakFile, procStatus("RssFile")+procStatus("RssShmem"))
		case <-ctx.Done():
		}
	}
	sample.Stop()
	wg.Wait()
	b.ReportMetric(float64(procStatus("VmHWM"))/(1<<20), "peak_rss_MiB")
	b.ReportMetric(float64(peakAnon)/(1<<20), "peak_anon_MiB")
	b.ReportMetric(float64(peakFile)/(1<<20), "peak_file_MiB")
	b.ReportMetric(float64(appended.Load())/dur.Seconds(), "recs/s")
	b.ReportMetric(float64(readN.Load())/dur.Seconds(), "read_recs/s")
	b.ReportMetric(float64(procWriteBytes()-io0)/float64(appended.Load()*benchRecordSize), "write_amp")
}

// BenchmarkStartupBacklog measures Open with a 5-million-record backlog
// (built once under $TRIBUTARY_BENCH_DIR or the temp dir and kept for
// later runs) and the RSS after opening and reading the oldest batch.
func BenchmarkStartupBacklog(b *testing.B) {
	const backlog = 5_000_000
	root := os.Getenv("TRIBUTARY_BENCH_DIR")
	if root == "" {
		root = os.TempDir()
	}
	dir := filepath.Join(root, "tributary-backlog-5M")
	marker := filepath.Join(dir, "complete")
	if _, err := os.Stat(marker); err != nil {
		os.RemoveAll(dir)
		s, err := Open(Options{Dir: dir, Durability: DurabilityNone, MinFreeDisk: -1, GCInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		s.CreateStream(StreamConfig{Name: "bench", Shards: 4, Retention: 8760 * time.Hour})
		t0 := time.Now()
		fillStream(b, s, "bench", backlog)
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %d-record backlog in %s", backlog, time.Since(t0))
		os.WriteFile(marker, nil, 0o600)
	}
	b.ResetTimer()
	var total time.Duration
	for range b.N {
		t0 := time.Now()
		s, err := Open(Options{Dir: dir, MinFreeDisk: -1, GCInterval: -1, RetentionCheckInterval: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(t0)
		info, _ := s.DescribeStream("bench")
		if info.Records < backlog {
			b.Fatalf("backlog has %d records", info.Records)
		}
		cur, _ := s.Seek("bench", "0", StartPosition{Type: TrimHorizon})
		if _, err := s.Read(cur, ReadLimits{}); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	b.ReportMetric(total.Seconds()*1000/float64(b.N), "open_ms")
	// VmHWM is this process's peak: meaningful when the backlog already
	// existed (make bench runs this benchmark twice)
	b.ReportMetric(float64(procStatus("VmHWM"))/(1<<20), "peak_rss_MiB")
}
