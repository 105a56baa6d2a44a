package uplink

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/tributary-edge/tributary/spool"
)

// KinesisSink puts a batch's records into a Kinesis stream — Amazon
// Kinesis, another Tributary, kinesalite — keeping their partition keys,
// with PutRecords calls of at most 500 records and 5 MiB. Records a call
// fails (throttling, internal errors) are resent alone, with backoff,
// before the next call, until they are stored; the batch is confirmed when
// every record is. Calls go one at a time in the shard's order, so order
// per partition key holds except where a call fails a record and stores a
// later one of the same key (Kinesis itself allows that reordering; the
// Kinesis Agent and KPL behave the same).
type KinesisSink struct {
	Client *kinesis.Client
	Stream string
}

const (
	putRecordsMax      = 500
	putRecordsMaxBytes = 5 << 20
)

// Send implements Sink.
func (s *KinesisSink) Send(ctx context.Context, b *Batch) error {
	entry := func(r spool.StoredRecord) (types.PutRecordsRequestEntry, int, error) {
		return types.PutRecordsRequestEntry{Data: append([]byte(nil), r.Data...), PartitionKey: aws.String(r.PartitionKey)}, len(r.Data) + len(r.PartitionKey), nil
	}
	return inCalls(ctx, b, putRecordsMax, putRecordsMaxBytes, entry, func(call []types.PutRecordsRequestEntry) error { return s.put(ctx, call) })
}

// inCalls groups a batch's records, in order, into calls of at most maxN
// records and maxBytes bytes (as entry counts them) and puts each call
// before the next is filled. A record entry answers errSkip for is left
// out.
func inCalls[T any](ctx context.Context, b *Batch, maxN, maxBytes int, entry func(spool.StoredRecord) (T, int, error), put func([]T) error) error {
	var call []T
	size := 0
	flush := func() error {
		if len(call) == 0 {
			return nil
		}
		err := put(call)
		call, size = call[:0], 0
		return err
	}
	err := b.Each(ctx, func(r spool.StoredRecord) error {
		e, n, err := entry(r)
		if err == errSkip {
			return nil
		}
		if err != nil {
			return err
		}
		if len(call) == maxN || size+n > maxBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		call = append(call, e)
		size += n
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// put stores entries, resending the failed ones until none is left. A
// whole-call failure is returned (the delivery retries the batch; records
// already stored are stored again: at-least-once, as Kinesis is).
func (s *KinesisSink) put(ctx context.Context, entries []types.PutRecordsRequestEntry) error {
	for attempt := 0; ; attempt++ {
		out, err := s.Client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(s.Stream), Records: entries})
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) {
				switch ae.ErrorCode() {
				case "ResourceNotFoundException", "ProvisionedThroughputExceededException", "LimitExceededException":
					return fmt.Errorf("kinesis stream %s: %w", s.Stream, err) // retried
				case "InvalidArgumentException", "ValidationException":
					return fmt.Errorf("%w: kinesis stream %s: %v", ErrPermanent, s.Stream, err)
				}
			}
			return fmt.Errorf("kinesis stream %s: %w", s.Stream, err)
		}
		if aws.ToInt32(out.FailedRecordCount) == 0 {
			return nil
		}
		// Keep the failed ones, in order; the next call resends them first.
		var again []types.PutRecordsRequestEntry
		var last string
		for i, r := range out.Records {
			if r.ErrorCode != nil {
				again = append(again, entries[i])
				last = aws.ToString(r.ErrorCode) + ": " + aws.ToString(r.ErrorMessage)
			}
		}
		entries = again
		wait := partialBackoff.Wait(attempt)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("kinesis stream %s: %d records still failing (%s): %w", s.Stream, len(again), last, ctx.Err())
		case <-t.C:
		}
	}
}

// errSkip leaves a record out of a call (it is refused: refuse.go).
var errSkip = errors.New("skip")

// partialBackoff spaces resends of records a call failed (throttling).
var partialBackoff = Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second, Jitter: 0.15}
