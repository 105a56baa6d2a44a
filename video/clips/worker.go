package clips

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tributary-edge/tributary/spool"
	"github.com/tributary-edge/tributary/video/store"
)

// triggerBatch bounds one read of the trigger stream.
var triggerBatch = spool.ReadLimits{MaxRecords: 100, MaxBytes: 4 << 20}

// Worker runs one Rule: it reads the trigger stream from its checkpoint,
// gathers triggers into clips (package doc: merge rule), waits for each
// clip's video, cuts and uploads it, and only then moves the checkpoint.
type Worker struct {
	runner
	rule     Rule
	consumer string

	// owned by the run goroutine
	cur      spool.Cursor
	batch    []spool.StoredRecord
	clip     *pending // open clip, nil when idle
	held     *trigger // read but not merged: opens the next clip
	videoEnd time.Time
	lastKey  string
}

// ConsumerName is the spool consumer (checkpoint and state owner) of a
// rule's worker.
func ConsumerName(rule string) string { return "clip:" + rule }

// NewWorker checks the rule and options (no I/O) and returns a worker.
func NewWorker(r Rule, opts Options) (*Worker, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = r.Post + opts.Quiet + time.Minute
	}
	w := &Worker{rule: r, consumer: ConsumerName(r.Name)}
	w.opts = opts
	w.log = opts.Logger.With("component", "clips", "rule", r.Name)
	w.st.Name, w.st.Camera = r.Name, r.Camera
	return w, nil
}

// Start finds the trigger stream (exactly one shard, else an error
// wrapping ErrTriggerStream), resumes after the checkpoint (or from the
// oldest record) and starts the worker's goroutine. It may be called once
// (else ErrStarted); after a failed Start, make a new Worker.
func (w *Worker) Start(ctx context.Context) error {
	if err := w.claim(); err != nil {
		return err
	}
	lg := w.opts.Spool
	info, err := lg.DescribeStream(w.rule.Triggers)
	if err != nil {
		return fmt.Errorf("%w: rule %s: %q: %w", ErrTriggerStream, w.rule.Name, w.rule.Triggers, err)
	}
	if len(info.Shards) != 1 {
		return fmt.Errorf("%w: rule %s: %q has %d shards (want one, never resharded)", ErrTriggerStream, w.rule.Name, w.rule.Triggers, len(info.Shards))
	}
	shard := info.Shards[0].ID
	seq, ok, err := lg.GetCheckpoint(w.consumer, w.rule.Triggers, shard)
	if err != nil {
		return fmt.Errorf("rule %s: checkpoint: %w", w.rule.Name, err)
	}
	pos := spool.StartPosition{Type: spool.TrimHorizon}
	if ok {
		pos = spool.StartPosition{Type: spool.AfterSequenceNumber, SequenceNumber: seq}
	}
	if w.cur, err = lg.Seek(w.rule.Triggers, shard, pos); err != nil {
		return fmt.Errorf("rule %s: %w", w.rule.Name, err)
	}
	if b, ok, err := lg.GetState(w.consumer, workerStateKey); err != nil {
		return fmt.Errorf("rule %s: state: %w", w.rule.Name, err)
	} else if ok {
		st, err := decodeWorkerState(b)
		if err != nil { // only the merge floor is lost: clips may repeat some video
			w.log.Warn("ignoring unreadable state", "err", err)
		}
		w.videoEnd, w.lastKey = st.VideoEnd, st.LastKey
	}
	w.update(func(s *Status) { s.Checkpoint, s.LastKey = seq, w.lastKey })
	removeStale(w.opts.TempDir, w.tempPrefix())
	w.launch(ctx, w.run)
	return nil
}

// tempPrefix names the worker's temporary files.
func (w *Worker) tempPrefix() string { return "clip-" + w.rule.Name + "-" }

// Close stops the worker and waits for it. A clip being uploaded is
// abandoned; it is uploaded again, under the same key, after a restart.
// Close is idempotent.
func (w *Worker) Close() error {
	w.close()
	return nil
}

// Status returns the worker's progress.
func (w *Worker) Status() Status { return w.status() }

