package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"golang.org/x/sys/unix"
)

// Group-commit bounds: what one commit gathers before it writes.
const (
	maxGroupRecords = 20000
	maxGroupBytes   = 8 << 20
)

// writeReq is one unit of work for the writer goroutine: either appends
// (with optional checkpoints, committed atomically) or a control function.
type writeReq struct {
	stream string
	recs   []prepared
	cps    []checkpointEntry
	atomic bool // all records and checkpoints in one transaction, or none
	// linked are more atomic requests, for other streams, committed in
	// the same transaction as this one: all of them or none
	linked  []*writeReq
	control func() error

	enqueued time.Time
	results  []PutResult
	err      error
	done     chan struct{}
}

func (r *writeReq) size() int {
	n := 0
	for i := range r.recs {
		n += len(r.recs[i].key) + len(r.recs[i].data)
	}
	return n
}

// prepared is a validated record with its hash computed by the caller.
type prepared struct {
	key  string
	data []byte
	hash HashKey
	err  error // validation error: the record is not stored
}

// checkpointEntry is a key the writer sets with a group's records: a
// checkpoint (seq), or a consumer's state (val, or del to remove it).
type checkpointEntry struct {
	key []byte
	seq uint64
	val []byte
	del bool
}

// writerState is owned by the writer goroutine.
type writerState struct {
	nextStream    uint32
	freeCheckedAt time.Time
	free          int64 // bytes free at freeCheckedAt
	written       int64 // bytes committed since
	failed        error // set when a sync failed: every later write fails
}

// submit hands a request to the writer and waits for it to finish. In-flight
// requests always complete, even when Close runs concurrently.
func (s *Spool) submit(r *writeReq) error {
	if err := s.enqueue(r); err != nil {
		return err
	}
	<-r.done
	return r.err
}

// enqueue hands a request to the writer without waiting for it. Requests
// from one goroutine are committed in the order it enqueues them. The queue
// is bounded: enqueue blocks while it is full. Everything enqueued before
// Close is processed.
func (s *Spool) enqueue(r *writeReq) error {
	r.done = make(chan struct{})
	r.enqueued = time.Now()
	s.sendMu.RLock()
	defer s.sendMu.RUnlock()
	if s.sendClosed {
		return ErrClosed
	}
	s.reqs <- r // the writer runs until sendClosed is set
	return nil
}

// control runs fn on the writer goroutine between commits.
func (s *Spool) control(fn func() error) error {
	return s.submit(&writeReq{control: fn})
}

func (s *Spool) runWriter() {
	defer close(s.writerDone)
	for {
		select {
		case r := <-s.reqs:
			s.process(s.gather(r))
		case <-s.ctx.Done():
			// Finish what producers already handed over, then stop.
			for {
				select {
				case r := <-s.reqs:
					s.process(s.gather(r))
				default:
					return
				}
			}
		}
	}
}

// gather collects requests that are already waiting, up to the group
// bounds. A control or atomic request always travels alone.
func (s *Spool) gather(first *writeReq) []*writeReq {
	group := []*writeReq{first}
	if first.control != nil || first.atomic {
		return append(group, first.linked...)
	}
	records, bytes := len(first.recs), first.size()
	for records < maxGroupRecords && bytes < maxGroupBytes {
		select {
		case r := <-s.reqs:
			if r.control != nil || r.atomic {
				s.process(group)
				return []*writeReq{r}
			}
			group = append(group, r)
			records += len(r.recs)
			bytes += r.size()
		default:
			return group
		}
	}
	return group
}

func (s *Spool) process(group []*writeReq) {
	if len(group) == 1 && group[0].control != nil {
		r := group[0]
		r.err = r.control()
		close(r.done)
		return
	}
	s.commitAppends(group)
	now := time.Now()
	for _, r := range group {
		if s.opts.Observer != nil && r.err == nil {
			ok, bytes := 0, 0
			for i := range r.results {
				if r.results[i].Err == nil {
					ok++
					bytes += len(r.recs[i].data)
				}
			}
			if ok > 0 {
				s.opts.Observer.Appended(r.stream, ok, bytes, now.Sub(r.enqueued))
			}
		}
		close(r.done)
	}
}

