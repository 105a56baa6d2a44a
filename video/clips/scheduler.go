package clips

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tributary-edge/tributary/spool"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/store"
)

// Defaults of Schedule.
const (
	DefaultInterval = time.Hour
	DefaultChunk    = 10 * time.Minute
)

// Schedule is a scheduled upload of everything a camera records, as the
// KVS Edge Agent's: every Interval (inside Window, if set), what was
// recorded since the checkpoint goes to Dest in chunks of at most Chunk
// (and Options.MaxClipBytes), named by RecordingKey.
type Schedule struct {
	Name     string // 1–64 of A-Z a-z 0-9 . _ -; names the checkpoint
	Camera   string
	Interval time.Duration // default 1 h
	Chunk    time.Duration // default 10 min; at most 24 h
	// Window limits uploads to a daily window in Location (default
	// time.Local); a chunk under way when it closes is finished.
	Window   Window
	Location *time.Location
	// DeleteAfterUpload deletes a chunk's fragments from the store once
	// the destination has it (not a chunk it refused).
	DeleteAfterUpload bool
	Format            string // FormatAuto, FormatMP4 or FormatWebM
	Dest              Destination
}

// Validate checks the schedule without I/O.
func (sc *Schedule) Validate() error {
	if err := ValidateName(sc.Name); err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	if err := store.ValidateStreamName(sc.Camera); err != nil {
		return fmt.Errorf("%w: schedule %s: camera: %v", ErrInvalid, sc.Name, err)
	}
	if sc.Interval < 0 || sc.Chunk < 0 || sc.Chunk > 24*time.Hour {
		return fmt.Errorf("%w: schedule %s: interval %v, chunk %v (want > 0, chunk up to 24h)", ErrInvalid, sc.Name, sc.Interval, sc.Chunk)
	}
	if err := validFormat(sc.Format); err != nil {
		return fmt.Errorf("schedule %s: %w", sc.Name, err)
	}
	if sc.Dest == nil {
		return fmt.Errorf("%w: schedule %s: no destination", ErrInvalid, sc.Name)
	}
	return nil
}

// Scheduler runs one Schedule.
type Scheduler struct {
	runner
	sc    Schedule
	owner string

	// owned by the run goroutine
	cp    schedulerState // Number 0: nothing uploaded yet
	fails int            // passes in a row that met an error
}

// SchedulerOwner is the spool state owner of a schedule's checkpoint.
func SchedulerOwner(schedule string) string { return "recording:" + schedule }

// NewScheduler checks the schedule and options (no I/O) and returns a
// scheduler.
func NewScheduler(sc Schedule, opts Options) (*Scheduler, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if sc.Interval == 0 {
		sc.Interval = DefaultInterval
	}
	if sc.Chunk == 0 {
		sc.Chunk = DefaultChunk
	}
	if sc.Location == nil {
		sc.Location = time.Local
	}
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	s := &Scheduler{sc: sc, owner: SchedulerOwner(sc.Name)}
	s.opts = opts
	s.log = opts.Logger.With("component", "clips", "schedule", sc.Name)
	s.st.Name, s.st.Camera = sc.Name, sc.Camera
	return s, nil
}

// Start loads the checkpoint and starts the scheduler's goroutine; the
// first pass runs at once (inside the window), the next Interval after.
// It may be called once (else ErrStarted).
func (s *Scheduler) Start(ctx context.Context) error {
	if err := s.claim(); err != nil {
		return err
	}
	b, ok, err := s.opts.Spool.GetState(s.owner, schedulerStateKey)
	if err != nil {
		return fmt.Errorf("schedule %s: state: %w", s.sc.Name, err)
	}
	if ok {
		if s.cp, err = decodeSchedulerState(b); err != nil {
			return fmt.Errorf("schedule %s: %w", s.sc.Name, err)
		}
		s.update(func(st *Status) { st.Checkpoint, st.LastKey = s.cp.String(), s.cp.LastKey })
	}
	removeStale(s.opts.TempDir, "recording-"+s.sc.Name+"-")
	s.launch(ctx, s.run)
	return nil
}

