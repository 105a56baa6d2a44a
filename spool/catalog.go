package spool

import (
	"encoding/binary"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// FullPolicy says what a stream at its size cap does with new records.
type FullPolicy string

const (
	// RejectNew fails appends with ErrStreamFull until retention frees space.
	RejectNew FullPolicy = "reject_new"
	// DropOldest accepts appends and deletes the oldest chunks to make room.
	DropOldest FullPolicy = "drop_oldest"
)

// MinRetention is the shortest retention a stream may have.
const MinRetention = time.Minute

// StreamConfig is what a caller chooses for a stream.
type StreamConfig struct {
	Name      string
	Shards    int           // ≥ 1
	Retention time.Duration // ≥ MinRetention; default 24h
	MaxBytes  int64         // size cap; 0 = none
	WhenFull  FullPolicy    // default RejectNew
	// Attributes is opaque metadata owned by the layer above (the Kinesis
	// API keeps tags, stream mode and consumers here). It is stored with
	// the stream, returned by DescribeStream and deleted with it.
	Attributes []byte
}

// ValidateStreamName checks Kinesis' name rule: 1–128 of [a-zA-Z0-9_.-].
func ValidateStreamName(name string) error {
	if len(name) == 0 || len(name) > 128 {
		return fmt.Errorf("%w: stream name %q must be 1 to 128 characters", ErrInvalidArgument, name)
	}
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return fmt.Errorf("%w: stream name %q has %q at byte %d (allowed: a-z A-Z 0-9 _ . -)", ErrInvalidArgument, name, c, i)
		}
	}
	return nil
}

func (c *StreamConfig) normalize() error {
	if err := ValidateStreamName(c.Name); err != nil {
		return err
	}
	if c.Shards < 1 || c.Shards > maxShards {
		return fmt.Errorf("%w: stream %q: shard count %d is outside 1..%d", ErrInvalidArgument, c.Name, c.Shards, maxShards)
	}
	if c.Retention == 0 {
		c.Retention = 24 * time.Hour
	}
	if c.Retention < MinRetention {
		return fmt.Errorf("%w: stream %q: retention %s is shorter than %s", ErrInvalidArgument, c.Name, c.Retention, MinRetention)
	}
	if c.MaxBytes < 0 {
		return fmt.Errorf("%w: stream %q: max bytes %d is negative", ErrInvalidArgument, c.Name, c.MaxBytes)
	}
	switch c.WhenFull {
	case "":
		c.WhenFull = RejectNew
	case RejectNew, DropOldest:
	default:
		return fmt.Errorf("%w: stream %q: when_full %q (want reject_new or drop_oldest)", ErrInvalidArgument, c.Name, c.WhenFull)
	}
	return nil
}

const maxShards = 10000

// streamMeta is the persisted form of a stream ('m' key, JSON).
type streamMeta struct {
	ID          uint32      `json:"id"`
	Name        string      `json:"name"`
	CreatedMs   int64       `json:"created_ms"`
	RetentionMs int64       `json:"retention_ms"`
	MaxBytes    int64       `json:"max_bytes,omitempty"`
	WhenFull    FullPolicy  `json:"when_full"`
	NextShard   uint32      `json:"next_shard"`
	Shards      []shardMeta `json:"shards"`
	Deleting    bool        `json:"deleting,omitempty"`
	System      bool        `json:"system,omitempty"`
	Attrs       []byte      `json:"attrs,omitempty"`
}

// shardMeta is the persisted form of a shard.
type shardMeta struct {
	Index     uint32   `json:"index"`
	Start     string   `json:"start"`
	End       string   `json:"end"`
	Parents   []uint32 `json:"parents,omitempty"`
	CreatedMs int64    `json:"created_ms"`
	Closed    bool     `json:"closed,omitempty"`
	EndSeq    uint64   `json:"end_seq,omitempty"`
	// ClosedSpoolMs is the spool time at close: a closed shard is dropped
	// once it is empty and older than the retention period.
	ClosedSpoolMs int64 `json:"closed_spool_ms,omitempty"`
}

// shardLive is the part of a shard that changes with every commit. The
// writer is its only writer; readers load the atomics.
type shardLive struct {
	first    atomic.Uint64 // oldest retained counter; 0 when the shard never held a record
	last     atomic.Uint64 // newest committed counter (the high-water mark)
	records  atomic.Int64
	bytes    atomic.Int64
	lastWall atomic.Int64 // newest arrival (clamped wall ms)

	assigned uint64 // writer-only: newest counter handed out (≥ last)
	statsKey []byte

	mu     sync.Mutex
	notify chan struct{} // closed and replaced when data arrives or the shard closes
}

func newShardLive(sid, shard uint32) *shardLive {
	return &shardLive{notify: make(chan struct{}), statsKey: statsKey(sid, shard)}
}

// wait returns a channel closed at the next change.
func (l *shardLive) wait() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.notify
}

func (l *shardLive) broadcast() {
	l.mu.Lock()
	close(l.notify)
	l.notify = make(chan struct{})
	l.mu.Unlock()
}

// shardStats is the persisted form of shardLive ('s' key).
type shardStats struct {
	first, last, records, bytes uint64
	lastWall                    int64
}

