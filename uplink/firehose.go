package uplink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/smithy-go"

	"github.com/tributary-edge/tributary/spool"
)

// FirehoseSink puts a batch's records into a Firehose delivery stream —
// Amazon Data Firehose, or another Tributary's Direct PUT — with
// PutRecordBatch calls of at most 500 records and 4 MiB. Firehose records
// carry no partition key. Records a call fails are resent alone, with
// backoff, before the next call, until they are stored; a record over
// Firehose's 1,000 KiB limit goes to the error output alone.
type FirehoseSink struct {
	Client         *firehose.Client
	DeliveryStream string

	refused atomic.Int64
}

const (
	putRecordBatchMax      = 500
	putRecordBatchMaxBytes = 4 << 20
	firehoseMaxRecord      = 1_024_000
)

// Send implements Sink.
func (s *FirehoseSink) Send(ctx context.Context, b *Batch) error {
	var refused refusals
	entry := func(r spool.StoredRecord) (types.Record, int, error) {
		if why := s.refusal(r); why != nil {
			refused.add(why)
			return types.Record{}, 0, errSkip
		}
		return types.Record{Data: append([]byte(nil), r.Data...)}, len(r.Data), nil
	}
	if err := inCalls(ctx, b, putRecordBatchMax, putRecordBatchMaxBytes, entry, func(call []types.Record) error { return s.put(ctx, call) }); err != nil {
		return err
	}
	return refused.write(ctx, b, s.refusal, &s.refused, slog.Default().With("firehose", s.DeliveryStream))
}

// Refused is how many records the sink has sent to the error output
// itself: those over Firehose's record limit (refuse.go).
func (s *FirehoseSink) Refused() int64 { return s.refused.Load() }

func (s *FirehoseSink) refusal(r spool.StoredRecord) error {
	if len(r.Data) > firehoseMaxRecord {
		return fmt.Errorf("%w: firehose %s: record %s of %d bytes is over Firehose's %d-byte limit", ErrPermanent, s.DeliveryStream, r.SequenceNumber(), len(r.Data), firehoseMaxRecord)
	}
	return nil
}

// put stores records, resending the failed ones until none is left.
func (s *FirehoseSink) put(ctx context.Context, recs []types.Record) error {
	for attempt := 0; ; attempt++ {
		out, err := s.Client.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(s.DeliveryStream), Records: recs})
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) && (ae.ErrorCode() == "InvalidArgumentException" || ae.ErrorCode() == "ValidationException") {
				return fmt.Errorf("%w: firehose %s: %v", ErrPermanent, s.DeliveryStream, err)
			}
			return fmt.Errorf("firehose %s: %w", s.DeliveryStream, err) // retried
		}
		if aws.ToInt32(out.FailedPutCount) == 0 {
			return nil
		}
		var again []types.Record
		var last string
		for i, r := range out.RequestResponses {
			if r.ErrorCode != nil {
				again = append(again, recs[i])
				last = aws.ToString(r.ErrorCode) + ": " + aws.ToString(r.ErrorMessage)
			}
		}
		recs = again
		if err := sleep(ctx, partialBackoff.Wait(attempt)); err != nil {
			return fmt.Errorf("firehose %s: %d records still failing (%s): %w", s.DeliveryStream, len(again), last, err)
		}
	}
}
