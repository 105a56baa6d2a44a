package uplink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/tributary-edge/tributary/spool"
)

// Sink sends one batch to a destination. It returns nil only when the
// destination has confirmed the whole batch; an error wrapping
// ErrPermanent when retrying cannot help; any other error is retried.
// Send may be called again with the same batch (a retry, or a resend
// after a restart): Batch.ID is the same each time.
type Sink interface {
	Send(ctx context.Context, b *Batch) error
}

// Config describes one delivery.
type Config struct {
	Name    string   // also the checkpoint consumer ("uplink:<name>")
	Streams []string // the streams it reads
	Sink    Sink

	// Buffering hints (Firehose): a batch closes at SizeHint data bytes
	// (default 5 MiB) or Interval after its first record (default 300 s;
	// 0 sends what is there at once), whichever comes first.
	SizeHint int64
	Interval time.Duration
	// MaxRecords caps a batch's records (0: the sink's limit, if it has
	// one, else none).
	MaxRecords int

	// MaxShards is how many batches are sent at once (default 4). Every
	// shard has a sender that cuts its batches; this bounds the sends (and
	// the memory batches being sent hold).
	MaxShards int
	// Backoff schedules retries; default DefaultBackoff.
	Backoff Backoff
	// Rescan is how often the stream's shards are listed to find new ones
	// (resharding, a stream created later); default 1 s.
	Rescan time.Duration
	// Bandwidth caps the record bytes the delivery sends per second,
	// across its shards (0: no cap), so a backlog draining over a thin
	// link leaves room for everything else.
	Bandwidth int64
	// Link, when set, is a bandwidth shared with other deliveries;
	// Priority orders them on it (higher first).
	Link     *Link
	Priority int
	// NewestFirst drains a backlog latest data first: when a shard is
	// behind by more than two batches (or by more than Behind, default
	// max(2×Interval, 10 s)), new records are sent as they come while the
	// backlog is backfilled oldest first alongside (drain.go).
	NewestFirst bool
	Behind      time.Duration

	Logger *slog.Logger
}

// Delivery runs one Config against a spool. Start it, Close it.
type Delivery struct {
	cfg Config
	sp  *spool.Spool
	log *slog.Logger

	control sync.Mutex // orders Pause, Resume and Close
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu      sync.Mutex
	running map[string]bool // stream/shard being sent
	failing map[string]int  // stream/shard → retry attempt of its failing batch
	meter   rateMeter
	status  Status
	own     *Link               // the Bandwidth cap; nil: none
	sends   *semaphore.Weighted // MaxShards sends at once
	cache   *semaphore.Weighted // bytes of records kept by batches (cacheBytes per send slot)
	closed  bool                // set by Close; Resume then does nothing
}

// Status is a delivery's state, for the admin API and metrics.
type Status struct {
	State     string // "connected", "retrying", "paused"
	Delivered int64  // records confirmed since start
	Batches   int64
	Failed    int64 // records sent to the error output
	// Lost are records retention removed before they were delivered (the
	// spool's size or age limits decided; counted, never silent).
	Lost int64
	// Backlog: records not yet confirmed, their approximate bytes, and the
	// arrival of the oldest (zero when none).
	BacklogRecords int64
	BacklogBytes   int64
	Oldest         time.Time
	// Rate is the records confirmed per second over the last minute.
	Rate         float64
	LastSuccess  time.Time
	LastError    string
	LastErrorAt  time.Time
	RetryAttempt int
}

