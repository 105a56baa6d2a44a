package rtpin

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/webrtc"
)

// errNilSink stands for a Publisher that returned neither a Sink nor an
// error.
var errNilSink = errors.New("rtpin: Publisher returned a nil Sink")

// session is one Publish: from the first accepted packet to the idle
// timeout, the source's RTCP BYE, or Close.
type session struct {
	sink   webrtc.Sink
	kf     *keyframer
	tracks []trackState
	start  time.Time
	// byeAt is when the last track with a source said BYE; zero until
	// then.
	byeAt time.Time
}

// byeGrace is how long a session lives on after BYE from all its sources,
// for RTP packets sent just before the BYE but read after it (RTP and RTCP
// come on different sockets, read by different goroutines). A packet from
// another source, or with a new SSRC, ends it at once.
const byeGrace = 500 * time.Millisecond

// trackState is what a session knows of one track's source.
type trackState struct {
	src    netip.AddrPort // RTP source address, fixed by the first packet
	ssrc   uint32
	locked bool // src is set
	bye    bool // the source sent an RTCP BYE for ssrc
}

// pendingSR is the last sender report received on a track's RTCP port
// while the track had no source: senders such as ffmpeg send their first
// one just before their first RTP packet.
type pendingSR struct {
	sr   *rtcp.SenderReport
	from netip.AddrPort
	at   time.Time
	conn *net.UDPConn
}

// handleRTP classifies one datagram from track s's RTP port and hands an
// accepted packet to the session, starting one if needed. pkt is reused
// across calls; b is only read during the call.
func (l *Listener) handleRTP(s *trackSocket, pkt *rtp.Packet, b []byte, from netip.AddrPort, now time.Time) {
	t := &l.tracks[s.index]
	switch {
	case len(b) > l.cfg.MaxPacketSize:
		l.ctr.oversize.Add(1)
		l.checkIdle(now)
		return
	case len(b) >= 2 && b[1] >= 192 && b[1] <= 223 && (t.PayloadType < 64 || t.PayloadType > 95):
		// RTCP multiplexed on the RTP port (RFC 5761 §4): its packet types
		// 192-223 would be RTP with the marker set and payload types
		// 64-95, which the track does not use.
		l.handleRTCP(s.index, s.rtp, b, from, now)
		return
	case len(b) < 12 || b[0]>>6 != 2:
		l.ctr.bad.Add(1)
		l.checkIdle(now)
		return
	}
	if err := pkt.Unmarshal(b); err != nil {
		l.ctr.bad.Add(1)
		l.checkIdle(now)
		return
	}
	if pkt.PayloadType != t.PayloadType {
		l.ctr.wrongPT.Add(1)
		l.checkIdle(now)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return
	}
	l.expireLocked(now)
	if l.sess != nil && !l.sess.byeAt.IsZero() {
		if ts := &l.sess.tracks[s.index]; !ts.locked || ts.src != from || ts.ssrc != pkt.SSRC {
			l.endLocked("RTCP BYE, then a new source")
		}
	}
	if l.sess == nil && !l.startLocked(now) {
		l.ctr.refused.Add(1)
		return
	}
	ts := &l.sess.tracks[s.index]
	switch {
	case !ts.locked:
		*ts = trackState{src: from, ssrc: pkt.SSRC, locked: true}
		if l.firstLockedLocked() {
			src := from.String()
			l.source.Store(&src)
		}
		if t.Track.Codec.IsVideo() {
			l.sess.kf.setMedia(pkt.SSRC)
		}
		l.cfg.Logger.Info("rtpin: track source", "stream", l.cfg.Stream, "track", s.index, "from", from.String(), "ssrc", pkt.SSRC)
		l.deliverPendingLocked(s.index, now)
	case ts.src != from:
		l.ctr.foreign.Add(1)
		return
	case ts.ssrc != pkt.SSRC:
		// The same address with a new SSRC is the same camera with a
		// restarted encoder; the depacketizer restarts on a new SSRC.
		l.ctr.ssrcChanges.Add(1)
		ts.ssrc, ts.bye = pkt.SSRC, false
		if t.Track.Codec.IsVideo() {
			l.sess.kf.setMedia(pkt.SSRC)
		}
	}
	l.lastPacket.Store(now.UnixNano())
	l.sess.sink.WriteRTP(s.index, pkt, now)
	// Counted after the call, so that a Stats reader that sees it knows
	// the Sink has the packet.
	l.ctr.packets.Add(1)
	l.ctr.bytes.Add(uint64(len(b)))
}

