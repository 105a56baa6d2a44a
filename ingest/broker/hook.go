package broker

import (
	"bytes"
	"errors"
	"sync"
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
	// nonce marks our re-injections: a stored message goes back to mochi
	// with a user property holding it, which OnPublish strips. It is
	// random per broker, so no client can forge it.
	nonce string
}

// storedProp is the user property that marks a re-injected message.
const storedProp = "x-tributary-stored"

func (h *ingestHook) ID() string { return "tributary-ingest" }

func (h *ingestHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnPublish, mqtt.OnDisconnect}, []byte{b})
}

// OnPublish routes a publish. See the package doc for the flow.
func (h *ingestHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil // our own publishes (alerts): already in a stream
	}
	if u := pk.Properties.User; len(u) > 0 && u[len(u)-1].Key == storedProp && u[len(u)-1].Val == h.nonce {
		pk.Properties.User = u[:len(u)-1] // second pass: stored; let mochi ack and deliver it
		return pk, nil
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
		p = newPipeline(h, cl, h.b.opts.MaxInflight)
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
