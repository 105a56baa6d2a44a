package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// Checkpoint is a named consumer's position in one shard: the sequence
// number of the last record it has processed.
type Checkpoint struct {
	Consumer       string
	Stream         string
	ShardID        string
	SequenceNumber string
}

// SetCheckpoints stores checkpoints durably, all in one transaction.
func (s *Spool) SetCheckpoints(ctx context.Context, cps ...Checkpoint) error {
	_, err := s.Commit(ctx, "", nil, cps)
	return err
}

// GetCheckpoint returns a consumer's checkpoint for a shard; ok is false if
// it has none.
func (s *Spool) GetCheckpoint(consumer, stream, shardID string) (seq string, ok bool, err error) {
	e, err := s.checkpointEntry(Checkpoint{Consumer: consumer, Stream: stream, ShardID: shardID})
	if err != nil {
		return "", false, err
	}
	err = s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(e.key)
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("checkpoint value is %d bytes", len(v))
			}
			idx, _ := ParseShardID(shardID)
			seq, ok = SeqNum{Shard: idx, Counter: binary.BigEndian.Uint64(v)}.String(), true
			return nil
		})
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return "", false, nil
	}
	return seq, ok, err
}

// ListCheckpoints returns every checkpoint a consumer holds.
func (s *Spool) ListCheckpoints(consumer string) ([]Checkpoint, error) {
	if err := validateConsumer(consumer); err != nil {
		return nil, err
	}
	cat := s.cat.Load()
	var out []Checkpoint
	prefix := checkpointPrefix(consumer)
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			sid := binary.BigEndian.Uint32(k[len(prefix):])
			shard := binary.BigEndian.Uint32(k[len(prefix)+4:])
			st := cat.byID[sid]
			if st == nil || st.meta.Deleting {
				continue
			}
			err := it.Item().Value(func(v []byte) error {
				out = append(out, Checkpoint{consumer, st.meta.Name, ShardID(shard), SeqNum{shard, binary.BigEndian.Uint64(v)}.String()})
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func validateConsumer(name string) error {
	if len(name) == 0 || len(name) > 128 {
		return fmt.Errorf("%w: consumer name %q must be 1 to 128 characters", ErrInvalidArgument, name)
	}
	return nil
}

func (s *Spool) checkpointEntries(cps []Checkpoint) ([]checkpointEntry, error) {
	out := make([]checkpointEntry, 0, len(cps))
	for i, cp := range cps {
		e, err := s.checkpointEntry(cp)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %d: %w", i, err)
		}
		if cp.SequenceNumber == "" {
			return nil, fmt.Errorf("checkpoint %d: %w: empty sequence number", i, ErrInvalidArgument)
		}
		sn, err := ParseSeqNum(cp.SequenceNumber)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %d: %w", i, err)
		}
		if sn.Shard != e.shard {
			return nil, fmt.Errorf("checkpoint %d: %w: sequence number encodes %s, not %s", i, ErrInvalidArgument, ShardID(sn.Shard), cp.ShardID)
		}
		e.seq = sn.Counter
		out = append(out, e.checkpointEntry)
	}
	return out, nil
}

type resolvedCheckpoint struct {
	checkpointEntry
	shard uint32
}

func (s *Spool) checkpointEntry(cp Checkpoint) (resolvedCheckpoint, error) {
	if err := validateConsumer(cp.Consumer); err != nil {
		return resolvedCheckpoint{}, err
	}
	st, err := s.streamByName(cp.Stream)
	if err != nil {
		return resolvedCheckpoint{}, err
	}
	idx, err := ParseShardID(cp.ShardID)
	if err != nil {
		return resolvedCheckpoint{}, err
	}
	if st.shards[idx] == nil {
		return resolvedCheckpoint{}, fmt.Errorf("%w: %s in stream %q", ErrShardNotFound, cp.ShardID, cp.Stream)
	}
	return resolvedCheckpoint{checkpointEntry{key: checkpointKey(cp.Consumer, st.meta.ID, idx)}, idx}, nil
}

// DeleteCheckpoints forgets every checkpoint a consumer holds (a delivery
// or an application that is deleted, so one made later under the same
// name starts afresh).
func (s *Spool) DeleteCheckpoints(consumer string) error {
	if err := validateConsumer(consumer); err != nil {
		return err
	}
	return s.deletePrefix(checkpointPrefix(consumer))
}
