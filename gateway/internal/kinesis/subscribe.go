package kinesis

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/tributary-edge/tributary/spool"
)

// SubscribeToShard: enhanced fan-out over an event stream (kinesis.md
// §3.12). The response is application/vnd.amazon.eventstream: an
// initial-response frame first (the Go SDK waits for it), then a
// SubscribeToShardEvent whenever records arrive and at least every
// heartbeat, each with ContinuationSequenceNumber, until the shard ends
// (ContinuationSequenceNumber absent, ChildShards set), five minutes pass,
// a newer subscription replaces this one, or the client goes away.

const (
	subscriptionTTL    = 5 * time.Minute
	subscribeHeartbeat = 5 * time.Second
	// subscribeWriteTimeout bounds one event's write to a slow subscriber.
	subscribeWriteTimeout = 15 * time.Second
	// resubscribeGrace: a second subscription of the same consumer and
	// shard within this time is refused; after it, the newer one wins.
	resubscribeGrace  = 5 * time.Second
	eventMaxBytes     = 1 << 20 // records per event; the rest follow at once
	fanOutBytesPerSec = 2 << 20
)

type subscription struct {
	stream, consumer string
	started          time.Time
	cancel           context.CancelFunc
}

// subscriptions tracks the live subscription of each (consumer, shard).
type subscriptions struct {
	mu   sync.Mutex
	live map[string]*subscription // consumer ARN + " " + shard id
}

func newSubscriptions() *subscriptions { return &subscriptions{live: map[string]*subscription{}} }

// start registers a subscription, replacing an older one past the grace
// period. The returned context ends when the subscription must stop.
func (s *subscriptions) start(parent context.Context, stream, consumer, shard string, now time.Time) (context.Context, func(), bool) {
	key := consumer + " " + shard
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.live[key]; old != nil {
		if now.Sub(old.started) < resubscribeGrace {
			return nil, nil, false
		}
		old.cancel()
	}
	ctx, cancel := context.WithTimeout(parent, subscriptionTTL)
	sub := &subscription{stream: stream, consumer: consumer, started: now, cancel: cancel}
	s.live[key] = sub
	return ctx, func() {
		cancel()
		s.mu.Lock()
		if s.live[key] == sub {
			delete(s.live, key)
		}
		s.mu.Unlock()
	}, true
}

func (s *subscriptions) end(match func(*subscription) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.live {
		if match(sub) {
			sub.cancel()
		}
	}
}

func (s *subscriptions) endStream(name string) {
	s.end(func(sub *subscription) bool { return sub.stream == name })
}

func (s *subscriptions) endConsumer(arn string) {
	s.end(func(sub *subscription) bool { return sub.consumer == arn })
}

type subscribeEvent struct {
	Records                    []recordOut     `json:"Records"`
	ContinuationSequenceNumber string          `json:"ContinuationSequenceNumber,omitempty"`
	MillisBehindLatest         int64           `json:"MillisBehindLatest"`
	ChildShards                []childShardOut `json:"ChildShards,omitempty"`
}

func (h *Handler) subscribeToShard(q *request) (any, *apiError) {
	name, c, e := h.consumerByARN(q.in["ConsumerARN"].(string))
	if e != nil {
		return nil, e
	}
	arn := h.consumerARN(name, c) // canonical: other spellings resolve to it
	shardID := q.in["ShardId"].(string)
	sp := q.in["StartingPosition"].(map[string]any)
	seq, hasSeq := sp["SequenceNumber"].(string)
	secs, hasTS := sp["Timestamp"].(float64)
	cur, e := h.position(name, shardID, sp["Type"].(string), seq, hasSeq, secs, hasTS)
	if e != nil {
		return nil, e
	}
	q.release() // the stream may last minutes; its body is decoded
	if !h.track() {
		return nil, &apiError{Type: errServiceUnavailable, Message: "The gateway is shutting down.", Status: http.StatusServiceUnavailable}
	}
	defer h.wg.Done()
	ctx, done, ok := h.subs.start(mergeCancel(q.ctx, h.ctx), name, arn, cur.ShardID(), h.cfg.Now())
	if !ok {
		return nil, newError(errResourceInUse, "Another active subscription exists for this consumer: %s for shard %s. Wait %d seconds before subscribing again.", arn, cur.ShardID(), int(resubscribeGrace.Seconds()))
	}
	defer done()

	ctype := "application/json"
	if q.cbor {
		ctype = contentCBOR
	}
	w := q.w
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := eventstream.NewEncoder()
	send := func(headers eventstream.Headers, payload any) bool {
		b, err := encode(payload, q.cbor)
		if err != nil {
			return false
		}
		// A subscriber that stops reading must not hold the goroutine (and
		// Close) forever.
		rc.SetWriteDeadline(time.Now().Add(subscribeWriteTimeout))
		if err := enc.Encode(w, eventstream.Message{Headers: headers, Payload: b}); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	event := func(typ string) eventstream.Headers {
		return eventstream.Headers{
			{Name: ":message-type", Value: eventstream.StringValue("event")},
			{Name: ":event-type", Value: eventstream.StringValue(typ)},
			{Name: ":content-type", Value: eventstream.StringValue(ctype)},
		}
	}
	if !send(event("initial-response"), map[string]any{}) {
		return streamed, nil
	}
	var lastSent time.Time // zero: the first read is sent at once, even if empty
	for {
		res, err := h.sp.Read(cur, spool.ReadLimits{MaxRecords: 10000, MaxBytes: eventMaxBytes})
		if err != nil {
			ae := h.spoolError(err, name)
			send(eventstream.Headers{
				{Name: ":message-type", Value: eventstream.StringValue("exception")},
				{Name: ":exception-type", Value: eventstream.StringValue(ae.Type)},
				{Name: ":content-type", Value: eventstream.StringValue(ctype)},
			}, map[string]string{"message": ae.Message})
			return streamed, nil
		}
		// An event for records, for the shard's end, or as a heartbeat.
		if len(res.Records) > 0 || res.EndOfShard || time.Since(lastSent) >= subscribeHeartbeat {
			ev := subscribeEvent{Records: recordsOut(res.Records), MillisBehindLatest: res.MillisBehind}
			if res.EndOfShard {
				ev.ChildShards = childShardsOut(res.ChildShards)
			} else {
				ev.ContinuationSequenceNumber = spool.SeqNum{Shard: res.Next.Shard, Counter: res.Next.Seq - 1}.String()
			}
			if !send(event("SubscribeToShardEvent"), ev) || res.EndOfShard {
				return streamed, nil
			}
			lastSent = time.Now()
		}
		cur = res.Next
		if len(res.Records) > 0 {
			if h.cfg.Throughput {
				n := 0
				for _, r := range res.Records {
					n += len(r.Data) + len(r.PartitionKey)
				}
				if !pause(ctx, time.Duration(float64(n)/fanOutBytesPerSec*float64(time.Second))) {
					return streamed, nil
				}
			}
			continue // more may be waiting already
		}
		wctx, cancel := context.WithTimeout(ctx, subscribeHeartbeat-time.Since(lastSent))
		h.sp.Wait(wctx, cur) // an error (stream gone, spool closed) shows in the next Read
		cancel()
		if ctx.Err() != nil {
			return streamed, nil
		}
	}
}

// pause waits d or until ctx ends; it reports whether to go on.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// mergeCancel returns a context that ends when either a or b does.
func mergeCancel(a, b context.Context) context.Context {
	ctx, cancel := context.WithCancel(a)
	stop := context.AfterFunc(b, cancel)
	context.AfterFunc(ctx, func() { stop() })
	return ctx
}
