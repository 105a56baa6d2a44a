package uplink

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-edge/tributary/spool"
)

// MQTTSink publishes each record of a batch as one MQTT 3.1.1 message to a
// broker — AWS IoT Core, EMQX, HiveMQ, mosquitto — on a topic rendered
// from a template, and confirms the batch when the broker has
// acknowledged every message (a PUBACK each, at QoS 1).
//
// Contract:
//
//   - One connection at a time, shared by the delivery's shards, made on
//     the first Send (not before: a gateway starts without its uplink)
//     and again on the Send after a failure. paho never reconnects or
//     resends by itself: the session is clean and held in memory, and a
//     failed Send (connection lost, no PUBACK within Timeout, the broker
//     unreachable or refusing the client) returns an error the delivery
//     retries with its backoff, resending the whole batch.
//   - At least once. MQTT 3.1.1 has no message identity a broker keeps
//     across connections (no user properties; AWS IoT Core keeps none
//     either), so a batch resent after a failure arrives again in part or
//     whole; subscribers that care deduplicate on the payload.
//   - Order per partition key: a shard's records are published in order
//     on one connection and the broker forwards them in order (MQTT 3.1.1
//     §4.6); a resend starts again from the batch's first record, so
//     first occurrences stay in order.
//   - At most MaxInflight messages of a Send, and 1 MiB of their data
//     (or one message), await their PUBACK; the next waits for the
//     oldest. paho holds their data until then.
//   - A record that no broker would take — larger than MaxPayload, or
//     whose topic is longer than MaxTopic — is not published (a broker
//     answers an oversized packet by disconnecting, which a retry would
//     repeat forever). It goes to the error output (the spool's
//     dead-letter stream, as a refused batch does) with a reason wrapping
//     ErrPermanent that names its partition key and size; the rest of the
//     batch is delivered. These are counted by Refused, logged once per
//     batch, and written only after the rest of the batch is confirmed,
//     so a retried batch does not write them twice.
//
// At QoS 0 (AtMostOnce) there is no PUBACK: a message counts as
// delivered once written to the connection, and one lost with the
// connection is lost.
//
// Use one MQTTSink per delivery; Close it after the delivery.
type MQTTSink struct {
	// Broker is the broker's URL: tcp://host:1883 (also mqtt://),
	// ssl://host:8883 (also tls://, mqtts://), ws://host:port/path or
	// wss://….
	Broker string
	// ClientID defaults to "tributary-<delivery>-<8 hex digits>", the
	// digits derived from this machine's id (/etc/machine-id, else the
	// hostname): stable across restarts, so the broker replaces a stale
	// connection of ours instead of keeping both, and different on every
	// gateway of a fleet, so two never take over each other's connection.
	// AWS IoT Core policies usually want the thing name here.
	ClientID           string
	Username, Password string
	// CAFile holds PEM certificates of the CAs that may sign the broker's
	// certificate (default: the system's roots, which include Amazon's).
	// CertFile and KeyFile are the client certificate and its key, for
	// mutual TLS (AWS IoT Core's device certificates). The files are read
	// at every connect, so a renewed certificate is picked up.
	CAFile, CertFile, KeyFile string
	// Topic is the topic template (default "tributary/{stream}/{key}"):
	// {stream}, {shard} (shardId-000000000000), {key} (the partition key)
	// and {delivery} are replaced by their values, each as exactly one
	// topic level: the characters a topic level cannot hold or that would
	// change its meaning — "/", "+", "#", "%", control characters (NUL
	// among them), Unicode noncharacters — are percent-encoded as in URLs
	// ("dev+1/a" → "dev%2B1%2Fa"); anything else is kept. The template's
	// own text may not contain "+", "#" or control characters.
	Topic string
	// AtMostOnce publishes at QoS 0 instead of QoS 1 (see above).
	AtMostOnce bool
	// Retain sets the retain flag on every message: the broker keeps the
	// last message of each topic for later subscribers.
	Retain bool
	// MaxInflight bounds the messages of one Send awaiting their PUBACK
	// (default 100, at most 65535).
	MaxInflight int
	// MaxPayload is the largest record data published (default 128 KiB,
	// AWS IoT Core's limit; mosquitto allows 256 MiB unless
	// message_size_limit says less).
	MaxPayload int
	// MaxTopic is the longest topic, in bytes (default 65535, MQTT's
	// limit; AWS IoT Core allows 256).
	MaxTopic int
	// Timeout bounds connecting, writing one message, and waiting for one
	// PUBACK (default 30 s). On a slow link with large records allow for
	// writing about two of them: a PUBACK is timed from the publish call.
	Timeout time.Duration
	Logger  *slog.Logger

	once   sync.Once
	set    mqttSettings
	setErr error
	done   chan struct{} // closed by Close
	closer sync.Once

	mu   sync.Mutex // orders connecting, replacing and closing conn
	conn *mqttConn  // nil: not connected

	refused atomic.Int64
}

