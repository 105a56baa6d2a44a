package spool

import (
	"encoding/binary"
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// maxTrimChunks bounds one trim transaction.
const maxTrimChunks = 1000

func (s *Spool) kickJanitor() {
	s.janMu.Lock()
	s.janRequested++
	s.janMu.Unlock()
	select {
	case s.trimKick <- struct{}{}:
	default: // a pass is already requested; it will see this request too
	}
}

// runJanitor applies retention by age and by size, and erases deleted
// streams, every RetentionCheckInterval or when asked (kickJanitor).
func (s *Spool) runJanitor() {
	defer s.bg.Done()
	defer func() {
		s.janMu.Lock()
		s.janBusy, s.janDone = false, s.janRequested
		s.janMu.Unlock()
		s.janCond.Broadcast()
	}()
	t := time.NewTicker(s.opts.RetentionCheckInterval)
	defer t.Stop()
	s.janitorPass() // also resumes deletions interrupted by a restart
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		case <-s.trimKick:
		}
		s.janitorPass()
	}
}

// janitorPass runs one sweep and records which requests it covered.
func (s *Spool) janitorPass() {
	s.janMu.Lock()
	s.janBusy = true
	seen := s.janRequested
	s.janMu.Unlock()
	s.sweep()
	s.janMu.Lock()
	s.janBusy, s.janDone = false, seen
	s.janMu.Unlock()
	s.janCond.Broadcast()
}

// waitJanitorIdle blocks until no retention pass is running and every
// requested one has run. Tests use it so that output does not depend on
// scheduling.
func (s *Spool) waitJanitorIdle() {
	s.janMu.Lock()
	defer s.janMu.Unlock()
	for s.janBusy || s.janDone != s.janRequested {
		s.janCond.Wait()
	}
}

func (s *Spool) sweep() {
	if err := s.saveClock(); err != nil && s.ctx.Err() == nil {
		s.log.Warn("saving the spool clock", "err", err)
	}
	for _, st := range s.cat.Load().byID {
		if s.ctx.Err() != nil {
			return
		}
		var err error
		switch {
		case st.meta.Deleting:
			err = s.erase(st)
		default:
			err = s.expire(st)
			if err == nil {
				err = s.pruneClosedShards(st.meta.ID)
			}
			if err == nil && st.meta.MaxBytes > 0 && st.meta.WhenFull == DropOldest && st.bytes() > st.meta.MaxBytes {
				err = s.shrink(st)
			}
		}
		if err != nil && s.ctx.Err() == nil {
			s.log.Error("retention", "stream", st.meta.Name, "err", err)
		}
	}
}

// trimChunk is one chunk chosen for deletion.
type trimChunk struct {
	lastSeq uint64
	count   int
	bytes   int
}

