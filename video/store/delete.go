package store

import (
	"encoding/binary"
	"fmt"

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
