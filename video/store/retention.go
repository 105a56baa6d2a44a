package store

import (
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// SetLimits sets stream's retention limits, creating the stream if it does
// not exist, and applies them before returning: fragments older than
// MaxAge are deleted and, under PolicyDeleteOldest, the oldest fragments
// beyond MaxBytes are evicted. Lowering MaxBytes of a deny_new stream
// evicts nothing; Puts fail with ErrFull until age retention makes room.
func (s *Store) SetLimits(stream string, l Limits) error {
	if err := ValidateStreamName(stream); err != nil {
		return err
	}
	if err := l.validate(); err != nil {
		return err
	}
	if err := s.begin(true); err != nil {
		return err
	}
	defer s.end()
	for {
		st, err := s.streamFor(stream, l)
		if err != nil {
			return err
		}
		st.putMu.Lock()
		if st.deleted {
			st.putMu.Unlock()
			continue
		}
		err = s.setLimits(st, l)
		st.putMu.Unlock()
		if err != nil {
			return fmt.Errorf("video store: set limits of %q: %w", stream, err)
		}
		return nil
	}
}

func (s *Store) setLimits(st *stream, l Limits) error {
	st.mu.Lock()
	old := st.limits
	st.mu.Unlock()
	if old != l {
		err := s.update(func(txn *badger.Txn) error {
			return txn.Set(idKey(prefixMeta, st.id), encodeMeta(st.name, l))
		})
		if err == nil {
			err = s.sync()
		}
		if err != nil {
			return classifyWriteError(err)
		}
		st.mu.Lock()
		st.limits = l
		st.mu.Unlock()
	}
	return s.enforce(st)
}

// StreamLimits returns stream's limits, or an error wrapping ErrNotFound.
func (s *Store) StreamLimits(stream string) (Limits, error) {
	st := s.lookup(stream)
	if st == nil {
		return Limits{}, fmt.Errorf("%w: video stream %q", ErrNotFound, stream)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.limits, nil
}

// enforce applies st's limits: age on the injected clock, then size for
// delete_oldest. The caller holds st.putMu.
func (s *Store) enforce(st *stream) error {
	st.mu.Lock()
	l := st.limits
	st.mu.Unlock()
	if l.MaxAge > 0 {
		cutoff := s.opts.Clock.Now().Add(-l.MaxAge)
		if cutoff.After(minTime) { // else nothing can be that old
			if err := s.expire(st, cutoff.UnixNano()); err != nil {
				return err
			}
		}
	}
	if l.MaxBytes > 0 && l.Policy == PolicyDeleteOldest {
		sc, err := s.makeRoom(st, l.MaxBytes)
		if err != nil {
			return err
		}
		if len(sc.victims) > 0 {
			if err := s.commit(st, sc, nil); err != nil {
				return err
			}
			s.log.Debug("evicted for size", "stream", st.name, "fragments", len(sc.victims))
		}
	}
	return nil
}

// expire deletes st's fragments that ended at or before cutoff (Unix ns).
func (s *Store) expire(st *stream, cutoff int64) error {
	total := 0
	for s.ctx.Err() == nil {
		sc, err := s.scan(st, s.maxVictims, func(in Info) action {
			ns := in.ServerTime.UnixNano()
			switch {
			case ns >= cutoff:
				return stop
			case uint64(cutoff-ns) >= uint64(in.Duration): // ended by cutoff
				return take
			}
			return keep
		})
		if err != nil || len(sc.victims) == 0 {
			return err
		}
		if err := s.commit(st, sc, nil); err != nil {
			return err
		}
		total += len(sc.victims)
		if len(sc.victims) < s.maxVictims {
			break
		}
	}
	if total > 0 {
		s.log.Debug("expired by age", "stream", st.name, "fragments", total)
	}
	return nil
}

// runJanitor applies every stream's limits and finishes interrupted
// deletions at Open and then every RetentionInterval.
func (s *Store) runJanitor() {
	defer s.bg.Done()
	t := time.NewTicker(s.opts.RetentionInterval)
	defer t.Stop()
	s.sweep()
	close(s.firstPass)
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.sweep()
	}
}

// sweep is one janitor pass.
func (s *Store) sweep() {
	if err := s.resumeDeletions(); err != nil && s.ctx.Err() == nil {
		s.log.Error("finishing stream deletions", "err", err)
	}
	s.mu.RLock()
	all := make([]*stream, 0, len(s.streams))
	for _, st := range s.streams {
		all = append(all, st)
	}
	s.mu.RUnlock()
	for _, st := range all {
		if s.ctx.Err() != nil || s.broken.Load() != nil {
			return
		}
		st.putMu.Lock()
		var err error
		if !st.deleted {
			err = s.enforce(st)
		}
		st.putMu.Unlock()
		if err != nil && s.ctx.Err() == nil {
			s.log.Error("retention", "stream", st.name, "err", err)
		}
	}
	s.reclaim()
}