func (s shardStats) encode() []byte {
	b := make([]byte, 0, 40)
	b = binary.BigEndian.AppendUint64(b, s.first)
	b = binary.BigEndian.AppendUint64(b, s.last)
	b = binary.BigEndian.AppendUint64(b, s.records)
	b = binary.BigEndian.AppendUint64(b, s.bytes)
	return binary.BigEndian.AppendUint64(b, uint64(s.lastWall))
}

func decodeShardStats(b []byte) (shardStats, error) {
	if len(b) != 40 {
		return shardStats{}, fmt.Errorf("shard stats: %d bytes, want 40", len(b))
	}
	return shardStats{
		first:    binary.BigEndian.Uint64(b),
		last:     binary.BigEndian.Uint64(b[8:]),
		records:  binary.BigEndian.Uint64(b[16:]),
		bytes:    binary.BigEndian.Uint64(b[24:]),
		lastWall: int64(binary.BigEndian.Uint64(b[32:])),
	}, nil
}

func (l *shardLive) stats() shardStats {
	return shardStats{l.first.Load(), l.last.Load(), uint64(l.records.Load()), uint64(l.bytes.Load()), l.lastWall.Load()}
}

// shardState is an immutable view of one shard plus its live counters.
type shardState struct {
	meta  shardMeta
	rng   HashRange
	live  *shardLive
	child []uint32 // indexes of shards that name this one as a parent
}

// streamState is an immutable view of one stream. The writer replaces it on
// every metadata change; the live counters are shared between versions.
type streamState struct {
	meta   streamMeta
	shards map[uint32]*shardState
	open   []*shardState // sorted by range start
}

func newStreamState(m streamMeta, lives map[uint32]*shardLive) (*streamState, error) {
	st := &streamState{meta: m, shards: make(map[uint32]*shardState, len(m.Shards))}
	for _, sm := range m.Shards {
		start, err := ParseHashKey(sm.Start)
		if err != nil {
			return nil, fmt.Errorf("stream %q shard %d: %w", m.Name, sm.Index, err)
		}
		end, err := ParseHashKey(sm.End)
		if err != nil {
			return nil, fmt.Errorf("stream %q shard %d: %w", m.Name, sm.Index, err)
		}
		live := lives[sm.Index]
		if live == nil {
			live = newShardLive(m.ID, sm.Index)
		}
		ss := &shardState{meta: sm, rng: HashRange{start, end}, live: live}
		st.shards[sm.Index] = ss
		if !sm.Closed {
			st.open = append(st.open, ss)
		}
	}
	for _, ss := range st.shards {
		for _, p := range ss.meta.Parents {
			if ps := st.shards[p]; ps != nil {
				ps.child = append(ps.child, ss.meta.Index)
			}
		}
	}
	for _, ss := range st.shards {
		sort.Slice(ss.child, func(i, j int) bool { return ss.child[i] < ss.child[j] })
	}
	sort.Slice(st.open, func(i, j int) bool { return st.open[i].rng.Start.Cmp(st.open[j].rng.Start) < 0 })
	return st, nil
}

// sortedShards returns the shards in index order.
func (st *streamState) sortedShards() []*shardState {
	out := make([]*shardState, 0, len(st.shards))
	for _, sh := range st.shards {
		out = append(out, sh)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].meta.Index < out[j].meta.Index })
	return out
}

func (st *streamState) lives() map[uint32]*shardLive {
	m := make(map[uint32]*shardLive, len(st.shards))
	for i, s := range st.shards {
		m[i] = s.live
	}
	return m
}

// route returns the open shard whose range holds h.
func (st *streamState) route(h HashKey) *shardState {
	i := sort.Search(len(st.open), func(i int) bool { return st.open[i].rng.End.Cmp(h) >= 0 })
	if i < len(st.open) && st.open[i].rng.Contains(h) {
		return st.open[i]
	}
	return nil
}

func (st *streamState) retention() time.Duration {
	return time.Duration(st.meta.RetentionMs) * time.Millisecond
}

func (st *streamState) bytes() int64 {
	var n int64
	for _, s := range st.shards {
		n += s.live.bytes.Load()
	}
	return n
}

// catalog is an immutable snapshot of all streams, published by the writer.
type catalog struct {
	byName map[string]*streamState
	byID   map[uint32]*streamState
}

func (c *catalog) with(st *streamState) *catalog {
	n := &catalog{byName: make(map[string]*streamState, len(c.byName)+1), byID: make(map[uint32]*streamState, len(c.byID)+1)}
	for k, v := range c.byName {
		n.byName[k] = v
	}
	for k, v := range c.byID {
		n.byID[k] = v
	}
	if old := n.byID[st.meta.ID]; old != nil {
		delete(n.byName, old.meta.Name)
	}
	n.byID[st.meta.ID] = st
	if !st.meta.Deleting {
		n.byName[st.meta.Name] = st
	}
	return n
}

func (c *catalog) without(sid uint32) *catalog {
	n := &catalog{byName: make(map[string]*streamState, len(c.byName)), byID: make(map[uint32]*streamState, len(c.byID))}
	for k, v := range c.byName {
		if v.meta.ID != sid {
			n.byName[k] = v
		}
	}
	for k, v := range c.byID {
		if k != sid {
			n.byID[k] = v
		}
	}
	return n
}
