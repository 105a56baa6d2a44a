package spool

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// StreamInfo describes a stream at one moment.
type StreamInfo struct {
	Name      string
	ID        uint32
	Created   time.Time
	Retention time.Duration
	MaxBytes  int64
	WhenFull  FullPolicy
	System    bool // built in (the dead-letter stream)
	Shards    []ShardInfo
	Records   int64 // retained records (expired ones not yet deleted included)
	Bytes     int64 // stored bytes, the figure the size cap applies to
	// Attributes is the opaque metadata set by CreateStream or
	// UpdateAttributes (nil if none).
	Attributes []byte
}

// OpenShards returns how many shards accept writes.
func (i StreamInfo) OpenShards() int {
	n := 0
	for _, s := range i.Shards {
		if s.Open() {
			n++
		}
	}
	return n
}

// ShardInfo describes one shard.
type ShardInfo struct {
	ID               string
	Index            uint32
	HashRange        HashRange
	ParentShardIDs   []string // one for a split child, two for a merge child
	ChildShardIDs    []string
	StartingSequence string
	EndingSequence   string // "" while the shard is open
	Created          time.Time
	Records          int64
	Bytes            int64
	LastSequence     string // "" if the shard never held a record
}

// Open reports whether the shard accepts writes.
func (s ShardInfo) Open() bool { return s.EndingSequence == "" }

// CreateStream creates a stream with cfg.Shards shards over uniform hash
// ranges. It fails with ErrStreamExists if the name is taken.
func (s *Spool) CreateStream(cfg StreamConfig) error { return s.createStream(cfg, false) }

func (s *Spool) createStream(cfg StreamConfig, system bool) error {
	if err := cfg.normalize(); err != nil {
		return err
	}
	return s.control(func() error {
		cat := s.cat.Load()
		if _, ok := cat.byName[cfg.Name]; ok {
			return fmt.Errorf("%w: %q", ErrStreamExists, cfg.Name)
		}
		for _, st := range cat.byID {
			if st.meta.Name == cfg.Name {
				return fmt.Errorf("%w: %q is still being deleted", ErrStreamExists, cfg.Name)
			}
		}
		now := s.opts.Clock.Wall().UnixMilli()
		m := streamMeta{
			ID:          s.w.nextStream,
			Name:        cfg.Name,
			CreatedMs:   now,
			RetentionMs: cfg.Retention.Milliseconds(),
			MaxBytes:    cfg.MaxBytes,
			WhenFull:    cfg.WhenFull,
			System:      system,
			Attrs:       cfg.Attributes,
		}
		for _, r := range UniformRanges(HashKey{}, MaxHashKey, cfg.Shards) {
			m.Shards = append(m.Shards, shardMeta{Index: m.NextShard, Start: r.Start.String(), End: r.End.String(), CreatedMs: now})
			m.NextShard++
		}
		st, err := newStreamState(m, nil)
		if err != nil {
			return err
		}
		next := binary.BigEndian.AppendUint32(nil, m.ID+1)
		if err := s.putMeta(m, []byte{prefixNextStream}, next); err != nil {
			return err
		}
		s.w.nextStream++
		s.cat.Store(s.cat.Load().with(st))
		return nil
	})
}

// EnsureStream creates the stream if missing; if it exists, it applies
// cfg's retention and size settings (the shard count is left alone: use
// UpdateShardCount). It reports whether the stream was created.
func (s *Spool) EnsureStream(cfg StreamConfig) (bool, error) {
	if err := cfg.normalize(); err != nil {
		return false, err
	}
	if _, ok := s.cat.Load().byName[cfg.Name]; !ok {
		err := s.CreateStream(cfg)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, ErrStreamExists) {
			return false, err
		}
	}
	return false, s.UpdateStream(cfg.Name, StreamUpdate{Retention: &cfg.Retention, MaxBytes: &cfg.MaxBytes, WhenFull: &cfg.WhenFull})
}

// StreamUpdate lists the settings to change; nil fields stay as they are.
type StreamUpdate struct {
	Retention *time.Duration
	MaxBytes  *int64
	WhenFull  *FullPolicy
}

// UpdateStream changes a stream's retention or size settings. Shortening
// retention drops older data at the next retention pass; lengthening it does
// not bring back what already expired.
func (s *Spool) UpdateStream(name string, u StreamUpdate) error {
	return s.control(func() error {
		st, err := s.streamByName(name)
		if err != nil {
			return err
		}
		m := st.meta
		m.Shards = append([]shardMeta(nil), m.Shards...)
		if u.Retention != nil {
			if *u.Retention < MinRetention {
				return fmt.Errorf("%w: stream %q: retention %s is shorter than %s", ErrInvalidArgument, name, *u.Retention, MinRetention)
			}
			m.RetentionMs = u.Retention.Milliseconds()
		}
		if u.MaxBytes != nil {
			if *u.MaxBytes < 0 {
				return fmt.Errorf("%w: stream %q: max bytes %d is negative", ErrInvalidArgument, name, *u.MaxBytes)
			}
			m.MaxBytes = *u.MaxBytes
		}
		if u.WhenFull != nil {
			switch *u.WhenFull {
			case RejectNew, DropOldest:
				m.WhenFull = *u.WhenFull
			default:
				return fmt.Errorf("%w: stream %q: when_full %q (want reject_new or drop_oldest)", ErrInvalidArgument, name, *u.WhenFull)
			}
		}
		return s.replaceStream(st, m)
	})
}

