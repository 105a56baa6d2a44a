package uplink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/tributary-edge/tributary/spool"
)

// Records a destination cannot take, one by one (too large for an MQTT
// broker's payload limit, a Kafka topic's message size, a NATS server's
// max payload), are left out of the send and, once the rest of the batch
// is confirmed, written to the error output alone: the rest of the batch
// is delivered, not sent to the error output with them. A refusal depends
// only on the record and the settings, so a resent batch refuses the same
// records; they are written after the confirmation, so a batch retried
// because the destination failed does not write them twice. The delivery
// counts them as failed (Batch.refused).

// refusals tracks what one Send left out.
type refusals struct {
	n     int
	first error
}

func (f *refusals) add(why error) {
	f.n++
	if f.first == nil {
		f.first = why
	}
}

// write sends the batch's refused records to the error output, reading
// them again from the spool (not kept meanwhile, and not charged to the
// bandwidth cap twice), and counts them in count and on the batch. If it
// fails part way, the batch is sent again and the records written before
// the failure are written again: dead letters carry the batch identity
// and the sequence number, so the repeats are recognisable.
func (f *refusals) write(ctx context.Context, b *Batch, refusal func(spool.StoredRecord) error, count *atomic.Int64, log *slog.Logger) error {
	b.refused.Store(0)
	if f.n == 0 {
		return nil
	}
	again := &Batch{Delivery: b.Delivery, Stream: b.Stream, ShardID: b.ShardID, Start: b.Start,
		First: b.First, Last: b.Last, Records: b.Records, Bytes: b.Bytes, Oldest: b.Oldest, sp: b.sp}
	err := again.Each(ctx, func(r spool.StoredRecord) error {
		why := refusal(r)
		if why == nil {
			return nil
		}
		if err := appendDeadLetter(ctx, b, r, why); err != nil {
			return err
		}
		count.Add(1)
		b.refused.Add(1)
		return nil
	})
	log.Warn("records the destination would not take sent to the error output", "batch", b.ID(), "records", f.n, "first", f.first)
	if err != nil {
		return fmt.Errorf("write refused records to the error output: %w", err)
	}
	return nil
}

// appendDeadLetter stores one refused record in the dead-letter stream
// with the reason; a record too large to keep with it keeps the reason
// and where the record is (still in its stream until retention).
func appendDeadLetter(ctx context.Context, b *Batch, r spool.StoredRecord, cause error) error {
	dl := spool.DeadLetter{
		Source: "uplink:" + b.Delivery + ":" + b.Stream,
		Reason: cause.Error(),
		Key:    r.PartitionKey,
		Data:   r.Data,
		Attrs:  map[string]string{"batch": b.ID(), "sequence_number": r.SequenceNumber()},
	}
	err := b.sp.AppendDeadLetter(ctx, dl)
	if errors.Is(err, spool.ErrRecordTooLarge) {
		dl.Data = nil
		dl.Attrs["data_omitted"] = "too large for a dead letter"
		err = b.sp.AppendDeadLetter(ctx, dl)
	}
	return err
}
