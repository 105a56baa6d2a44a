package rtpin

import (
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// camera is a plain-RTP sender with an RTCP socket of its own, as ffmpeg
// and cameras have (RTP port, RTCP port).
type camera struct {
	rtp, rtcp *peer
	ssrc      uint32
	seq       uint16
}

func newCamera(t *testing.T, ssrc uint32) *camera {
	return &camera{rtp: newPeer(t), rtcp: newPeer(t), ssrc: ssrc}
}

func (c *camera) sendRTP(t *testing.T, ep Endpoint) {
	t.Helper()
	c.seq++
	c.rtp.send(ep.RTP, rtpBytes(t, 96, c.seq, uint32(c.seq)*3000, c.ssrc, h264Payload))
}

func (c *camera) sr(ntp uint64) *rtcp.SenderReport {
	return &rtcp.SenderReport{SSRC: c.ssrc, NTPTime: ntp, RTPTime: 90000, PacketCount: 1, OctetCount: 4}
}

// readPLI reads one RTCP datagram and returns its PLI, checking that it is
// a compound packet led by a receiver report (RFC 3550 §6.1).
func readPLI(t *testing.T, p *peer) *rtcp.PictureLossIndication {
	t.Helper()
	b, err := p.recv(waitTimeout)
	if err != nil {
		t.Fatalf("no PLI: %v", err)
	}
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 2 {
		t.Fatalf("got %d RTCP packets, want RR + PLI", len(pkts))
	}
	rr, ok1 := pkts[0].(*rtcp.ReceiverReport)
	pli, ok2 := pkts[1].(*rtcp.PictureLossIndication)
	if !ok1 || !ok2 || pli.SenderSSRC != rr.SSRC {
		t.Fatalf("got %T %T, want RR + PLI from the same SSRC", pkts[0], pkts[1])
	}
	return pli
}

func TestSenderReportsAndPLI(t *testing.T) {
	f := start(t, nil)
	ep := f.eps[0]
	cam := newCamera(t, 0x1234)
	cam.sendRTP(t, ep)
	f.waitStats(t, "session", func(s Stats) bool { return s.Packets == 1 })
	pub := f.pub.last(t)

	// Before any RTCP from the camera, there is nowhere to send a PLI.
	pub.kf.RequestKeyframe()
	if st := f.l.Stats(); st.KeyframeRequests != 1 || st.KeyframeUnsent != 1 || st.PLIsSent != 0 {
		t.Fatalf("stats %+v", st)
	}

	// An SR for another SSRC is not the track's; one for its SSRC is.
	other := newCamera(t, 0x9999)
	cam.rtcp.sendRTCP(ep.RTCP, other.sr(1))
	cam.rtcp.sendRTCP(ep.RTCP, cam.sr(2), &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: cam.ssrc,
		Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "cam"}}}}})
	st := f.waitStats(t, "sender report", func(s Stats) bool { return s.SenderReports == 1 && s.RTCPPackets == 2 })
	srs := pub.sink.SRs()
	if len(srs) != 1 || srs[0].track != 0 || srs[0].sr.SSRC != cam.ssrc || srs[0].sr.NTPTime != 2 || !srs[0].arrival.Equal(f.clk.Now()) {
		t.Errorf("sender reports %+v", srs)
	}

	// The RTCP taught the listener the camera's RTCP address: the pending
	// request goes out now.
	if pli := readPLI(t, cam.rtcp); pli.MediaSSRC != cam.ssrc {
		t.Errorf("PLI for SSRC %x, want %x", pli.MediaSSRC, cam.ssrc)
	}
	pub.kf.RequestKeyframe() // within KeyframeInterval: throttled
	st = f.l.Stats()
	if st.PLIsSent != 1 || st.KeyframeThrottled != 1 || st.KeyframeRequests != 2 {
		t.Errorf("stats %+v", st)
	}
	f.clk.Advance(DefaultKeyframeInterval)
	pub.kf.RequestKeyframe()
	if pli := readPLI(t, cam.rtcp); pli.MediaSSRC != cam.ssrc {
		t.Errorf("PLI for SSRC %x", pli.MediaSSRC)
	}
	if st := f.l.Stats(); st.PLIsSent != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestSenderReportBeforeFirstPacket: ffmpeg sends its first SR just before
// its first RTP packet; it reaches the Sink once the session starts, ahead
// of the first packet.
func TestSenderReportBeforeFirstPacket(t *testing.T) {
	f := start(t, nil)
	ep := f.eps[0]
	cam := newCamera(t, 0x1234)
	cam.rtcp.sendRTCP(ep.RTCP, cam.sr(7))
	f.waitStats(t, "SR", func(s Stats) bool { return s.RTCPPackets == 1 })
	srTime := f.clk.Now()
	f.clk.Advance(10 * time.Millisecond)
	cam.sendRTP(t, ep)
	f.waitStats(t, "session", func(s Stats) bool { return s.Packets == 1 && s.SenderReports == 1 })
	srs := f.pub.last(t).sink.SRs()
	if len(srs) != 1 || srs[0].sr.NTPTime != 7 || !srs[0].arrival.Equal(srTime) {
		t.Errorf("sender reports %+v, want the early one with its own arrival", srs)
	}
	// The early SR also told the listener where the camera's RTCP is.
	f.pub.last(t).kf.RequestKeyframe()
	if pli := readPLI(t, cam.rtcp); pli.MediaSSRC != cam.ssrc {
		t.Errorf("PLI for SSRC %x", pli.MediaSSRC)
	}
}

