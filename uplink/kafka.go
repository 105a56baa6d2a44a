package uplink

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/tributary-edge/tributary/spool"
)

// KafkaConfig describes a Kafka destination.
type KafkaConfig struct {
	Brokers  []string // seed brokers, host:port
	Topic    string   // every record goes to this topic
	ClientID string   // default "tributary"

	TLS *tls.Config // nil: plaintext
	// User and Password, when User is set, authenticate with SASL/PLAIN
	// (send it over TLS).
	User, Password string

	// MaxMessageBytes is the largest record batch the producer builds
	// (Kafka's max.message.bytes, default 1,000,012). Set it to the
	// topic's max.message.bytes when that is lower, or the broker refuses
	// whole batches of small records; a record larger than it goes to the
	// error output.
	MaxMessageBytes int32
	// Timeout is how long a send may go without progress (no record
	// acknowledged) before it is abandoned and retried by the delivery;
	// default 30 s. It bounds a send while the cluster is unreachable,
	// not a slow one.
	Timeout time.Duration

	// metadataMinAge overrides franz-go's 5 s between metadata
	// refreshes, which a failed produce request waits for (tests).
	metadataMinAge time.Duration
}

// KafkaSink produces a batch's records to one Kafka topic with an
// idempotent producer (franz-go's default): record key = the spool
// partition key, value = the data. Keys are hashed to partitions as the
// Java client does, so a key always lands in the same partition.
//
// Each record carries two headers naming its identity: tributary-batch
// (Batch.ID, the same on every resend) and tributary-seq (its spool
// sequence number). Send returns nil only when every record of the batch
// is acknowledged by the cluster (acks=all). Delivery is at-least-once: a
// batch resent after a failure or a restart is produced again, and a
// consumer that must not see a record twice drops the ones whose
// (tributary-batch, tributary-seq) it has already seen.
//
// Order per key holds: records are produced in the shard's order, the
// idempotent producer keeps order per partition through its own retries,
// and once a record fails the rest of the send is cancelled, so what a
// failed send leaves in the topic is a prefix of each partition's share
// of the batch and the resend follows it. (A record that fails at the
// very moment a later one of the same partition is produced may still
// land after it; the window is one function call.)
//
// Errors: a record larger than the topic accepts (MESSAGE_TOO_LARGE), a
// record the broker refuses as invalid, and a topic the credentials may
// not write to are permanent: the batch goes to the error output (its
// other records may have reached the topic already, with their headers).
// Everything else (brokers down, an unknown topic, a stalled send) is
// returned for the delivery to retry.
type KafkaSink struct {
	cfg     KafkaConfig
	client  *kgo.Client
	lastErr brokerErrors
	close   sync.Once
	refused atomic.Int64
}

// Refused is how many records the sink has sent to the error output
// itself: those over MaxMessageBytes (refuse.go).
func (s *KafkaSink) Refused() int64 { return s.refused.Load() }

// kafkaRecordOverhead is more than a record batch's header plus one
// record's framing add to its key, value and headers.
const kafkaRecordOverhead = 128

// refusal refuses a record too large for MaxMessageBytes before it is
// produced: franz-go would fail it, and with it every record queued for
// its partition.
func (s *KafkaSink) refusal(r spool.StoredRecord, id string) error {
	n := len(r.PartitionKey) + len(r.Data) + len(KafkaBatchHeader) + len(id) + len(KafkaSeqHeader) + len(r.SequenceNumber()) + kafkaRecordOverhead
	if n > int(s.cfg.MaxMessageBytes) {
		return fmt.Errorf("%w: kafka topic %s: record %s with partition key %q is %d bytes with its headers, more than max_message_bytes (%d)",
			ErrPermanent, s.cfg.Topic, r.SequenceNumber(), r.PartitionKey, n, s.cfg.MaxMessageBytes)
	}
	return nil
}

// kafkaBufferedBytes bounds the record bytes the client holds unsent;
// producing blocks beyond it.
const kafkaBufferedBytes = 16 << 20

// kafkaCancelGrace is how long (at most Timeout) a cancelled send waits
// for the records still in flight to be answered before it returns; those
// it leaves are failed later, with the records queued behind them.
const kafkaCancelGrace = 5 * time.Second

