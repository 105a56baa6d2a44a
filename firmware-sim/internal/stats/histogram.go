// Package stats holds the simulator's measurements: a latency Histogram
// and the Counters of a run. Both are written by every device goroutine
// and read by the live summary at the same time, so they use only
// sync/atomic typed values (which are 64-bit aligned on 32-bit ARM too)
// and no locks.
package stats

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// The histogram is log-linear over microseconds: values below 2^subBits
// have a bucket each; above, every power of two is split into 2^subBits
// equal buckets, so a bucket's width is at most 1/16 (6.25 %) of its
// values. Values from 1 µs to 2^(maxExp+subBits+1) µs (about 150 hours)
// are resolved; larger ones land in the last bucket.
const (
	subBits    = 4
	subBuckets = 1 << subBits
	maxExp     = 34
	numBuckets = subBuckets + (maxExp+1)*subBuckets
)

// bucketOf returns the bucket index of v microseconds.
func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	e := bits.Len64(v) - subBits - 1 // v>>e is in [16, 32)
	if e > maxExp {
		return numBuckets - 1
	}
	return subBuckets + e*subBuckets + int(v>>e) - subBuckets
}

// bucketBounds returns the smallest and largest value, in microseconds,
// that land in bucket i.
func bucketBounds(i int) (lo, hi uint64) {
	if i < subBuckets {
		return uint64(i), uint64(i)
	}
	e := (i - subBuckets) / subBuckets
	m := uint64(subBuckets + (i-subBuckets)%subBuckets)
	return m << e, (m+1)<<e - 1
}

// Histogram records durations. The zero value is ready to use. Record is
// safe to call from many goroutines at once, concurrently with Snapshot.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	n      atomic.Uint64
	sumUS  atomic.Uint64
	maxUS  atomic.Uint64
}

// Record adds one duration; negative durations count as 0.
func (h *Histogram) Record(d time.Duration) {
	us := uint64(max(d, 0) / time.Microsecond)
	h.counts[bucketOf(us)].Add(1)
	h.n.Add(1)
	h.sumUS.Add(us)
	for {
		m := h.maxUS.Load()
		if us <= m || h.maxUS.CompareAndSwap(m, us) {
			return
		}
	}
}

// Snapshot copies the histogram's current state. Under concurrent
// Records it is a consistent-enough view: each count is exact, the
// counts may be a few records apart from each other.
func (h *Histogram) Snapshot() Snapshot {
	s := Snapshot{Counts: make([]uint64, numBuckets)}
	for i := range h.counts {
		c := h.counts[i].Load()
		s.Counts[i] = c
		s.N += c
	}
	s.SumUS = h.sumUS.Load()
	s.MaxUS = h.maxUS.Load()
	return s
}

// Snapshot is a histogram's state at one moment.
type Snapshot struct {
	Counts []uint64
	N      uint64 // sum of Counts
	SumUS  uint64
	MaxUS  uint64 // the largest value recorded, exact
}

// Sub returns the records made between prev and s (prev taken earlier
// from the same histogram). Its MaxUS is the upper bound of the highest
// non-empty bucket, clamped to s.MaxUS.
func (s Snapshot) Sub(prev Snapshot) Snapshot {
	d := Snapshot{Counts: make([]uint64, len(s.Counts)), SumUS: s.SumUS - prev.SumUS}
	for i := range s.Counts {
		c := s.Counts[i]
		if i < len(prev.Counts) {
			c -= prev.Counts[i]
		}
		d.Counts[i] = c
		d.N += c
		if c > 0 {
			_, hi := bucketBounds(i)
			d.MaxUS = min(hi, s.MaxUS)
		}
	}
	return d
}

// Quantile returns the duration below which a fraction q (0..1) of the
// records fall: the middle of the bucket that holds it, clamped to the
// recorded maximum. It returns 0 for an empty snapshot.
func (s Snapshot) Quantile(q float64) time.Duration {
	if s.N == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(s.N)))
	rank = min(max(rank, 1), s.N)
	var seen uint64
	for i, c := range s.Counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketBounds(i)
			mid := lo + (hi-lo)/2
			if s.MaxUS > 0 {
				mid = min(mid, s.MaxUS)
			}
			return time.Duration(mid) * time.Microsecond
		}
	}
	return time.Duration(s.MaxUS) * time.Microsecond
}

// Mean returns the average recorded duration, or 0 when empty.
func (s Snapshot) Mean() time.Duration {
	if s.N == 0 {
		return 0
	}
	return time.Duration(s.SumUS/s.N) * time.Microsecond
}

// Max returns the largest recorded duration.
func (s Snapshot) Max() time.Duration { return time.Duration(s.MaxUS) * time.Microsecond }
