package uplink

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// Batch is a range of one shard: the records from Start up to and
// including Last. It holds no records; Each reads them from the spool.
type Batch struct {
	Delivery string
	Stream   string
	ShardID  string
	Start    spool.Cursor // the first record's position
	First    spool.SeqNum // first and last sequence numbers
	Last     spool.SeqNum
	Records  int
	Bytes    int64     // data bytes
	Oldest   time.Time // arrival of the first record

	// full: the batch was closed by the size hint or the record limit,
	// so cutting again from its start gives the same batch
	full bool
	// refused counts the records the sink sent to the error output
	// itself on its last Send (refuse.go)
	refused atomic.Int64

	sp   *spool.Spool
	seen atomic.Int64
	// links pace the sending (the delivery's own bandwidth cap, a shared
	// link), at priorities prios
	links []*Link
	prios []int
	// cached holds the records read while the batch was cut, when they
	// total at most cacheBytes, so the first send need not read them
	// again; nil otherwise (and after that send).
	cached      []spool.StoredRecord
	cachedBytes int64 // taken from the delivery's cache budget
}

// cacheBytes bounds the records a batch keeps from being cut.
const cacheBytes = 2 << 20

// ID is the batch's identity: the same for every resend of the same range
// (design invariant 4).
func (b *Batch) ID() string {
	return fmt.Sprintf("%s/%s/%s/%s-%s", b.Delivery, b.Stream, b.ShardID, b.First, b.Last)
}

// Each calls fn for every record of the batch still in the spool, in
// order, reading page by page. Records retention removed since the batch
// was cut are skipped (Seen tells how many were read). fn's error stops
// it and is returned.
func (b *Batch) Each(ctx context.Context, fn func(spool.StoredRecord) error) error {
	cur := b.Start
	seen := 0
	defer func() { b.seen.Store(int64(seen)) }()
	visit := func(r spool.StoredRecord) error {
		for i, l := range b.links {
			if err := l.wait(ctx, b.prios[i], len(r.Data)); err != nil {
				return err
			}
		}
		if err := fn(r); err != nil {
			return err
		}
		seen++
		return nil
	}
	if recs := b.cached; recs != nil {
		b.cached = nil // a retry reads from the spool
		for _, r := range recs {
			if err := visit(r); err != nil {
				return err
			}
		}
		return nil
	}
	for cur.Seq <= b.Last.Counter {
		if err := ctx.Err(); err != nil {
			return err
		}
		left := b.Last.Counter - cur.Seq + 1
		res, err := b.sp.Read(cur, spool.ReadLimits{MaxRecords: int(min(left, pageRecords)), MaxBytes: pageBytes})
		if err != nil {
			return err
		}
		if len(res.Records) == 0 {
			if res.Next.Seq > cur.Seq {
				cur = res.Next // a run of expired records: go on after it
				continue
			}
			return nil // the rest expired
		}
		for _, r := range res.Records {
			if r.Seq.Counter > b.Last.Counter {
				return nil // reading past expired records reached the next batch
			}
			if err := visit(r); err != nil {
				return err
			}
			cur.Seq = r.Seq.Counter + 1
		}
	}
	return nil
}

// anyLeft reports whether any record of the batch is still in the spool.
func (b *Batch) anyLeft() bool {
	cur := b.Start
	for cur.Seq <= b.Last.Counter {
		res, err := b.sp.Read(cur, spool.ReadLimits{MaxRecords: 1})
		if err != nil {
			return true // let the send report it
		}
		if len(res.Records) > 0 {
			return res.Records[0].Seq.Counter <= b.Last.Counter
		}
		if res.Next.Seq <= cur.Seq {
			return false
		}
		cur = res.Next
	}
	return false
}

// Seen is how many records the last Each read (fewer than Records when
// retention removed some meanwhile).
func (b *Batch) Seen() int { return int(b.seen.Load()) }

// Reading pages: small enough to bound memory, large enough to be cheap.
const (
	pageRecords = 1000
	pageBytes   = 1 << 20
)
