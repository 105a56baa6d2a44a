// Package device simulates MQTT devices: each device is one goroutine
// that owns one paho client connection and publishes a profile's
// payloads at a rate, measures publish-to-PUBACK latency, records which
// sequence numbers were acknowledged, and injects faults on request.
//
// A Fleet runs many devices and shares one set of counters and one
// latency histogram among them.
package device

import (
	"context"
	"math/rand/v2"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-edge/tributary/firmware-sim/internal/profile"
	"github.com/tributary-edge/tributary/firmware-sim/internal/stats"
)

// msgKind says what a publish carries.
type msgKind uint8

const (
	kindSeq       msgKind = iota // a sequenced message
	kindDuplicate                // the second copy of a sequenced message
	kindMalformed                // a payload that is not JSON
	kindOversize                 // a 300 KiB payload
)

// outMsg is a message ready to publish.
type outMsg struct {
	kind    msgKind
	seq     uint64 // 0 for malformed and oversize
	payload []byte
}

// inflight is a published message awaiting its token.
type inflight struct {
	kind     msgKind
	seq      uint64
	tok      mqtt.Token
	start    time.Time
	deadline time.Time
	aborted  bool // in flight when the reconnect fault dropped the connection
}

// device is one simulated device. Its run goroutine owns every field
// below the channels; other goroutines reach it only through kick, lost
// and the shared counters.
type device struct {
	cfg      *Config
	id       string
	topic    string
	gen      *profile.Generator
	rng      *rand.Rand // jitter and fault draws
	skew     time.Duration
	counters *stats.Counters
	latency  *stats.Histogram
	dial     dialer

	kick chan struct{} // (buffer 1) the fleet's reconnect storm
	lost chan conn     // connections lost, sent from paho's goroutines
	done chan struct{} // closed when run returns

	conn    conn // nil while disconnected
	flight  []inflight
	queue   []outMsg // to send before anything new (duplicates)
	extra   int      // sequenced messages to make and send at once (bursts, door flaps)
	nextDue time.Time
	res     Result
}

// maxInflight returns how many publishes may await their token: one in
// benchmark mode (rate 0), else the configured cap.
func (d *device) maxInflight() int {
	if d.cfg.Rate == 0 {
		return 1
	}
	return d.cfg.MaxInflight
}

// interval is the mean time between a device's regular messages.
func (d *device) interval() time.Duration {
	return time.Duration(float64(time.Second) / d.cfg.Rate)
}

// jitter returns dur scaled by a random factor in [1-spread, 1+spread).
func (d *device) jitter(dur time.Duration, spread float64) time.Duration {
	return time.Duration(float64(dur) * (1 - spread + 2*spread*d.rng.Float64()))
}

