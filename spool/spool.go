package spool

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/tributary-edge/tributary/spool/maptrim"
)

// Spool is a set of durable streams in one Badger database. All methods are
// safe for concurrent use. Close must be called to release the database.
type Spool struct {
	opts  Options
	db    *badger.DB
	log   *slog.Logger
	clock spoolClock

	cat atomic.Pointer[catalog]

	reqs       chan *writeReq // bounded queue to the writer
	sendMu     sync.RWMutex   // enqueue holds it shared; Close exclusively
	sendClosed bool
	writerDone chan struct{}
	ctx        context.Context
	cancel     context.CancelFunc
	bg         sync.WaitGroup
	closeOnce  sync.Once
	closeErr   error
	trimKick   chan struct{}

	janMu                 sync.Mutex // guards the janitor's progress below
	janCond               *sync.Cond
	janBusy               bool
	janRequested, janDone uint64 // passes asked for (kickJanitor), and covered

	// writer-owned
	w writerState
	// syncDB makes commits durable (db.Sync); tests inject failures
	syncDB func() error
}

// writeQueue bounds the requests waiting for the writer.
const writeQueue = 1024

// Open opens (creating if needed) the spool in opts.Dir, recovers its
// catalog, ensures the dead-letter stream exists and starts the writer and
// background work.
func Open(opts Options) (*Spool, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool: create %s: %w", opts.Dir, err)
	}
	db, err := badger.Open(badgerOptions(opts))
	if err != nil {
		return nil, fmt.Errorf("spool: open badger in %s: %w", opts.Dir, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Spool{
		opts:       opts,
		db:         db,
		log:        opts.Logger.With("component", "spool"),
		reqs:       make(chan *writeReq, writeQueue),
		writerDone: make(chan struct{}),
		ctx:        ctx,
		cancel:     cancel,
		trimKick:   make(chan struct{}, 1),
	}
	s.syncDB = db.Sync
	if err := s.recover(); err != nil {
		cancel()
		db.Close()
		return nil, fmt.Errorf("spool: recover %s: %w", opts.Dir, err)
	}
	go s.runWriter()
	if _, ok := s.cat.Load().byName[opts.DeadLetterStream]; !ok {
		err := s.createStream(StreamConfig{Name: opts.DeadLetterStream, Shards: 1, Retention: opts.DeadLetterRetention}, true)
		if err != nil && !errors.Is(err, ErrStreamExists) {
			s.Close()
			return nil, fmt.Errorf("spool: create dead-letter stream: %w", err)
		}
	}
	s.janCond = sync.NewCond(&s.janMu)
	s.janBusy = true // until the first pass is done
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
		WithLogger(badgerLogger{o.Logger.With("component", "badger")}).
		WithSyncWrites(false). // the writer syncs once per group commit
		WithMemTableSize(o.MemTableSize).
		WithNumMemtables(o.NumMemtables).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBaseTableSize(2 << 20).
		WithBaseLevelSize(8 << 20).
		WithBlockCacheSize(max(o.BlockCacheSize, 0)).
		WithIndexCacheSize(max(o.IndexCacheSize, 0)).
		WithValueLogFileSize(o.ValueLogFileSize).
		WithValueThreshold(o.ValueThreshold).
		WithValueLogMaxEntries(1 << 20).
		WithNumCompactors(2).
		WithNumGoroutines(2).
		WithDetectConflicts(false). // one writer: nothing to conflict with
		WithCompression(options.None).
		WithMetricsEnabled(false)
	if len(o.EncryptionKey) > 0 {
		bo = bo.WithEncryptionKey(o.EncryptionKey)
	}
	return bo
}

// recover loads the catalog and repairs each shard's stats from chunks
// committed after its stats key was last written.
func (s *Spool) recover() error {
	cat := &catalog{byName: map[string]*streamState{}, byID: map[uint32]*streamState{}}
	var savedSpool, savedWall int64
	err := s.db.View(func(txn *badger.Txn) error {
		if item, err := txn.Get([]byte{prefixClock}); err == nil {
			err = item.Value(func(v []byte) error {
				if len(v) == 16 {
					savedSpool = int64(binary.BigEndian.Uint64(v))
					savedWall = int64(binary.BigEndian.Uint64(v[8:]))
				}
				return nil
			})
			if err != nil {
				return err
			}
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		if item, err := txn.Get([]byte{prefixNextStream}); err == nil {
			if err := item.Value(func(v []byte) error {
				if len(v) == 4 {
					s.w.nextStream = binary.BigEndian.Uint32(v)
				}
				return nil
			}); err != nil {
				return err
			}
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixMeta}, PrefetchValues: false})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var m streamMeta
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &m) }); err != nil {
				return fmt.Errorf("stream metadata %x: %w", it.Item().Key(), err)
			}
			lives := map[uint32]*shardLive{}
			for _, sh := range m.Shards {
				live, spoolMs, err := s.loadShard(txn, m.ID, sh.Index)
				if err != nil {
					return fmt.Errorf("stream %q shard %d: %w", m.Name, sh.Index, err)
				}
				savedSpool = max(savedSpool, spoolMs)
				lives[sh.Index] = live
			}
			st, err := newStreamState(m, lives)
			if err != nil {
				return err
			}
			cat = cat.with(st)
			if m.ID >= s.w.nextStream {
				s.w.nextStream = m.ID + 1
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.clock = newSpoolClock(s.opts.Clock, savedSpool, savedWall)
	s.cat.Store(cat)
	return nil
}

