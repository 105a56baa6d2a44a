package store

import (
	"errors"

	badger "github.com/dgraph-io/badger/v4"
)

// Reclaiming the space of deleted fragments.
//
// Badger learns that a value-log entry is garbage only when a compaction
// drops the key that points at it, and value-log GC picks files by that
// count. The video DB writes ~200 bytes of keys per fragment, so a 2 MiB
// memtable takes thousands of fragments (gigabytes of video) to fill and
// flush; until then no deleted fragment's space can return. So once the
// value log exceeds the live fragments by ReclaimThreshold, reclaim flushes
// the memtables (DropPrefix of a scratch key is the public way to force a
// flush), compacts the small LSM tree into one level (Flatten), which
// records the discards, and runs value-log GC at once. Writes wait on
// writeMu meanwhile, because Badger refuses them while DropPrefix runs.

// scratchKey is written and then dropped to flush the memtables.
var scratchKey = []byte{prefixScratch}

// reclaim runs a flush, compaction and GC when the value log has grown
// ReclaimThreshold beyond the live data since the last reclaim.
func (s *Store) reclaim() {
	if s.opts.ReclaimThreshold < 0 {
		return
	}
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	garbage := valueLogBytes(s.opts.Dir) - s.liveBytes()
	if garbage < s.reclaimBase+s.opts.ReclaimThreshold {
		if garbage < s.reclaimBase {
			s.reclaimBase = max(garbage, 0)
		}
		return
	}
	if err := s.flushAndCompact(); err != nil {
		if s.ctx.Err() == nil {
			s.log.Warn("flushing the LSM tree to reclaim deleted fragments", "err", err)
		}
		return
	}
	s.runGC()
	after := valueLogBytes(s.opts.Dir) - s.liveBytes()
	s.log.Debug("reclaimed value-log space", "garbage_before", garbage, "garbage_after", after)
	s.reclaimBase = max(after, 0)
}

func (s *Store) flushAndCompact() error {
	s.writeMu.Lock()
	err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(scratchKey, nil) })
	if err == nil {
		err = s.db.DropPrefix(scratchKey)
	}
	s.writeMu.Unlock()
	if err != nil {
		return err
	}
	return s.db.Flatten(1)
}

// liveBytes sums the streams' stored bytes.
func (s *Store) liveBytes() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var n int64
	for _, st := range s.streams {
		st.mu.Lock()
		n += st.st.bytes
		st.mu.Unlock()
	}
	return n
}

// valueLogGC runs value-log GC (the GCInterval task).
func (s *Store) valueLogGC() {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	s.runGC()
}

// runGC rewrites value-log files that are mostly garbage until Badger
// finds none. The caller holds gcMu.
func (s *Store) runGC() {
	for s.ctx.Err() == nil {
		if err := s.db.RunValueLogGC(0.5); err != nil {
			if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
				s.log.Warn("value-log GC", "err", err)
			}
			return
		}
	}
}

// update runs fn in a read-write transaction, excluded from reclaim's
// flush.
func (s *Store) update(fn func(*badger.Txn) error) error {
	s.writeMu.RLock()
	defer s.writeMu.RUnlock()
	return s.db.Update(fn)
}
