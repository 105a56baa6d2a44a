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
	h     *ingestHook
	cl    *mqtt.Client
	v5    bool
	queue chan *pending // capacity = the window; never closed
	stop  chan struct{}
	once  sync.Once
	done  chan struct{}
}

type pending struct {
	pk  packets.Packet
	job *ingest.Job
}

func newPipeline(h *ingestHook, cl *mqtt.Client, window int) *pipeline {
	p := &pipeline{
		h:     h,
		cl:    cl,
		v5:    cl.Properties.ProtocolVersion == 5,
		queue: make(chan *pending, window),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go p.run()
	return p
}

// submit starts storing a message. It blocks while the window is full, so
// the client's read loop waits for the spool. It returns false if the
// pipeline is closing (the message stays unacknowledged; the client
// resends it).
func (p *pipeline) submit(pk packets.Packet, msg route.Message, res route.Result) bool {
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

// run releases stored messages in order: mochi acknowledges them (or
// answers with the refusal code) when they come back through InjectPacket.
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
	verdict := p.h.verdict(it.job, p.v5)
	if errors.Is(verdict, errNoAck) || p.cl.Closed() {
		return // no PUBACK: the client resends (on its next connection)
	}
	k := readyKey{p.cl, it.pk.PacketID}
	p.h.mu.Lock()
	p.h.ready[k] = verdict
	p.h.mu.Unlock()
	if err := p.h.b.server.InjectPacket(p.cl, it.pk); err != nil {
		p.h.mu.Lock()
		delete(p.h.ready, k)
		p.h.mu.Unlock()
	}
}
