package ingest

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"

	"github.com/tributary-edge/tributary/ingest/route"
	"github.com/tributary-edge/tributary/spool"
)

// Appender is what ingest needs from the spool; *spool.Spool implements it.
type Appender interface {
	Append(ctx context.Context, stream string, recs []spool.Record) ([]spool.PutResult, error)
	AppendAsync(ctx context.Context, stream string, recs []spool.Record) (*spool.Pending, error)
	AppendDeadLetter(ctx context.Context, d spool.DeadLetter) error
}

// Verdict is the outcome of storing one message.
type Verdict int

const (
	// Stored: the record is durable; acknowledge.
	Stored Verdict = iota
	// DeadLettered: the message could not be stored as asked and the
	// reason is durable in the dead-letter stream; acknowledge.
	DeadLettered
	// Full: the stream or the disk is full; do not acknowledge (MQTT 5:
	// reason 0x97). Retrying later can succeed.
	Full
	// Failed: the spool refused for another reason (closed, I/O error); do
	// not acknowledge.
	Failed
)

// Acked reports whether the message may be acknowledged.
func (v Verdict) Acked() bool { return v == Stored || v == DeadLettered }

// Counters count verdicts; safe for concurrent use.
type Counters struct {
	Stored, DeadLettered, Refused atomic.Int64
}

// Storer stores routed messages.
type Storer struct {
	App    Appender
	Counts *Counters
}

// Store appends one routed message, or its dead letter, durably.
func (s *Storer) Store(ctx context.Context, msg route.Message, res route.Result) (Verdict, error) {
	return s.Start(ctx, msg, res).Finish()
}

// Job is a message being stored (see Start).
type Job struct {
	s       *Storer
	ctx     context.Context
	msg     route.Message
	res     route.Result
	pending *spool.Pending
	err     error
}

// Start begins storing a routed message without waiting for it. Messages
// started by one goroutine are stored in that order, so a client can have
// many in flight and keep its order per partition key. Finish waits.
func (s *Storer) Start(ctx context.Context, msg route.Message, res route.Result) *Job {
	j := &Job{s: s, ctx: ctx, msg: msg, res: res}
	if res.Reject == "" {
		j.pending, j.err = s.App.AppendAsync(ctx, res.Stream, []spool.Record{{PartitionKey: res.PartitionKey, Data: res.Data}})
	}
	return j
}

// Finish waits for the message to be durable (or dead-lettered) and
// returns the verdict.
func (j *Job) Finish() (Verdict, error) {
	s, ctx, msg, res := j.s, j.ctx, j.msg, j.res
	if res.Reject != "" {
		return s.DeadLetter(ctx, msg, res.Reject)
	}
	err := j.err
	if err == nil {
		var out []spool.PutResult
		out, err = j.pending.Wait()
		if err == nil {
			err = out[0].Err
		}
	}
	switch {
	case err == nil:
		s.Counts.Stored.Add(1)
		return Stored, nil
	case DeadLetterable(err):
		return s.DeadLetter(ctx, msg, "route "+strconv.Itoa(res.Rule)+": "+err.Error())
	case errors.Is(err, spool.ErrStreamFull), errors.Is(err, spool.ErrDiskFull):
		s.Counts.Refused.Add(1)
		return Full, err
	default:
		s.Counts.Refused.Add(1)
		return Failed, err
	}
}

// DeadLetterable reports whether an append error means the message can
// never be stored as asked (so it belongs in the dead-letter stream), as
// opposed to "not now" (a full stream or disk).
func DeadLetterable(err error) bool {
	return errors.Is(err, spool.ErrStreamNotFound) || errors.Is(err, spool.ErrRecordTooLarge) || errors.Is(err, spool.ErrInvalidArgument)
}

// DeadLetter stores the message in the dead-letter stream with the reason.
// A payload too large even for that is stored without its data.
func (s *Storer) DeadLetter(ctx context.Context, msg route.Message, reason string) (Verdict, error) {
	d := spool.DeadLetter{
		Source: "mqtt:" + msg.Topic,
		Reason: reason,
		Data:   msg.Payload,
		Attrs:  map[string]string{"client_id": msg.ClientID, "qos": strconv.Itoa(int(msg.QoS))},
	}
	err := s.App.AppendDeadLetter(ctx, d)
	if errors.Is(err, spool.ErrRecordTooLarge) {
		d.Data = nil
		d.Attrs["payload_bytes"] = strconv.Itoa(len(msg.Payload))
		d.Attrs["payload_dropped"] = "too large for a dead letter"
		err = s.App.AppendDeadLetter(ctx, d)
	}
	if err != nil {
		s.Counts.Refused.Add(1)
		if errors.Is(err, spool.ErrStreamFull) || errors.Is(err, spool.ErrDiskFull) {
			return Full, err
		}
		return Failed, err
	}
	s.Counts.DeadLettered.Add(1)
	return DeadLettered, nil
}
