package analytics

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// Page is a run of records of one shard, handed to an app in order. An
// app that has processed it commits Last as its checkpoint for the shard
// (with its outputs and state, in one transaction).
type Page struct {
	Stream, ShardID string
	Records         []spool.StoredRecord
	Last            spool.SeqNum // the last record's (an empty end page: the shard's last); zero for an empty shard
	End             bool         // the shard is closed and read to its end
}

// Input reads an app's source streams from its checkpoints: one reader
// per shard, a child shard only after its parents were read to their end
// (so records of a key come in order), new shards (resharding, a stream
// created later) found by a rescan. Pages wait in a bounded queue: a slow
// app slows its readers, nothing piles up.
type Input struct {
	sp       *spool.Spool
	consumer string
	streams  []string
	from     spool.StartPosition            // where a shard without a checkpoint starts
	fromFor  map[string]spool.StartPosition // per stream, overriding from
	rescan   time.Duration

	pages   chan Page
	started time.Time
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu      sync.Mutex
	running map[string]bool // stream/shard with a reader
	done    map[string]bool // stream/shard read to its end (this run)
	err     error
}

// Page sizes: small enough to bound memory and commit often, large enough
// to be cheap.
const (
	pageRecords = 500
	pageBytes   = 512 << 10
	queuedPages = 4
)

// NewInput returns an input reading streams for consumer; a shard without
// a checkpoint starts at from (TRIM_HORIZON replays history, LATEST takes
// only what comes next).
func NewInput(sp *spool.Spool, consumer string, streams []string, from spool.StartPosition) *Input {
	return &Input{sp: sp, consumer: consumer, streams: streams, from: from, rescan: time.Second,
		pages: make(chan Page, queuedPages), running: map[string]bool{}, done: map[string]bool{}}
}

// StartAt makes a stream's shards without a checkpoint start at pos (a
// joined table is read from its start). Call before Start.
func (in *Input) StartAt(stream string, pos spool.StartPosition) {
	if in.fromFor == nil {
		in.fromFor = map[string]spool.StartPosition{}
	}
	in.fromFor[stream] = pos
}

// Start begins reading; Pages delivers what is read.
func (in *Input) Start(ctx context.Context) {
	in.ctx, in.cancel = context.WithCancel(ctx)
	in.started = time.Now()
	in.wg.Add(1)
	go in.coordinate()
}

// Pages is where pages arrive, in order per shard.
func (in *Input) Pages() <-chan Page { return in.pages }

// Close stops the readers and waits for them.
func (in *Input) Close() {
	if in.cancel != nil {
		in.cancel()
	}
	in.wg.Wait()
}

func (in *Input) coordinate() {
	defer in.wg.Done()
	t := time.NewTicker(in.rescan)
	defer t.Stop()
	wake := make(chan struct{}, 1)
	for {
		in.startReady(wake)
		select {
		case <-in.ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
	}
}

// startReady starts a reader for every shard not running, not done, whose
// parents are done.
func (in *Input) startReady(wake chan struct{}) {
	for _, stream := range in.streams {
		info, err := in.sp.DescribeStream(stream)
		if err != nil {
			continue // created later, or deleted
		}
		listed := map[string]bool{}
		for _, sh := range info.Shards {
			listed[sh.ID] = true
		}
		for _, sh := range info.Shards {
			key := stream + "/" + sh.ID
			in.mu.Lock()
			ready := !in.running[key] && !in.done[key]
			for _, p := range sh.ParentShardIDs {
				if listed[p] && !in.done[stream+"/"+p] && !in.parentDone(stream, p, info.Shards) {
					ready = false
				}
			}
			if ready {
				in.running[key] = true
			}
			in.mu.Unlock()
			if !ready {
				continue
			}
			in.wg.Add(1)
			go func() {
				defer in.wg.Done()
				end, err := in.read(stream, sh)
				in.mu.Lock()
				delete(in.running, key)
				if end {
					in.done[key] = true
				}
				if err != nil && in.ctx.Err() == nil && !errors.Is(err, spool.ErrStreamNotFound) {
					in.err = err
				}
				in.mu.Unlock()
				select {
				case wake <- struct{}{}:
				default:
				}
			}()
		}
	}
}

// parentDone reports whether a parent shard was consumed to its end in an
// earlier run: closed, and the checkpoint at its last record.
func (in *Input) parentDone(stream, id string, shards []spool.ShardInfo) bool {
	for _, sh := range shards {
		if sh.ID != id {
			continue
		}
		if sh.Open() {
			return false
		}
		if sh.LastSequence == "" {
			return true
		}
		cp, ok, err := in.sp.GetCheckpoint(in.consumer, stream, id)
		return err == nil && ok && cp == sh.LastSequence
	}
	return true
}

// Readers is how many shard readers are running.
func (in *Input) Readers() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.running)
}

// Err returns the last error a reader stopped on (it is restarted by the
// next scan).
func (in *Input) Err() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.err
}

// read sends a shard's pages from the checkpoint until it ends or the
// input stops; end reports a closed shard read to its end.
func (in *Input) read(stream string, sh spool.ShardInfo) (end bool, err error) {
	shardID := sh.ID
	pos := in.from
	if p, ok := in.fromFor[stream]; ok {
		pos = p
	}
	if pos.Type == spool.Latest && sh.Created.After(in.started) {
		// a shard made since the app started holds only what is new
		pos = spool.StartPosition{Type: spool.TrimHorizon}
	}
	if seq, ok, err := in.sp.GetCheckpoint(in.consumer, stream, shardID); err != nil {
		return false, err
	} else if ok {
		pos = spool.StartPosition{Type: spool.AfterSequenceNumber, SequenceNumber: seq}
	}
	cur, err := in.sp.Seek(stream, shardID, pos)
	if err != nil {
		return false, err
	}
	for {
		res, err := in.sp.Read(cur, spool.ReadLimits{MaxRecords: pageRecords, MaxBytes: pageBytes})
		if err != nil {
			return false, err
		}
		if len(res.Records) > 0 || res.EndOfShard {
			p := Page{Stream: stream, ShardID: shardID, Records: res.Records, End: res.EndOfShard}
			if n := len(res.Records); n > 0 {
				p.Last = res.Records[n-1].Seq
			} else if res.Next.Seq > 1 {
				// an empty end: the shard's last record, for the checkpoint
				// that marks the shard consumed
				p.Last = spool.SeqNum{Shard: res.Next.Shard, Counter: res.Next.Seq - 1}
			}
			select {
			case in.pages <- p:
			case <-in.ctx.Done():
				return false, in.ctx.Err()
			}
			if res.EndOfShard {
				return true, nil
			}
		}
		cur = res.Next
		if len(res.Records) == 0 {
			if err := in.sp.Wait(in.ctx, cur); err != nil {
				return false, err
			}
		}
	}
}
