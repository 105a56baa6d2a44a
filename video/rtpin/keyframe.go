package rtpin

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// keyframer is one session's webrtc.KeyframeRequester. Plain RTP has no
// feedback channel of its own, so a PLI (RFC 4585 §6.3.1) can only go where
// the source's RTCP came from (symmetric RTCP, RFC 4961): the first RTCP
// packet from the source's IP address in the session teaches the
// keyframer that address. Until then requests are counted (KeyframeUnsent)
// and the last one is sent once the address is learnt; sources that never
// send RTCP never get a PLI, and rely on their own keyframe interval.
//
// Each PLI goes out as a compound RTCP packet, an empty receiver report
// followed by the PLI (RFC 3550 §6.1: receivers that only know RFC 3550
// drop RTCP packets that do not start with a report).
type keyframer struct {
	now      func() time.Time
	interval time.Duration
	ssrc     uint32 // our SSRC, the PLI's packet sender
	ctr      *counters

	mu      sync.Mutex
	closed  bool
	target  kfTarget
	last    time.Time
	sent    bool // last is valid
	pending bool // asked before target was known
}

// kfTarget is where a PLI goes: the RTCP address of the video source.
type kfTarget struct {
	conn  *net.UDPConn // our socket the source's RTCP came in on
	to    netip.AddrPort
	media uint32 // the video SSRC
	known bool
}

// RequestKeyframe sends a PLI to the video source if RTCP from it has been
// seen in this session, at most once per Config.KeyframeInterval. It never
// waits for the network beyond one UDP send and is safe for concurrent use;
// after the session ends it does nothing.
func (k *keyframer) RequestKeyframe() {
	k.ctr.kfRequests.Add(1)
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return
	}
	if !k.target.known {
		k.pending = true
		k.mu.Unlock()
		k.ctr.kfUnsent.Add(1)
		return
	}
	k.sendLocked()
}

// sendLocked sends a PLI unless one went out within the interval; it
// unlocks k.mu.
func (k *keyframer) sendLocked() {
	now := k.now()
	if k.sent && now.Sub(k.last) < k.interval {
		k.mu.Unlock()
		k.ctr.kfThrottled.Add(1)
		return
	}
	k.sent, k.last, k.pending = true, now, false
	t := k.target
	k.mu.Unlock()
	if t.conn == nil {
		return
	}
	b, err := rtcp.Marshal([]rtcp.Packet{
		&rtcp.ReceiverReport{SSRC: k.ssrc},
		&rtcp.PictureLossIndication{SenderSSRC: k.ssrc, MediaSSRC: t.media},
	})
	if err != nil {
		return
	}
	// An error means the socket is closing or the path is gone; the
	// request is lost either way, as a PLI on UDP may be.
	if _, err := t.conn.WriteToUDPAddrPort(b, t.to); err == nil {
		k.ctr.plis.Add(1)
	}
}

// learn records where the video source's RTCP comes from, and sends a
// request made before it was known.
func (k *keyframer) learn(conn *net.UDPConn, from netip.AddrPort, media uint32) {
	k.mu.Lock()
	if k.closed || (k.target.known && k.target.to == from && k.target.media == media) {
		k.mu.Unlock()
		return
	}
	k.target = kfTarget{conn: conn, to: from, media: media, known: true}
	if !k.pending {
		k.mu.Unlock()
		return
	}
	k.sendLocked()
}

// setMedia updates the video SSRC after the source changed it.
func (k *keyframer) setMedia(media uint32) {
	k.mu.Lock()
	k.target.media = media
	k.mu.Unlock()
}

// close makes later requests no-ops.
func (k *keyframer) close() {
	k.mu.Lock()
	k.closed = true
	k.mu.Unlock()
}
