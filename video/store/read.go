package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/tributary-edge/tributary/video/media"
)

// MaxList is the most entries one List returns.
const MaxList = 10000

// rangePage is how many index entries Range lists at a time.
const rangePage = 64

// List returns the fragments of stream that overlap [from, to), in
// server-time order: those that start before to and end after from (a
// fragment overlapping from is included; one of zero duration at from
// too). A zero from or to leaves that side open. It returns at most limit
// entries (limit ≤ 0 or above MaxList means MaxList); to page, call again
// with from set to the last entry's End. It reads index entries only.
func (s *Store) List(stream string, from, to time.Time, limit int) ([]Info, error) {
	if limit <= 0 || limit > MaxList {
		limit = MaxList
	}
	if err := s.begin(false); err != nil {
		return nil, err
	}
	defer s.end()
	st, err := s.stream(stream)
	if err != nil {
		return nil, err
	}
	q, err := newQuery(st, from, to)
	if err != nil {
		return nil, err
	}
	return s.list(q, nil, limit)
}

// query is a time range over one stream's index.
type query struct {
	sid            uint32
	seek           []byte // first key that can overlap
	fromNs, toNs   int64  // [fromNs, toNs)
	openFrom, open bool   // no lower / upper bound
}

func newQuery(st *stream, from, to time.Time) (query, error) {
	q := query{sid: st.id, openFrom: from.IsZero(), open: to.IsZero()}
	for _, t := range []time.Time{from, to} {
		if !t.IsZero() && (t.Before(minTime) || t.After(maxTime)) {
			return q, fmt.Errorf("%w: time %v out of range", ErrInvalidArgument, t)
		}
	}
	if !q.openFrom {
		q.fromNs = from.UnixNano()
	}
	if !q.open {
		q.toNs = to.UnixNano()
	}
	st.mu.Lock()
	maxDur := st.st.maxDur
	st.mu.Unlock()
	seekNs := int64(math.MinInt64)
	if !q.openFrom && q.fromNs >= math.MinInt64+int64(maxDur) {
		seekNs = q.fromNs - int64(maxDur) // a fragment starting earlier ends before from
	}
	q.seek = indexSeekKey(st.id, seekNs)
	return q, nil
}

// list returns up to limit entries of q, starting at q.seek or, if after is
// set, just after that index key.
func (s *Store) list(q query, after []byte, limit int) ([]Info, error) {
	var out []Info
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: idKey(prefixIndex, q.sid)})
		defer it.Close()
		seek := q.seek
		if after != nil {
			seek = append(after[:len(after):len(after)], 0) // the next key
		}
		for it.Seek(seek); it.Valid() && len(out) < limit; it.Next() {
			item := it.Item()
			ns, _, ok := parseIndexKey(item.Key())
			if !ok {
				return fmt.Errorf("%w: index key %x", ErrCorrupt, item.Key())
			}
			if !q.open && ns >= q.toNs {
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
			// uint64: the difference of two int64 times cannot overflow it
			if q.openFrom || ns >= q.fromNs || uint64(q.fromNs-ns) < uint64(in.Duration) {
				out = append(out, in)
			}
		}
		return nil
	})
	return out, err
}

// Get returns fragment number of stream, or an error wrapping ErrNotFound.
func (s *Store) Get(stream string, number uint64) (*media.Fragment, error) {
	if err := s.begin(false); err != nil {
		return nil, err
	}
	defer s.end()
	st, err := s.stream(stream)
	if err != nil {
		return nil, err
	}
	return s.get(st, number)
}

func (s *Store) get(st *stream, number uint64) (*media.Fragment, error) {
	var val []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(fragKey(st.id, number))
		if err != nil {
			return err
		}
		val, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: fragment %d of %q", ErrNotFound, number, st.name)
	}
	if err != nil {
		return nil, err
	}
	f, err := DecodeFragment(val)
	if err != nil {
		return nil, fmt.Errorf("fragment %d of %q: %w", number, st.name, err)
	}
	if f.Number != number {
		return nil, fmt.Errorf("%w: fragment %d of %q holds number %d", ErrCorrupt, number, st.name, f.Number)
	}
	return f, nil
}