// expire deletes, per shard, the leading chunks older than the retention
// period on the spool clock.
func (s *Spool) expire(st *streamState) error {
	cutoff := s.clock.nowMs() - st.meta.RetentionMs
	for _, sh := range st.shards {
		for {
			var batch []trimChunk
			err := s.db.View(func(txn *badger.Txn) error {
				it := txn.NewIterator(badger.IteratorOptions{Prefix: shardPrefix(st.meta.ID, sh.meta.Index)})
				defer it.Close()
				for it.Rewind(); it.Valid() && len(batch) < maxTrimChunks; it.Next() {
					lastSeq := chunkKeySeq(it.Item().Key())
					if lastSeq > sh.live.last.Load() {
						return nil
					}
					expired := false
					if err := it.Item().Value(func(v []byte) error {
						h, _, err := decodeChunkHeader(v)
						if err != nil {
							return err
						}
						expired = h.spoolMs < cutoff
						batch = append(batch, trimChunk{lastSeq, h.count, len(v)})
						return nil
					}); err != nil {
						return err
					}
					if !expired {
						batch = batch[:len(batch)-1]
						return nil
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if len(batch) == 0 {
				break
			}
			if err := s.trim(st.meta.ID, sh.meta.Index, batch, "age"); err != nil {
				return err
			}
			if len(batch) < maxTrimChunks {
				break
			}
		}
	}
	return nil
}

// shrink deletes the oldest chunks across the stream's shards until it is
// back under its size cap (drop_oldest).
func (s *Spool) shrink(st *streamState) error {
	excess := st.bytes() - st.meta.MaxBytes
	if excess <= 0 {
		return nil
	}
	plan := map[uint32][]trimChunk{}
	err := s.db.View(func(txn *badger.Txn) error {
		type head struct {
			it      *badger.Iterator
			shard   uint32
			spoolMs int64
			chunk   trimChunk
			ok      bool
		}
		load := func(h *head) error {
			h.ok = false
			if !h.it.Valid() {
				return nil
			}
			return h.it.Item().Value(func(v []byte) error {
				ch, _, err := decodeChunkHeader(v)
				if err != nil {
					return err
				}
				h.spoolMs, h.ok = ch.spoolMs, true
				h.chunk = trimChunk{chunkKeySeq(h.it.Item().Key()), ch.count, len(v)}
				return nil
			})
		}
		var heads []*head
		for _, sh := range st.sortedShards() {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: shardPrefix(st.meta.ID, sh.meta.Index)})
			defer it.Close()
			it.Rewind()
			h := &head{it: it, shard: sh.meta.Index}
			if err := load(h); err != nil {
				return err
			}
			heads = append(heads, h)
		}
		for freed, n := int64(0), 0; freed < excess && n < 16*maxTrimChunks; n++ {
			var oldest *head
			for _, h := range heads {
				if h.ok && (oldest == nil || h.spoolMs < oldest.spoolMs) {
					oldest = h
				}
			}
			if oldest == nil {
				return nil
			}
			plan[oldest.shard] = append(plan[oldest.shard], oldest.chunk)
			freed += int64(oldest.chunk.bytes)
			oldest.it.Next()
			if err := load(oldest); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for shard, chunks := range plan {
		for len(chunks) > 0 {
			n := min(len(chunks), maxTrimChunks)
			if err := s.trim(st.meta.ID, shard, chunks[:n], "size"); err != nil {
				return err
			}
			chunks = chunks[n:]
		}
	}
	return nil
}

// trim deletes leading chunks of a shard on the writer goroutine, updating
// the shard's stats in the same transaction. chunks must be in key order
// and start at the shard's oldest chunk.
func (s *Spool) trim(sid, shard uint32, chunks []trimChunk, reason string) error {
	return s.control(func() error {
		st := s.cat.Load().byID[sid]
		if st == nil || st.meta.Deleting {
			return nil
		}
		sh := st.shards[shard]
		if sh == nil {
			return nil
		}
		live := sh.live
		stats := live.stats()
		records := 0
		err := s.db.Update(func(txn *badger.Txn) error {
			for _, c := range chunks {
				if c.lastSeq < stats.first {
					continue // already gone
				}
				if err := txn.Delete(chunkKey(sid, shard, c.lastSeq)); err != nil {
					return err
				}
				stats.first = c.lastSeq + 1
				stats.records -= min(stats.records, uint64(c.count))
				stats.bytes -= min(stats.bytes, uint64(c.bytes))
				records += c.count
			}
			return txn.Set(live.statsKey, stats.encode())
		})
		if err != nil {
			return fmt.Errorf("trim %s %s: %w", st.meta.Name, ShardID(shard), err)
		}
		live.first.Store(stats.first)
		live.records.Store(int64(stats.records))
		live.bytes.Store(int64(stats.bytes))
		if s.opts.Observer != nil && records > 0 {
			s.opts.Observer.Dropped(st.meta.Name, reason, records)
		}
		return nil
	})
}

// pruneClosedShards forgets closed shards whose records have all expired
// and that closed longer than the retention period ago, as Kinesis stops
// listing them. Their children keep naming them as parents.
func (s *Spool) pruneClosedShards(sid uint32) error {
	return s.control(func() error {
		st := s.cat.Load().byID[sid]
		if st == nil || st.meta.Deleting {
			return nil
		}
		now := s.clock.nowMs()
		m := st.meta
		var keep []shardMeta
		var gone []uint32
		for _, sm := range m.Shards {
			if sm.Closed && st.shards[sm.Index].live.records.Load() == 0 && now-sm.ClosedSpoolMs > m.RetentionMs {
				gone = append(gone, sm.Index)
				continue
			}
			keep = append(keep, sm)
		}
		if len(gone) == 0 {
			return nil
		}
		m.Shards = keep
		err := s.db.Update(func(txn *badger.Txn) error {
			for _, idx := range gone {
				if err := txn.Delete(statsKey(sid, idx)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := s.replaceStream(st, m); err != nil {
			return err
		}
		for _, idx := range gone {
			st.shards[idx].live.broadcast()
		}
		return nil
	})
}

// erase removes every key of a deleted stream, then its metadata.
func (s *Spool) erase(st *streamState) error {
	sid := st.meta.ID
	if err := s.deletePrefix(streamChunkPrefix(sid)); err != nil {
		return err
	}
	if err := s.deleteMatching([]byte{prefixCheckpoint}, func(k []byte) bool {
		return len(k) >= 10 && binary.BigEndian.Uint32(k[len(k)-8:]) == sid
	}); err != nil {
		return err
	}
	return s.control(func() error {
		err := s.db.Update(func(txn *badger.Txn) error {
			for i := range st.shards {
				if err := txn.Delete(statsKey(sid, i)); err != nil {
					return err
				}
			}
			return txn.Delete(metaKey(sid))
		})
		if err != nil {
			return err
		}
		s.cat.Store(s.cat.Load().without(sid))
		return nil
	})
}

func (s *Spool) deletePrefix(prefix []byte) error {
	return s.deleteMatching(prefix, func([]byte) bool { return true })
}

func (s *Spool) deleteMatching(prefix []byte, match func([]byte) bool) error {
	for s.ctx.Err() == nil {
		var keys [][]byte
		err := s.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
			defer it.Close()
			for it.Rewind(); it.Valid() && len(keys) < 10000; it.Next() {
				if match(it.Item().Key()) {
					keys = append(keys, it.Item().KeyCopy(nil))
				}
			}
			return nil
		})
		if err != nil || len(keys) == 0 {
			return err
		}
		wb := s.db.NewWriteBatch()
		for _, k := range keys {
			if err := wb.Delete(k); err != nil {
				wb.Cancel()
				return err
			}
		}
		if err := wb.Flush(); err != nil {
			return err
		}
		if len(keys) < 10000 {
			return nil
		}
	}
	return s.ctx.Err()
}
