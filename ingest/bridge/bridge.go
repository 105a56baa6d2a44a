// Package bridge subscribes Tributary to an existing MQTT broker
// (mosquitto, EMQX, a cloud broker) with paho.
//
// Contract: the bridge keeps a persistent session (fixed client id, clean
// session off) and subscribes at QoS 1 with paho's automatic acks
// disabled. Each message is acknowledged to the broker only after its
// record (or its dead letter) is durable, and acknowledgements go out in
// the order the messages arrived (MQTT 3.1.1 §4.6). What Tributary has not
// stored stays unacknowledged, so the broker delivers it again after a
// reconnect or a gateway restart. When the spool cannot take a message
// (stream or disk full) the bridge retries it with backoff and reads
// nothing else meanwhile: nothing is dropped, the broker queues.
//
// Messages are stored concurrently, up to a window, so one sync serves many.
package bridge

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-edge/tributary/ingest"
	"github.com/tributary-edge/tributary/ingest/route"
)

// Options configure a bridge.
type Options struct {
	URL                  string // tcp://host:1883, ssl://…, ws://…
	ClientID             string
	Username, Password   string
	Topics               []string // subscribed at QoS 1; "$share/g/filter" allowed
	CAFile               string
	CertFile, KeyFile    string
	InsecureSkipVerify   bool
	MaxReconnectInterval time.Duration
	Window               int // messages being stored at once; default 64

	Routes *route.Table
	Logger *slog.Logger
}

// Stats are the bridge's counters.
type Stats struct {
	Connected                     bool
	Stored, DeadLettered, Refused int64
	Unrouted                      int64
}

// Bridge is a running subscription.
type Bridge struct {
	opts   Options
	log    *slog.Logger
	client paho.Client
	storer *ingest.Storer
	counts ingest.Counters

	queue    chan *item
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}
	unrouted int64
	mu       sync.Mutex
}

type item struct {
	msg  paho.Message
	rmsg route.Message
	res  route.Result
	job  *ingest.Job
}

