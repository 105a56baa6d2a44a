package uplink

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// How a shard is sent.
//
// Oldest first (the default), a shard is one segment: batches cut from
// the checkpoint onwards, one at a time, in order.
//
// Newest first (Config.NewestFirst), a shard found behind — after an
// outage, or a gateway that was off — is split at its newest record G+1:
// a live segment sends from there on, as records arrive, while a backfill
// segment sends the backlog (checkpoint, G], oldest first, alongside it
// and below it in priority on the bandwidth. When the backfill reaches G
// the two are merged and the shard is one segment again. Order per
// partition key holds within each segment, not across the split: a key's
// newer records may arrive before its older ones (what a dashboard wants:
// the current value now, the history when it comes).
//
// The split survives a restart. Per shard, in the spool:
//
//	uplink:<name>               C: everything up to C is delivered (the backfill's progress)
//	uplink-gap:<name>           G: the backfill ends at G (set while split)
//	uplink-live:<name>          L: (G, L] is delivered (the live segment's progress)
//	uplink-pending:<name>       the backfill's batch in flight (its last record)
//	uplink-live-pending:<name>  the live segment's batch in flight
//
// Split while G > C. L ≤ C means no split (a stale L from an earlier one).

func (d *Delivery) gapConsumer() string         { return "uplink-gap:" + d.cfg.Name }
func (d *Delivery) liveConsumer() string        { return "uplink-live:" + d.cfg.Name }
func (d *Delivery) livePendingConsumer() string { return "uplink-live-pending:" + d.cfg.Name }

// segment is one run of batches in a shard and where its progress goes.
type segment struct {
	ctx             context.Context // ends the segment (a split ends both halves together)
	stream, shardID string
	live            bool   // the live half of a split (its batches go first)
	pending         string // the consumer holding the batch in flight
	confirm         func(ctx context.Context, sp *spool.Spool, last spool.SeqNum) error
}

// key names the segment in the delivery's retry state.
func (seg *segment) key() string {
	if seg.live {
		return seg.stream + "/" + seg.shardID + "/live"
	}
	return seg.stream + "/" + seg.shardID
}

func (d *Delivery) checkpoint(consumer, stream, shardID string, seq spool.SeqNum) spool.Checkpoint {
	return spool.Checkpoint{Consumer: consumer, Stream: stream, ShardID: shardID, SequenceNumber: seq.String()}
}

// mainSegment is an unsplit shard: confirmed batches move C.
func (d *Delivery) mainSegment(ctx context.Context, stream, shardID string) *segment {
	return &segment{ctx: ctx, stream: stream, shardID: shardID, pending: d.pendingConsumer(),
		confirm: func(ctx context.Context, sp *spool.Spool, last spool.SeqNum) error {
			return sp.SetCheckpoints(ctx, d.checkpoint(d.consumer(), stream, shardID, last))
		}}
}

// split is the shared state of a split shard's two segments.
type split struct {
	mu       sync.Mutex
	merged   bool
	liveLast spool.SeqNum // L
}

func (d *Delivery) splitSegments(ctx context.Context, stream, shardID string, sp *split) (backfill, live *segment) {
	live = &segment{ctx: ctx, stream: stream, shardID: shardID, live: true, pending: d.livePendingConsumer(),
		confirm: func(ctx context.Context, s *spool.Spool, last spool.SeqNum) error {
			sp.mu.Lock()
			defer sp.mu.Unlock()
			cps := []spool.Checkpoint{d.checkpoint(d.liveConsumer(), stream, shardID, last)}
			if sp.merged {
				cps = append(cps, d.checkpoint(d.consumer(), stream, shardID, last))
			}
			if err := s.SetCheckpoints(ctx, cps...); err != nil {
				return err
			}
			sp.liveLast = last
			return nil
		}}
	backfill = d.mainSegment(ctx, stream, shardID)
	return backfill, live
}