// Defaults and limits of MQTTSink.
const (
	MQTTDefaultTopic       = "tributary/{stream}/{key}"
	MQTTDefaultMaxInflight = 100
	MQTTDefaultMaxPayload  = 128 << 10
	MQTTDefaultTimeout     = 30 * time.Second
	// mqttMaxTopic is MQTT's limit: a UTF-8 string of at most 65535 bytes
	// (MQTT 3.1.1 §1.5.3).
	mqttMaxTopic = 65535
	// mqttMaxPayload leaves room in MQTT's largest packet (remaining
	// length 268,435,455; §2.2.3) for the longest topic and a packet id.
	mqttMaxPayload = 268435455 - 2 - mqttMaxTopic - 2
	mqttKeepAlive  = 30 * time.Second
	// mqttInflightBytes bounds the data a Send has awaiting PUBACKs (a
	// Pi holds MaxShards times this).
	mqttInflightBytes = 1 << 20
)

var errMQTTClosed = errors.New("mqtt: sink closed")

// mqttSettings are an MQTTSink's fields with the defaults applied.
type mqttSettings struct {
	topic       topicTemplate
	qos         byte
	maxInflight int
	maxPayload  int
	maxTopic    int
	timeout     time.Duration
	log         *slog.Logger
}

// Validate checks the sink's settings without any I/O (the TLS files are
// read when connecting). Each problem is reported as "key: message" with
// the YAML key it comes from.
func (s *MQTTSink) Validate() error {
	_, err := s.settings()
	return err
}

func (s *MQTTSink) settings() (mqttSettings, error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	set := mqttSettings{qos: 1, maxInflight: cmp.Or(s.MaxInflight, MQTTDefaultMaxInflight),
		maxPayload: cmp.Or(s.MaxPayload, MQTTDefaultMaxPayload), maxTopic: cmp.Or(s.MaxTopic, mqttMaxTopic),
		timeout: cmp.Or(s.Timeout, MQTTDefaultTimeout), log: cmp.Or(s.Logger, slog.Default())}
	if s.AtMostOnce {
		set.qos = 0
	}
	secure := false
	if u, err := url.Parse(s.Broker); err != nil || u.Host == "" {
		bad("broker", "must be a URL such as tcp://host:1883 or ssl://host:8883 (got %q)", s.Broker)
	} else {
		switch u.Scheme {
		case "tcp", "mqtt", "ws":
		case "ssl", "tls", "mqtts", "wss":
			secure = true
		default:
			bad("broker", "scheme %q is not one of tcp, mqtt, ssl, tls, mqtts, ws, wss", u.Scheme)
		}
	}
	if !secure && (s.CAFile != "" || s.CertFile != "") {
		bad("broker", "is not a TLS URL (ssl://, tls://, mqtts://, wss://) but ca_file or cert_file is set")
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		bad("cert_file", "cert_file and key_file must be set together")
	}
	if len(s.ClientID) > mqttMaxTopic || !utf8.ValidString(s.ClientID) {
		bad("client_id", "must be valid UTF-8 of at most 65535 bytes")
	}
	if s.Password != "" && s.Username == "" {
		bad("password", "needs a username (MQTT 3.1.1 §3.1.2.9)")
	}
	if set.maxInflight < 1 || set.maxInflight > 65535 {
		bad("max_inflight", "%d is outside 1..65535", s.MaxInflight)
	}
	if set.maxPayload < 1 || set.maxPayload > mqttMaxPayload {
		bad("max_payload", "%d is outside 1..%d bytes", s.MaxPayload, mqttMaxPayload)
	}
	if set.maxTopic < 1 || set.maxTopic > mqttMaxTopic {
		bad("max_topic_length", "%d is outside 1..65535 bytes", s.MaxTopic)
	}
	if set.timeout < 0 {
		bad("timeout", "%s is negative", s.Timeout)
	}
	t, err := parseTopicTemplate(cmp.Or(s.Topic, MQTTDefaultTopic))
	if err != nil {
		bad("topic", "%v", err)
	} else if n := t.literalLen(); n > set.maxTopic {
		bad("topic", "is %d bytes before its placeholders are filled in; max_topic_length is %d", n, set.maxTopic)
	}
	set.topic = t
	set.log = set.log.With("broker", s.Broker)
	return set, errors.Join(errs...)
}