// New checks opts; it does no network I/O (it reads TLS files).
func New(opts Options, app ingest.Appender) (*Bridge, error) {
	if opts.URL == "" || opts.ClientID == "" || len(opts.Topics) == 0 || opts.Routes == nil {
		return nil, errors.New("bridge: URL, client id, topics and routes are required")
	}
	if opts.Window <= 0 {
		opts.Window = 64
	}
	if opts.MaxReconnectInterval <= 0 {
		opts.MaxReconnectInterval = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	b := &Bridge{opts: opts, log: opts.Logger.With("component", "mqtt-bridge", "broker", opts.URL), queue: make(chan *item, opts.Window), done: make(chan struct{})}
	b.storer = &ingest.Storer{App: app, Counts: &b.counts}
	tlsConf, err := tlsConfig(opts)
	if err != nil {
		return nil, err
	}
	co := paho.NewClientOptions().
		AddBroker(opts.URL).
		SetClientID(opts.ClientID).
		SetCleanSession(false).
		SetAutoAckDisabled(true).
		SetOrderMatters(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(opts.MaxReconnectInterval).
		SetKeepAlive(30 * time.Second).
		SetResumeSubs(true).
		SetDefaultPublishHandler(b.onMessage).
		SetOnConnectHandler(b.onConnect).
		SetConnectionLostHandler(func(_ paho.Client, err error) { b.log.Warn("connection lost; reconnecting", "err", err) })
	if opts.Username != "" {
		co.SetUsername(opts.Username).SetPassword(opts.Password)
	}
	if tlsConf != nil {
		co.SetTLSConfig(tlsConf)
	}
	b.client = paho.NewClient(co)
	return b, nil
}

func tlsConfig(o Options) (*tls.Config, error) {
	if o.CAFile == "" && o.CertFile == "" && !o.InsecureSkipVerify {
		return nil, nil
	}
	c := &tls.Config{InsecureSkipVerify: o.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.bridge.ca_file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt.bridge.ca_file: %s holds no PEM certificate", o.CAFile)
		}
	}
	if o.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.bridge.cert_file/key_file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// Start connects (retrying in the background until the broker answers)
// and starts the acknowledger. It does not wait for the connection.
func (b *Bridge) Start() error {
	b.ctx, b.cancel = context.WithCancel(context.Background())
	go b.run()
	b.client.Connect() // with ConnectRetry, this keeps trying
	return nil
}

func (b *Bridge) onConnect(c paho.Client) {
	b.log.Info("connected")
	for _, t := range b.opts.Topics {
		tok := c.Subscribe(t, 1, nil) // nil: the default handler, also for queued messages
		if tok.WaitTimeout(30*time.Second) && tok.Error() != nil {
			b.log.Error("subscribe failed", "topic", t, "err", tok.Error())
		}
	}
}

// onMessage runs on paho's router goroutine, in arrival order. It starts
// storing the message and queues it for the in-order acknowledger; a full
// window blocks paho, which stops reading from the broker.
func (b *Bridge) onMessage(_ paho.Client, m paho.Message) {
	msg := route.Message{Topic: m.Topic(), ClientID: b.opts.ClientID, QoS: m.Qos(), Retain: m.Retained(), Payload: m.Payload(), Received: time.Now()}
	it := &item{msg: m, rmsg: msg}
	if res, ok := b.opts.Routes.Route(msg); ok {
		// started here, on paho's router goroutine, so messages reach the
		// spool in the order the broker delivered them
		it.res, it.job = res, b.storer.Start(b.ctx, msg, res)
	} else {
		b.mu.Lock()
		b.unrouted++
		b.mu.Unlock()
		// not stored, but acknowledged in its turn (acks go out in order)
	}
	select {
	case b.queue <- it:
	case <-b.ctx.Done():
		// shutting down: unacknowledged, redelivered next time
	}
}

// run acknowledges stored messages in arrival order.
func (b *Bridge) run() {
	defer close(b.done)
	for {
		select {
		case it := <-b.queue:
			b.release(it)
		case <-b.ctx.Done():
			for {
				select {
				case it := <-b.queue:
					b.release(it)
				default:
					return
				}
			}
		}
	}
}

// release waits for a message to be stored and acknowledges it. If the
// spool cannot take it (stream or disk full), it retries with backoff and
// acknowledges nothing meanwhile; the broker keeps the rest. (A retried
// message can land after later messages of its key that were stored before
// the stream filled up.)
func (b *Bridge) release(it *item) {
	if it.job == nil {
		it.msg.Ack() // unrouted
		return
	}
	v, err := it.job.Finish()
	backoff := 100 * time.Millisecond
	for !v.Acked() {
		if b.ctx.Err() != nil {
			return // unacknowledged: the broker delivers it again
		}
		b.log.Warn("cannot store bridged message; retrying", "topic", it.rmsg.Topic, "err", err, "in", backoff)
		select {
		case <-time.After(backoff + rand.N(backoff/2)):
		case <-b.ctx.Done():
			return
		}
		backoff = min(2*backoff, 30*time.Second)
		v, err = b.storer.Store(b.ctx, it.rmsg, it.res)
	}
	it.msg.Ack()
}

// Close stops storing new messages, acknowledges what is stored, and
// disconnects. Unacknowledged messages stay with the broker.
func (b *Bridge) Close() error {
	if b.cancel == nil {
		return nil
	}
	b.cancel()
	<-b.done
	b.client.Disconnect(250)
	return nil
}

// Stats returns the counters.
func (b *Bridge) Stats() Stats {
	b.mu.Lock()
	un := b.unrouted
	b.mu.Unlock()
	return Stats{
		Connected:    b.client.IsConnectionOpen(),
		Stored:       b.counts.Stored.Load(),
		DeadLettered: b.counts.DeadLettered.Load(),
		Refused:      b.counts.Refused.Load(),
		Unrouted:     un,
	}
}