// TestStaleSenderReport: an SR older than IdleTimeout before the session,
// or from another SSRC, is not delivered.
func TestStaleSenderReport(t *testing.T) {
	f := start(t, nil)
	ep := f.eps[0]
	cam := newCamera(t, 0x1234)
	cam.rtcp.sendRTCP(ep.RTCP, cam.sr(7))
	cam.rtcp.sendRTCP(ep.RTCP, &rtcp.ReceiverReport{SSRC: 5}) // not kept: counted as foreign
	f.waitStats(t, "SR", func(s Stats) bool { return s.RTCPPackets == 2 })
	f.clk.Advance(DefaultIdleTimeout)
	cam.sendRTP(t, ep)
	st := f.waitStats(t, "session", func(s Stats) bool { return s.Packets == 1 })
	if st.SenderReports != 0 || st.ForeignRTCP != 1 || len(f.pub.last(t).sink.SRs()) != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestByeEndsSession: BYE from every track's source ends the session
// byeGrace later, long before IdleTimeout; a straggler sent before the BYE
// still goes to the session, and a new source after a BYE ends it at once.
func TestByeEndsSession(t *testing.T) {
	f := start(t, func(c *Config) { c.IdleTimeout = time.Hour })
	ep := f.eps[0]
	cam := newCamera(t, 0x1234)
	cam.sendRTP(t, ep)
	f.waitStats(t, "session", func(s Stats) bool { return s.Packets == 1 })
	first := f.pub.last(t).sink
	cam.rtcp.sendRTCP(ep.RTCP, &rtcp.Goodbye{Sources: []uint32{0x777}}) // not ours
	cam.rtcp.sendRTCP(ep.RTCP, cam.sr(1), &rtcp.Goodbye{Sources: []uint32{cam.ssrc}})
	f.waitStats(t, "BYE", func(s Stats) bool { return s.Byes == 1 && s.RTCPPackets == 2 })
	cam.sendRTP(t, ep) // a straggler
	st := f.waitStats(t, "straggler", func(s Stats) bool { return s.Packets == 2 })
	if first.Closed() || st.Sessions != 1 || len(first.Packets()) != 2 {
		t.Fatalf("stats %+v: the straggler did not go to the first session", st)
	}
	f.clk.Advance(byeGrace)
	mqtttest.Eventually(t, waitTimeout, "BYE to end the session", first.Closed)
	if st := f.l.Stats(); st.Active || st.SenderReports != 1 {
		t.Errorf("stats %+v", st)
	}

	cam.sendRTP(t, ep)
	f.waitStats(t, "second session", func(s Stats) bool { return s.Sessions == 2 && s.Packets == 3 })
	second := f.pub.last(t).sink
	cam.rtcp.sendRTCP(ep.RTCP, &rtcp.Goodbye{Sources: []uint32{cam.ssrc}})
	f.waitStats(t, "BYE", func(s Stats) bool { return s.Byes == 2 })
	next := newCamera(t, 0x5678)
	next.sendRTP(t, ep)
	f.waitStats(t, "third session", func(s Stats) bool { return s.Sessions == 3 && s.Packets == 4 })
	if !second.Closed() || f.l.Stats().Source != next.rtp.addr().String() {
		t.Errorf("a new source after BYE did not replace the session: %+v", f.l.Stats())
	}
}

// TestRTCPMux: RTCP sent to the RTP port (RFC 5761) is recognized, and
// the PLI goes back to where it came from.
func TestRTCPMux(t *testing.T) {
	f := start(t, func(c *Config) { c.NoRTCP = true })
	ep := f.eps[0]
	if ep.RTCP.IsValid() {
		t.Fatalf("RTCP socket with NoRTCP: %+v", ep)
	}
	cam := newCamera(t, 0x1234)
	cam.sendRTP(t, ep)
	f.waitStats(t, "session", func(s Stats) bool { return s.Packets == 1 })
	cam.rtp.sendRTCP(ep.RTP, cam.sr(3))
	f.waitStats(t, "SR", func(s Stats) bool { return s.SenderReports == 1 })
	f.pub.last(t).kf.RequestKeyframe()
	if pli := readPLI(t, cam.rtp); pli.MediaSSRC != cam.ssrc {
		t.Errorf("PLI for SSRC %x", pli.MediaSSRC)
	}
}

// TestKeyframerAfterSession: a session's KeyframeRequester does nothing
// once the session ended.
func TestKeyframerAfterSession(t *testing.T) {
	f := start(t, nil)
	ep := f.eps[0]
	cam := newCamera(t, 0x1234)
	cam.sendRTP(t, ep)
	cam.rtcp.sendRTCP(ep.RTCP, cam.sr(1))
	f.waitStats(t, "SR", func(s Stats) bool { return s.SenderReports == 1 })
	kf := f.pub.last(t).kf
	f.clk.Advance(DefaultIdleTimeout)
	mqtttest.Eventually(t, waitTimeout, "idle end", f.pub.last(t).sink.Closed)
	kf.RequestKeyframe()
	if st := f.l.Stats(); st.PLIsSent != 0 || st.KeyframeUnsent != 0 || st.KeyframeRequests != 1 {
		t.Errorf("stats %+v", st)
	}
}
