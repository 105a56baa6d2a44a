package store

import (
	"errors"
	"fmt"
	"math"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/tributary-edge/tributary/video/media"
)

// Put stores f as the next fragment of stream, creating the stream with
// Options.DefaultLimits if it does not exist. It returns once the fragment
// is committed and, with DurabilityFsync, synced.
//
// A zero f.Number asks the store to number the fragment: Put then sets
// f.Number to the number it stored. A non-zero f.Number must be at least
// NextNumber(stream) (gaps are allowed), else Put fails with
// ErrOutOfOrder. f.ServerTime must be set; it is the index key.
//
// If the stream would exceed its MaxBytes, Put evicts its oldest
// fragments in the same transaction (PolicyDeleteOldest) or fails with
// ErrFull (PolicyDenyNew). It fails with ErrTooLarge for a fragment larger
// than MaxBytes or MaxFragmentSize, with ErrDiskFull when the disk is at
// its reserve, and with ErrInvalidArgument for a fragment AppendFragment
// cannot encode. A failed Put changes nothing, unless the sync after its
// commit failed (then the store takes no more writes; see Durability).
func (s *Store) Put(stream string, f *media.Fragment) error {
	if err := ValidateStreamName(stream); err != nil {
		return err
	}
	size, err := EncodedSize(f)
	if err != nil {
		return err
	}
	if f.ServerTime.IsZero() {
		return fmt.Errorf("%w: fragment %d has no server time", ErrInvalidArgument, f.Number)
	}
	if size > s.opts.MaxFragmentSize {
		return fmt.Errorf("%w: fragment of %d bytes (limit %d)", ErrTooLarge, size, s.opts.MaxFragmentSize)
	}
	if err := s.begin(true); err != nil {
		return err
	}
	defer s.end()
	for {
		st, err := s.streamFor(stream, s.opts.DefaultLimits)
		if err != nil {
			return err
		}
		st.putMu.Lock()
		if st.deleted { // DeleteStream won the race; Put to a new stream
			st.putMu.Unlock()
			continue
		}
		err = s.put(st, f, size)
		st.putMu.Unlock()
		if err != nil {
			return fmt.Errorf("video store: put %q: %w", stream, err)
		}
		return nil
	}
}

// put runs with st.putMu held.
func (s *Store) put(st *stream, f *media.Fragment, size int) error {
	st.mu.Lock()
	cur, limits := st.st, st.limits
	st.mu.Unlock()
	number := f.Number
	if number == 0 {
		number = cur.next
	} else if number < cur.next {
		return fmt.Errorf("%w: fragment %d, next is %d", ErrOutOfOrder, number, cur.next)
	}
	if number == math.MaxUint64 { // the next number must fit too
		return fmt.Errorf("%w: fragment number %d", ErrInvalidArgument, number)
	}
	var sc scanResult
	if limits.MaxBytes > 0 && cur.bytes+int64(size) > limits.MaxBytes {
		if int64(size) > limits.MaxBytes {
			return fmt.Errorf("%w: fragment of %d bytes, stream max_bytes %d", ErrTooLarge, size, limits.MaxBytes)
		}
		if limits.Policy == PolicyDenyNew {
			return fmt.Errorf("%w: %d of %d bytes stored, fragment of %d refused (deny_new)", ErrFull, cur.bytes, limits.MaxBytes, size)
		}
		var err error
		if sc, err = s.makeRoom(st, limits.MaxBytes-int64(size)); err != nil {
			return err
		}
	}
	if err := s.checkSpace(int64(size)); err != nil {
		return err
	}
	g := *f
	g.Number = number
	val, err := AppendFragment(make([]byte, 0, size), &g)
	if err != nil {
		return err
	}
	p := &pending{
		at:   pos{g.ServerTime.UnixNano(), number},
		info: appendInfo(nil, infoOf(&g, len(val))),
		val:  val,
		dur:  g.Duration,
	}
	if err := s.commit(st, sc, p); err != nil {
		return err
	}
	f.Number = number
	return nil
}

// makeRoom picks the oldest fragments whose eviction brings the stream to
// at most target bytes. When that takes more than one transaction's worth,
// all but the last batch are evicted at once; the last is returned, to be
// deleted in the Put's transaction.
func (s *Store) makeRoom(st *stream, target int64) (scanResult, error) {
	for {
		st.mu.Lock()
		need := st.st.bytes - target
		st.mu.Unlock()
		if need <= 0 {
			return scanResult{}, nil
		}
		var freed int64
		sc, err := s.scan(st, s.maxVictims, func(in Info) action {
			if freed >= need {
				return stop
			}
			freed += in.Size
			return take
		})
		if err != nil {
			return scanResult{}, err
		}
		if freed >= need {
			return sc, nil
		}
		if len(sc.victims) == 0 {
			return scanResult{}, fmt.Errorf("%w: stream %q counts %d bytes but its index is empty", ErrCorrupt, st.name, need+target)
		}
		if err := s.commit(st, sc, nil); err != nil {
			return scanResult{}, err
		}
	}
}

