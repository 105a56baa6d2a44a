package spool

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// Record is one record to append.
type Record struct {
	PartitionKey    string // 1–256 characters
	ExplicitHashKey string // optional decimal hash key; overrides the partition key's hash
	Data            []byte
}

// PutResult is the outcome of one record: where it was stored, or why not.
type PutResult struct {
	ShardID string
	Seq     SeqNum
	Err     error
}

// SequenceNumber returns the decimal sequence number ("" on failure).
func (r PutResult) SequenceNumber() string {
	if r.Err != nil || r.ShardID == "" {
		return ""
	}
	return r.Seq.String()
}

// MaxPartitionKeyLen is Kinesis' limit on partition keys, in characters.
const MaxPartitionKeyLen = 256

// Append stores records in a stream and returns one result per record, in
// order. A record that is invalid or cannot be stored fails alone; the rest
// are stored. The error is non-nil only when nothing could be attempted (the
// stream does not exist, the spool is closed). Append returns when every
// stored record is durable under the spool's durability mode.
func (s *Spool) Append(ctx context.Context, stream string, recs []Record) ([]PutResult, error) {
	if err := ValidateStreamName(stream); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &writeReq{stream: stream, recs: s.prepare(recs)}
	if err := s.submit(r); err != nil {
		return nil, err
	}
	return r.results, nil
}

// Pending is an append in progress (see AppendAsync).
type Pending struct{ r *writeReq }

// Done is closed when the append has finished.
func (p *Pending) Done() <-chan struct{} { return p.r.done }

// Wait blocks until the append has finished and returns what Append would.
func (p *Pending) Wait() ([]PutResult, error) {
	<-p.r.done
	if p.r.err != nil {
		return nil, p.r.err
	}
	return p.r.results, nil
}

// AppendAsync starts an append and returns without waiting for it to be
// durable. Appends started by one goroutine are stored in the order it
// started them, so a producer can keep many in flight (they share group
// commits) without losing order per partition key. It blocks only while
// the writer's queue is full.
func (s *Spool) AppendAsync(ctx context.Context, stream string, recs []Record) (*Pending, error) {
	if err := ValidateStreamName(stream); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &writeReq{stream: stream, recs: s.prepare(recs)}
	if err := s.enqueue(r); err != nil {
		return nil, err
	}
	return &Pending{r}, nil
}

// AppendOne is Append for a single record; the record's error is returned.
func (s *Spool) AppendOne(ctx context.Context, stream string, rec Record) (PutResult, error) {
	res, err := s.Append(ctx, stream, []Record{rec})
	if err != nil {
		return PutResult{}, err
	}
	return res[0], res[0].Err
}

// Commit stores records in stream and moves checkpoints in one transaction:
// all of it is stored or none. Consumers that write results back (SQL apps)
// use it so that a crash gives neither duplicates nor gaps.
func (s *Spool) Commit(ctx context.Context, stream string, recs []Record, cps []Checkpoint) ([]PutResult, error) {
	return s.commit(ctx, stream, recs, cps, nil)
}

func (s *Spool) commit(ctx context.Context, stream string, recs []Record, cps []Checkpoint, extra []checkpointEntry) ([]PutResult, error) {
	if len(recs) > 0 {
		if err := ValidateStreamName(stream); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := s.checkpointEntries(cps)
	if err != nil {
		return nil, err
	}
	entries = append(entries, extra...)
	r := &writeReq{stream: stream, recs: s.prepare(recs), cps: entries, atomic: true}
	if err := s.submit(r); err != nil {
		return nil, err
	}
	for _, res := range r.results {
		if res.Err != nil {
			return r.results, res.Err
		}
	}
	return r.results, nil
}

// prepare validates records and hashes their keys on the caller's goroutine.
func (s *Spool) prepare(recs []Record) []prepared {
	out := make([]prepared, len(recs))
	for i, rec := range recs {
		out[i] = prepared{key: rec.PartitionKey, data: rec.Data}
		out[i].hash, out[i].err = s.validateRecord(rec)
	}
	return out
}

func (s *Spool) validateRecord(rec Record) (HashKey, error) {
	n := utf8.RuneCountInString(rec.PartitionKey)
	switch {
	case n == 0:
		return HashKey{}, fmt.Errorf("%w: partition key is empty (want 1 to %d characters)", ErrInvalidArgument, MaxPartitionKeyLen)
	case n > MaxPartitionKeyLen:
		return HashKey{}, fmt.Errorf("%w: partition key has %d characters (want 1 to %d)", ErrInvalidArgument, n, MaxPartitionKeyLen)
	case !utf8.ValidString(rec.PartitionKey):
		return HashKey{}, fmt.Errorf("%w: partition key is not valid UTF-8", ErrInvalidArgument)
	}
	if size := len(rec.Data) + len(rec.PartitionKey); size > s.opts.MaxRecordSize {
		return HashKey{}, fmt.Errorf("%w: %d bytes of data and key exceed the limit of %d", ErrRecordTooLarge, size, s.opts.MaxRecordSize)
	}
	if rec.ExplicitHashKey != "" {
		h, err := ParseHashKey(rec.ExplicitHashKey)
		if err != nil {
			return HashKey{}, fmt.Errorf("explicit hash key: %w", err)
		}
		return h, nil
	}
	return HashPartitionKey(rec.PartitionKey), nil
}

// DeadLetter describes a record that an ingest path could not store as
// asked.
type DeadLetter struct {
	Source string            // e.g. "mqtt:devices/7/telemetry"
	Reason string            // why it was refused
	Key    string            // original partition key, if any
	Data   []byte            // original payload
	Attrs  map[string]string // optional context
}

// AppendDeadLetter stores d as a JSON record in the dead-letter stream,
// keyed by its source.
func (s *Spool) AppendDeadLetter(ctx context.Context, d DeadLetter) error {
	body, err := json.Marshal(struct {
		Source string            `json:"source"`
		Reason string            `json:"reason"`
		Key    string            `json:"partition_key,omitempty"`
		Data   []byte            `json:"data"`
		Attrs  map[string]string `json:"attrs,omitempty"`
		Time   time.Time         `json:"time"`
	}{d.Source, d.Reason, d.Key, d.Data, d.Attrs, s.opts.Clock.Wall().UTC()})
	if err != nil {
		return err
	}
	key := d.Source
	if key == "" {
		key = "unknown"
	}
	if utf8.RuneCountInString(key) > MaxPartitionKeyLen {
		key = string([]rune(key)[:MaxPartitionKeyLen])
	}
	if len(body)+len(key) > s.opts.MaxRecordSize {
		return fmt.Errorf("%w: dead letter for %q is %d bytes", ErrRecordTooLarge, d.Source, len(body))
	}
	_, err = s.AppendOne(ctx, s.opts.DeadLetterStream, Record{PartitionKey: key, Data: body})
	return err
}

// DeadLetterStream returns the name of the built-in dead-letter stream.
func (s *Spool) DeadLetterStream() string { return s.opts.DeadLetterStream }