// setup applies the defaults once. A bad setting is an error every Send
// returns, retried like an outage: nothing goes to the error output for a
// mistake in the configuration (which `tributary check` reports first).
func (s *MQTTSink) setup() error {
	s.once.Do(func() {
		s.done = make(chan struct{})
		s.set, s.setErr = s.settings()
		if s.setErr != nil {
			s.setErr = fmt.Errorf("mqtt sink: %w", s.setErr)
		}
	})
	return s.setErr
}

// Refused is how many records the sink has sent to the error output since
// it was made (oversized, or a topic too long).
func (s *MQTTSink) Refused() int64 { return s.refused.Load() }

// Close disconnects. It is idempotent; a Send after it returns an error.
func (s *MQTTSink) Close() error {
	s.setup()
	s.closer.Do(func() { close(s.done) })
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		c.close()
	}
	return nil
}

// Send implements Sink.
func (s *MQTTSink) Send(ctx context.Context, b *Batch) error {
	if err := s.setup(); err != nil {
		return err
	}
	topic := s.set.topic.bind(b)
	p := &mqttPublisher{s: s, b: b, reply: make(chan paho.Token, 1)}
	var refused refusals
	err := b.Each(ctx, func(r spool.StoredRecord) error {
		t := topic.render(r.PartitionKey)
		if why := s.refusal(r, t); why != nil {
			refused.add(why)
			return nil
		}
		return p.publish(ctx, t, r.Data)
	})
	if err == nil {
		err = p.drain(ctx)
	}
	if err != nil {
		return err
	}
	return refused.write(ctx, b, func(r spool.StoredRecord) error { return s.refusal(r, topic.render(r.PartitionKey)) }, &s.refused, s.set.log)
}

// refusal says why a record cannot be published, as an error wrapping
// ErrPermanent, or returns nil. It depends only on the record and the
// settings, so a resent batch refuses the same records.
func (s *MQTTSink) refusal(r spool.StoredRecord, topic string) error {
	if n := len(r.Data); n > s.set.maxPayload {
		return fmt.Errorf("%w: mqtt: record %s with partition key %q is %d bytes, more than max_payload (%d bytes)",
			ErrPermanent, r.SequenceNumber(), r.PartitionKey, n, s.set.maxPayload)
	}
	if n := len(topic); n > s.set.maxTopic {
		shown := topic
		if len(shown) > 80 {
			shown = strings.ToValidUTF8(shown[:80], "") + "…"
		}
		return fmt.Errorf("%w: mqtt: record %s with partition key %q: topic %q is %d bytes, more than max_topic_length (%d bytes)",
			ErrPermanent, r.SequenceNumber(), r.PartitionKey, shown, n, s.set.maxTopic)
	}
	return nil
}

// mqttPublisher publishes one Send's records, keeping at most
// MaxInflight of them (and mqttInflightBytes) unacknowledged.
type mqttPublisher struct {
	s       *MQTTSink
	b       *Batch
	c       *mqttConn // connected at the first publish
	reply   chan paho.Token
	pending []mqttPending
	bytes   int // data of the pending messages
}

type mqttPending struct {
	tok   paho.Token
	topic string
	size  int
	at    time.Time
}