// Close stops the scheduler and waits for it; a chunk being uploaded is
// abandoned and uploaded again, under the same key, by the next pass. It
// is idempotent.
func (s *Scheduler) Close() error {
	s.close()
	return nil
}

// Status returns the scheduler's progress.
func (s *Scheduler) Status() Status { return s.status() }

// String is a checkpoint as Status shows it.
func (cp schedulerState) String() string {
	if cp.Number == 0 {
		return ""
	}
	return strconv.FormatUint(cp.Number, 10) + "@" + timeText(cp.Time)
}

func (s *Scheduler) run(ctx context.Context) {
	for {
		if s.sc.Window.Contains(s.opts.Clock.Now().In(s.sc.Location)) {
			s.pass(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		now := s.opts.Clock.Now()
		next := s.nextRun(now)
		s.update(func(st *Status) { st.NextRun = next })
		if sleep(ctx, s.opts.Clock, next.Sub(now)) != nil {
			return
		}
	}
}

// nextRun is Interval after now, or, with a pass that met errors, the
// backoff if sooner; moved to the window's next opening when outside it.
func (s *Scheduler) nextRun(now time.Time) time.Time {
	d := s.sc.Interval
	if s.fails > 0 {
		d = min(d, s.opts.Backoff.Wait(s.fails-1))
	}
	next := now.Add(d).In(s.sc.Location)
	return s.sc.Window.NextOpen(next)
}

// pass uploads chunks until none is left, the window closes or ctx ends.
func (s *Scheduler) pass(ctx context.Context) {
	for ctx.Err() == nil && s.sc.Window.Contains(s.opts.Clock.Now().In(s.sc.Location)) {
		infos, err := s.nextChunk()
		if err == nil && len(infos) == 0 {
			s.fails = 0
			return
		}
		if err == nil {
			err = s.upload(ctx, infos)
		}
		if err != nil {
			if ctx.Err() == nil {
				s.fails++
				s.noteError(err)
				s.log.Error("scheduled upload", "err", err)
			}
			return
		}
	}
}

// listLimit bounds the index entries one chunk is picked from.
const listLimit = 4096

// nextChunk returns the index entries of the next chunk: the fragments
// after the checkpoint in server-time order, cut by chunkOf.
func (s *Scheduler) nextChunk() ([]store.Info, error) {
	var from time.Time
	if s.cp.Number != 0 {
		from = s.cp.Time
	}
	infos, err := s.opts.Store.List(s.sc.Camera, from, time.Time{}, listLimit)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", s.sc.Camera, err)
	}
	if s.cp.Number != 0 {
		infos = slices.DeleteFunc(infos, func(in store.Info) bool { return !s.cp.before(in) })
	}
	return chunkOf(infos, s.sc.Chunk, s.opts.MaxClipBytes), nil
}

// before reports whether in sorts after the checkpoint (index order:
// server time, then number).
func (cp schedulerState) before(in store.Info) bool {
	ns, cpNs := in.ServerTime.UnixNano(), cp.Time.UnixNano()
	return ns > cpNs || ns == cpNs && in.Number > cp.Number
}

// chunkOf returns the leading fragments of infos that make one chunk: from
// the first fragment's start to the last one's end at most maxDur, their
// sizes summed at most maxBytes (the first always goes), all with the
// first one's tracks.
func chunkOf(infos []store.Info, maxDur time.Duration, maxBytes int64) []store.Info {
	if len(infos) == 0 {
		return nil
	}
	first := infos[0]
	bytes := first.Size
	n := 1
	for _, in := range infos[1:] {
		if in.End().Sub(first.ServerTime) > maxDur || bytes+in.Size > maxBytes || !slices.Equal(in.Tracks, first.Tracks) {
			break
		}
		bytes += in.Size
		n++
	}
	return infos[:n]
}

// upload reads, writes and uploads one chunk, deletes its fragments if
// asked, then commits the checkpoint. A chunk refused for good is skipped
// (counted, logged, kept in the store).
func (s *Scheduler) upload(ctx context.Context, infos []store.Info) error {
	last := infos[len(infos)-1]
	var frags []*media.Fragment
	for _, in := range infos {
		f, err := s.opts.Store.Get(s.sc.Camera, in.Number)
		if errors.Is(err, store.ErrNotFound) {
			continue // evicted since it was listed
		}
		if err != nil {
			return fmt.Errorf("read fragment %d of %q: %w", in.Number, s.sc.Camera, err)
		}
		frags = append(frags, f)
	}
	if len(frags) == 0 {
		return s.commit(ctx, last, "")
	}
	var cf *clipFile
	err := s.retry(ctx, "write chunk", func() error {
		var err error
		cf, err = writeClip(s.opts.TempDir, "recording-"+s.sc.Name+"-", s.sc.Format, frags)
		return err
	})
	frags = nil
	if errors.Is(err, ErrPermanent) {
		return s.refused(ctx, last, err)
	}
	if err != nil {
		return err
	}
	defer cf.remove()
	m := Metadata{Kind: KindRecording, Camera: s.sc.Camera}
	cf.describe(&m)
	obj := &Object{
		Key: RecordingKey(s.sc.Camera, cf.start, cf.first, cf.ext), ContentType: cf.contentType,
		Size: cf.size, SHA256: cf.sum, Body: cf.f, Meta: m, Link: s.opts.Link, Priority: s.opts.Priority,
	}
	err = s.retry(ctx, "upload "+obj.Key, func() error { return s.sc.Dest.Upload(ctx, obj) })
	if errors.Is(err, ErrPermanent) {
		return s.refused(ctx, last, err)
	}
	if err != nil {
		return err
	}
	s.log.Info("chunk uploaded", "key", obj.Key, "bytes", obj.Size, "fragments", cf.fragments)
	if s.sc.DeleteAfterUpload {
		// Before the checkpoint: a crash in between uploads the chunk
		// again (same key) and deletes it then.
		n, err := s.opts.Store.DeleteRange(s.sc.Camera, infos[0].ServerTime, last.ServerTime.Add(1))
		s.update(func(st *Status) { st.Deleted += int64(n) })
		if err != nil {
			s.noteError(err)
			s.log.Error("deleting uploaded fragments", "err", err)
		}
	}
	if err := s.commit(ctx, last, obj.Key); err != nil {
		return err
	}
	now := s.opts.Clock.Now()
	s.update(func(st *Status) { // after the checkpoint: a counted chunk is never uploaded again
		st.Clips++
		st.Bytes += obj.Size
		st.Fragments += int64(cf.fragments)
		st.LastKey, st.LastUpload = obj.Key, now
	})
	return nil
}

// refused skips a chunk the destination or the container refused.
func (s *Scheduler) refused(ctx context.Context, last store.Info, err error) error {
	s.noteError(err)
	s.log.Error("chunk refused; skipped", "through", last.Number, "err", err)
	if err := s.commit(ctx, last, ""); err != nil {
		return err
	}
	s.update(func(st *Status) { st.Failed++ })
	return nil
}

// commit moves the checkpoint to last (retrying until it is stored).
func (s *Scheduler) commit(ctx context.Context, last store.Info, key string) error {
	cp := schedulerState{V: stateVersion, Time: last.ServerTime, Number: last.Number, LastKey: key}
	if key == "" {
		cp.LastKey = s.cp.LastKey
	}
	states := []spool.State{{Owner: s.owner, Key: schedulerStateKey, Value: encode(cp)}}
	err := s.retry(ctx, "checkpoint", func() error {
		_, err := s.opts.Spool.CommitState(ctx, "", nil, nil, states)
		return err
	})
	if err != nil {
		return err
	}
	s.cp = cp
	s.update(func(st *Status) { st.Checkpoint = cp.String() })
	return nil
}