// pendingChunk is a chunk built in this commit, not yet durable.
type pendingChunk struct {
	sh      *shardState
	st      *streamState
	b       *chunkBuilder
	value   []byte
	results []*PutResult // one per record, in order
	txn     int          // index of the transaction holding it
}

// commitAppends assigns sequence numbers, writes the group's chunks, stats,
// checkpoints and the spool clock, syncs according to the durability mode
// and fills every request's results.
func (s *Spool) commitAppends(group []*writeReq) {
	cat := s.cat.Load()
	wallNow := s.opts.Clock.Wall().UnixMilli()
	spoolNow := s.clock.nowMs()

	var chunks []*pendingChunk
	open := map[*shardState]*pendingChunk{}
	projected := map[*streamState]int64{} // capped streams: bytes held plus this group's
	full := map[string]int{}
	if s.w.failed != nil {
		for _, r := range group {
			r.err = s.w.failed
		}
		return
	}
	// counters before this group, to undo an atomic request that fails
	assignedBefore := map[*shardLive]uint64{}
	for _, r := range group {
		r.results = make([]PutResult, len(r.recs))
		st := cat.byName[r.stream]
		if len(r.recs) == 0 {
			continue // checkpoints only
		}
		if st == nil {
			r.err = fmt.Errorf("%w: %q", ErrStreamNotFound, r.stream)
			continue
		}
		if r.atomic {
			if err := s.checkAtomic(r, st); err != nil {
				r.err = err
				continue
			}
		}
		for i := range r.recs {
			p := &r.recs[i]
			res := &r.results[i]
			if p.err != nil {
				res.Err = p.err
				continue
			}
			sh := st.route(p.hash)
			if sh == nil {
				res.Err = fmt.Errorf("%w: no open shard of %q covers hash key %s", ErrInvalidArgument, st.meta.Name, p.hash)
				continue
			}
			pc := open[sh]
			newChunk := pc == nil || len(pc.b.buf) >= s.opts.ChunkMaxBytes
			size := encodedRecordSize(p.key, p.data)
			if newChunk {
				size += chunkHeaderMax
			}
			if _, ok := projected[st]; !ok && st.meta.MaxBytes > 0 {
				projected[st] = st.bytes() // what the stream holds; this group adds to it
			}
			if st.meta.MaxBytes > 0 && st.meta.WhenFull == RejectNew && projected[st]+size > st.meta.MaxBytes {
				res.Err = fmt.Errorf("%w: stream %q holds %d of its %d bytes (policy reject_new)", ErrStreamFull, st.meta.Name, projected[st], st.meta.MaxBytes)
				full[st.meta.Name]++
				continue
			}
			if newChunk {
				pc = &pendingChunk{sh: sh, st: st, b: &chunkBuilder{}}
				open[sh] = pc
				chunks = append(chunks, pc)
			}
			if _, ok := assignedBefore[sh.live]; !ok {
				assignedBefore[sh.live] = sh.live.assigned
			}
			sh.live.assigned++
			pc.b.lastSeq = sh.live.assigned
			pc.b.add(p.key, p.data)
			pc.results = append(pc.results, res)
			res.ShardID = ShardID(sh.meta.Index)
			res.Seq = SeqNum{Shard: sh.meta.Index, Counter: sh.live.assigned}
			projected[st] += size
		}
	}
	if group[0].atomic {
		// all or nothing: one refused record refuses the request and the
		// requests linked to it; they travel alone, so nothing is written
		if err := atomicGroupErr(group); err != nil {
			for live, n := range assignedBefore {
				live.assigned = n
			}
			chunks = nil
			for _, r := range group {
				r.err = err
				for j := range r.results {
					r.results[j] = PutResult{Err: err}
				}
			}
		}
	}
	if s.opts.Observer != nil {
		for name, n := range full {
			s.opts.Observer.Dropped(name, "full", n)
		}
	}
	var cps []checkpointEntry
	for _, r := range group {
		if r.err == nil {
			cps = append(cps, r.cps...)
		}
	}
	if len(chunks) == 0 && len(cps) == 0 {
		return
	}
	fail := func(err error) {
		for _, pc := range chunks {
			for _, res := range pc.results {
				res.Err = err
			}
		}
		for _, r := range group {
			if len(r.cps) > 0 && r.err == nil {
				r.err = err
			}
		}
	}
	var incoming int64
	for _, pc := range chunks {
		incoming += int64(len(pc.b.buf)) + 64
	}
	if err := s.checkFreeSpace(incoming); err != nil {
		fail(err)
		return
	}
	s.w.written += incoming

	// Per-shard arrival time: the wall clock, never earlier than the shard's
	// previous arrival, so AT_TIMESTAMP can binary-search a shard.
	for _, pc := range chunks {
		wall := max(wallNow, pc.sh.live.lastWall.Load())
		pc.value = pc.b.bytes(wall, spoolNow)
	}
	committed, err := s.writeChunks(chunks, cps, spoolNow, wallNow, group[0].atomic)
	if committed > 0 && s.opts.Durability == DurabilityFsync {
		// what committed must be synced before it is acknowledged, even
		// when a later transaction of the group failed
		if serr := s.syncDB(); serr != nil {
			committed, err = 0, serr
			// After a failed fsync the kernel may have dropped the dirty
			// pages and a later fsync can report success: nothing written
			// since can be trusted. Refuse all further writes; a restart
			// recovers from what is on disk.
			s.w.failed = fmt.Errorf("%w: a sync failed (%v); restart the gateway", ErrClosed, serr)
			s.log.Error("sync failed: the spool refuses writes until restarted", "err", serr)
		}
	}
	if err != nil {
		err = classifyWriteError(err)
		s.log.Error("append commit failed", "err", err, "chunks", len(chunks), "committed_txns", committed)
	}
	touched := map[*shardLive]bool{}
	kick := false
	for _, pc := range chunks {
		if pc.txn >= committed {
			for _, res := range pc.results {
				res.Err = err
				res.ShardID, res.Seq = "", SeqNum{}
			}
			continue
		}
		live := pc.sh.live
		if live.first.Load() == 0 {
			live.first.Store(pc.b.lastSeq - uint64(pc.b.count) + 1)
		}
		live.last.Store(pc.b.lastSeq)
		live.records.Add(int64(pc.b.count))
		live.bytes.Add(int64(len(pc.value)))
		live.lastWall.Store(max(wallNow, live.lastWall.Load()))
		touched[live] = true
		if pc.st.meta.MaxBytes > 0 && pc.st.meta.WhenFull == DropOldest && pc.st.bytes() > pc.st.meta.MaxBytes {
			kick = true
		}
	}
	for live := range touched {
		live.broadcast()
	}
	if err != nil {
		for _, r := range group {
			if len(r.cps) > 0 && r.err == nil {
				r.err = err
			}
		}
	}
	if kick {
		s.kickJanitor()
	}
}

