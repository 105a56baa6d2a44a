package stats

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestBucketsCoverEveryValue(t *testing.T) {
	prevHi := uint64(0)
	for i := 0; i < numBuckets; i++ {
		lo, hi := bucketBounds(i)
		if i > 0 && lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if bucketOf(lo) != i || bucketOf(hi) != i {
			t.Fatalf("bucket %d [%d,%d]: bucketOf gives %d and %d", i, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		if lo >= subBuckets && float64(hi-lo+1)/float64(lo) > 1.0/subBuckets+1e-9 {
			t.Fatalf("bucket %d [%d,%d] is wider than 1/16 of its values", i, lo, hi)
		}
		prevHi = hi
	}
	if bucketOf(1<<62) != numBuckets-1 {
		t.Fatal("huge values must land in the last bucket")
	}
}

func TestQuantilesMatchSortedSample(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var h Histogram
	var vals []time.Duration
	for i := 0; i < 20000; i++ {
		d := time.Duration(rng.ExpFloat64()*2000) * time.Microsecond
		vals = append(vals, d)
		h.Record(d)
	}
	slices.Sort(vals)
	s := h.Snapshot()
	if s.N != 20000 {
		t.Fatalf("N = %d", s.N)
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := vals[int(q*float64(len(vals)))-1]
		got := s.Quantile(q)
		if diff := float64(got-want) / float64(want); diff > 0.07 || diff < -0.07 {
			t.Errorf("q%.3f = %v, want %v ±7%%", q, got, want)
		}
	}
	if s.Max() != vals[len(vals)-1].Truncate(time.Microsecond) {
		t.Errorf("Max = %v, want %v", s.Max(), vals[len(vals)-1])
	}
	if s.Quantile(1) > s.Max() {
		t.Errorf("q1 %v > max %v", s.Quantile(1), s.Max())
	}
}

func TestSnapshotSub(t *testing.T) {
	var h Histogram
	for i := 0; i < 100; i++ {
		h.Record(10 * time.Millisecond)
	}
	before := h.Snapshot()
	for i := 0; i < 100; i++ {
		h.Record(time.Millisecond)
	}
	d := h.Snapshot().Sub(before)
	if d.N != 100 {
		t.Fatalf("window N = %d", d.N)
	}
	if p := d.Quantile(0.99); p < 900*time.Microsecond || p > 1100*time.Microsecond {
		t.Fatalf("window p99 = %v, want ~1ms (the older 10ms records are outside the window)", p)
	}
	if d.Max() > 1100*time.Microsecond {
		t.Fatalf("window max = %v", d.Max())
	}
	var empty Snapshot
	if empty.Quantile(0.5) != 0 || empty.Mean() != 0 {
		t.Fatal("empty snapshot must give 0")
	}
}

func TestConcurrentRecordAndCount(t *testing.T) {
	var h Histogram
	var c Counters
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				h.Record(time.Duration(i) * time.Microsecond)
				c.Sent.Add(1)
				c.AddError(ErrTimeout)
			}
		}()
	}
	for i := 0; i < 10; i++ {
		_ = h.Snapshot() // concurrent reads, for -race
		_ = c.Snapshot()
	}
	wg.Wait()
	s := c.Snapshot()
	if h.Snapshot().N != 8000 || s.Sent != 8000 || s.Errors[ErrTimeout] != 8000 || s.TotalErrors() != 8000 {
		t.Fatalf("counts: hist %d sent %d timeouts %d", h.Snapshot().N, s.Sent, s.Errors[ErrTimeout])
	}
	if h.Snapshot().Max() != 999*time.Microsecond {
		t.Fatalf("max %v", h.Snapshot().Max())
	}
	if m := s.ErrorsByKind(); len(m) != int(numErrorKinds) || m["timeout"] != 8000 || m["connect"] != 0 {
		t.Fatalf("ErrorsByKind = %v", m)
	}
}