// run connects and publishes until ctx ends or the device's messages are
// sent, then waits for what is in flight (at most the ack timeout) and
// disconnects.
func (d *device) run(ctx context.Context) Result {
	defer close(d.done)
	defer d.hangUp()
	if !d.connect(ctx) {
		return d.res
	}
	f := d.cfg.Faults
	now := time.Now()
	if d.cfg.Rate > 0 {
		d.nextDue = now.Add(time.Duration(d.rng.Float64() * float64(d.interval()))) // spread devices out
	}
	sendTimer, ackTimer := time.NewTimer(time.Hour), time.NewTimer(time.Hour)
	defer sendTimer.Stop()
	defer ackTimer.Stop()
	var burstC, faultC <-chan time.Time
	var burstTimer *time.Timer
	if f.BurstEvery > 0 {
		burstTimer = time.NewTimer(time.Duration(d.rng.Float64() * float64(f.BurstEvery)))
		defer burstTimer.Stop()
		burstC = burstTimer.C
	}
	if f.Reconnect > 0 {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		faultC = t.C
	}
	stop := ctx.Done()
	stopping := false
	for {
		now = time.Now()
		d.reap(now)
		if !stopping && d.finished() {
			stopping = true
		}
		if stopping && len(d.flight) == 0 {
			return d.res
		}
		for !stopping && d.canSend() && d.ready(now) {
			d.publish(d.take(now))
			now = time.Now()
		}

		var sendC, ackC <-chan time.Time
		var headDone <-chan struct{}
		if !stopping && d.cfg.Rate > 0 && len(d.queue) == 0 && d.extra == 0 && d.canSend() {
			sendTimer.Reset(d.nextDue.Sub(now))
			sendC = sendTimer.C
		}
		if len(d.flight) > 0 {
			headDone = d.flight[0].tok.Done()
			ackTimer.Reset(d.flight[0].deadline.Sub(now))
			ackC = ackTimer.C
		}
		select {
		case <-stop:
			stop, stopping = nil, true
			d.queue, d.extra = nil, 0
		case <-headDone:
		case <-ackC:
		case <-sendC:
		case c := <-d.lost:
			if c == d.conn && !stopping {
				stopping = !d.reconnect(ctx, false)
			} else if c == d.conn {
				d.dropConn(false)
			}
		case <-d.kick:
			if !stopping {
				stopping = !d.reconnect(ctx, true)
			}
		case <-faultC:
			if !stopping && d.rng.Float64() < f.Reconnect {
				stopping = !d.reconnect(ctx, true)
			}
		case <-burstC:
			if !stopping && !d.limitReached() {
				d.extra += f.BurstSize
				d.counters.Bursts.Add(1)
			}
			burstTimer.Reset(d.jitter(f.BurstEvery, 0.2))
		}
	}
}

// limitReached reports whether the device made all its sequenced messages.
func (d *device) limitReached() bool {
	return d.cfg.Messages > 0 && d.gen.Seq() >= d.cfg.Messages
}

// finished reports whether nothing is left to send.
func (d *device) finished() bool { return d.limitReached() && len(d.queue) == 0 }

func (d *device) canSend() bool { return d.conn != nil && len(d.flight) < d.maxInflight() }

// ready reports whether a message is due now.
func (d *device) ready(now time.Time) bool {
	if len(d.queue) > 0 {
		return true
	}
	if d.limitReached() {
		d.extra = 0
		return false
	}
	return d.extra > 0 || d.cfg.Rate == 0 || !now.Before(d.nextDue)
}

// take returns the next message to publish; ready must have said yes.
func (d *device) take(now time.Time) outMsg {
	switch {
	case len(d.queue) > 0:
		m := d.queue[0]
		d.queue = d.queue[1:]
		return m
	case d.extra > 0:
		d.extra--
	case d.cfg.Rate > 0:
		d.nextDue = d.nextDue.Add(d.jitter(d.interval(), 0.2))
		if d.nextDue.Before(now.Add(-time.Second)) { // too far behind: do not catch up
			d.nextDue = now
		}
	}
	return d.slot()
}

// slot fills one message slot: usually the next sequenced message, or a
// malformed or oversize payload when those faults strike. A duplicate is
// queued behind the message it copies.
func (d *device) slot() outMsg {
	f := &d.cfg.Faults
	ts := d.cfg.Now().Add(d.skew)
	if f.Malformed > 0 && d.rng.Float64() < f.Malformed {
		return outMsg{kind: kindMalformed, payload: d.gen.Malformed(ts)}
	}
	if f.Oversize > 0 && d.rng.Float64() < f.Oversize {
		return outMsg{kind: kindOversize, payload: d.gen.Oversize(ts)}
	}
	m := d.gen.Next(ts)
	d.extra += m.Follow
	out := outMsg{kind: kindSeq, seq: m.Seq, payload: m.Payload}
	if f.Duplicate > 0 && d.rng.Float64() < f.Duplicate {
		d.queue = append(d.queue, outMsg{kind: kindDuplicate, seq: m.Seq, payload: m.Payload})
	}
	return out
}