// handleRTCP handles one RTCP datagram that arrived on conn for track
// index: sender reports for the track's SSRC go to the Sink, the source
// address teaches the keyframer where to send PLIs, and BYE from every
// track's source ends the session.
func (l *Listener) handleRTCP(index int, conn *net.UDPConn, b []byte, from netip.AddrPort, now time.Time) {
	l.ctr.rtcp.Add(1)
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		l.ctr.badRTCP.Add(1)
		return
	}
	l.checkIdle(now)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return
	}
	if l.sess == nil || !l.sess.tracks[index].locked {
		kept := false
		for _, p := range pkts {
			if sr, ok := p.(*rtcp.SenderReport); ok {
				l.pending[index] = pendingSR{sr: sr, from: from, at: now, conn: conn}
				kept = true
			}
		}
		if !kept {
			l.ctr.foreignRTCP.Add(1)
		}
		return
	}
	ts := &l.sess.tracks[index]
	if from.Addr() != ts.src.Addr() {
		l.ctr.foreignRTCP.Add(1)
		return
	}
	if l.tracks[index].Track.Codec.IsVideo() {
		l.sess.kf.learn(conn, from, ts.ssrc)
	}
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			if p.SSRC == ts.ssrc {
				l.sess.sink.WriteSenderReport(index, p, now)
				l.ctr.srs.Add(1)
			}
		case *rtcp.Goodbye:
			if slices.Contains(p.Sources, ts.ssrc) {
				l.ctr.byes.Add(1)
				ts.bye = true
			}
		}
	}
	if ts.bye && l.sess.byeAt.IsZero() && l.allByeLocked() {
		l.sess.byeAt = now
		l.byeAt.Store(now.UnixNano())
	}
}

// deliverPendingLocked hands a sender report kept from before the track's
// source was known to the Sink, if it came from that source's address,
// for its SSRC, within the idle timeout.
func (l *Listener) deliverPendingLocked(index int, now time.Time) {
	p := l.pending[index]
	l.pending[index] = pendingSR{}
	ts := &l.sess.tracks[index]
	if p.sr == nil || p.from.Addr() != ts.src.Addr() || p.sr.SSRC != ts.ssrc || now.Sub(p.at) >= l.cfg.IdleTimeout {
		return
	}
	if l.tracks[index].Track.Codec.IsVideo() {
		l.sess.kf.learn(p.conn, p.from, ts.ssrc)
	}
	l.sess.sink.WriteSenderReport(index, p.sr, p.at)
	l.ctr.srs.Add(1)
}

// firstLockedLocked reports whether exactly one track of the session has a
// source.
func (l *Listener) firstLockedLocked() bool {
	n := 0
	for i := range l.sess.tracks {
		if l.sess.tracks[i].locked {
			n++
		}
	}
	return n == 1
}

// allByeLocked reports whether every track with a source has said BYE.
func (l *Listener) allByeLocked() bool {
	for i := range l.sess.tracks {
		if ts := &l.sess.tracks[i]; ts.locked && !ts.bye {
			return false
		}
	}
	return true
}

// startLocked asks the Publisher for a session; false when it refused, or
// when it refused within Config.PublishRetry before now.
func (l *Listener) startLocked(now time.Time) bool {
	if now.Before(l.retryAt) {
		return false
	}
	kf := &keyframer{now: l.cfg.Now, interval: l.cfg.KeyframeInterval, ssrc: l.ssrc, ctr: &l.ctr}
	tracks := make([]media.Track, len(l.tracks))
	for i, t := range l.tracks {
		tracks[i] = t.Track
	}
	sink, err := l.pub.Publish(l.cfg.Stream, tracks, kf)
	if err == nil && sink == nil {
		err = errNilSink
	}
	if err != nil {
		l.retryAt = now.Add(l.cfg.PublishRetry)
		l.refusals++
		if l.refusals == 1 || l.refusals%60 == 0 {
			l.cfg.Logger.Warn("rtpin: Publish refused the session; packets are dropped", "stream", l.cfg.Stream, "err", err, "refusals", l.refusals)
		}
		return false
	}
	l.refusals = 0
	l.sess = &session{sink: sink, kf: kf, tracks: make([]trackState, len(l.tracks)), start: now}
	l.ctr.sessions.Add(1)
	l.active.Store(true)
	l.cfg.Logger.Info("rtpin: session started", "stream", l.cfg.Stream)
	return true
}

// endLocked ends the running session, if any: Sink.Close, and the
// keyframer goes quiet.
func (l *Listener) endLocked(reason string) {
	s := l.sess
	if s == nil {
		return
	}
	l.sess = nil
	l.active.Store(false)
	l.byeAt.Store(0)
	s.kf.close()
	s.sink.Close()
	l.cfg.Logger.Info("rtpin: session ended", "stream", l.cfg.Stream, "reason", reason,
		"duration", time.Duration(l.lastPacket.Load()-s.start.UnixNano()).String())
}

// expireLocked ends the session if no packet was accepted for
// Config.IdleTimeout before now, or byeGrace has passed since BYE.
func (l *Listener) expireLocked(now time.Time) {
	switch {
	case l.sess == nil:
	case now.UnixNano()-l.lastPacket.Load() >= int64(l.cfg.IdleTimeout):
		l.endLocked("idle")
	case !l.sess.byeAt.IsZero() && now.Sub(l.sess.byeAt) >= byeGrace:
		l.endLocked("RTCP BYE")
	}
}

// checkIdle ends an idle session (or one past its BYE); it takes the lock
// only when the session looks due.
func (l *Listener) checkIdle(now time.Time) {
	if !l.active.Load() {
		return
	}
	n := now.UnixNano()
	if bye := l.byeAt.Load(); n-l.lastPacket.Load() < int64(l.cfg.IdleTimeout) && (bye == 0 || n-bye < int64(byeGrace)) {
		return
	}
	l.mu.Lock()
	if !l.closing {
		l.expireLocked(now)
	}
	l.mu.Unlock()
}