func (p *mqttPublisher) publish(ctx context.Context, topic string, data []byte) error {
	if p.c == nil {
		c, err := p.s.connection(ctx, p.b.Delivery)
		if err != nil {
			return err
		}
		p.c = c
	}
	for len(p.pending) > 0 && (len(p.pending) >= p.s.set.maxInflight || p.bytes+len(data) > mqttInflightBytes) {
		if err := p.waitOldest(ctx); err != nil {
			return err
		}
	}
	tok, err := p.c.publish(ctx, topic, data, p.reply)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		p.s.drop(p.c)
		return fmt.Errorf("mqtt: publish to %s on %s: %w", topic, p.s.Broker, p.c.cause(err))
	}
	p.pending = append(p.pending, mqttPending{tok: tok, topic: topic, size: len(data), at: time.Now()})
	p.bytes += len(data)
	return nil
}

// drain waits for every outstanding acknowledgement.
func (p *mqttPublisher) drain(ctx context.Context) error {
	for len(p.pending) > 0 {
		if err := p.waitOldest(ctx); err != nil {
			return err
		}
	}
	return nil
}

// waitOldest waits for the oldest message's acknowledgement. A failed or
// missing one gives up on the connection: the next Send makes a new one.
func (p *mqttPublisher) waitOldest(ctx context.Context) error {
	m := p.pending[0]
	p.pending = p.pending[1:]
	p.bytes -= m.size
	t := time.NewTimer(time.Until(m.at.Add(p.s.set.timeout)))
	defer t.Stop()
	select {
	case <-m.tok.Done():
	case <-p.c.gone:
		// paho completes what it holds when a connection ends, but not a
		// message published while it was ending: that one is lost too.
	case <-ctx.Done():
		return ctx.Err() // the connection is fine; what is in flight is acknowledged in its own time
	case <-t.C:
		p.s.drop(p.c)
		return fmt.Errorf("mqtt: publish to %s on %s: no PUBACK within %s", m.topic, p.s.Broker, p.s.set.timeout)
	}
	var err error
	select {
	case <-m.tok.Done():
		err = m.tok.Error()
	default:
		err = errors.New("connection ended before the PUBACK")
	}
	if err == nil {
		return nil
	}
	p.s.drop(p.c)
	return fmt.Errorf("mqtt: publish to %s on %s: %w", m.topic, p.s.Broker, p.c.cause(err))
}

// mqttConn is one connection: a paho client used for nothing else, and
// the goroutine that publishes on it.
type mqttConn struct {
	client paho.Client
	sends  chan mqttSend
	gone   chan struct{} // closed once the connection is lost or closed
	once   sync.Once
	mu     sync.Mutex
	lost   error // why the connection was lost, if it was
}

type mqttSend struct {
	topic string
	data  []byte
	reply chan<- paho.Token
}

func newMQTTConn() *mqttConn {
	return &mqttConn{sends: make(chan mqttSend), gone: make(chan struct{})}
}

// publishLoop calls paho's Publish for the connection's senders, until
// the connection is over. paho's Publish can block for Timeout when the
// connection ends under it; a sender stops waiting for it then, and this
// goroutine ends once it returns.
func (c *mqttConn) publishLoop(qos byte, retain bool) {
	for {
		select {
		case m := <-c.sends:
			m.reply <- c.client.Publish(m.topic, qos, retain, m.data)
		case <-c.gone:
			return
		}
	}
}

