package camera

import (
	"math/rand/v2"
	"time"

	"github.com/pion/rtp"
)

// maxQueued caps the packets an impairer holds back for jitter: when it
// is full, offer makes the oldest due at once. The sender pops every due
// packet after each offer, so no more than maxQueued are ever held.
const maxQueued = 8192

// Faults are the network faults a camera applies to its RTP packets.
type Faults struct {
	Loss            float64       // probability that a packet is dropped, [0, 1)
	Reorder         float64       // probability that a packet is sent after the next one, [0, 1)
	Jitter          time.Duration // each packet is delayed by a uniform [0, Jitter), in order
	DisconnectAfter time.Duration // drop the connection without a WHIP DELETE after this long; 0 = never
}

// queued is a packet waiting for its delivery time.
type queued struct {
	p   *rtp.Packet
	due time.Time
}

// impairer applies Faults to a packet stream. It holds no clock: offer
// takes packets in send order at now, pop returns those due by now.
// Draws are made per packet, in order, for each fault that is set (loss,
// then reorder, then jitter), so one seed gives one outcome.
type impairer struct {
	f    Faults
	rng  *rand.Rand
	held *rtp.Packet // reorder: waits for the next packet
	q    []queued    // q[head:] wait, by due time, which never decreases
	head int
	last time.Time // due time of the newest queued packet

	lost, reordered int64
}

func newImpairer(f Faults, rng *rand.Rand) *impairer {
	return &impairer{f: f, rng: rng}
}

// offer takes the next packet of the stream at now.
func (m *impairer) offer(p *rtp.Packet, now time.Time) {
	if m.f.Loss > 0 && m.rng.Float64() < m.f.Loss {
		m.lost++
		return
	}
	if m.f.Reorder > 0 && m.rng.Float64() < m.f.Reorder && m.held == nil {
		m.held = p
		return
	}
	m.enqueue(p, now)
	if m.held != nil {
		m.enqueue(m.held, now)
		m.held = nil
		m.reordered++
	}
}

func (m *impairer) enqueue(p *rtp.Packet, now time.Time) {
	due := now
	if m.f.Jitter > 0 {
		due = now.Add(time.Duration(m.rng.Int64N(int64(m.f.Jitter))))
	}
	if due.Before(m.last) {
		due = m.last // jitter keeps order
	}
	m.last = due
	if len(m.q)-m.head >= maxQueued {
		m.q[m.head].due = time.Time{} // release the oldest now
	}
	if m.head > 0 && len(m.q) == cap(m.q) { // reuse the popped front
		m.q = m.q[:copy(m.q, m.q[m.head:])]
		m.head = 0
	}
	m.q = append(m.q, queued{p, due})
}

// pop returns the next packet due by now, or nil.
func (m *impairer) pop(now time.Time) *rtp.Packet {
	if m.head == len(m.q) || m.q[m.head].due.After(now) {
		return nil
	}
	p := m.q[m.head].p
	m.q[m.head] = queued{}
	if m.head++; m.head == len(m.q) {
		m.q, m.head = m.q[:0], 0
	}
	return p
}

// nextDue returns when the next queued packet is due; ok is false when
// none is queued.
func (m *impairer) nextDue() (due time.Time, ok bool) {
	if m.head == len(m.q) {
		return time.Time{}, false
	}
	return m.q[m.head].due, true
}

// flush queues a held-back packet (at the end of the stream).
func (m *impairer) flush(now time.Time) {
	if m.held != nil {
		m.enqueue(m.held, now)
		m.held = nil
	}
}
