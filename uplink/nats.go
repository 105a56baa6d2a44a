package uplink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tributary-edge/tributary/spool"
)

// NATSConfig describes a NATS JetStream destination.
type NATSConfig struct {
	URLs []string // nats://host:4222, tls://host:4222; tried in turn
	// Subject is the subject every record is published to; "{key}" in it
	// is replaced by the record's partition key made a valid subject
	// token (each '.', '*', '>', space or control character becomes '_',
	// an empty key "_").
	Subject string
	Name    string // the connection's name on the server; default "tributary"

	// Credentials: User and Password, or Token (at most one of the two).
	User, Password string
	Token          string
	TLS            *tls.Config // nil: as the URL says (tls:// needs it)

	// MaxPending bounds a send's publishes awaiting their acknowledgement
	// (default 256).
	MaxPending int
	// Timeout is how long a publish may wait for its acknowledgement
	// before the send fails and is retried (default 30 s).
	Timeout time.Duration

	reconnectWait time.Duration // default nats.go's 2 s (tests)
}

// NATSSink publishes each record of a batch to a JetStream stream, one
// message per record with its data as the payload, and these headers:
//
//	Nats-Msg-Id              <Batch.ID>/<sequence number>
//	Tributary-Partition-Key  the record's partition key
//
// The message id is the same on every resend of the batch, so the stream
// drops a resend within its duplicate window (Duplicates in the stream
// config, 2 minutes by default); past the window, a consumer can
// deduplicate by it. Send returns nil only when every message has its
// acknowledgement from the stream: delivery is at-least-once, with an
// identity per record.
//
// Publishes are asynchronous, at most MaxPending awaiting their
// acknowledgement, in the shard's order, so the stream stores a key's
// records in order. The first publish of a send waits for its
// acknowledgement before the others go, so a missing stream (or one
// refusing) fails it alone. A send stops at the first publish that fails
// and at a reconnection (messages written to a connection that broke may
// be lost; later ones must not go ahead of them): what a failed send
// leaves in the stream is a prefix, and the resend's duplicates are
// dropped. (A publish the stream refuses at the very moment it accepts a
// later one — JetStream unavailable for an instant — leaves a gap that
// the resend fills out of order.)
//
// Errors: a message larger than the server's max_payload or the stream's
// max_msg_size is permanent (the batch goes to the error output; its
// earlier records may be in the stream). No stream for the subject is
// retried, with a message saying so: the operator may create it. Anything
// else (server down, reconnecting, acknowledgement timeouts) is retried.
type NATSSink struct {
	cfg     NATSConfig
	mu      sync.Mutex // guards nc, js, closed
	nc      *nats.Conn
	js      jetstream.JetStream
	closed  bool
	lastErr atomic.Pointer[brokerError] // the connection's last async error
	refused atomic.Int64
}

// Refused is how many records the sink has sent to the error output
// itself: those over the server's max payload (refuse.go).
func (s *NATSSink) Refused() int64 { return s.refused.Load() }

// natsHeaderOverhead is more than a message's header block adds besides
// the values of its two headers.
const natsHeaderOverhead = 96

// refusal refuses a record the server's max payload cannot hold with its
// headers: publishing it would fail, and the batch with it.
func (s *NATSSink) refusal(r spool.StoredRecord, id string, maxPayload int64) error {
	n := len(r.Data) + len(id) + 1 + len(r.SequenceNumber()) + len(r.PartitionKey) + natsHeaderOverhead
	if int64(n) > maxPayload {
		return fmt.Errorf("%w: nats subject %s: record %s with partition key %q is %d bytes with its headers, more than the server's max payload (%d)",
			ErrPermanent, s.subject(r.PartitionKey), r.SequenceNumber(), r.PartitionKey, n, maxPayload)
	}
	return nil
}

// Header names a NATSSink sets besides Nats-Msg-Id.
const NATSPartitionKeyHeader = "Tributary-Partition-Key"

