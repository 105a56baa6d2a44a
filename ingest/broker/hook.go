package broker

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tributary-edge/tributary/ingest"
	"github.com/tributary-edge/tributary/ingest/route"
)

// ingestHook stores routed publishes before they are acknowledged.
type ingestHook struct {
	mqtt.HookBase
	b *Broker

	mu        sync.Mutex
	pipelines map[*mqtt.Client]*pipeline
	// received holds, per client ID, the QoS 2 packet ids we answered
	// with PUBREC and whose PUBREL has not come yet (the session's
	// "received" state, [MQTT-4.3.3]); it outlives a connection, as a
	// persistent session does.
	received map[string]map[uint16]bool
	// session counts the clean starts per client ID: a pipeline of an
	// earlier session (its connection being taken over) must not mark
	// ids in the new one, whose client numbers its packets afresh.
	session map[string]uint64
}

func (h *ingestHook) ID() string { return "tributary-ingest" }

func (h *ingestHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnPublish, mqtt.OnDisconnect, mqtt.OnPacketRead, mqtt.OnConnect, mqtt.OnClientExpired}, []byte{b})
}

// OnConnect forgets the QoS 2 state of a clean session.
func (h *ingestHook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	if pk.Connect.Clean {
		h.mu.Lock()
		delete(h.received, cl.ID)
		h.session[cl.ID]++
		h.mu.Unlock()
	}
	return nil
}

// OnClientExpired forgets the QoS 2 state of an expired session.
func (h *ingestHook) OnClientExpired(cl *mqtt.Client) {
	h.mu.Lock()
	delete(h.received, cl.ID)
	delete(h.session, cl.ID)
	h.mu.Unlock()
}

// OnPacketRead completes our QoS 2 flows: a PUBREL for a message the
// pipeline answered with PUBREC gets that PUBREC put in the client's
// inflight state here, on the client's read goroutine, so mochi's own
// PUBREL handling finds it and sends PUBCOMP. (mochi's inflight state
// must only be changed from that goroutine: its lock is not reentrant
// and its readers take it twice.)
func (h *ingestHook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Type != packets.Pubrel || !h.takeReceived(cl.ID, pk.PacketID) {
		return pk, nil
	}
	rec := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pubrec}, PacketID: pk.PacketID, Created: time.Now().Unix()}
	if cl.State.Inflight.Set(rec) {
		atomic.AddInt64(&h.b.server.Info.Inflight, 1)
	}
	return pk, nil
}

// markReceived records a PUBREC we are about to send, unless the
// client's session has started afresh since the pipeline began (then it
// returns false: the new session knows nothing of the message, which is
// stored; no PUBREC is due).
func (h *ingestHook) markReceived(clientID string, session uint64, id uint16) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.session[clientID] != session {
		return false
	}
	if h.received[clientID] == nil {
		h.received[clientID] = map[uint16]bool{}
	}
	h.received[clientID][id] = true
	return true
}

func (h *ingestHook) isReceived(clientID string, id uint16) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.received[clientID][id]
}

func (h *ingestHook) takeReceived(clientID string, id uint16) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := h.received[clientID]
	if !ids[id] {
		return false
	}
	delete(ids, id)
	if len(ids) == 0 {
		delete(h.received, clientID)
	}
	return true
}

// OnPublish routes a publish. See the package doc for the flow.
func (h *ingestHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil // stored already: a pipeline's delivery, or our own publishes (alerts)
	}
	if pk.FixedHeader.Qos == 2 && h.isReceived(cl.ID, pk.PacketID) {
		// a resend of a QoS 2 message we stored and answered: answer
		// again, store nothing ([MQTT-4.3.3-10])
		_ = cl.WritePacket(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pubrec}, PacketID: pk.PacketID})
		return pk, packets.ErrRejectPacket
	}
	msg := route.Message{
		Topic:    pk.TopicName,
		ClientID: cl.ID,
		QoS:      pk.FixedHeader.Qos,
		Retain:   pk.FixedHeader.Retain,
		Payload:  pk.Payload,
		Received: time.Now(),
	}
	res, ok := h.b.routes.Route(msg)
	if !ok {
		h.b.unrouted.Add(1)
		return pk, nil
	}
	if pk.FixedHeader.Qos == 0 {
		h.b.qos0.offer(msg, res)
		return pk, nil
	}
	p := h.pipeline(cl)
	if p == nil {
		return pk, packets.ErrRejectPacket // disconnecting
	}
	// A retransmission (DUP) of a message still being stored is not stored
	// again: the original's acknowledgement answers both.
	p.submit(pk, msg, res)             // blocks while the client's window is full
	return pk, packets.ErrRejectPacket // acknowledged later, by the pipeline
}

// OnDisconnect ends the client's pipeline once its queue is drained.
func (h *ingestHook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	h.mu.Lock()
	p := h.pipelines[cl]
	delete(h.pipelines, cl)
	h.mu.Unlock()
	if p != nil {
		p.close()
	}
}

func (h *ingestHook) pipeline(cl *mqtt.Client) *pipeline {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pipelines == nil {
		return nil // closed
	}
	p := h.pipelines[cl]
	if p == nil {
		p = newPipeline(h, cl, h.session[cl.ID], h.b.opts.MaxInflight)
		h.pipelines[cl] = p
	}
	return p
}

// closeAll ends every pipeline and waits for them.
func (h *ingestHook) closeAll() {
	h.mu.Lock()
	ps := h.pipelines
	h.pipelines = nil
	h.mu.Unlock()
	for _, p := range ps {
		p.close()
	}
	for _, p := range ps {
		<-p.done
	}
}

// verdict waits for a job and maps it for the second pass: nil to
// acknowledge, a packets.Code to refuse (MQTT 5), or errNoAck to leave it
// unacknowledged (MQTT 3.1.1 when the spool cannot take it: the client
// resends).
func (h *ingestHook) verdict(j *ingest.Job, v5 bool) error {
	v, err := j.Finish()
	switch {
	case v.Acked():
		return nil
	case !v5:
		return errNoAck
	case v == ingest.Full:
		return packets.ErrQuotaExceeded
	default:
		h.b.log.Warn("cannot store MQTT message", "err", err)
		return packets.ErrUnspecifiedError
	}
}

var errNoAck = errors.New("leave unacknowledged")