// UpdateAttributes replaces a stream's attributes with fn(current). fn runs
// on the writer goroutine, so concurrent updates are serialised and none is
// lost; it must not call back into the spool. An error from fn is returned
// and changes nothing.
func (s *Spool) UpdateAttributes(name string, fn func(cur []byte) ([]byte, error)) error {
	return s.control(func() error {
		st, err := s.streamByName(name)
		if err != nil {
			return err
		}
		attrs, err := fn(st.meta.Attrs)
		if err != nil {
			return err
		}
		m := st.meta
		m.Shards = append([]shardMeta(nil), m.Shards...)
		m.Attrs = attrs
		return s.replaceStream(st, m)
	})
}

// DeleteStream removes a stream. It disappears at once; its records are
// erased in the background.
func (s *Spool) DeleteStream(name string) error {
	if name == s.opts.DeadLetterStream {
		return fmt.Errorf("%w: %q is the built-in dead-letter stream", ErrInvalidArgument, name)
	}
	err := s.control(func() error {
		st, err := s.streamByName(name)
		if err != nil {
			return err
		}
		m := st.meta
		m.Deleting = true
		if err := s.replaceStream(st, m); err != nil {
			return err
		}
		for _, sh := range st.shards {
			sh.live.broadcast()
		}
		return nil
	})
	if err == nil {
		s.kickJanitor()
	}
	return err
}

// ListStreams returns the names of all streams, sorted.
func (s *Spool) ListStreams() []string {
	cat := s.cat.Load()
	names := make([]string, 0, len(cat.byName))
	for n := range cat.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DescribeStream returns a stream's settings, shards and sizes.
func (s *Spool) DescribeStream(name string) (StreamInfo, error) {
	st, err := s.streamByName(name)
	if err != nil {
		return StreamInfo{}, err
	}
	return st.info(), nil
}

func (st *streamState) info() StreamInfo {
	m := st.meta
	info := StreamInfo{
		Name: m.Name, ID: m.ID, Created: time.UnixMilli(m.CreatedMs).UTC(),
		Retention: st.retention(), MaxBytes: m.MaxBytes, WhenFull: m.WhenFull, System: m.System,
		Attributes: m.Attrs,
	}
	for _, sm := range m.Shards {
		sh := st.shards[sm.Index]
		si := ShardInfo{
			ID:               ShardID(sm.Index),
			Index:            sm.Index,
			HashRange:        sh.rng,
			StartingSequence: SeqNum{Shard: sm.Index}.String(),
			Created:          time.UnixMilli(sm.CreatedMs).UTC(),
			Records:          sh.live.records.Load(),
			Bytes:            sh.live.bytes.Load(),
		}
		for _, p := range sm.Parents {
			si.ParentShardIDs = append(si.ParentShardIDs, ShardID(p))
		}
		for _, c := range sh.child {
			si.ChildShardIDs = append(si.ChildShardIDs, ShardID(c))
		}
		if sm.Closed {
			si.EndingSequence = SeqNum{Shard: sm.Index, Counter: sm.EndSeq}.String()
		}
		if last := sh.live.last.Load(); last > 0 {
			si.LastSequence = SeqNum{Shard: sm.Index, Counter: last}.String()
		}
		info.Shards = append(info.Shards, si)
		info.Records += si.Records
		info.Bytes += si.Bytes
	}
	return info
}

func (s *Spool) streamByName(name string) (*streamState, error) {
	if err := ValidateStreamName(name); err != nil {
		return nil, err
	}
	st := s.cat.Load().byName[name]
	if st == nil {
		return nil, fmt.Errorf("%w: %q", ErrStreamNotFound, name)
	}
	return st, nil
}

// replaceStream persists m and publishes it. Writer goroutine only.
func (s *Spool) replaceStream(old *streamState, m streamMeta) error {
	st, err := newStreamState(m, old.lives())
	if err != nil {
		return err
	}
	if err := s.putMeta(m, nil, nil); err != nil {
		return err
	}
	s.cat.Store(s.cat.Load().with(st))
	return nil
}

// putMeta writes stream metadata (plus one optional extra key) durably.
func (s *Spool) putMeta(m streamMeta, k, v []byte) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	err = s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(metaKey(m.ID), body); err != nil {
			return err
		}
		if k != nil {
			return txn.Set(k, v)
		}
		return nil
	})
	if err != nil {
		return classifyWriteError(err)
	}
	return classifyWriteError(s.db.Sync())
}