// NewNATSSink checks cfg and returns a sink; it connects when the first
// batch is sent (no I/O here). Close it.
func NewNATSSink(cfg NATSConfig) (*NATSSink, error) {
	if len(cfg.URLs) == 0 {
		return nil, errors.New("uplink: nats: no server URL")
	}
	for _, u := range cfg.URLs {
		if u == "" || strings.Contains(u, ",") {
			return nil, fmt.Errorf("uplink: nats: server URL %q", u)
		}
	}
	if err := validSubject(strings.ReplaceAll(cfg.Subject, "{key}", "k")); err != nil {
		return nil, fmt.Errorf("uplink: nats: subject %q: %w", cfg.Subject, err)
	}
	if cfg.Token != "" && (cfg.User != "" || cfg.Password != "") {
		return nil, errors.New("uplink: nats: a token and a user/password: set one")
	}
	if cfg.User == "" && cfg.Password != "" {
		return nil, errors.New("uplink: nats: a password without a user")
	}
	if cfg.Name == "" {
		cfg.Name = "tributary"
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = 256
	}
	if cfg.MaxPending < 1 || cfg.MaxPending > 1<<16 {
		return nil, fmt.Errorf("uplink: nats: max pending %d is outside 1..65536", cfg.MaxPending)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("uplink: nats: negative timeout %s", cfg.Timeout)
	}
	return &NATSSink{cfg: cfg}, nil
}

// validSubject applies NATS subject rules for publishing: tokens
// separated by '.', none empty, no wildcards, no whitespace.
func validSubject(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	for _, tok := range strings.Split(s, ".") {
		if tok == "" {
			return errors.New("an empty token")
		}
		if tok == "*" || tok == ">" || strings.ContainsAny(tok, "*>") {
			return errors.New("wildcards cannot be published to")
		}
		if strings.IndexFunc(tok, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			return errors.New("whitespace or a control character")
		}
	}
	return nil
}

// SubjectToken makes a partition key a valid subject token: '.', '*',
// '>', whitespace, control characters and invalid UTF-8 become '_', and
// an empty key is "_".
func SubjectToken(key string) string {
	if key == "" {
		return "_"
	}
	ok := utf8.ValidString(key) && strings.IndexFunc(key, badTokenRune) < 0
	if ok {
		return key
	}
	var b strings.Builder
	for _, r := range key { // invalid UTF-8 comes as RuneError
		if badTokenRune(r) {
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func badTokenRune(r rune) bool {
	return r == '.' || r == '*' || r == '>' || r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r)
}

func (s *NATSSink) subject(key string) string {
	if !strings.Contains(s.cfg.Subject, "{key}") {
		return s.cfg.Subject
	}
	return strings.ReplaceAll(s.cfg.Subject, "{key}", SubjectToken(key))
}

// Close closes the connection; a send in progress fails. Idempotent.
func (s *NATSSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.nc != nil {
		s.nc.Close()
		s.nc, s.js = nil, nil
	}
	return nil
}

var errNATSClosed = errors.New("uplink: nats: sink closed")

// conn returns the connection, connecting first if there is none (or the
// last one was closed). It reconnects on its own for ever, and does not
// buffer while reconnecting: a publish then fails at once.
func (s *NATSSink) conn() (*nats.Conn, jetstream.JetStream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, errNATSClosed
	}
	if s.nc != nil && !s.nc.IsClosed() {
		return s.nc, s.js, nil
	}
	opts := []nats.Option{
		nats.Name(s.cfg.Name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectBufSize(-1),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			s.lastErr.Store(&brokerError{err, time.Now()})
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				s.lastErr.Store(&brokerError{err, time.Now()})
			}
		}),
	}
	if s.cfg.reconnectWait > 0 {
		opts = append(opts, nats.ReconnectWait(s.cfg.reconnectWait))
	}
	if s.cfg.User != "" {
		opts = append(opts, nats.UserInfo(s.cfg.User, s.cfg.Password))
	}
	if s.cfg.Token != "" {
		opts = append(opts, nats.Token(s.cfg.Token))
	}
	if s.cfg.TLS != nil {
		opts = append(opts, nats.Secure(s.cfg.TLS.Clone()))
	}
	nc, err := nats.Connect(strings.Join(s.cfg.URLs, ","), opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("nats: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(s.cfg.Timeout))
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("nats: %w", err)
	}
	s.nc, s.js = nc, js
	return nc, js, nil
}