func (w *Worker) run(ctx context.Context) {
	fails := 0 // errors in a row
	for ctx.Err() == nil {
		var err error
		if w.clip == nil {
			err = w.idle(ctx)
		} else {
			err = w.collect(ctx)
		}
		switch {
		case err == nil:
			fails = 0
		case ctx.Err() == nil:
			w.noteError(err)
			w.log.Error("clip worker", "err", err)
			sleep(ctx, w.opts.Clock, w.opts.Backoff.Wait(fails))
			fails++
		}
	}
}

// idle takes the next trigger, waiting for one, and opens a clip for it
// or checkpoints it as covered.
func (w *Worker) idle(ctx context.Context) error {
	tr, ok, err := w.next(ctx, true)
	if err != nil || !ok {
		return err
	}
	if covered(tr, w.rule.Post, w.videoEnd) {
		if err := w.commit(ctx, tr.seq, nil); err != nil {
			return err
		}
		w.update(func(s *Status) { s.Covered++ })
		return nil
	}
	w.clip = open(tr, w.rule.Pre, w.rule.Post, w.videoEnd, w.opts.Clock.Now())
	w.update(func(s *Status) { s.Waiting = true })
	return nil
}

// collect merges newly read triggers into the open clip and, once its
// video is in (or will not come), cuts and uploads it.
func (w *Worker) collect(ctx context.Context) error {
	if w.held == nil {
		tr, ok, err := w.next(ctx, false)
		if err != nil {
			return err
		}
		if ok {
			if w.clip.merge(tr, w.rule.Pre, w.rule.Post, w.rule.maxDuration(), w.opts.Clock.Now()) {
				w.update(func(s *Status) { s.Merged++ })
				return nil
			}
			w.held = &tr
		}
	}
	ready, err := w.ready()
	if err != nil {
		return err
	}
	if !ready {
		return sleep(ctx, w.opts.Clock, w.opts.Poll)
	}
	return w.finish(ctx)
}

// next returns the next trigger: the held one once no clip is open, else
// the next record of the stream. With block it waits for one; without,
// ok is false when there is none yet.
func (w *Worker) next(ctx context.Context, block bool) (tr trigger, ok bool, err error) {
	if w.held != nil && w.clip == nil {
		tr, w.held = *w.held, nil
		return tr, true, nil
	}
	for {
		if len(w.batch) > 0 {
			tr = newTrigger(w.batch[0], w.rule.TimeField)
			w.batch = w.batch[1:]
			w.update(func(s *Status) {
				s.Triggers++
				if tr.badTime {
					s.BadTime++
				}
			})
			if tr.badTime {
				w.log.Warn("trigger without a usable time field; using its arrival", "seq", tr.seq, "field", w.rule.TimeField)
			}
			return tr, true, nil
		}
		res, err := w.opts.Spool.Read(w.cur, triggerBatch)
		if err != nil {
			return tr, false, fmt.Errorf("read triggers: %w", err)
		}
		w.cur = res.Next
		if len(res.Records) > 0 {
			w.batch = res.Records
			continue
		}
		if res.EndOfShard {
			return tr, false, fmt.Errorf("%w: %q was resharded; the worker reads one shard", ErrTriggerStream, w.rule.Triggers)
		}
		if !block {
			return tr, false, nil
		}
		if err := w.opts.Spool.Wait(ctx, w.cur); err != nil {
			return tr, false, err
		}
	}
}

// ready reports whether the open clip's video is in: the camera's last
// fragment reaches the clip's end, or the wait is over (see deadline).
func (w *Worker) ready() (bool, error) {
	if !w.opts.Clock.Now().Before(w.clip.deadline(w.opts.Quiet, w.opts.MaxWait)) {
		return true, nil
	}
	last, err := w.opts.Store.Last(w.rule.Camera)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("video of %q: %w", w.rule.Camera, err)
	}
	return !last.End().Before(w.clip.end), nil
}

