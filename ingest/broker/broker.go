package broker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"

	"github.com/tributary-edge/tributary/ingest"
	"github.com/tributary-edge/tributary/ingest/route"
)

// Options configure the broker.
type Options struct {
	Listen    string // TCP address; required
	WebSocket string // "" = off
	TLSListen string // "" = off
	TLS       *tls.Config

	AllowAnonymous bool
	Users          []User

	// MaxInflight is each client's window of messages being stored.
	MaxInflight int
	// QoS0Queue bounds QoS 0 messages waiting to be stored.
	QoS0Queue int
	// MaxPacketSize refuses larger packets (the client is disconnected);
	// default 1 MiB + 64 KiB, a record's limit plus headroom.
	MaxPacketSize uint32

	Routes *route.Table
	Logger *slog.Logger
}

// Stats are the broker's counters.
type Stats struct {
	Stored       int64 // records stored (QoS 0 and QoS 1/2)
	DeadLettered int64 // messages stored in the dead-letter stream
	Refused      int64 // QoS 1/2 messages not stored (stream or disk full...)
	DroppedQoS0  int64 // QoS 0 messages dropped (queue full, append failed)
	Unrouted     int64 // messages that matched no route
	Clients      int64 // connected clients
}

// Broker is the embedded MQTT broker. Start it after the spool; Close it
// before the spool.
type Broker struct {
	opts   Options
	routes *route.Table
	log    *slog.Logger
	server *mqtt.Server
	hook   *ingestHook
	qos0   *qos0Queue
	storer *ingest.Storer
	counts ingest.Counters
	addrs  map[string]string // listener id -> bound address

	droppedQoS0, unrouted atomic.Int64
}

// New checks opts; it does no I/O.
func New(opts Options, app ingest.Appender) (*Broker, error) {
	if opts.Listen == "" {
		return nil, errors.New("broker: no listen address")
	}
	if opts.Routes == nil {
		return nil, errors.New("broker: no routes")
	}
	if opts.MaxInflight <= 0 {
		opts.MaxInflight = 64
	}
	if opts.QoS0Queue <= 0 {
		opts.QoS0Queue = 10000
	}
	if opts.MaxPacketSize == 0 {
		opts.MaxPacketSize = 1<<20 + 64<<10
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	b := &Broker{opts: opts, routes: opts.Routes, log: opts.Logger.With("component", "mqtt"), addrs: map[string]string{}}
	b.storer = &ingest.Storer{App: app, Counts: &b.counts}
	return b, nil
}

// Start listens and serves. It returns once the listeners are bound.
func (b *Broker) Start() error {
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = b.opts.MaxPacketSize
	// Re-injection takes one unit of the client's receive quota for a
	// moment; with a maximum of 1 the client's next publish would find it
	// at 0 and be disconnected.
	caps.ReceiveMaximum = uint16(max(b.opts.MaxInflight, 2))
	caps.MaximumClientWritesPending = 4096
	b.server = mqtt.New(&mqtt.Options{
		InlineClient: true,
		Capabilities: caps,
		Logger:       slog.New(quieter{b.log.Handler(), slog.LevelWarn}).With("component", "mochi"),
	})
	users := map[string]User{}
	for _, u := range b.opts.Users {
		users[u.Username] = u
	}
	if err := b.server.AddHook(&authHook{anonymous: b.opts.AllowAnonymous, users: users}, nil); err != nil {
		return err
	}
	b.hook = &ingestHook{b: b, pipelines: map[*mqtt.Client]*pipeline{}, received: map[string]map[uint16]bool{}, session: map[string]uint64{}}
	if err := b.server.AddHook(b.hook, nil); err != nil {
		return err
	}
	b.qos0 = newQoS0Queue(b, b.opts.QoS0Queue)
	add := func(id, addr string, tlsConf *tls.Config, ws bool) error {
		// bind first so the port is known (":0" in tests) and errors are ours
		var ln net.Listener
		var err error
		if tlsConf != nil {
			ln, err = tls.Listen("tcp", addr, tlsConf)
		} else {
			ln, err = net.Listen("tcp", addr)
		}
		if err != nil {
			return fmt.Errorf("mqtt %s listener on %s: %w", id, addr, err)
		}
		b.addrs[id] = ln.Addr().String()
		var l listeners.Listener
		if ws {
			ln.Close() // mochi's websocket listener binds itself: give it the port we found
			l = listeners.NewWebsocket(listeners.Config{ID: id, Address: b.addrs[id], TLSConfig: tlsConf})
		} else {
			l = listeners.NewNet(id, ln)
		}
		return b.server.AddListener(l)
	}
	if err := add("tcp", b.opts.Listen, nil, false); err != nil {
		return err
	}
	if b.opts.TLSListen != "" {
		if err := add("tls", b.opts.TLSListen, b.opts.TLS, false); err != nil {
			return err
		}
	}
	if b.opts.WebSocket != "" {
		if err := add("ws", b.opts.WebSocket, nil, true); err != nil {
			return err
		}
	}
	return b.server.Serve()
}

// Addr returns the bound TCP address.
func (b *Broker) Addr() string { return b.addrs["tcp"] }

// ListenerAddr returns the bound address of a listener: "tcp", "tls" or "ws".
func (b *Broker) ListenerAddr(id string) string { return b.addrs[id] }

// Server is the mochi server, for in-process publishing (analytics alerts).
func (b *Broker) Server() *mqtt.Server { return b.server }

// Close disconnects clients, lets messages being stored finish and be
// acknowledged where the client is still there, stores the QoS 0 queue and
// stops.
func (b *Broker) Close() error {
	if b.server == nil {
		return nil
	}
	err := b.server.Close()
	if b.hook != nil {
		b.hook.closeAll()
	}
	if b.qos0 != nil {
		b.qos0.close()
	}
	return err
}

// Stats returns the counters.
func (b *Broker) Stats() Stats {
	s := Stats{
		Stored:       b.counts.Stored.Load(),
		DeadLettered: b.counts.DeadLettered.Load(),
		Refused:      b.counts.Refused.Load(),
		DroppedQoS0:  b.droppedQoS0.Load(),
		Unrouted:     b.unrouted.Load(),
	}
	if b.server != nil {
		s.Clients = atomic.LoadInt64(&b.server.Info.ClientsConnected)
	}
	return s
}