// atomicGroupErr returns the first error of an atomic group, naming the
// stream and record when there are several streams.
func atomicGroupErr(group []*writeReq) error {
	for _, r := range group {
		err := r.err
		for i := range r.results {
			if err != nil {
				break
			}
			if e := r.results[i].Err; e != nil {
				err = fmt.Errorf("record %d: %w", i, e)
			}
		}
		if err == nil {
			continue
		}
		if len(group) > 1 {
			return fmt.Errorf("stream %q: %w", r.stream, err)
		}
		return err
	}
	return nil
}

// checkAtomic refuses an atomic request up front if any record is invalid,
// so that all or none of it is stored.
func (s *Spool) checkAtomic(r *writeReq, st *streamState) error {
	for i := range r.recs {
		if err := r.recs[i].err; err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
	}
	var size int64
	for i := range r.recs {
		size += encodedRecordSize(r.recs[i].key, r.recs[i].data)
	}
	size += chunkHeaderMax * int64(min(len(r.recs), len(st.open)))
	if st.meta.MaxBytes > 0 && st.meta.WhenFull == RejectNew && st.bytes()+size > st.meta.MaxBytes {
		return fmt.Errorf("%w: stream %q is at its size cap", ErrStreamFull, st.meta.Name)
	}
	return nil
}

