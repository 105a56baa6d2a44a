package spool

import (
	"context"
	"errors"
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// State is a value a consumer keeps beside its checkpoints — a SQL app's
// open windows — committed in the same transaction as its outputs and
// checkpoints (CommitState), so that after a crash the three agree. Value
// nil deletes the key.
type State struct {
	Owner string // 1..128 bytes, like a consumer name
	Key   string
	Value []byte
}

// CommitState is Commit with state: records appended to stream,
// checkpoints moved and state written in one transaction, all or
// nothing. The whole must fit one transaction: large values go to
// Badger's value log, so what bounds it is the number of keys (about 15 %
// of the memtable size in key and pointer bytes) and the value log file
// size; beyond, ErrTooLarge and nothing is written.
func (s *Spool) CommitState(ctx context.Context, stream string, recs []Record, cps []Checkpoint, state []State) ([]PutResult, error) {
	extra, err := stateEntries(state)
	if err != nil {
		return nil, err
	}
	return s.commit(ctx, stream, recs, cps, extra)
}

// StreamRecords are records for one stream of a CommitStreams.
type StreamRecords struct {
	Stream  string
	Records []Record
}

// CommitStreams is CommitState over several streams: every part's records,
// the checkpoints and the state in one transaction, all or nothing — a
// refused record refuses the whole commit, with an error naming its stream
// and index. Results are per part, in order.
func (s *Spool) CommitStreams(ctx context.Context, parts []StreamRecords, cps []Checkpoint, state []State) ([][]PutResult, error) {
	if len(parts) == 0 {
		_, err := s.CommitState(ctx, "", nil, cps, state)
		return nil, err
	}
	extra, err := stateEntries(state)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := s.checkpointEntries(cps)
	if err != nil {
		return nil, err
	}
	reqs := make([]*writeReq, len(parts))
	for i, p := range parts {
		if len(p.Records) > 0 {
			if err := ValidateStreamName(p.Stream); err != nil {
				return nil, err
			}
		}
		reqs[i] = &writeReq{stream: p.Stream, recs: s.prepare(p.Records), atomic: true}
		if i > 0 {
			reqs[i].done = make(chan struct{})
			reqs[i].enqueued = time.Now()
		}
	}
	reqs[0].cps = append(entries, extra...)
	reqs[0].linked = reqs[1:]
	err = s.submit(reqs[0])
	out := make([][]PutResult, len(reqs))
	for i, r := range reqs {
		out[i] = r.results
	}
	return out, err
}

// stateEntries turns state values into the entries a commit writes.
func stateEntries(state []State) ([]checkpointEntry, error) {
	extra := make([]checkpointEntry, 0, len(state))
	for i, st := range state {
		if err := validateConsumer(st.Owner); err != nil {
			return nil, fmt.Errorf("state %d: %w", i, err)
		}
		e := checkpointEntry{key: stateKey(st.Owner, st.Key), val: st.Value, del: st.Value == nil}
		if e.val != nil && len(e.val) == 0 {
			e.val = []byte{} // an empty value is kept, not deleted
		}
		extra = append(extra, e)
	}
	return extra, nil
}

// GetState returns a state value; ok is false if there is none.
func (s *Spool) GetState(owner, key string) (val []byte, ok bool, err error) {
	if err := validateConsumer(owner); err != nil {
		return nil, false, err
	}
	err = s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(stateKey(owner, key))
		if err != nil {
			return err
		}
		val, err = item.ValueCopy(nil)
		ok = err == nil
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	return val, ok, err
}

// DeleteState forgets every state value an owner keeps.
func (s *Spool) DeleteState(owner string) error {
	if err := validateConsumer(owner); err != nil {
		return err
	}
	return s.deletePrefix(statePrefix(owner))
}
