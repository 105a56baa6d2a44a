package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// DeleteStream deletes stream and all its fragments, or fails with
// ErrNotFound. The stream is gone (from Streams, List, Put's numbering)
// once the first transaction commits; its keys are then deleted in
// batches, and a deletion cut short by Close or a crash is finished by the
// janitor after the next Open. A stream later created under the same name
// numbers its fragments from 1 again.
func (s *Store) DeleteStream(stream string) error {
	if err := s.begin(true); err != nil {
		return err
	}
	defer s.end()
	s.mu.Lock()
	st := s.streams[stream]
	if st == nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: video stream %q", ErrNotFound, stream)
	}
	st.putMu.Lock()
	err := s.update(func(txn *badger.Txn) error {
		if err := txn.Delete(idKey(prefixMeta, st.id)); err != nil {
			return err
		}
		if err := txn.Delete(idKey(prefixStats, st.id)); err != nil {
			return err
		}
		return txn.Set(idKey(prefixDeleting, st.id), nil)
	})
	if err == nil {
		err = s.sync()
	}
	if err == nil {
		st.deleted = true
		delete(s.streams, stream)
	}
	st.putMu.Unlock()
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("video store: delete %q: %w", stream, classifyWriteError(err))
	}
	if err := s.erase(st.id); err != nil {
		s.log.Warn("deleting a stream's fragments; the janitor will retry", "stream", stream, "err", err)
	}
	return nil
}

// resumeDeletions erases the streams whose deletion was cut short.
func (s *Store) resumeDeletions() error {
	var ids []uint32
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixDeleting}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if k := it.Item().Key(); len(k) == idKeyLen {
				ids = append(ids, binary.BigEndian.Uint32(k[1:]))
			}
		}
		return nil
	})
	for _, id := range ids {
		if err != nil || s.ctx.Err() != nil {
			break
		}
		err = s.erase(id)
	}
	return err
}

// erase deletes a deleted stream's index entries and fragments in
// batches, then its deletion marker. It stops early, leaving the marker,
// when the store closes.
func (s *Store) erase(sid uint32) error {
	for s.ctx.Err() == nil {
		var keys [][]byte
		err := s.db.View(func(txn *badger.Txn) error {
			for _, prefix := range [][]byte{idKey(prefixIndex, sid), idKey(prefixFragment, sid)} {
				it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
				for it.Rewind(); it.Valid() && len(keys) < 2*s.maxVictims; it.Next() {
					k := it.Item().KeyCopy(nil)
					keys = append(keys, k)
					if _, number, ok := parseIndexKey(k); ok {
						keys = append(keys, fragKey(sid, number))
					}
				}
				it.Close()
				if len(keys) > 0 {
					return nil
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = s.update(func(txn *badger.Txn) error {
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			if len(keys) == 0 {
				return txn.Delete(idKey(prefixDeleting, sid))
			}
			return nil
		})
		if err != nil || len(keys) == 0 {
			return err
		}
	}
	return nil
}

// DeleteRange deletes stream's fragments whose server time (start) is in
// [from, to) and returns how many it deleted; a zero from or to leaves
// that side open. A fragment that starts in the range goes even when it
// ends after to; one that starts before from stays. It works in batches,
// each one transaction with the stream's stats (as retention), so usage is
// exact after any crash; a crash or Close midway leaves part of the range
// deleted (call again). It fails with ErrNotFound for a stream that does
// not exist. Uploaders that delete what they have sent (video/clips) use
// it.
func (s *Store) DeleteRange(stream string, from, to time.Time) (int, error) {
	for _, t := range []time.Time{from, to} {
		if !t.IsZero() && (t.Before(minTime) || t.After(maxTime)) {
			return 0, fmt.Errorf("%w: time %v out of range", ErrInvalidArgument, t)
		}
	}
	if err := s.begin(true); err != nil {
		return 0, err
	}
	defer s.end()
	st, err := s.stream(stream)
	if err != nil {
		return 0, err
	}
	fromNs, toNs := int64(math.MinInt64), int64(math.MaxInt64)
	if !from.IsZero() {
		fromNs = from.UnixNano()
	}
	if !to.IsZero() {
		toNs = to.UnixNano()
	}
	st.putMu.Lock()
	defer st.putMu.Unlock()
	if st.deleted {
		return 0, fmt.Errorf("%w: video stream %q", ErrNotFound, stream)
	}
	total := 0
	for fromNs < toNs || to.IsZero() {
		if s.ctx.Err() != nil {
			return total, ErrClosed
		}
		sc, err := s.rangeScan(st, fromNs, toNs, to.IsZero())
		if err == nil && len(sc.victims) > 0 {
			err = s.commit(st, sc, nil)
		}
		if err != nil {
			return total, fmt.Errorf("video store: delete %q from %v to %v: %w", stream, from, to, err)
		}
		total += len(sc.victims)
		if len(sc.victims) < s.maxVictims {
			break
		}
	}
	return total, nil
}

// rangeScan picks up to maxVictims fragments of st whose server time is in
// [fromNs, toNs) (openTo: no upper bound), and the stream's oldest entry
// once they are gone: the entry after the last victim if the first victim
// is the oldest, else the oldest as it is. The caller holds st.putMu.
func (s *Store) rangeScan(st *stream, fromNs, toNs int64, openTo bool) (scanResult, error) {
	var sc scanResult
	st.mu.Lock()
	oldest, count := st.oldest, st.st.count
	st.mu.Unlock()
	if count == 0 {
		return sc, nil
	}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: idKey(prefixIndex, st.id)})
		defer it.Close()
		for it.Seek(indexSeekKey(st.id, fromNs)); it.Valid(); it.Next() {
			item := it.Item()
			ns, number, ok := parseIndexKey(item.Key())
			if !ok {
				return fmt.Errorf("%w: index key %x", ErrCorrupt, item.Key())
			}
			at := pos{ns, number}
			if (!openTo && ns >= toNs) || len(sc.victims) >= s.maxVictims {
				sc.noteRest(at)
				return nil
			}
			var in Info
			if err := item.Value(func(v []byte) error {
				var err error
				in, err = decodeInfo(item.Key(), v)
				return err
			}); err != nil {
				return err
			}
			sc.victims = append(sc.victims, victim{at, in.Size})
		}
		return nil
	})
	if err != nil {
		return scanResult{}, err
	}
	if len(sc.victims) > 0 && sc.victims[0].at != oldest {
		sc.rest, sc.hasRest = oldest, true // older fragments stay
	}
	return sc, nil
}
