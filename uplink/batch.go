package uplink

import (
	"context"
	"fmt"
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

	sp *spool.Spool
}

// ID is the batch's identity: the same for every resend of the same range
// (design invariant 4).
func (b *Batch) ID() string {
	return fmt.Sprintf("%s/%s/%s/%s-%s", b.Delivery, b.Stream, b.ShardID, b.First, b.Last)
}

// Each calls fn for every record of the batch, in order, reading from the
// spool page by page. fn's error stops it and is returned.
func (b *Batch) Each(ctx context.Context, fn func(spool.StoredRecord) error) error {
	cur := b.Start
	left := b.Records
	for left > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := b.sp.Read(cur, spool.ReadLimits{MaxRecords: min(left, pageRecords), MaxBytes: pageBytes})
		if err != nil {
			return err
		}
		if len(res.Records) == 0 {
			return fmt.Errorf("batch %s: records %d of %d are gone from the spool (expired by retention?)", b.ID(), b.Records-left, b.Records)
		}
		for _, r := range res.Records {
			if err := fn(r); err != nil {
				return err
			}
		}
		left -= len(res.Records)
		cur = res.Next
	}
	return nil
}

// Reading pages: small enough to bound memory, large enough to be cheap.
const (
	pageRecords = 1000
	pageBytes   = 1 << 20
)