// writeChunks commits chunks, their shards' stats, checkpoints and the clock
// in as few transactions as Badger allows. It returns how many transactions
// committed; chunks with pc.txn below that are stored. With atomic, all
// must fit in one transaction.
func (s *Spool) writeChunks(chunks []*pendingChunk, cps []checkpointEntry, spoolNow, wallNow int64, atomic bool) (int, error) {
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	n := 0
	// stats for a shard reflect every chunk of it up to the current one
	stats := map[*shardLive]shardStats{}
	set := func(key, val []byte) error {
		err := txn.SetEntry(badger.NewEntry(key, val))
		if errors.Is(err, badger.ErrTxnTooBig) && !atomic {
			if err := s.commitTxn(txn, stats, spoolNow, wallNow); err != nil {
				return err
			}
			n++
			txn = s.db.NewTransaction(true)
			stats = map[*shardLive]shardStats{}
			err = txn.SetEntry(badger.NewEntry(key, val))
		}
		if errors.Is(err, badger.ErrTxnTooBig) {
			return fmt.Errorf("%w: %v", ErrTooLarge, err)
		}
		return err
	}
	running := map[*shardLive]shardStats{}
	for _, pc := range chunks {
		if err := set(chunkKey(pc.st.meta.ID, pc.sh.meta.Index, pc.b.lastSeq), pc.value); err != nil {
			return n, err
		}
		pc.txn = n
		live := pc.sh.live
		st, ok := running[live]
		if !ok {
			st = live.stats()
		}
		if st.first == 0 {
			st.first = pc.b.lastSeq - uint64(pc.b.count) + 1
		}
		st.last = pc.b.lastSeq
		st.records += uint64(pc.b.count)
		st.bytes += uint64(len(pc.value))
		st.lastWall = max(st.lastWall, wallNow)
		running[live] = st
		stats[live] = st
	}
	for _, cp := range cps {
		var err error
		switch {
		case cp.del:
			err = txn.Delete(cp.key)
			if errors.Is(err, badger.ErrTxnTooBig) {
				err = fmt.Errorf("%w: %v", ErrTooLarge, err)
			}
		case cp.val != nil:
			err = set(cp.key, cp.val)
		default:
			err = set(cp.key, binary.BigEndian.AppendUint64(nil, cp.seq))
		}
		if err != nil {
			return n, err
		}
	}
	if err := s.commitTxn(txn, stats, spoolNow, wallNow); err != nil {
		return n, err
	}
	return n + 1, nil
}

// commitTxn adds the stats keys and the clock to txn and commits it.
func (s *Spool) commitTxn(txn *badger.Txn, stats map[*shardLive]shardStats, spoolNow, wallNow int64) error {
	for live, st := range stats {
		if err := txn.SetEntry(badger.NewEntry(live.statsKey, st.encode())); err != nil {
			return err
		}
	}
	if err := txn.SetEntry(badger.NewEntry([]byte{prefixClock}, clockValue(spoolNow, wallNow))); err != nil {
		return err
	}
	return txn.Commit()
}

// checkFreeSpace fails appends that would take free space under the
// spool directory below the reserve. statfs is asked at most every 200ms
// while the estimate (last answer minus twice what was written since, for
// the log and the tables) stays clear of the reserve, and at every commit
// once it gets close.
func (s *Spool) checkFreeSpace(incoming int64) error {
	if s.opts.MinFreeDisk < 0 {
		return nil
	}
	reserve := s.reserve()
	now := time.Now()
	est := s.w.free - 2*(s.w.written+incoming)
	if now.Sub(s.w.freeCheckedAt) >= 200*time.Millisecond || est < reserve {
		var fs unix.Statfs_t
		if err := unix.Statfs(s.opts.Dir, &fs); err != nil {
			return nil // cannot tell; let the write itself report
		}
		s.w.freeCheckedAt, s.w.written = now, 0
		s.w.free = int64(fs.Bavail) * int64(fs.Bsize)
		est = s.w.free - 2*incoming
	}
	if est < reserve {
		return fmt.Errorf("%w: %d bytes free under %s, reserve is %d", ErrDiskFull, s.w.free, s.opts.Dir, reserve)
	}
	return nil
}

// reserve is the free space appends leave untouched: at least MinFreeDisk,
// and never less than what Badger may still write through memory maps (the
// rest of the current value-log file and the memtables' logs), because a
// write through a map to a full disk kills the process (SIGBUS) instead of
// returning an error.
func (s *Spool) reserve() int64 {
	return max(s.opts.MinFreeDisk, s.opts.ValueLogFileSize+int64(s.opts.NumMemtables+1)*s.opts.MemTableSize)
}

func classifyWriteError(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %v", ErrDiskFull, err)
	}
	return err
}
