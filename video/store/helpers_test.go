package store

import (
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/tributary-edge/tributary/video/media"
)

// base is time zero of the tests: fragment offsets and the fake clock
// count from it.
var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: base} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testOptions: small files, no background work but the janitor's first
// pass, no disk reserve.
func testOptions(t testing.TB, clock Clock) Options {
	return Options{
		Dir:                t.TempDir(),
		MinFreeDisk:        -1,
		ValueLogFileSize:   8 << 20,
		MaxFragmentSize:    4 << 20,
		RetentionInterval:  time.Hour,
		GCInterval:         -1,
		TrimMappedInterval: -1,
		Clock:              clock,
	}
}

func openStore(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	<-s.firstPass
	t.Cleanup(func() { s.Close() })
	return s
}

// fragment builds a fragment at base+off with payload bytes split over a
// video keyframe, an Opus frame and a video frame; the bytes follow from
// the server time, so checkIntact can verify them after a round trip.
func fragment(off, dur time.Duration, payload int) *media.Fragment {
	at := base.Add(off)
	sizes := []int{payload / 2, payload / 4, payload - payload/2 - payload/4}
	f := &media.Fragment{
		ServerTime:   at,
		ProducerTime: at.Add(-time.Second),
		Duration:     dur,
		Tracks:       []media.Track{{Codec: media.CodecH264}, {Codec: media.CodecOpus, Channels: 2}},
		Frames: []media.Frame{
			{Track: 0, PTS: 0, Keyframe: true},
			{Track: 1, PTS: 0, Keyframe: true},
			{Track: 0, PTS: 3000},
		},
	}
	for i := range f.Frames {
		f.Frames[i].Data = pattern(at, i, sizes[i])
	}
	return f
}

func pattern(at time.Time, frame, n int) []byte {
	b := make([]byte, n)
	seed := uint64(at.UnixNano())*0x9e3779b97f4a7c15 + uint64(frame)
	for i := range b {
		if i%8 == 0 {
			seed ^= seed << 13
			seed ^= seed >> 7
			seed ^= seed << 17
		}
		b[i] = byte(seed >> (8 * (i % 8)))
	}
	return b
}

// checkIntact reports how f differs from what fragment() built for its
// server time, or "" if it does not.
func checkIntact(f *media.Fragment) string {
	if len(f.Frames) != 3 || len(f.Tracks) != 2 {
		return fmt.Sprintf("%d frames, %d tracks", len(f.Frames), len(f.Tracks))
	}
	if !f.ProducerTime.Equal(f.ServerTime.Add(-time.Second)) {
		return "producer time " + f.ProducerTime.String()
	}
	for i, fr := range f.Frames {
		want := pattern(f.ServerTime, i, len(fr.Data))
		if string(want) != string(fr.Data) {
			return fmt.Sprintf("frame %d payload differs", i)
		}
	}
	return ""
}

// checkInvariants compares every stream's in-memory state with a scan of
// its keys: stats agree with the index, every index entry has its
// fragment and no fragment lacks an entry, and no keys belong to a
// stream that is neither live nor being deleted.
func checkInvariants(t testing.TB, s *Store) {
	t.Helper()
	if err := invariantErr(s); err != nil {
		t.Fatal(err)
	}
}

func invariantErr(s *Store) error {
	s.mu.RLock()
	byID := map[uint32]*stream{}
	for _, st := range s.streams {
		byID[st.id] = st
	}
	s.mu.RUnlock()
	type tally struct {
		count, bytes   int64
		first, last    pos
		maxNum         uint64
		frags, indexed map[uint64]bool
	}
	tallies := map[uint32]*tally{}
	get := func(sid uint32) *tally {
		if tallies[sid] == nil {
			tallies[sid] = &tally{frags: map[uint64]bool{}, indexed: map[uint64]bool{}}
		}
		return tallies[sid]
	}
	deleting := map[uint32]bool{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			switch k[0] {
			case prefixIndex:
				ns, number, ok := parseIndexKey(k)
				if !ok {
					return fmt.Errorf("bad index key %x", k)
				}
				sid := binary.BigEndian.Uint32(k[1:])
				ta := get(sid)
				var in Info
				if err := it.Item().Value(func(v []byte) error {
					var err error
					in, err = decodeInfo(k, v)
					return err
				}); err != nil {
					return err
				}
				p := pos{ns, number}
				if ta.count == 0 {
					ta.first = p
				}
				ta.last = p
				ta.count++
				ta.bytes += in.Size
				ta.maxNum = max(ta.maxNum, number)
				ta.indexed[number] = true
			case prefixFragment:
				get(binary.BigEndian.Uint32(k[1:])).frags[binary.BigEndian.Uint64(k[5:])] = true
			case prefixDeleting:
				deleting[binary.BigEndian.Uint32(k[1:])] = true
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for sid, ta := range tallies {
		st := byID[sid]
		if st == nil {
			if !deleting[sid] {
				return fmt.Errorf("keys of unknown stream %d", sid)
			}
			continue
		}
		for n := range ta.indexed {
			if !ta.frags[n] {
				return fmt.Errorf("%s: index entry %d without its fragment", st.name, n)
			}
		}
		for n := range ta.frags {
			if !ta.indexed[n] {
				return fmt.Errorf("%s: fragment %d without an index entry", st.name, n)
			}
		}
	}
	for sid, st := range byID {
		ta := tallies[sid]
		if ta == nil {
			ta = &tally{}
		}
		st.mu.Lock()
		cur, oldest, newest := st.st, st.oldest, st.newest
		st.mu.Unlock()
		if cur.count != ta.count || cur.bytes != ta.bytes {
			return fmt.Errorf("%s: stats say %d fragments / %d bytes, index %d / %d", st.name, cur.count, cur.bytes, ta.count, ta.bytes)
		}
		if ta.count > 0 && (oldest != ta.first || newest != ta.last) {
			return fmt.Errorf("%s: bounds %v..%v, index %v..%v", st.name, oldest, newest, ta.first, ta.last)
		}
		if ta.count > 0 && cur.next <= ta.maxNum {
			return fmt.Errorf("%s: next number %d, index holds %d", st.name, cur.next, ta.maxNum)
		}
	}
	return nil
}