// action is a scan callback's decision about one index entry.
type action int

const (
	take action = iota // evict it
	keep               // keep it and look further
	stop               // keep it and end the scan
)

type victim struct {
	at   pos
	size int64
}

// scanResult is what a scan picked. rest is the first entry it kept or
// stopped at, or the next after its last victim: the stream's oldest
// entry once the victims are gone (hasRest false: none remain).
type scanResult struct {
	victims []victim
	rest    pos
	hasRest bool
}

// scan walks st's index from its oldest entry in server-time order and
// collects up to limit victims chosen by pick. It reads index entries
// only. The caller holds st.putMu.
func (s *Store) scan(st *stream, limit int, pick func(Info) action) (scanResult, error) {
	var sc scanResult
	st.mu.Lock()
	start, count := st.oldest, st.st.count
	st.mu.Unlock()
	if count == 0 {
		return sc, nil
	}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: idKey(prefixIndex, st.id)})
		defer it.Close()
		for it.Seek(indexKey(st.id, start.ns, start.number)); it.Valid(); it.Next() {
			item := it.Item()
			var in Info
			if err := item.Value(func(v []byte) error {
				var err error
				in, err = decodeInfo(item.Key(), v)
				return err
			}); err != nil {
				return err
			}
			at := pos{in.ServerTime.UnixNano(), in.Number}
			if len(sc.victims) >= limit {
				sc.noteRest(at)
				return nil
			}
			switch pick(in) {
			case take:
				sc.victims = append(sc.victims, victim{at, in.Size})
			case keep:
				sc.noteRest(at)
			case stop:
				sc.noteRest(at)
				return nil
			}
		}
		return nil
	})
	return sc, err
}

func (sc *scanResult) noteRest(at pos) {
	if !sc.hasRest {
		sc.rest, sc.hasRest = at, true
	}
}

// pending is a fragment ready to commit.
type pending struct {
	at   pos
	info []byte // index entry
	val  []byte // encoded fragment
	dur  time.Duration
}

// commit deletes sc's victims and writes p (either may be empty) with the
// stream's new stats in one transaction, syncs per the durability option
// and updates st. The caller holds st.putMu.
func (s *Store) commit(st *stream, sc scanResult, p *pending) error {
	st.mu.Lock()
	next, oldest, newest := st.st, st.oldest, st.newest
	st.mu.Unlock()

	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	lostNewest := false
	for _, v := range sc.victims {
		if err := txn.Delete(indexKey(st.id, v.at.ns, v.at.number)); err != nil {
			return err
		}
		if err := txn.Delete(fragKey(st.id, v.at.number)); err != nil {
			return err
		}
		next.bytes -= v.size
		next.count--
		lostNewest = lostNewest || v.at == newest
	}
	if len(sc.victims) > 0 {
		oldest = sc.rest
	}
	remaining := next.count
	if p != nil {
		if err := txn.SetEntry(badger.NewEntry(fragKey(st.id, p.at.number), p.val)); err != nil {
			return classifyWriteError(err)
		}
		if err := txn.Set(indexKey(st.id, p.at.ns, p.at.number), p.info); err != nil {
			return classifyWriteError(err)
		}
		next.bytes += int64(len(p.val))
		next.count++
		next.next = p.at.number + 1
		next.maxDur = max(next.maxDur, p.dur)
		next.lastNs = p.at.ns
	}
	if next.count < 0 || next.bytes < 0 {
		return fmt.Errorf("%w: stream %q stats would go negative (%d fragments, %d bytes)", ErrCorrupt, st.name, next.count, next.bytes)
	}
	if err := txn.Set(idKey(prefixStats, st.id), next.encode()); err != nil {
		return err
	}
	s.writeMu.RLock()
	err := txn.Commit()
	s.writeMu.RUnlock()
	if err != nil {
		return classifyWriteError(err)
	}
	syncErr := s.sync()

	if lostNewest && remaining > 0 {
		err := s.db.View(func(txn *badger.Txn) error {
			var ok bool
			if newest, ok = indexEdge(txn, st.id, true); !ok {
				return fmt.Errorf("%w: stream %q counts %d fragments, its index none", ErrCorrupt, st.name, remaining)
			}
			return nil
		})
		syncErr = errors.Join(syncErr, err) // the commit stands: record it below
	}
	if p != nil {
		switch {
		case remaining == 0:
			oldest, newest = p.at, p.at
		default:
			if p.at.less(oldest) {
				oldest = p.at
			}
			if newest.less(p.at) {
				newest = p.at
			}
		}
	}
	st.mu.Lock()
	st.st, st.oldest, st.newest = next, oldest, newest
	st.mu.Unlock()
	return syncErr
}
