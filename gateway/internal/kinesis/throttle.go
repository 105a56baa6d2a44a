package kinesis

import (
	"strings"
	"sync"
	"time"
)

// Per-shard throughput limits (kinesis.md §3.8), enforced only when
// Config.Throughput is set: writes 1,000 records/s and 1 MiB/s; reads 5
// calls/s and 2 MiB/s. Each limit is a token bucket holding one second of
// allowance, except read bytes: one GetRecords may return up to 10 MiB,
// after which the shard's read budget is in debt and calls are refused
// until it refills (AWS: "calls within the next 5 seconds" after 10 MiB).
const (
	putRecordsPerSec = 1000
	putBytesPerSec   = 1 << 20
	getCallsPerSec   = 5
	getBytesPerSec   = 2 << 20
)

type bucket struct {
	tokens float64
	last   time.Time
}

// fill refills at rate per second up to capacity.
func (b *bucket) fill(now time.Time, rate, capacity float64) {
	if b.last.IsZero() {
		b.tokens = capacity
	} else {
		b.tokens = min(capacity, b.tokens+now.Sub(b.last).Seconds()*rate)
	}
	b.last = now
}

type shardBuckets struct {
	putRecs, putBytes, getCalls, getBytes bucket
}

type limiter struct {
	now    func() time.Time
	mu     sync.Mutex
	shards map[string]*shardBuckets
	added  int // entries added since the last sweep
}

// sweepEvery: after this many new entries, entries idle for over a second
// (whose buckets are full again, the same as no entry) are dropped, so the
// map does not grow with resharding and stream churn.
const sweepEvery = 1024

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, shards: map[string]*shardBuckets{}}
}

func (l *limiter) get(stream, shard string) *shardBuckets {
	k := stream + "/" + shard
	b := l.shards[k]
	if b == nil {
		if l.added++; l.added >= sweepEvery {
			l.sweep()
		}
		b = &shardBuckets{}
		l.shards[k] = b
	}
	return b
}

func (l *limiter) sweep() {
	l.added = 0
	now := l.now()
	for k, b := range l.shards {
		last := b.putRecs.last
		for _, t := range []time.Time{b.putBytes.last, b.getCalls.last, b.getBytes.last} {
			if t.After(last) {
				last = t
			}
		}
		if now.Sub(last) > time.Second && b.getBytes.tokens >= 0 {
			delete(l.shards, k)
		}
	}
}

// forget drops a deleted stream's entries.
func (l *limiter) forget(stream string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.shards {
		if strings.HasPrefix(k, stream+"/") {
			delete(l.shards, k)
		}
	}
}

// allowPut takes n records of size bytes from the shard's write allowance,
// or reports false and takes nothing.
func (l *limiter) allowPut(stream, shard string, n, size int, enabled bool) bool {
	if !enabled {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, now := l.get(stream, shard), l.now()
	b.putRecs.fill(now, putRecordsPerSec, putRecordsPerSec)
	b.putBytes.fill(now, putBytesPerSec, putBytesPerSec)
	if b.putRecs.tokens < float64(n) || b.putBytes.tokens < float64(size) {
		return false
	}
	b.putRecs.tokens -= float64(n)
	b.putBytes.tokens -= float64(size)
	return true
}

// allowGet takes one GetRecords call from the shard's read allowance.
func (l *limiter) allowGet(stream, shard string, enabled bool) bool {
	if !enabled {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, now := l.get(stream, shard), l.now()
	b.getCalls.fill(now, getCallsPerSec, getCallsPerSec)
	b.getBytes.fill(now, getBytesPerSec, maxGetRecordsBytes)
	if b.getCalls.tokens < 1 || b.getBytes.tokens <= 0 {
		return false
	}
	b.getCalls.tokens--
	return true
}

// readBudget is how many bytes the next read of the shard may return.
func (l *limiter) readBudget(stream, shard string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(1, int(l.get(stream, shard).getBytes.tokens))
}

// readDone charges the bytes a read returned (the budget may go negative).
func (l *limiter) readDone(stream, shard string, size int, enabled bool) {
	if !enabled {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.get(stream, shard).getBytes.tokens -= float64(size)
}
