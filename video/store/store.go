package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/tributary-edge/tributary/spool/maptrim"
)

// Store is a set of video streams' fragments in one Badger database. All
// methods are safe for concurrent use. Close must be called to release the
// database.
type Store struct {
	opts Options
	db   *badger.DB
	log  *slog.Logger

	mu      sync.RWMutex // guards streams and nextID
	streams map[string]*stream
	nextID  uint32

	// opMu: operations hold it shared while they use the database; Close
	// takes it exclusively, so none runs once the database closes.
	opMu   sync.RWMutex
	closed bool
	broken atomic.Pointer[error] // set by a failed sync: writes stop

	ctx       context.Context
	cancel    context.CancelFunc
	bg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	writeMu     sync.RWMutex // writes hold it shared; reclaim's flush exclusively
	gcMu        sync.Mutex   // serializes value-log GC and reclaim
	reclaimBase int64        // value-log garbage after the last reclaim (gcMu)

	// maxVictims bounds the fragments one transaction deletes, so that it
	// stays inside Badger's batch limits.
	maxVictims int

	firstPass chan struct{} // closed after the janitor's first pass

	// seams for tests
	freeSpace func(dir string) (int64, error)
	syncDB    func() error
}

// Open opens (creating if needed) the store in opts.Dir, loads every
// stream's state and starts the janitor, value-log GC and, per the
// options, interval syncs and mapped-memory trimming.
func Open(opts Options) (*Store, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("video store: create %s: %w", opts.Dir, err)
	}
	db, err := badger.Open(badgerOptions(opts))
	if err != nil {
		return nil, fmt.Errorf("video store: open badger in %s: %w", opts.Dir, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Store{
		opts:       opts,
		db:         db,
		log:        opts.Logger.With("component", "videostore"),
		streams:    map[string]*stream{},
		ctx:        ctx,
		cancel:     cancel,
		maxVictims: max(int(db.MaxBatchCount())/4, 8),
		freeSpace:  statfsFree,
		firstPass:  make(chan struct{}),
	}
	s.syncDB = db.Sync
	if err := s.recover(); err != nil {
		cancel()
		db.Close()
		return nil, fmt.Errorf("video store: recover %s: %w", opts.Dir, err)
	}
	s.bg.Add(1)
	go s.runJanitor()
	if opts.GCInterval > 0 {
		s.bg.Add(1)
		go s.every(opts.GCInterval, s.valueLogGC)
	}
	if opts.TrimMappedInterval > 0 {
		s.bg.Add(1)
		go s.every(opts.TrimMappedInterval, func() { maptrim.Over(opts.Dir, opts.MappedBudget) })
	}
	if opts.Durability == DurabilityInterval {
		s.bg.Add(1)
		go s.every(opts.SyncInterval, s.intervalSync)
	}
	return s, nil
}

func badgerOptions(o Options) badger.Options {
	bo := badger.DefaultOptions(o.Dir).
		WithLogger(badgerLogger{o.Logger.With("component", "badger", "db", "video")}).
		WithSyncWrites(false). // Put syncs per the durability option
		WithMemTableSize(o.MemTableSize).
		WithNumMemtables(o.NumMemtables).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBaseTableSize(1 << 20).
		WithBaseLevelSize(4 << 20).
		WithBlockCacheSize(max(o.BlockCacheSize, 0)).
		WithIndexCacheSize(max(o.IndexCacheSize, 0)).
		WithValueLogFileSize(o.ValueLogFileSize).
		WithValueThreshold(valueThreshold).
		WithValueLogMaxEntries(1 << 20).
		WithNumCompactors(2).
		WithNumGoroutines(2).
		WithDetectConflicts(false). // a stream's writes are serialized by putMu
		WithCompression(options.None).
		WithMetricsEnabled(false)
	if len(o.EncryptionKey) > 0 {
		bo = bo.WithEncryptionKey(o.EncryptionKey)
	}
	return bo
}

// recover loads every stream's meta, stats and index bounds. Deletions a
// restart interrupted are finished by the janitor's first pass.
func (s *Store) recover() error {
	return s.db.View(func(txn *badger.Txn) error {
		if item, err := txn.Get([]byte{prefixNextID}); err == nil {
			if err := item.Value(func(v []byte) error {
				if len(v) != 4 {
					return fmt.Errorf("%w: next stream id of %d bytes", ErrCorrupt, len(v))
				}
				s.nextID = binary.BigEndian.Uint32(v)
				return nil
			}); err != nil {
				return err
			}
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixMeta}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			if len(k) != idKeyLen {
				return fmt.Errorf("%w: meta key %x", ErrCorrupt, k)
			}
			st := &stream{id: binary.BigEndian.Uint32(k[1:])}
			err := it.Item().Value(func(v []byte) error {
				var err error
				st.name, st.limits, err = decodeMeta(v)
				return err
			})
			if err != nil {
				return fmt.Errorf("stream %d: %w", st.id, err)
			}
			if err := s.loadStream(txn, st); err != nil {
				return fmt.Errorf("stream %q: %w", st.name, err)
			}
			s.streams[st.name] = st
			s.nextID = max(s.nextID, st.id+1)
		}
		return nil
	})
}