// merge ends a split: C jumps to L.
func (d *Delivery) merge(stream, shardID string, sp *split) error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.merged = true
	return d.sp.SetCheckpoints(context.WithoutCancel(d.ctx), d.checkpoint(d.consumer(), stream, shardID, sp.liveLast))
}

// sendShard delivers one shard from its checkpoints until it ends (closed
// and read to its end) or the delivery stops.
func (d *Delivery) sendShard(stream, shardID string) error {
	pos := spool.StartPosition{Type: spool.TrimHorizon}
	c, hasC, err := d.seq(d.consumer(), stream, shardID)
	if err != nil {
		return err
	}
	if hasC {
		pos = spool.StartPosition{Type: spool.AfterSequenceNumber, SequenceNumber: c.String()}
	}
	cur, err := d.sp.Seek(stream, shardID, pos)
	if err != nil {
		return err
	}
	g, hasG, err := d.seq(d.gapConsumer(), stream, shardID)
	if err != nil {
		return err
	}
	l, hasL, err := d.seq(d.liveConsumer(), stream, shardID)
	if err != nil {
		return err
	}
	switch {
	case hasG && hasL && g.Counter >= cur.Seq && l.Counter >= g.Counter:
		return d.drainSplit(cur, g, l) // a split interrupted by a restart
	case hasL && l.Counter >= cur.Seq:
		// The backfill had reached G; the merge was not recorded.
		if err := d.sp.SetCheckpoints(d.ctx, d.checkpoint(d.consumer(), stream, shardID, l)); err != nil {
			return err
		}
		cur.Seq = l.Counter + 1
	}
	seg := d.mainSegment(d.ctx, stream, shardID)
	// After a merge the live segment's batch in flight is recorded under
	// its own consumer: resume whichever is further on.
	until := max(d.resumeAt(seg, cur), d.resumeAt(&segment{stream: stream, shardID: shardID, pending: d.livePendingConsumer()}, cur))
	for {
		next, why, err := d.runSegment(seg, cur, until, 0, d.cfg.NewestFirst)
		until = 0
		if err != nil || why == segEnded {
			return err
		}
		g, ok := d.splitPoint(next)
		if !ok {
			cur = next
			continue
		}
		// Split: the live segment starts at the newest record.
		l := g
		if err := d.sp.SetCheckpoints(d.ctx, d.checkpoint(d.gapConsumer(), stream, shardID, g), d.checkpoint(d.liveConsumer(), stream, shardID, l)); err != nil {
			return err
		}
		d.log.Info("shard behind: sending new records first, backfilling the backlog alongside", "stream", stream, "shard", shardID, "backlog_records", g.Counter-next.Seq+1)
		return d.drainSplit(next, g, l)
	}
}

// drainSplit runs a split shard: the backfill (cur, G] in a goroutine,
// the live segment from L on here; when the backfill is done they merge
// and the live segment goes on as the shard's only one.
func (d *Delivery) drainSplit(cur spool.Cursor, g, l spool.SeqNum) error {
	stream, shardID := cur.Stream, cur.ShardID()
	// Either half failing ends both, so the shard is restarted (and the
	// split resumed from its checkpoints) instead of half of it running
	// on alone.
	ctx, cancel := context.WithCancelCause(d.ctx)
	defer cancel(nil)
	sp := &split{liveLast: l}
	backfill, live := d.splitSegments(ctx, stream, shardID, sp)
	done := make(chan error, 1)
	go func() {
		_, _, err := d.runSegment(backfill, cur, d.resumeAt(backfill, cur), g.Counter, false)
		if err == nil {
			err = d.merge(stream, shardID, sp)
		}
		if err != nil {
			cancel(fmt.Errorf("backfill: %w", err))
		}
		done <- err
	}()
	liveCur := spool.Cursor{Stream: cur.Stream, StreamID: cur.StreamID, Shard: cur.Shard, Seq: l.Counter + 1}
	_, _, err := d.runSegment(live, liveCur, d.resumeAt(live, liveCur), 0, false)
	if err != nil {
		cancel(fmt.Errorf("live: %w", err))
	}
	<-done // the shard is done only when both are
	if cause := context.Cause(ctx); cause != nil && d.ctx.Err() == nil {
		return cause
	}
	return err
}