// Range calls fn with each fragment of stream that overlaps [from, to)
// (as List selects them), one at a time in server-time order, until fn
// returns an error (which Range returns), ctx is done (ctx.Err()) or the
// range is exhausted. No Badger iterator or lock is held while fn runs, so
// memory is bounded by one fragment and fn may be slow. Fragments evicted
// while Range runs are skipped. fn owns each fragment it is given.
func (s *Store) Range(ctx context.Context, name string, from, to time.Time, fn func(*media.Fragment) error) error {
	var q query
	var st *stream
	err := s.do(func() error {
		var err error
		if st, err = s.stream(name); err != nil {
			return err
		}
		q, err = newQuery(st, from, to)
		return err
	})
	if err != nil {
		return err
	}
	var after []byte
	for {
		var page []Info
		if err := s.do(func() error {
			var err error
			page, err = s.list(q, after, rangePage)
			return err
		}); err != nil {
			return err
		}
		for _, in := range page {
			if err := ctx.Err(); err != nil {
				return err
			}
			var f *media.Fragment
			err := s.do(func() error {
				var err error
				f, err = s.get(st, in.Number)
				return err
			})
			if errors.Is(err, ErrNotFound) {
				continue // evicted since it was listed
			}
			if err != nil {
				return err
			}
			if err := fn(f); err != nil {
				return err
			}
		}
		if len(page) < rangePage {
			return nil
		}
		last := page[len(page)-1]
		after = indexKey(q.sid, last.ServerTime.UnixNano(), last.Number)
	}
}

// do runs fn as one read operation.
func (s *Store) do(fn func() error) error {
	if err := s.begin(false); err != nil {
		return err
	}
	defer s.end()
	return fn()
}

// Last returns the index entry of the fragment Put last to stream (the
// highest number), or, if retention has removed it, of the newest by
// server time. It fails with ErrNotFound for a stream without fragments.
func (s *Store) Last(stream string) (Info, error) {
	if err := s.begin(false); err != nil {
		return Info{}, err
	}
	defer s.end()
	st, err := s.stream(stream)
	if err != nil {
		return Info{}, err
	}
	st.mu.Lock()
	cur, newest := st.st, st.newest
	st.mu.Unlock()
	if cur.count == 0 {
		return Info{}, fmt.Errorf("%w: stream %q has no fragments", ErrNotFound, stream)
	}
	var in Info
	err = s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(indexKey(st.id, cur.lastNs, cur.next-1))
		if errors.Is(err, badger.ErrKeyNotFound) {
			item, err = txn.Get(indexKey(st.id, newest.ns, newest.number))
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			in, err = decodeInfo(item.Key(), v)
			return err
		})
	})
	if errors.Is(err, badger.ErrKeyNotFound) { // evicted since we looked
		return Info{}, fmt.Errorf("%w: stream %q has no fragments", ErrNotFound, stream)
	}
	return in, err
}

// NextNumber returns the number the next fragment of stream should carry:
// one more than the highest number ever stored in it, or 1 for a stream
// that does not exist (yet).
func (s *Store) NextNumber(stream string) (uint64, error) {
	if err := s.begin(false); err != nil {
		return 0, err
	}
	defer s.end()
	st := s.lookup(stream)
	if st == nil {
		return 1, nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.st.next, nil
}

// Usage is a stream's stored size and extent.
type Usage struct {
	Bytes     int64 // Info.Size summed: what Limits.MaxBytes caps
	Fragments int64
	// Oldest and Newest are the server times of the first and last
	// fragments in index order; zero when there are none.
	Oldest, Newest time.Time
}

// Usage returns stream's usage, or an error wrapping ErrNotFound.
func (s *Store) Usage(stream string) (Usage, error) {
	if err := s.begin(false); err != nil {
		return Usage{}, err
	}
	defer s.end()
	st, err := s.stream(stream)
	if err != nil {
		return Usage{}, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	u := Usage{Bytes: st.st.bytes, Fragments: st.st.count}
	if u.Fragments > 0 {
		u.Oldest, u.Newest = nsTime(st.oldest.ns), nsTime(st.newest.ns)
	}
	return u, nil
}

// stream returns the named stream or an error wrapping ErrNotFound.
func (s *Store) stream(name string) (*stream, error) {
	if st := s.lookup(name); st != nil {
		return st, nil
	}
	return nil, fmt.Errorf("%w: video stream %q", ErrNotFound, name)
}
