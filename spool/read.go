package spool

import (
	"context"
	"fmt"
	"math"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// IteratorType is where a read starts, as Kinesis' ShardIteratorType.
type IteratorType string

// The five Kinesis iterator types (kinesis.md §3.5).
const (
	TrimHorizon         IteratorType = "TRIM_HORIZON"
	Latest              IteratorType = "LATEST"
	AtSequenceNumber    IteratorType = "AT_SEQUENCE_NUMBER"
	AfterSequenceNumber IteratorType = "AFTER_SEQUENCE_NUMBER"
	AtTimestamp         IteratorType = "AT_TIMESTAMP"
)

// StartPosition says where to start reading a shard.
type StartPosition struct {
	Type           IteratorType
	SequenceNumber string    // AT_ and AFTER_SEQUENCE_NUMBER
	Timestamp      time.Time // AT_TIMESTAMP: first record that arrived at or after it
}

// Cursor is a position in one shard: the next counter to read. It is a
// plain value; callers may encode it (Kinesis iterators do) and keep it.
type Cursor struct {
	Stream   string
	StreamID uint32 // guards against a deleted and recreated stream
	Shard    uint32
	Seq      uint64
}

// ShardID returns the Kinesis id of the cursor's shard.
func (c Cursor) ShardID() string { return ShardID(c.Shard) }

// StoredRecord is a record read back from a shard.
type StoredRecord struct {
	Seq          SeqNum
	PartitionKey string
	Data         []byte
	Arrival      time.Time // clamped wall-clock arrival (ApproximateArrivalTimestamp)
}

// SequenceNumber returns the decimal sequence number.
func (r StoredRecord) SequenceNumber() string { return r.Seq.String() }

// ReadLimits bound one read. Zero values mean 10,000 records and 10 MiB,
// Kinesis' GetRecords limits.
type ReadLimits struct {
	MaxRecords int
	MaxBytes   int
}

// ReadResult is one batch from a shard.
type ReadResult struct {
	Records []StoredRecord
	Next    Cursor
	// MillisBehind is how far the batch's last record is behind the shard's
	// newest (0 when caught up).
	MillisBehind int64
	// EndOfShard is set when the shard is closed and Next is past its last
	// record; ChildShards then lists the shards that continue its keys.
	EndOfShard  bool
	ChildShards []ShardInfo
}

// Seek returns a cursor for a shard of a stream.
func (s *Spool) Seek(stream, shardID string, pos StartPosition) (Cursor, error) {
	st, err := s.streamByName(stream)
	if err != nil {
		return Cursor{}, err
	}
	idx, err := ParseShardID(shardID)
	if err != nil {
		return Cursor{}, err
	}
	sh := st.shards[idx]
	if sh == nil {
		return Cursor{}, fmt.Errorf("%w: %s in stream %q", ErrShardNotFound, shardID, stream)
	}
	cur := Cursor{Stream: stream, StreamID: st.meta.ID, Shard: idx}
	switch pos.Type {
	case TrimHorizon:
		cur.Seq = max(sh.live.first.Load(), 1)
	case Latest:
		cur.Seq = sh.live.last.Load() + 1
	case AtSequenceNumber, AfterSequenceNumber:
		sn, err := ParseSeqNum(pos.SequenceNumber)
		if err != nil {
			return Cursor{}, err
		}
		if sn.Shard != idx {
			return Cursor{}, fmt.Errorf("%w: sequence number %s encodes %s, while it was used with %s", ErrInvalidArgument, pos.SequenceNumber, ShardID(sn.Shard), ShardID(idx))
		}
		cur.Seq = max(sn.Counter, 1)
		if pos.Type == AfterSequenceNumber {
			cur.Seq = sn.Counter + 1
			if sn.Counter == math.MaxUint64 {
				cur.Seq = sn.Counter // nothing can follow the largest counter
			}
		}
	case AtTimestamp:
		if pos.Timestamp.IsZero() {
			return Cursor{}, fmt.Errorf("%w: AT_TIMESTAMP needs a timestamp", ErrInvalidArgument)
		}
		// Kinesis refuses timestamps in the future (kinesis.md §3.5): a
		// cursor there could not mean "records that arrived at or after".
		if now := s.opts.Clock.Wall(); pos.Timestamp.After(now) {
			return Cursor{}, fmt.Errorf("%w: AT_TIMESTAMP %s is in the future (now %s)", ErrInvalidArgument, pos.Timestamp.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano))
		}
		seq, err := s.seekTime(st, sh, pos.Timestamp.UnixMilli())
		if err != nil {
			return Cursor{}, err
		}
		cur.Seq = seq
	default:
		return Cursor{}, fmt.Errorf("%w: iterator type %q (want TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER or AT_TIMESTAMP)", ErrInvalidArgument, pos.Type)
	}
	return cur, nil
}