// resumeAt returns the last record of the segment's batch that was in
// flight when the gateway stopped (0: none), so it is cut there again.
func (d *Delivery) resumeAt(seg *segment, cur spool.Cursor) uint64 {
	if p, ok, _ := d.seq(seg.pending, seg.stream, seg.shardID); ok && p.Counter >= cur.Seq {
		return p.Counter
	}
	return 0
}

func (d *Delivery) seq(consumer, stream, shardID string) (spool.SeqNum, bool, error) {
	s, ok, err := d.sp.GetCheckpoint(consumer, stream, shardID)
	if err != nil || !ok {
		return spool.SeqNum{}, false, err
	}
	n, err := spool.ParseSeqNum(s)
	return n, err == nil, err
}

// splitPoint decides whether an open shard is far enough behind at cur to
// split, and where: G is the record before the newest.
func (d *Delivery) splitPoint(cur spool.Cursor) (spool.SeqNum, bool) {
	info, err := d.sp.DescribeStream(cur.Stream)
	if err != nil {
		return spool.SeqNum{}, false
	}
	for _, sh := range info.Shards {
		if sh.ID != cur.ShardID() || !sh.Open() || sh.LastSequence == "" || sh.Records == 0 {
			continue
		}
		last, err := spool.ParseSeqNum(sh.LastSequence)
		if err != nil || last.Counter < cur.Seq+1 {
			return spool.SeqNum{}, false
		}
		g := spool.SeqNum{Shard: last.Shard, Counter: last.Counter - 1}
		behind := int64(last.Counter - cur.Seq + 1)
		if behind*(sh.Bytes/sh.Records) > 2*d.cfg.SizeHint || (d.cfg.MaxRecords > 0 && behind > 2*int64(d.cfg.MaxRecords)) {
			return g, true
		}
		res, err := d.sp.Read(cur, spool.ReadLimits{MaxRecords: 1})
		if err == nil && len(res.Records) > 0 && time.Since(res.Records[0].Arrival) > d.cfg.Behind {
			return g, true
		}
	}
	return spool.SeqNum{}, false
}

// Why runSegment returned.
const (
	segEnded  = iota // the shard, or the segment's range, ended
	segBehind        // newest first: the shard is far behind; split it
)

// runSegment sends batches from cur until the shard ends, the record at
// stop (when set) is delivered, or — when checkBehind — the shard is far
// enough behind to split. until resumes a batch in flight.
func (d *Delivery) runSegment(seg *segment, cur spool.Cursor, until, stop uint64, checkBehind bool) (spool.Cursor, int, error) {
	for {
		if checkBehind && until == 0 {
			if _, ok := d.splitPoint(cur); ok {
				return cur, segBehind, nil
			}
		}
		b, next, end, err := d.collect(seg, cur, until, stop)
		until = 0
		if err != nil {
			return cur, segEnded, err
		}
		if b != nil {
			if err := d.deliver(b, seg); err != nil {
				return cur, segEnded, err
			}
		}
		cur = next
		if end {
			if b == nil && stop == 0 {
				// an empty tail: record the end so the shard counts as done
				last := spool.SeqNum{Shard: cur.Shard, Counter: cur.Seq - 1}
				if err := seg.confirm(seg.ctx, d.sp, last); err != nil {
					return cur, segEnded, err
				}
			}
			return cur, segEnded, nil
		}
	}
}