// NewKafkaSink checks cfg and returns a sink with its client; the client
// connects when the first batch is sent (no I/O here). Close it.
func NewKafkaSink(cfg KafkaConfig) (*KafkaSink, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("uplink: kafka: no brokers")
	}
	if err := validKafkaTopic(cfg.Topic); err != nil {
		return nil, err
	}
	if cfg.User == "" && cfg.Password != "" {
		return nil, errors.New("uplink: kafka: a password without a user")
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "tributary"
	}
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = 1_000_012
	}
	if cfg.MaxMessageBytes < 1024 || cfg.MaxMessageBytes > 64<<20 {
		return nil, fmt.Errorf("uplink: kafka: max message bytes %d is outside 1 KiB..64 MiB", cfg.MaxMessageBytes)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("uplink: kafka: negative timeout %s", cfg.Timeout)
	}
	s := &KafkaSink{cfg: cfg}
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ClientID(cfg.ClientID),
		kgo.DefaultProduceTopic(cfg.Topic),
		// Lets a stalled send give up on records in flight; the resend
		// is recognisable by its headers.
		kgo.AllowIdempotentProduceCancellation(),
		kgo.ProducerBatchMaxBytes(cfg.MaxMessageBytes),
		kgo.MaxBufferedBytes(max(kafkaBufferedBytes, 2*int(cfg.MaxMessageBytes))),
		kgo.WithHooks(&s.lastErr),
	}
	if cfg.metadataMinAge > 0 {
		opts = append(opts, kgo.MetadataMinAge(cfg.metadataMinAge))
	}
	if cfg.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(cfg.TLS.Clone()))
	}
	if cfg.User != "" {
		opts = append(opts, kgo.SASL(plain.Auth{User: cfg.User, Pass: cfg.Password}.AsMechanism()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("uplink: kafka: %w", err)
	}
	s.client = cl
	return s, nil
}

// validKafkaTopic applies Kafka's topic name rules.
func validKafkaTopic(t string) error {
	if t == "" || len(t) > 249 || t == "." || t == ".." {
		return fmt.Errorf("uplink: kafka: topic %q must be 1 to 249 characters, not . or ..", t)
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("uplink: kafka: topic %q: %q is not allowed (letters, digits, . _ -)", t, c)
		}
	}
	return nil
}

// Close closes the client; records it still holds fail. Idempotent.
func (s *KafkaSink) Close() error {
	s.close.Do(s.client.Close)
	return nil
}

// Kafka record headers naming a record's identity.
const (
	KafkaBatchHeader = "tributary-batch"
	KafkaSeqHeader   = "tributary-seq"
)

var errKafkaStalled = errors.New("no record acknowledged")