// loadStream reads a stream's stats and the first and last index keys.
func (s *Store) loadStream(txn *badger.Txn, st *stream) error {
	st.st = stats{next: 1}
	item, err := txn.Get(idKey(prefixStats, st.id))
	switch {
	case err == nil:
		if err := item.Value(func(v []byte) error {
			var err error
			st.st, err = decodeStats(v)
			return err
		}); err != nil {
			return err
		}
	case !errors.Is(err, badger.ErrKeyNotFound):
		return err
	}
	if st.st.count == 0 {
		return nil
	}
	first, ok1 := indexEdge(txn, st.id, false)
	last, ok2 := indexEdge(txn, st.id, true)
	if !ok1 || !ok2 {
		return fmt.Errorf("%w: stats count %d fragments, the index none", ErrCorrupt, st.st.count)
	}
	st.oldest, st.newest = first, last
	return nil
}

// indexEdge returns the first (or, reverse, the last) index position of
// stream sid.
func indexEdge(txn *badger.Txn, sid uint32, reverse bool) (pos, bool) {
	prefix := idKey(prefixIndex, sid)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, Reverse: reverse})
	defer it.Close()
	if reverse {
		it.Seek(append(bytes.Clone(prefix), bytes.Repeat([]byte{0xff}, indexKeyLen)...))
	} else {
		it.Rewind()
	}
	if !it.Valid() {
		return pos{}, false
	}
	ns, number, ok := parseIndexKey(it.Item().Key())
	return pos{ns, number}, ok
}

// Close stops the background work, waits for operations in progress,
// syncs and closes the database. It is idempotent; later calls return the
// first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.cancel() // stops the janitor and an erase in progress
		s.opMu.Lock()
		s.closed = true
		s.opMu.Unlock()
		s.bg.Wait()
		var err error
		if s.broken.Load() == nil {
			err = s.db.Sync()
		}
		s.closeErr = errors.Join(err, s.db.Close())
	})
	return s.closeErr
}

// begin starts an operation: it fails once Close has begun; otherwise the
// caller must call s.end.
func (s *Store) begin(write bool) error {
	s.opMu.RLock()
	if s.closed {
		s.opMu.RUnlock()
		return ErrClosed
	}
	if p := s.broken.Load(); write && p != nil {
		s.opMu.RUnlock()
		return fmt.Errorf("%w: a sync failed (%v); reopen the store", ErrClosed, *p)
	}
	return nil
}

func (s *Store) end() { s.opMu.RUnlock() }

// lookup returns the named stream, or nil.
func (s *Store) lookup(name string) *stream {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.streams[name]
}

// streamFor returns the named stream, creating it with limits l if it does
// not exist.
func (s *Store) streamFor(name string, l Limits) (*stream, error) {
	if st := s.lookup(name); st != nil {
		return st, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.streams[name]; st != nil {
		return st, nil
	}
	st := &stream{id: s.nextID, name: name, limits: l, st: stats{next: 1}}
	err := s.update(func(txn *badger.Txn) error {
		if err := txn.Set([]byte{prefixNextID}, binary.BigEndian.AppendUint32(nil, st.id+1)); err != nil {
			return err
		}
		return txn.Set(idKey(prefixMeta, st.id), encodeMeta(name, l))
	})
	if err == nil {
		err = s.sync()
	}
	if err != nil {
		return nil, fmt.Errorf("video store: create stream %q: %w", name, classifyWriteError(err))
	}
	s.nextID++
	s.streams[name] = st
	return st, nil
}

// sync makes commits durable per the durability option. After a failed
// sync nothing written since can be trusted (the kernel may have dropped
// the pages), so every later write fails until the store is reopened.
func (s *Store) sync() error {
	if s.opts.Durability != DurabilityFsync {
		return nil
	}
	if err := s.syncDB(); err != nil {
		s.broken.CompareAndSwap(nil, &err)
		s.log.Error("sync failed; writes stop until the store is reopened", "err", err)
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// Streams returns the names of the video streams, sorted.
func (s *Store) Streams() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.streams))
	for n := range s.streams {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.opts.Dir }

// every runs fn every d until the store closes.
func (s *Store) every(d time.Duration, fn func()) {
	defer s.bg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

func (s *Store) intervalSync() {
	if err := s.db.Sync(); err != nil {
		s.log.Error("interval sync failed", "err", err)
	}
}

type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Infof(f string, a ...any)    { b.l.Debug(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Debugf(f string, a ...any)   {}
