package broker

import (
	"context"
	"errors"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tributary-edge/tributary/ingest"
	"github.com/tributary-edge/tributary/ingest/route"
)

// pipeline stores one client's QoS 1/2 messages concurrently, up to its
// window, and releases them to mochi in arrival order.
type pipeline struct {
	h  *ingestHook
	cl *mqtt.Client
	// shadow publishes the client's stored messages to subscribers: an
	// inline client with the same ID (so No Local holds), which touches
	// none of the real client's session state
	shadow  *mqtt.Client
	session uint64 // the client's session when the pipeline began
	v5      bool
	queue   chan *pending // capacity = the window; never closed
	stop    chan struct{}
	once    sync.Once
	done    chan struct{}

	mu      sync.Mutex
	pending map[uint16]bool // packet ids taken and not yet released
}

type pending struct {
	pk  packets.Packet
	job *ingest.Job
}

func newPipeline(h *ingestHook, cl *mqtt.Client, session uint64, window int) *pipeline {
	shadow := h.b.server.NewClient(nil, cl.Net.Listener, cl.ID, true)
	shadow.Properties.ProtocolVersion = cl.Properties.ProtocolVersion
	p := &pipeline{
		h:       h,
		cl:      cl,
		shadow:  shadow,
		session: session,
		v5:      cl.Properties.ProtocolVersion == 5,
		queue:   make(chan *pending, window),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		pending: map[uint16]bool{},
	}
	go p.run()
	return p
}

// submit starts storing a message. It blocks while the window is full, so
// the client's read loop waits for the spool. It returns false if the
// pipeline is closing (the message stays unacknowledged; the client
// resends it).
func (p *pipeline) submit(pk packets.Packet, msg route.Message, res route.Result) bool {
	p.mu.Lock()
	dup := p.pending[pk.PacketID]
	p.pending[pk.PacketID] = true
	p.mu.Unlock()
	if dup {
		return true // a retransmission of a message being stored
	}
	// Start the append here, on the client's read goroutine, so the
	// client's messages reach the spool in the order they arrived. The
	// window bounds how many are started and not yet acknowledged.
	it := &pending{pk: pk, job: p.h.b.storer.Start(context.Background(), msg, res)}
	select {
	case p.queue <- it:
		return true
	case <-p.stop:
		return false // stored but not acknowledged: the client resends
	}
}

// close stops taking messages; run finishes those already taken.
func (p *pipeline) close() { p.once.Do(func() { close(p.stop) }) }

// run releases stored messages in order: it acknowledges them (or answers
// with the refusal code) and publishes them to subscribers.
func (p *pipeline) run() {
	defer close(p.done)
	for {
		select {
		case it := <-p.queue:
			p.release(it)
		case <-p.stop:
			for {
				select {
				case it := <-p.queue:
					p.release(it)
				default:
					return
				}
			}
		}
	}
}

func (p *pipeline) release(it *pending) {
	// The id is released before the answer goes out: once the client has
	// it, it may reuse the id, and a new message must not be taken for a
	// resend of this one. (For QoS 2, markReceived covers the id first.)
	done := func() {
		p.mu.Lock()
		delete(p.pending, it.pk.PacketID)
		p.mu.Unlock()
	}
	verdict := p.h.verdict(it.job, p.v5)
	switch {
	case errors.Is(verdict, errNoAck) || p.cl.Closed():
		done()
		return // no acknowledgement: the client resends (on its next connection)
	case verdict != nil:
		// refused (MQTT 5): answer in the packet type the QoS calls for,
		// PUBACK for QoS 1, PUBREC for QoS 2 (which ends that flow)
		code := verdict.(packets.Code)
		ack := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: it.pk.PacketID, ReasonCode: code.Code}
		if it.pk.FixedHeader.Qos == 2 {
			ack.FixedHeader.Type = packets.Pubrec
		}
		done()
		p.cl.WritePacket(ack)
		return
	}
	pk := it.pk
	switch {
	case pk.FixedHeader.Qos == 1:
		done()
		_ = p.cl.WritePacket(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: pk.PacketID}) // a closed connection: the client resends
	case p.h.markReceived(p.cl.ID, p.session, pk.PacketID): // before the PUBREL can come
		done()
		_ = p.cl.WritePacket(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pubrec}, PacketID: pk.PacketID})
	default:
		// a new clean session took over the client ID: it knows nothing
		// of this (stored) message, so no PUBREC is due
		done()
	}
	// the topic is resolved: re-applying an alias would rebind it to the
	// topic it had when the message arrived
	pk.Properties.TopicAlias, pk.Properties.TopicAliasFlag = 0, false
	if err := p.h.b.server.InjectPacket(p.shadow, pk); err != nil {
		p.h.b.log.Warn("cannot publish a stored MQTT message to subscribers", "topic", pk.TopicName, "err", err)
	}
}