// Send implements Sink.
func (s *KafkaSink) Send(ctx context.Context, b *Batch) error {
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	st := &kafkaSend{idle: make(chan struct{})}
	// A stall is Timeout without an acknowledgement while records await
	// one; time spent producing nothing (the bandwidth cap pacing the
	// reading) is not a stall.
	var stall *time.Timer
	stall = time.AfterFunc(time.Hour, func() { // armed below, once stall is set
		if st.waiting() {
			cancel(errKafkaStalled)
			return
		}
		stall.Reset(s.cfg.Timeout)
	})
	stall.Reset(s.cfg.Timeout)
	defer stall.Stop()
	began := time.Now()
	promise := func(r *kgo.Record, err error) {
		if err == nil {
			stall.Reset(s.cfg.Timeout)
		} else if cause := context.Cause(sctx); cause != nil && errors.Is(err, context.Canceled) {
			err = cause // cancelled because of another record, or a stall
		}
		if st.answer(err) {
			cancel(err) // stop producing: nothing after a failed record may land
		}
	}
	id := []byte(b.ID())
	var refused refusals
	err := b.Each(sctx, func(r spool.StoredRecord) error {
		if sctx.Err() != nil {
			return context.Cause(sctx)
		}
		if why := s.refusal(r, string(id)); why != nil {
			refused.add(why)
			return nil
		}
		stall.Reset(s.cfg.Timeout)
		if n := len(r.Data) + len(r.PartitionKey); n > st.largest {
			st.largest, st.largestSeq = n, r.SequenceNumber()
		}
		value := r.Data // the spool's copy: not reused
		if value == nil {
			value = []byte{} // empty, not null: a null value is a tombstone
		}
		st.add()
		s.client.Produce(sctx, &kgo.Record{
			Key:     []byte(r.PartitionKey),
			Value:   value,
			Headers: []kgo.RecordHeader{{Key: KafkaBatchHeader, Value: id}, {Key: KafkaSeqHeader, Value: []byte(r.SequenceNumber())}},
		}, promise)
		return nil
	})
	st.end()
	if err != nil && sctx.Err() == nil {
		return err // reading the spool failed; cancel (deferred) fails what is in flight
	}
	select {
	case <-st.idle:
	case <-ctx.Done():
		return ctx.Err()
	case <-sctx.Done():
		// A record failed or the send stalled: the records in flight are
		// cancelled; let them be answered so the resend follows them.
		t := time.NewTimer(min(s.cfg.Timeout, kafkaCancelGrace))
		select {
		case <-st.idle:
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	first, acked, left := st.result()
	if first == nil && left == 0 && err == nil {
		return refused.write(ctx, b, func(r spool.StoredRecord) error { return s.refusal(r, string(id)) }, &s.refused, slog.Default().With("topic", s.cfg.Topic))
	}
	if first == nil {
		// every record produced was acknowledged, but not every record of
		// the batch was produced: the send stalled (or failed) while the
		// batch was being read
		first = cmp.Or(context.Cause(sctx), err)
	}
	return s.classify(first, b, st, acked, time.Since(began))
}

// classify turns the first record error of a send into the error the
// delivery acts on.
func (s *KafkaSink) classify(err error, b *Batch, st *kafkaSend, acked int, took time.Duration) error {
	topic := s.cfg.Topic
	switch {
	case errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge):
		return fmt.Errorf("%w: kafka topic %q: batch %s has a record larger than the topic accepts (largest: %s, %d bytes; MaxMessageBytes %d): %v",
			ErrPermanent, topic, b.ID(), st.largestSeq, st.largest, s.cfg.MaxMessageBytes, err)
	case errors.Is(err, kerr.InvalidRecord):
		return fmt.Errorf("%w: kafka topic %q: the broker refuses a record of batch %s: %v", ErrPermanent, topic, b.ID(), err)
	case errors.Is(err, kerr.TopicAuthorizationFailed):
		return fmt.Errorf("%w: kafka topic %q: not authorized to write to it: %v", ErrPermanent, topic, err)
	case errors.Is(err, kerr.UnknownTopicOrPartition):
		return fmt.Errorf("kafka topic %q does not exist (create it, or let the brokers auto-create topics): %w", topic, err)
	case errors.Is(err, errKafkaStalled):
		why := ""
		if last, at := s.lastErr.get(); last != nil && time.Since(at) <= took {
			why = "; last broker error: " + last.Error()
		}
		return fmt.Errorf("kafka topic %q: %w for %s (%d of %d records acknowledged in %s)%s",
			topic, errKafkaStalled, s.cfg.Timeout, acked, b.Records, took.Round(time.Millisecond), why)
	}
	return fmt.Errorf("kafka topic %q: %w", topic, err)
}

// kafkaSend counts one send's records and their answers.
type kafkaSend struct {
	mu     sync.Mutex
	left   int           // produced, not yet answered
	acked  int           // answered without error
	first  error         // the first record error
	ended  bool          // every record produced
	idle   chan struct{} // closed when ended and nothing is left
	isIdle bool

	// The largest record (key and data bytes), named by a too-large
	// error; written by the producing goroutine only.
	largest    int
	largestSeq string
}

func (k *kafkaSend) add() {
	k.mu.Lock()
	k.left++
	k.mu.Unlock()
}

// answer records one record's answer; it reports whether it is the first
// error.
func (k *kafkaSend) answer(err error) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.left--
	first := false
	if err == nil {
		k.acked++
	} else if k.first == nil {
		k.first, first = err, true
	}
	k.maybeIdle()
	return first
}

// waiting reports whether records await their acknowledgement.
func (k *kafkaSend) waiting() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.left > 0
}

func (k *kafkaSend) end() {
	k.mu.Lock()
	k.ended = true
	k.maybeIdle()
	k.mu.Unlock()
}

func (k *kafkaSend) maybeIdle() {
	if k.ended && k.left == 0 && !k.isIdle {
		close(k.idle)
		k.isIdle = true
	}
}

func (k *kafkaSend) result() (first error, acked, left int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.first, k.acked, k.left
}

// brokerErrors keeps the client's last connection error, for a stalled
// send's message (kgo hooks).
type brokerErrors struct {
	last atomic.Pointer[brokerError]
}

type brokerError struct {
	err error
	at  time.Time
}

func (h *brokerErrors) set(meta kgo.BrokerMetadata, err error) {
	if err != nil {
		h.last.Store(&brokerError{fmt.Errorf("%s:%d: %w", meta.Host, meta.Port, err), time.Now()})
	}
}

func (h *brokerErrors) get() (error, time.Time) {
	if e := h.last.Load(); e != nil {
		return e.err, e.at
	}
	return nil, time.Time{}
}

// OnBrokerConnect implements kgo.HookBrokerConnect.
func (h *brokerErrors) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	h.set(meta, err)
}

// OnBrokerWrite implements kgo.HookBrokerWrite.
func (h *brokerErrors) OnBrokerWrite(meta kgo.BrokerMetadata, _ int16, _ int, _, _ time.Duration, err error) {
	h.set(meta, err)
}

// OnBrokerRead implements kgo.HookBrokerRead.
func (h *brokerErrors) OnBrokerRead(meta kgo.BrokerMetadata, _ int16, _ int, _, _ time.Duration, err error) {
	h.set(meta, err)
}