// publish hands a message to paho (which keeps data until it is
// acknowledged; spool records are copies) and returns its token, or an
// error if the connection or ctx ends first. reply has room for one
// token; after an error it may hold a late one.
func (c *mqttConn) publish(ctx context.Context, topic string, data []byte, reply chan paho.Token) (paho.Token, error) {
	select {
	case c.sends <- mqttSend{topic: topic, data: data, reply: reply}:
	case <-c.gone:
		return nil, errors.New("not connected")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case tok := <-reply:
		return tok, nil
	case <-c.gone:
		return nil, errors.New("connection ended while publishing")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ended records that the connection is over, and why when err is set.
func (c *mqttConn) ended(err error) {
	if err != nil {
		c.mu.Lock()
		c.lost = err
		c.mu.Unlock()
	}
	c.once.Do(func() { close(c.gone) })
}

// cause adds why the connection was lost, when known, to a publish error.
func (c *mqttConn) cause(err error) error {
	c.mu.Lock()
	lost := c.lost
	c.mu.Unlock()
	if lost != nil {
		return fmt.Errorf("%w (connection lost: %v)", err, lost)
	}
	return err
}

// close disconnects, waiting at most a quarter second for the DISCONNECT
// to go out; paho completes what is outstanding with errors.
func (c *mqttConn) close() {
	c.client.Disconnect(250)
	c.ended(nil)
}

// connection returns the open connection, making one if there is none or
// the last one was lost.
func (s *MQTTSink) connection(ctx context.Context, delivery string) (*mqttConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return nil, errMQTTClosed
	default:
	}
	if c := s.conn; c != nil {
		if c.client.IsConnectionOpen() {
			return c, nil
		}
		s.conn = nil
		c.close()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := s.dial(ctx, delivery)
	if err != nil {
		return nil, err
	}
	s.conn = c
	return c, nil
}

// drop forgets c, if it is still the connection, and disconnects it.
func (s *MQTTSink) drop(c *mqttConn) {
	s.mu.Lock()
	if s.conn == c {
		s.conn = nil
	}
	s.mu.Unlock()
	c.close()
}

func (s *MQTTSink) dial(ctx context.Context, delivery string) (*mqttConn, error) {
	id := s.ClientID
	if id == "" {
		id = defaultClientID(delivery)
	}
	tlsConf, askedForCert, err := s.tlsConfig()
	if err != nil {
		return nil, err
	}
	log := s.set.log.With("client_id", id)
	c := newMQTTConn()
	o := paho.NewClientOptions().
		AddBroker(s.Broker).
		SetClientID(id).
		SetProtocolVersion(4). // 3.1.1, no fallback to 3.1 that would hide the first error
		SetCleanSession(true).
		SetStore(paho.NewMemoryStore()).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetConnectTimeout(s.set.timeout).
		SetWriteTimeout(s.set.timeout).
		SetKeepAlive(mqttKeepAlive).
		SetPingTimeout(min(s.set.timeout, 10*time.Second)).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			c.ended(err)
			log.Warn("connection lost", "err", err)
		})
	if s.Username != "" {
		o.SetUsername(s.Username).SetPassword(s.Password)
	}
	o.SetTLSConfig(tlsConf) // used by ssl://, tls://, mqtts://, wss:// only
	c.client = paho.NewClient(o)
	tok := c.client.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		go func() { tok.Wait(); c.close() }() // done within Timeout
		return nil, ctx.Err()
	case <-s.done:
		go func() { tok.Wait(); c.close() }()
		return nil, errMQTTClosed
	}
	if err := tok.Error(); err != nil {
		if askedForCert.Load() {
			return nil, fmt.Errorf("mqtt: connect to %s as %q: the broker asked for a client certificate and none is set (cert_file, key_file): %w", s.Broker, id, err)
		}
		return nil, fmt.Errorf("mqtt: connect to %s as %q: %w", s.Broker, id, err)
	}
	go c.publishLoop(s.set.qos, s.Retain)
	log.Info("connected")
	return c, nil
}

// tlsConfig reads the CA and client certificate files (without a CA
// file the broker is verified with the system's roots). Without a client
// certificate, asked reports whether the broker asked for one: TLS 1.3
// refuses the client only after its handshake, as a bare connection
// reset, which says nothing of the reason.
func (s *MQTTSink) tlsConfig() (c *tls.Config, asked *atomic.Bool, err error) {
	c = &tls.Config{MinVersion: tls.VersionTLS12}
	asked = new(atomic.Bool)
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("mqtt: ca_file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("mqtt: ca_file %s holds no PEM certificate", s.CAFile)
		}
	}
	if s.CertFile == "" {
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			asked.Store(true)
			return &tls.Certificate{}, nil // none: the broker decides
		}
		return c, asked, nil
	}
	cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("mqtt: cert_file/key_file: %w", err)
	}
	c.Certificates = []tls.Certificate{cert}
	return c, asked, nil
}

// defaultClientID is "tributary-<delivery>-<8 hex digits of the machine
// id>" (see MQTTSink.ClientID).
func defaultClientID(delivery string) string {
	var id []byte
	for _, f := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(f); err == nil && len(bytes.TrimSpace(b)) > 0 {
			id = bytes.TrimSpace(b)
			break
		}
	}
	if id == nil {
		h, _ := os.Hostname()
		id = []byte(h)
	}
	sum := sha256.Sum256(append([]byte("tributary mqtt client id\x00"), id...))
	return "tributary-" + delivery + "-" + hex.EncodeToString(sum[:4])
}