func (c *Config) setDefaults() error {
	if c.Name == "" || len(c.Name) > 100 {
		return fmt.Errorf("uplink: delivery name %q must be 1 to 100 characters", c.Name)
	}
	if len(c.Streams) == 0 {
		return fmt.Errorf("uplink: delivery %q reads no stream", c.Name)
	}
	if c.Sink == nil {
		return fmt.Errorf("uplink: delivery %q has no destination", c.Name)
	}
	if c.SizeHint == 0 {
		c.SizeHint = 5 << 20
	}
	if c.SizeHint < 1 || c.SizeHint > 128<<20 {
		return fmt.Errorf("uplink: delivery %q: size hint %d is outside 1 B..128 MiB", c.Name, c.SizeHint)
	}
	if c.Interval < 0 || c.Interval > 900*time.Second {
		return fmt.Errorf("uplink: delivery %q: interval %s is outside 0..900s", c.Name, c.Interval)
	}
	if l, ok := c.Sink.(interface{ MaxRecords() int }); ok && c.MaxRecords == 0 {
		c.MaxRecords = l.MaxRecords()
	}
	if c.MaxShards <= 0 {
		c.MaxShards = 4
	}
	if c.Backoff.Min == 0 && c.Backoff.Max == 0 {
		c.Backoff = DefaultBackoff
	}
	if c.Rescan <= 0 {
		c.Rescan = time.Second
	}
	if c.Behind <= 0 {
		c.Behind = max(2*c.Interval, 10*time.Second)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// New checks cfg and returns a delivery ready to Start.
func New(sp *spool.Spool, cfg Config) (*Delivery, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	d := &Delivery{cfg: cfg, sp: sp, log: cfg.Logger.With("delivery", cfg.Name),
		running: map[string]bool{}, failing: map[string]int{}, status: Status{State: "connected"}}
	if cfg.Bandwidth > 0 {
		d.own = NewLink(cfg.Bandwidth)
	}
	d.sends = semaphore.NewWeighted(int64(cfg.MaxShards))
	d.cache = semaphore.NewWeighted(int64(cfg.MaxShards) * cacheBytes)
	return d, nil
}

func (d *Delivery) consumer() string { return "uplink:" + d.cfg.Name }

// pendingConsumer holds, per shard, the last sequence number of the batch
// being sent, written before it is sent: after a crash the first batch is
// cut at exactly that point again, so the resend has the same identity
// and a sink can recognise it (design invariant 4).
func (d *Delivery) pendingConsumer() string { return "uplink-pending:" + d.cfg.Name }

// Start begins delivering; it returns at once.
func (d *Delivery) Start(ctx context.Context) {
	d.ctx, d.cancel = context.WithCancel(ctx)
	d.wg.Add(1)
	go d.coordinate()
}

// Close stops the delivery and waits for it. A batch being sent is
// abandoned unconfirmed (its checkpoint does not move), so it is sent
// again after the next Start.
func (d *Delivery) Close() {
	d.control.Lock()
	defer d.control.Unlock()
	d.closed = true
	d.stop()
}

func (d *Delivery) stop() {
	if d.cancel != nil {
		d.cancel()
	}
	d.wg.Wait()
}

// Pause stops sending, as Close does, and marks the delivery paused;
// Resume starts it again from its checkpoints.
func (d *Delivery) Pause() {
	d.control.Lock()
	defer d.control.Unlock()
	d.stop()
	d.record(func(s *Status) {
		clear(d.failing) // the senders are gone; they start afresh on Resume
		s.State, s.RetryAttempt = "paused", 0
	})
}

// Resume undoes Pause.
func (d *Delivery) Resume(ctx context.Context) {
	d.control.Lock()
	defer d.control.Unlock()
	if d.closed || d.Status().State != "paused" {
		return
	}
	d.record(func(s *Status) { s.State = "connected" })
	d.Start(ctx)
}

// Status returns a snapshot of the delivery's state, with its backlog
// measured now.
func (d *Delivery) Status() Status {
	d.mu.Lock()
	st := d.status
	st.Rate = d.meter.rate(time.Now())
	d.mu.Unlock()
	for _, stream := range d.cfg.Streams {
		info, err := d.sp.DescribeStream(stream)
		if err != nil {
			continue
		}
		for _, sh := range info.Shards {
			if sh.LastSequence == "" {
				continue
			}
			last, _ := spool.ParseSeqNum(sh.LastSequence)
			pos := spool.StartPosition{Type: spool.TrimHorizon}
			if seq, ok, _ := d.sp.GetCheckpoint(d.consumer(), stream, sh.ID); ok {
				pos = spool.StartPosition{Type: spool.AfterSequenceNumber, SequenceNumber: seq}
			}
			cur, err := d.sp.Seek(stream, sh.ID, pos)
			if err != nil || cur.Seq > last.Counter {
				continue
			}
			res, err := d.sp.Read(cur, spool.ReadLimits{MaxRecords: 1})
			if err != nil || len(res.Records) == 0 {
				continue
			}
			first := res.Records[0]
			n := int64(last.Counter - first.Seq.Counter + 1)
			g, hasG, _ := d.seq(d.gapConsumer(), stream, sh.ID)
			l, hasL, _ := d.seq(d.liveConsumer(), stream, sh.ID)
			if hasG && hasL && g.Counter >= first.Seq.Counter && l.Counter >= g.Counter {
				n -= int64(l.Counter - g.Counter) // split: (G, L] is delivered
			}
			st.BacklogRecords += n
			if sh.Records > 0 {
				st.BacklogBytes += n * (sh.Bytes / sh.Records)
			}
			if st.Oldest.IsZero() || first.Arrival.Before(st.Oldest) {
				st.Oldest = first.Arrival
			}
		}
	}
	return st
}

// coordinate starts a sender for every shard that is ready: not done,
// not running, its parents done; at most MaxShards at once.
func (d *Delivery) coordinate() {
	defer d.wg.Done()
	wake := make(chan struct{}, 1)
	t := time.NewTicker(d.cfg.Rescan)
	defer t.Stop()
	for {
		d.startReady(wake)
		select {
		case <-d.ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
	}
}

func (d *Delivery) startReady(wake chan struct{}) {
	for _, stream := range d.cfg.Streams {
		info, err := d.sp.DescribeStream(stream)
		if err != nil {
			continue // not created yet, or deleted: looked for again later
		}
		done := map[string]bool{}
		for _, sh := range info.Shards {
			done[sh.ID] = d.shardDone(stream, sh)
		}
		for _, sh := range info.Shards {
			key := stream + "/" + sh.ID
			if done[sh.ID] {
				continue
			}
			ready := true
			for _, p := range sh.ParentShardIDs {
				if isDone, listed := done[p]; listed && !isDone {
					ready = false // a parent forgotten by retention is over
				}
			}
			d.mu.Lock()
			start := ready && !d.running[key]
			if start {
				d.running[key] = true
			}
			d.mu.Unlock()
			if !start {
				continue
			}
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				err := d.sendShard(stream, sh.ID)
				if err != nil && d.ctx.Err() == nil {
					// Restarted by the next scan, after a pause, so a
					// failure that repeats does not spin.
					d.log.Warn("shard sender stopped; restarting", "stream", stream, "shard", sh.ID, "err", err)
					t := time.NewTimer(d.cfg.Backoff.Wait(3))
					select {
					case <-d.ctx.Done():
					case <-t.C:
					}
					t.Stop()
				}
				d.mu.Lock()
				delete(d.running, key)
				delete(d.failing, key)
				delete(d.failing, key+"/live")
				d.settle(&d.status)
				d.mu.Unlock()
				select {
				case wake <- struct{}{}:
				default:
				}
			}()
		}
	}
}

// shardDone reports whether a closed shard is delivered to its end.
func (d *Delivery) shardDone(stream string, sh spool.ShardInfo) bool {
	if sh.Open() {
		return false
	}
	if sh.LastSequence == "" {
		return true // closed and empty
	}
	seq, ok, err := d.sp.GetCheckpoint(d.consumer(), stream, sh.ID)
	if err != nil || !ok {
		return false
	}
	cp, err1 := spool.ParseSeqNum(seq)
	last, err2 := spool.ParseSeqNum(sh.LastSequence)
	return err1 == nil && err2 == nil && cp.Counter >= last.Counter
}

// deliver sends a batch until the sink confirms it or refuses it for
// good, then moves the checkpoint.
func (d *Delivery) deliver(b *Batch, seg *segment) error {
	defer d.dropCache(b)
	// Where a batch closed by time ends is recorded before it is sent, so
	// that after a crash it is cut there again (same identity). A batch
	// closed by the size hint or the record limit is cut the same way
	// again from its start without it: one commit fewer per batch, which
	// is half of them in a backlog drain.
	if !b.full {
		pending := spool.Checkpoint{Consumer: seg.pending, Stream: b.Stream, ShardID: b.ShardID, SequenceNumber: b.Last.String()}
		if err := d.sp.SetCheckpoints(seg.ctx, pending); err != nil {
			return err
		}
	}
	if !d.sends.TryAcquire(1) {
		d.dropCache(b) // waiting for a send slot: do not hold records meanwhile
		if err := d.sends.Acquire(seg.ctx, 1); err != nil {
			return err
		}
	}
	defer d.sends.Release(1)
	for attempt := 0; ; attempt++ {
		if b.cached == nil && !b.anyLeft() {
			// Retention removed the whole batch meanwhile: nothing to send.
			d.lost(b.Start, uint64(b.Records))
			b.Records = 0
			break
		}
		err := d.cfg.Sink.Send(seg.ctx, b)
		if err != nil && seg.ctx.Err() != nil {
			// stopped mid-send; a send that succeeded as the delivery was
			// being paused is confirmed below, not sent again after Resume
			return seg.ctx.Err()
		}
		switch {
		case err == nil:
			seen := b.Seen()
			if gone := b.Records - seen; gone > 0 {
				d.lost(b.Start, uint64(gone))
			}
			// Records the sink sent to the error output itself (refuse.go)
			// count as failed.
			failed := min(b.refused.Load(), int64(seen))
			d.record(func(s *Status) {
				delete(d.failing, seg.key())
				d.settle(s)
				s.LastSuccess = time.Now()
				s.Delivered += int64(seen) - failed
				d.meter.add(time.Now(), int64(seen)-failed)
				s.Failed += failed
				s.Batches++
			})
		case errors.Is(err, spool.ErrStreamNotFound):
			return err // the stream was deleted: nothing left to deliver
		case errors.Is(err, ErrPermanent):
			d.log.Error("batch refused for good; sent to the error output", "batch", b.ID(), "err", err)
			if err := d.toErrorOutput(seg.ctx, b, err); err != nil {
				return err
			}
			d.record(func(s *Status) {
				s.Failed += int64(b.Records)
				s.LastError, s.LastErrorAt = err.Error(), time.Now()
			})
		default:
			wait := d.cfg.Backoff.Wait(attempt)
			d.record(func(s *Status) {
				d.failing[seg.key()] = attempt + 1
				d.settle(s)
				s.LastError, s.LastErrorAt = err.Error(), time.Now()
			})
			d.log.Warn("delivery failed; retrying", "batch", b.ID(), "attempt", attempt+1, "in", wait, "err", err)
			t := time.NewTimer(wait)
			select {
			case <-seg.ctx.Done():
				t.Stop()
				return seg.ctx.Err()
			case <-t.C:
			}
			continue
		}
		break
	}
	// Confirmed: record it even if the delivery is being paused or closed,
	// so a confirmed batch is not sent again.
	return seg.confirm(context.WithoutCancel(d.ctx), d.sp, b.Last)
}

// toErrorOutput stores each record of a refused batch in the dead-letter
// stream with the reason.
func (d *Delivery) toErrorOutput(ctx context.Context, b *Batch, cause error) error {
	return b.Each(ctx, func(r spool.StoredRecord) error { return appendDeadLetter(ctx, b, r, cause) })
}

// dropCache frees a batch's kept records and their budget.
func (d *Delivery) dropCache(b *Batch) {
	b.cached = nil
	if b.cachedBytes > 0 {
		d.cache.Release(b.cachedBytes)
		b.cachedBytes = 0
	}
}

// settle derives the state from the shards: retrying while any shard's
// batch is failing (RetryAttempt the highest attempt), else connected
// (d.mu held).
func (d *Delivery) settle(s *Status) {
	if s.State == "paused" {
		return
	}
	s.State, s.RetryAttempt = "connected", 0
	for _, n := range d.failing {
		s.State, s.RetryAttempt = "retrying", max(s.RetryAttempt, n)
	}
}

// lost counts records retention removed before delivery.
func (d *Delivery) lost(at spool.Cursor, n uint64) {
	d.log.Warn("records expired before delivery (retention or the size cap removed them)", "stream", at.Stream, "shard", at.ShardID(), "records", n)
	d.record(func(s *Status) { s.Lost += int64(n) })
}

func (d *Delivery) record(fn func(*Status)) {
	d.mu.Lock()
	fn(&d.status)
	d.mu.Unlock()
}