// seekTime finds the smallest counter whose chunk arrived at or after ms.
// Arrival times never decrease within a shard, so it is a binary search
// over Seeks.
func (s *Spool) seekTime(st *streamState, sh *shardState, ms int64) (uint64, error) {
	lo, hi := max(sh.live.first.Load(), 1), sh.live.last.Load()+1
	if lo >= hi {
		return hi, nil
	}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: shardPrefix(st.meta.ID, sh.meta.Index)})
		defer it.Close()
		for lo < hi {
			mid := lo + (hi-lo)/2
			it.Seek(chunkKey(st.meta.ID, sh.meta.Index, mid))
			after := true // no chunk at or after mid: treat as +inf
			if it.Valid() {
				if err := it.Item().Value(func(v []byte) error {
					h, _, err := decodeChunkHeader(v)
					after = h.wallMs >= ms
					return err
				}); err != nil {
					return err
				}
			}
			if after {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		return nil
	})
	return lo, err
}

// maxChunksPerRead bounds the work of one Read over expired chunks.
const maxChunksPerRead = 4096

// Read returns the records at and after cur, up to lim. Only durable
// records are returned, expired ones are skipped, and an empty result with
// a cursor is normal. Read never blocks; see Wait.
func (s *Spool) Read(cur Cursor, lim ReadLimits) (ReadResult, error) {
	if lim.MaxRecords <= 0 {
		lim.MaxRecords = 10000
	}
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = 10 << 20
	}
	st, sh, err := s.resolve(cur)
	if err != nil {
		return ReadResult{}, err
	}
	res := ReadResult{Next: cur}
	last := sh.live.last.Load()
	if cur.Seq <= last {
		if err := s.readChunks(st, sh, last, lim, &res); err != nil {
			return ReadResult{}, err
		}
	}
	if res.Next.Seq <= last && len(res.Records) > 0 {
		res.MillisBehind = max(0, sh.live.lastWall.Load()-res.Records[len(res.Records)-1].Arrival.UnixMilli())
	}
	if sh.meta.Closed && res.Next.Seq > last {
		res.EndOfShard = true
		info := st.info()
		for _, c := range sh.child {
			for _, si := range info.Shards {
				if si.Index == c {
					res.ChildShards = append(res.ChildShards, si)
				}
			}
		}
	}
	return res, nil
}

func (s *Spool) readChunks(st *streamState, sh *shardState, last uint64, lim ReadLimits, res *ReadResult) error {
	expiredBefore := s.clock.nowMs() - st.meta.RetentionMs
	bytes := 0
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: shardPrefix(st.meta.ID, sh.meta.Index)})
		defer it.Close()
		chunks := 0
		for it.Seek(chunkKey(st.meta.ID, sh.meta.Index, res.Next.Seq)); it.Valid() && chunks < maxChunksPerRead; it.Next() {
			chunks++
			lastSeq := chunkKeySeq(it.Item().Key())
			if lastSeq > last {
				return nil // committed but not yet durable
			}
			full := false
			err := it.Item().Value(func(v []byte) error {
				h, off, err := decodeChunkHeader(v)
				if err != nil {
					return err
				}
				if h.spoolMs < expiredBefore {
					res.Next.Seq = lastSeq + 1
					return nil
				}
				first := lastSeq - uint64(h.count) + 1
				arrival := time.UnixMilli(h.wallMs).UTC()
				return chunkRecords(v, off, h.count, func(i int, key, data []byte) bool {
					seq := first + uint64(i)
					if seq < res.Next.Seq {
						return true
					}
					if len(res.Records) >= lim.MaxRecords || (len(res.Records) > 0 && bytes+len(data)+len(key) > lim.MaxBytes) {
						full = true
						return false
					}
					bytes += len(data) + len(key)
					res.Records = append(res.Records, StoredRecord{
						Seq:          SeqNum{Shard: sh.meta.Index, Counter: seq},
						PartitionKey: string(key),
						Data:         append([]byte(nil), data...),
						Arrival:      arrival,
					})
					res.Next.Seq = seq + 1
					return true
				})
			})
			if err != nil {
				return fmt.Errorf("stream %q %s chunk %d: %w", st.meta.Name, ShardID(sh.meta.Index), lastSeq, err)
			}
			if full {
				return nil
			}
		}
		return nil
	})
}

func (s *Spool) resolve(cur Cursor) (*streamState, *shardState, error) {
	st := s.cat.Load().byID[cur.StreamID]
	if st == nil || st.meta.Deleting || st.meta.Name != cur.Stream {
		return nil, nil, fmt.Errorf("%w: %q", ErrStreamNotFound, cur.Stream)
	}
	sh := st.shards[cur.Shard]
	if sh == nil {
		return nil, nil, fmt.Errorf("%w: %s in stream %q", ErrShardNotFound, ShardID(cur.Shard), cur.Stream)
	}
	return st, sh, nil
}

// Wait blocks until a durable record exists at or after cur, the shard is
// closed, the stream is deleted, or ctx is done (then it returns ctx.Err()).
// Consumers call Read, and Wait when Read came back empty, so they never
// poll in a loop.
func (s *Spool) Wait(ctx context.Context, cur Cursor) error {
	for {
		st, sh, err := s.resolve(cur)
		if err != nil {
			return err
		}
		ch := sh.live.wait()
		if sh.live.last.Load() >= cur.Seq || sh.meta.Closed {
			return nil
		}
		// a reshard or delete publishes a new catalog and broadcasts
		if s.cat.Load().byID[st.meta.ID] != st {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.ctx.Done():
			return ErrClosed
		case <-ch:
		}
	}
}