var errNATSReconnected = errors.New("the connection was re-established during the send (messages written before may be lost)")

// natsPublish is a publish awaiting its acknowledgement.
type natsPublish struct {
	ack     jetstream.PubAckFuture
	seq     string
	subject string
	size    int
}

// Send implements Sink.
func (s *NATSSink) Send(ctx context.Context, b *Batch) error {
	nc, js, err := s.conn()
	if err != nil {
		return err
	}
	reconnects := nc.Stats().Reconnects
	id := b.ID()
	maxPayload := nc.MaxPayload()
	inFlight := make([]natsPublish, 0, min(s.cfg.MaxPending, b.Records))
	first := true
	var refused refusals
	err = b.Each(ctx, func(r spool.StoredRecord) error {
		if why := s.refusal(r, id, maxPayload); why != nil {
			refused.add(why)
			return nil
		}
		if len(inFlight) == s.cfg.MaxPending {
			if err := s.await(ctx, b, inFlight[0]); err != nil {
				return err
			}
			inFlight = inFlight[1:]
		}
		if st := nc.Status(); st != nats.CONNECTED {
			return fmt.Errorf("nats: not connected (%s)%s", st, s.lastError(time.Minute))
		}
		if nc.Stats().Reconnects != reconnects {
			return fmt.Errorf("nats: %w", errNATSReconnected)
		}
		p := natsPublish{seq: r.SequenceNumber(), subject: s.subject(r.PartitionKey), size: len(r.Data)}
		msg := &nats.Msg{Subject: p.subject, Data: r.Data, Header: nats.Header{
			jetstream.MsgIDHeader:  {id + "/" + p.seq},
			NATSPartitionKeyHeader: {r.PartitionKey},
		}}
		// No retry on "no responders" inside nats.go: it would publish the
		// message again after later ones.
		ack, err := js.PublishMsgAsync(msg, jetstream.WithRetryAttempts(0))
		if err != nil {
			return s.classify(err, b, p)
		}
		p.ack = ack
		if first {
			// The first publish goes alone: if the stream is missing (or
			// refuses), nothing after it is in flight to be stored ahead
			// of it once the stream is there.
			first = false
			return s.await(ctx, b, p)
		}
		inFlight = append(inFlight, p)
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range inFlight {
		if err := s.await(ctx, b, p); err != nil {
			return err
		}
	}
	return refused.write(ctx, b, func(r spool.StoredRecord) error { return s.refusal(r, id, maxPayload) }, &s.refused, slog.Default().With("subject", s.cfg.Subject))
}

// await waits for one publish's acknowledgement.
func (s *NATSSink) await(ctx context.Context, b *Batch, p natsPublish) error {
	select {
	case <-p.ack.Ok():
		return nil
	case err := <-p.ack.Err():
		return s.classify(err, b, p)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// classify turns a publish error into the error the delivery acts on.
func (s *NATSSink) classify(err error, b *Batch, p natsPublish) error {
	switch {
	case errors.Is(err, nats.ErrMaxPayload), errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum):
		return fmt.Errorf("%w: nats subject %q: record %s of batch %s (%d bytes) is larger than the server or stream accepts: %v",
			ErrPermanent, p.subject, p.seq, b.ID(), p.size, err)
	case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders):
		return fmt.Errorf("nats subject %q: no JetStream stream stores it (create a stream whose subjects include it): %w", p.subject, err)
	case errors.Is(err, jetstream.ErrAsyncPublishTimeout):
		return fmt.Errorf("nats subject %q: no acknowledgement within %s%s: %w", p.subject, s.cfg.Timeout, s.lastError(s.cfg.Timeout), err)
	case errors.Is(err, nats.ErrReconnectBufExceeded):
		return fmt.Errorf("nats: not connected (reconnecting)%s: %w", s.lastError(time.Minute), err)
	}
	return fmt.Errorf("nats subject %q: %w", p.subject, err)
}

// lastError describes the connection's last async error if it is recent.
func (s *NATSSink) lastError(within time.Duration) string {
	if e := s.lastErr.Load(); e != nil && time.Since(e.at) <= within {
		return "; last connection error: " + e.err.Error()
	}
	return ""
}