// publish hands m to the client and puts it in flight.
func (d *device) publish(m outMsg) {
	start := time.Now()
	tok := d.conn.Publish(d.topic, d.cfg.QoS, false, m.payload)
	d.res.Sent++
	d.counters.Sent.Add(1)
	switch m.kind {
	case kindMalformed:
		d.counters.Malformed.Add(1)
	case kindOversize:
		d.counters.Oversize.Add(1)
	case kindDuplicate:
		d.counters.Duplicates.Add(1)
		d.res.DuplicatedSeqs.Add(m.seq)
	}
	d.res.LastSeq = max(d.res.LastSeq, m.seq)
	d.flight = append(d.flight, inflight{kind: m.kind, seq: m.seq, tok: tok, start: start, deadline: start.Add(d.cfg.AckTimeout)})
}

// reap settles the publishes at the head of the flight whose token
// completed or whose ack timeout passed. Brokers answer one connection's
// QoS 1 publishes in order (MQTT 3.1.1 §4.6), so the head is the next to
// complete and waiting on it alone measures latency well.
func (d *device) reap(now time.Time) {
	for len(d.flight) > 0 {
		f := &d.flight[0]
		select {
		case <-f.tok.Done():
			d.settle(f, f.tok.Error())
		default:
			if now.Before(f.deadline) {
				return
			}
			d.res.Errors++
			d.counters.AddError(stats.ErrTimeout)
		}
		d.flight[0] = inflight{}
		d.flight = d.flight[1:]
	}
}

// settle counts a completed publish.
func (d *device) settle(f *inflight, err error) {
	if err != nil {
		kind := stats.ErrPublish
		if f.aborted {
			kind = stats.ErrDisconnect
		}
		d.res.Errors++
		d.counters.AddError(kind)
		return
	}
	d.res.Acked++
	d.counters.Acked.Add(1)
	if d.cfg.QoS == 1 && (f.kind == kindSeq || f.kind == kindDuplicate) {
		d.res.AckedSeqs.Add(f.seq)
		d.latency.Record(time.Since(f.start))
	}
}

// connect dials until a connection is up, with exponential backoff and
// jitter between attempts. It returns false when ctx ends first.
func (d *device) connect(ctx context.Context) bool {
	backoff := d.cfg.BackoffMin
	var wait *time.Timer
	for {
		c, err := d.dial(ctx, d.id, d.onLost)
		if err == nil {
			d.conn = c
			d.res.Connects++
			d.counters.Connects.Add(1)
			d.counters.Connected.Add(1)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		d.res.Errors++
		d.counters.AddError(stats.ErrConnect)
		sleep := backoff/2 + time.Duration(d.rng.Int64N(int64(backoff/2)+1))
		if wait == nil {
			wait = time.NewTimer(sleep)
			defer wait.Stop()
		} else {
			wait.Reset(sleep)
		}
		select {
		case <-wait.C:
		case <-ctx.Done():
			return false
		}
		backoff = min(2*backoff, d.cfg.BackoffMax)
	}
}

// onLost is the conn's connection-lost callback; it runs on a paho
// goroutine and hands the conn to run.
func (d *device) onLost(c conn) {
	select {
	case d.lost <- c:
	case <-d.done:
	}
}

// reconnect drops the connection (on purpose when fault is true, marking
// what is in flight as aborted) and connects again. It returns false when
// ctx ended before a new connection was up.
func (d *device) reconnect(ctx context.Context, fault bool) bool {
	if fault {
		for i := range d.flight {
			d.flight[i].aborted = true
		}
		d.res.Reconnects++
		d.counters.Reconnects.Add(1)
	}
	d.dropConn(fault)
	return d.connect(ctx)
}

// dropConn forgets the connection, closing it first when hangUp is true
// (a lost connection is closed already).
func (d *device) dropConn(hangUp bool) {
	if d.conn == nil {
		return
	}
	if hangUp {
		d.conn.Disconnect(0)
	}
	d.conn = nil
	d.counters.Connected.Add(-1)
}

// hangUp closes the connection at the end of the run, giving the
// DISCONNECT packet a moment to go out.
func (d *device) hangUp() {
	if d.conn != nil {
		d.conn.Disconnect(250)
		d.conn = nil
		d.counters.Connected.Add(-1)
	}
}