// collect reads from cur until the buffering hints close a batch, or,
// when until is set, exactly up to that counter (a resend after a
// restart); never past stop when that is set. It returns the batch (nil
// if none), where to go on, and whether the shard (or the range up to
// stop) has ended.
func (d *Delivery) collect(seg *segment, cur spool.Cursor, until, stop uint64) (*Batch, spool.Cursor, bool, error) {
	var b *Batch
	var deadline time.Time
	for {
		if stop > 0 && cur.Seq > stop {
			return b, cur, true, nil
		}
		res, err := d.sp.Read(cur, spool.ReadLimits{MaxRecords: pageRecords, MaxBytes: pageBytes})
		if err != nil {
			return nil, cur, false, err
		}
		switch {
		case len(res.Records) > 0 && res.Records[0].Seq.Counter > cur.Seq:
			d.lost(cur, stopOr(stop, res.Records[0].Seq.Counter)-cur.Seq)
		case len(res.Records) == 0 && res.Next.Seq > cur.Seq:
			d.lost(cur, stopOr(stop, res.Next.Seq)-cur.Seq) // a run of expired records skipped
		}
		for _, r := range res.Records {
			if (until > 0 && r.Seq.Counter > until) || (stop > 0 && r.Seq.Counter > stop) {
				cur.Seq = r.Seq.Counter // the gap before r is counted: start at r
				return b, cur, stop > 0 && r.Seq.Counter > stop, nil
			}
			if b == nil {
				b = d.newBatch(seg, cur, r)
				deadline = time.Now().Add(d.cfg.Interval)
			}
			b.Last = r.Seq
			b.Records++
			b.Bytes += int64(len(r.Data))
			if b.cached != nil || b.Records == 1 {
				n := int64(len(r.Data) + len(r.PartitionKey) + 64)
				if b.Bytes <= cacheBytes && d.cache.TryAcquire(n) {
					b.cached = append(b.cached, r)
					b.cachedBytes += n
				} else {
					d.dropCache(b) // too big, or the budget is taken: read again when sent
				}
			}
			cur = spool.Cursor{Stream: cur.Stream, StreamID: cur.StreamID, Shard: cur.Shard, Seq: r.Seq.Counter + 1}
			if stop > 0 && r.Seq.Counter == stop {
				return b, cur, true, nil
			}
			if until > 0 {
				if r.Seq.Counter == until {
					return b, cur, false, nil
				}
				continue
			}
			if b.Bytes >= d.cfg.SizeHint || b.Records == d.cfg.MaxRecords {
				b.full = true
				return b, cur, false, nil
			}
		}
		cur = res.Next
		if res.EndOfShard || (stop > 0 && cur.Seq > stop) {
			return b, cur, true, nil
		}
		if len(res.Records) > 0 {
			continue // more may be waiting
		}
		if b != nil && until == 0 && !time.Now().Before(deadline) {
			return b, cur, false, nil
		}
		ctx := seg.ctx
		var cancel context.CancelFunc = func() {}
		if b != nil && until == 0 {
			ctx, cancel = context.WithDeadline(seg.ctx, deadline)
		}
		err = d.sp.Wait(ctx, cur)
		cancel()
		if seg.ctx.Err() != nil {
			return nil, cur, false, seg.ctx.Err()
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return nil, cur, false, err
		}
	}
}

// stopOr bounds a counter by stop+1 when stop is set (lost records are
// counted only within the segment's range).
func stopOr(stop, n uint64) uint64 {
	if stop > 0 {
		return min(n, stop+1)
	}
	return n
}

// newBatch starts a batch at r, paced by the delivery's links: the live
// segment above the backfill, the delivery's priority on a shared link.
func (d *Delivery) newBatch(seg *segment, cur spool.Cursor, r spool.StoredRecord) *Batch {
	b := &Batch{Delivery: d.cfg.Name, Stream: cur.Stream, ShardID: cur.ShardID(), Start: cur,
		First: r.Seq, Oldest: r.Arrival, sp: d.sp}
	prio := 0
	if seg.live {
		prio = 1
	}
	if d.own != nil {
		b.links, b.prios = append(b.links, d.own), append(b.prios, prio)
	}
	if d.cfg.Link != nil {
		b.links, b.prios = append(b.links, d.cfg.Link), append(b.prios, 2*d.cfg.Priority+prio)
	}
	return b
}