// topicTemplate is a parsed Topic: literal text and placeholders, in
// order.
type topicTemplate []topicPart

type topicPart struct {
	lit         string
	placeholder string // "stream", "shard", "key", "delivery"; "" for literal text
}

var topicPlaceholders = []string{"stream", "shard", "key", "delivery"}

func parseTopicTemplate(t string) (topicTemplate, error) {
	if !utf8.ValidString(t) {
		return nil, errors.New("is not valid UTF-8")
	}
	for _, r := range t {
		switch {
		case r == '+' || r == '#':
			return nil, fmt.Errorf("%q contains the wildcard %q, which a topic name may not (MQTT 3.1.1 §4.7.1)", t, r)
		case r != '/' && r != '%' && topicEscaped(r, utf8.RuneLen(r)):
			return nil, fmt.Errorf("%q contains the character %U, which brokers refuse in a topic", t, r)
		}
	}
	var out topicTemplate
	for rest := t; rest != ""; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			out = append(out, topicPart{lit: rest})
			break
		}
		if i > 0 {
			out = append(out, topicPart{lit: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 || !slices.Contains(topicPlaceholders, rest[i+1:i+j]) {
			shown := rest[i:]
			if j > 0 {
				shown = rest[i : i+j+1]
			}
			return nil, fmt.Errorf("%q: %q is not a placeholder ({stream}, {shard}, {key}, {delivery})", t, shown)
		}
		name := rest[i+1 : i+j]
		out = append(out, topicPart{placeholder: name})
		rest = rest[i+j+1:]
	}
	return out, nil
}

// literalLen is the template's length without its placeholders.
func (t topicTemplate) literalLen() int {
	n := 0
	for _, p := range t {
		n += len(p.lit)
	}
	return n
}

// boundTopic is a template with a batch's values filled in; {key} is
// left for each record.
type boundTopic struct {
	parts []string // literal text; keyAt says which parts stand for {key}
	keyAt []bool
}

func (t topicTemplate) bind(b *Batch) boundTopic {
	var out boundTopic
	for _, p := range t {
		s, key := p.lit, false
		switch p.placeholder {
		case "stream":
			s = escapeTopicLevel(b.Stream)
		case "shard":
			s = escapeTopicLevel(b.ShardID)
		case "delivery":
			s = escapeTopicLevel(b.Delivery)
		case "key":
			key = true
		}
		out.parts = append(out.parts, s)
		out.keyAt = append(out.keyAt, key)
	}
	return out
}

func (t boundTopic) render(key string) string {
	var sb strings.Builder
	for i, p := range t.parts {
		if t.keyAt[i] {
			p = escapeTopicLevel(key)
		}
		sb.WriteString(p)
	}
	return sb.String()
}

// escapeTopicLevel makes v exactly one valid topic level (MQTT 3.1.1
// §4.7, and what mosquitto checks of UTF-8 strings, §1.5.3): every byte
// of "/", "+", "#", "%", a control character, a noncharacter or invalid
// UTF-8 becomes %XX.
func escapeTopicLevel(v string) string {
	if utf8.ValidString(v) && !strings.ContainsFunc(v, func(r rune) bool { return topicEscaped(r, utf8.RuneLen(r)) }) {
		return v
	}
	const hexDigits = "0123456789ABCDEF"
	var sb strings.Builder
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRuneInString(v[i:])
		for _, c := range []byte(v[i : i+n]) {
			if !topicEscaped(r, n) {
				sb.WriteByte(c)
				continue
			}
			sb.WriteByte('%')
			sb.WriteByte(hexDigits[c>>4])
			sb.WriteByte(hexDigits[c&15])
		}
		i += n
	}
	return sb.String()
}

// topicEscaped reports whether rune r, n bytes long, is percent-encoded in
// a topic level: invalid UTF-8, "/", "+", "#", "%", control characters
// (NUL among them) and noncharacters.
func topicEscaped(r rune, n int) bool {
	return (r == utf8.RuneError && n == 1) || r == '/' || r == '+' || r == '#' || r == '%' ||
		r <= 0x1F || (r >= 0x7F && r <= 0x9F) || (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}