// finish cuts the open clip, uploads it (retrying until it succeeds or
// fails for good) and commits the checkpoint of its last trigger.
func (w *Worker) finish(ctx context.Context) error {
	p := w.clip
	var g gather
	err := w.retry(ctx, "read video", func() error {
		g = gather{maxBytes: w.opts.MaxClipBytes}
		err := w.opts.Store.Range(ctx, w.rule.Camera, p.start, p.end, g.add)
		if errors.Is(err, errFull) || errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	if len(g.frags) == 0 {
		if err := w.done(ctx, p, nil); err != nil {
			return err
		}
		w.update(func(s *Status) { s.Empty++ })
		w.log.Info("no video for the clip; skipped", "from", p.start, "to", p.end, "trigger", p.first.seq)
		return nil
	}
	if g.truncated {
		w.update(func(s *Status) { s.Truncated++ })
		w.log.Warn("clip cut short (max clip size or a track change)", "from", p.start, "to", p.end, "fragments", len(g.frags))
	}
	var cf *clipFile
	err = w.retry(ctx, "write clip", func() error {
		var err error
		cf, err = writeClip(w.opts.TempDir, w.tempPrefix(), w.rule.Format, g.frags)
		return err
	})
	g.frags = nil
	if errors.Is(err, ErrPermanent) {
		return w.failed(ctx, p, err)
	}
	if err != nil {
		return err
	}
	defer cf.remove()
	obj := w.object(p, cf)
	err = w.retry(ctx, "upload "+obj.Key, func() error { return w.rule.Dest.Upload(ctx, obj) })
	if errors.Is(err, ErrPermanent) {
		return w.failed(ctx, p, err)
	}
	if err != nil {
		return err
	}
	if err := w.done(ctx, p, &workerState{V: stateVersion, VideoEnd: laterOf(w.videoEnd, cf.end), LastKey: obj.Key}); err != nil {
		return err
	}
	now := w.opts.Clock.Now()
	w.update(func(s *Status) { // after the checkpoint: a counted clip is never uploaded again
		s.Clips++
		s.Bytes += obj.Size
		s.Fragments += int64(cf.fragments)
		s.LastKey, s.LastUpload = obj.Key, now
	})
	w.log.Info("clip uploaded", "key", obj.Key, "bytes", obj.Size, "triggers", p.triggers)
	return nil
}

// failed skips a clip refused for good.
func (w *Worker) failed(ctx context.Context, p *pending, err error) error {
	w.noteError(err)
	w.log.Error("clip refused; skipped", "from", p.start, "to", p.end, "trigger", p.first.seq, "err", err)
	if err := w.done(ctx, p, nil); err != nil {
		return err
	}
	w.update(func(s *Status) { s.Failed++ })
	return nil
}

// done commits the checkpoint of the clip's last trigger (and st, for an
// uploaded clip) and closes the clip.
func (w *Worker) done(ctx context.Context, p *pending, st *workerState) error {
	if err := w.commit(ctx, p.lastSeq, st); err != nil {
		return err
	}
	if st != nil {
		w.videoEnd, w.lastKey = st.VideoEnd, st.LastKey
	}
	w.clip = nil
	w.update(func(s *Status) { s.Waiting = false })
	return nil
}

// commit moves the checkpoint to seq, with st in the same transaction.
func (w *Worker) commit(ctx context.Context, seq string, st *workerState) error {
	cps := []spool.Checkpoint{{Consumer: w.consumer, Stream: w.rule.Triggers, ShardID: w.cur.ShardID(), SequenceNumber: seq}}
	var states []spool.State
	if st != nil {
		states = []spool.State{{Owner: w.consumer, Key: workerStateKey, Value: encode(st)}}
	}
	err := w.retry(ctx, "checkpoint", func() error {
		_, err := w.opts.Spool.CommitState(ctx, "", nil, cps, states)
		return err
	})
	if err == nil {
		w.update(func(s *Status) { s.Checkpoint = seq })
	}
	return err
}

func (w *Worker) object(p *pending, cf *clipFile) *Object {
	m := Metadata{
		Kind: KindEvent, Rule: w.rule.Name, Camera: w.rule.Camera,
		TriggerStream: w.rule.Triggers, TriggerSeq: p.first.seq, TriggerTime: p.first.t,
		Triggers: p.triggers, LastTriggerSeq: p.lastSeq, Trigger: p.first.data,
		WindowStart: p.start, WindowEnd: p.end,
	}
	cf.describe(&m)
	return &Object{
		Key: EventKey(w.rule.Camera, w.rule.Name, p.start, p.first.seq, cf.ext), ContentType: cf.contentType,
		Size: cf.size, SHA256: cf.sum, Body: cf.f, Meta: m, Link: w.opts.Link, Priority: w.opts.Priority,
	}
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