// loadShard reads a shard's stats and folds in any chunks committed after
// them. It returns the newest spool time seen in those chunks.
func (s *Spool) loadShard(txn *badger.Txn, sid, shard uint32) (*shardLive, int64, error) {
	var st shardStats
	item, err := txn.Get(statsKey(sid, shard))
	switch {
	case err == nil:
		if err := item.Value(func(v []byte) error {
			var derr error
			st, derr = decodeShardStats(v)
			return derr
		}); err != nil {
			return nil, 0, err
		}
	case !errors.Is(err, badger.ErrKeyNotFound):
		return nil, 0, err
	}
	var newest int64
	it := txn.NewIterator(badger.IteratorOptions{Prefix: shardPrefix(sid, shard)})
	defer it.Close()
	for it.Seek(chunkKey(sid, shard, st.last+1)); it.Valid(); it.Next() {
		seq := chunkKeySeq(it.Item().Key())
		err := it.Item().Value(func(v []byte) error {
			h, _, err := decodeChunkHeader(v)
			if err != nil {
				return err
			}
			if st.first == 0 {
				st.first = seq - uint64(h.count) + 1
			}
			st.last = seq
			st.records += uint64(h.count)
			st.bytes += uint64(len(v))
			st.lastWall = max(st.lastWall, h.wallMs)
			newest = max(newest, h.spoolMs)
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("chunk %d: %w", seq, err)
		}
	}
	live := newShardLive(sid, shard)
	live.first.Store(st.first)
	live.last.Store(st.last)
	live.records.Store(int64(st.records))
	live.bytes.Store(int64(st.bytes))
	live.lastWall.Store(st.lastWall)
	live.assigned = st.last
	return live, newest, nil
}

// Close stops accepting work, lets in-flight appends finish, stops the
// background work, syncs and closes the database. It is idempotent.
func (s *Spool) Close() error {
	s.closeOnce.Do(func() {
		s.sendMu.Lock() // waits for enqueues in progress; none start after
		s.sendClosed = true
		s.sendMu.Unlock()
		s.cancel()
		<-s.writerDone
		s.bg.Wait()
		err := s.saveClock()
		err = errors.Join(err, s.db.Sync())
		s.closeErr = errors.Join(err, s.db.Close())
	})
	return s.closeErr
}

// saveClock persists the (spool time, wall time) pair. Every commit writes
// it too; saving it on Close and with each retention pass as well means a
// wall-clock jump while the spool is idle is not mistaken, at the next Open,
// for time spent powered off.
func (s *Spool) saveClock() error {
	return s.db.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte{prefixClock}, clockValue(s.clock.nowMs(), s.opts.Clock.Wall().UnixMilli()))
	})
}

func clockValue(spoolMs, wallMs int64) []byte {
	v := binary.BigEndian.AppendUint64(nil, uint64(spoolMs))
	return binary.BigEndian.AppendUint64(v, uint64(wallMs))
}

// DiskUsage returns the spool database's size on disk: LSM and value log bytes.
func (s *Spool) DiskUsage() (lsm, vlog int64) { return s.db.Size() }

// Dir returns the spool's directory.
func (s *Spool) Dir() string { return s.opts.Dir }

// Durability returns the configured durability mode.
func (s *Spool) Durability() Durability { return s.opts.Durability }

// every runs fn every d until the spool closes.
func (s *Spool) every(d time.Duration, fn func()) {
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

// intervalSync syncs the database (interval durability mode).
func (s *Spool) intervalSync() {
	if err := s.db.Sync(); err != nil {
		s.log.Error("interval sync failed", "err", err)
	}
}

// valueLogGC rewrites value-log files that are mostly garbage, a few per
// run, until Badger finds none.
func (s *Spool) valueLogGC() {
	for n := 0; n < 16 && s.ctx.Err() == nil; n++ {
		if err := s.db.RunValueLogGC(0.5); err != nil {
			if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
				s.log.Warn("value-log GC", "err", err)
			}
			return
		}
	}
}

type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Infof(f string, a ...any)    { b.l.Debug(fmt.Sprintf(f, a...)) }
func (b badgerLogger) Debugf(f string, a ...any)   {}
