package rtpin

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"go.uber.org/goleak"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/webrtc"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is an injected Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// gotPacket is a copy of what a Sink received.
type gotPacket struct {
	track   int
	header  rtp.Header
	payload []byte
	arrival time.Time
}

type gotSR struct {
	track   int
	sr      *rtcp.SenderReport
	arrival time.Time
}

// recSink records one session and checks the Sink contract: no
// overlapping calls, none after Close, Close once.
type recSink struct {
	inflight atomic.Int32
	mu       sync.Mutex
	packets  []gotPacket
	srs      []gotSR
	closed   int
	errs     []string
}

func (s *recSink) enter() {
	if s.inflight.Add(1) != 1 {
		s.fail("overlapping Sink calls")
	}
}

func (s *recSink) leave() { s.inflight.Add(-1) }

func (s *recSink) fail(msg string) {
	s.mu.Lock()
	s.errs = append(s.errs, msg)
	s.mu.Unlock()
}

func (s *recSink) WriteRTP(track int, pkt *rtp.Packet, arrival time.Time) {
	s.enter()
	defer s.leave()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed > 0 {
		s.errs = append(s.errs, "WriteRTP after Close")
	}
	h := pkt.Header.Clone()
	s.packets = append(s.packets, gotPacket{track: track, header: h, payload: append([]byte(nil), pkt.Payload...), arrival: arrival})
}

func (s *recSink) WriteSenderReport(track int, sr *rtcp.SenderReport, arrival time.Time) {
	s.enter()
	defer s.leave()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed > 0 {
		s.errs = append(s.errs, "WriteSenderReport after Close")
	}
	s.srs = append(s.srs, gotSR{track, sr, arrival})
}

func (s *recSink) Close() {
	s.enter()
	defer s.leave()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed++
}

func (s *recSink) Packets() []gotPacket {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]gotPacket(nil), s.packets...)
}

func (s *recSink) SRs() []gotSR {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]gotSR(nil), s.srs...)
}

func (s *recSink) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed > 0
}

func (s *recSink) check(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.errs {
		t.Error(e)
	}
	if s.closed > 1 {
		t.Errorf("Sink closed %d times", s.closed)
	}
}

// publication is one Publish call.
type publication struct {
	stream string
	tracks []media.Track
	kf     webrtc.KeyframeRequester
	sink   *recSink // nil when refused
}

// recPublisher records Publish calls; refuse makes them fail.
type recPublisher struct {
	mu     sync.Mutex
	pubs   []publication
	refuse error
}

func (p *recPublisher) Publish(stream string, tracks []media.Track, kf webrtc.KeyframeRequester) (webrtc.Sink, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pub := publication{stream: stream, tracks: append([]media.Track(nil), tracks...), kf: kf}
	if p.refuse != nil {
		p.pubs = append(p.pubs, pub)
		return nil, p.refuse
	}
	pub.sink = &recSink{}
	p.pubs = append(p.pubs, pub)
	return pub.sink, nil
}

func (p *recPublisher) setRefuse(err error) {
	p.mu.Lock()
	p.refuse = err
	p.mu.Unlock()
}

func (p *recPublisher) Pubs() []publication {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]publication(nil), p.pubs...)
}

// last returns the last publication; it fails the test if there is none.
func (p *recPublisher) last(t *testing.T) publication {
	t.Helper()
	pubs := p.Pubs()
	if len(pubs) == 0 {
		t.Fatal("no Publish call")
	}
	return pubs[len(pubs)-1]
}

func (p *recPublisher) check(t *testing.T) {
	t.Helper()
	for _, pub := range p.Pubs() {
		if pub.sink != nil {
			pub.sink.check(t)
		}
	}
}

// waitTimeout is generous: qemu and -race are slow.
const waitTimeout = 20 * time.Second

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// fixture is a started Listener on 127.0.0.1 with a recording Publisher.
type fixture struct {
	l   *Listener
	pub *recPublisher
	clk *fakeClock
	eps []Endpoint
}

// start starts a Listener for one H.264 track (PT 96) unless mutate
// changes the config; it is closed and checked when the test ends.
func start(t *testing.T, mutate func(*Config)) *fixture {
	t.Helper()
	f := &fixture{pub: &recPublisher{}, clk: newClock()}
	cfg := Config{Stream: "cam1", Addr: "127.0.0.1:0", Codec: "H264", Now: f.clk.Now, Logger: quietLogger()}
	if mutate != nil {
		mutate(&cfg)
	}
	l, err := New(cfg, f.pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
		f.pub.check(t)
	})
	f.l, f.eps = l, l.Endpoints()
	return f
}

// waitStats polls the Listener's stats until cond holds.
func (f *fixture) waitStats(t *testing.T, what string, cond func(Stats) bool) Stats {
	t.Helper()
	var s Stats
	mqtttest.Eventually(t, waitTimeout, what, func() bool { s = f.l.Stats(); return cond(s) })
	return s
}

// peer is a UDP socket on 127.0.0.1 sending to a Listener.
type peer struct {
	conn *net.UDPConn
	t    *testing.T
}

func newPeer(t *testing.T) *peer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &peer{conn: c, t: t}
}

func (p *peer) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *peer) send(to netip.AddrPort, b []byte) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDPAddrPort(b, to); err != nil {
		p.t.Fatal(err)
	}
}

func (p *peer) sendRTCP(to netip.AddrPort, pkts ...rtcp.Packet) {
	p.t.Helper()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		p.t.Fatal(err)
	}
	p.send(to, b)
}

// recv reads one datagram, failing the test after timeout.
func (p *peer) recv(timeout time.Duration) ([]byte, error) {
	buf := make([]byte, 2048)
	if err := p.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	n, _, err := p.conn.ReadFromUDPAddrPort(buf)
	return buf[:n], err
}

// rtpBytes marshals an RTP packet.
func rtpBytes(t testing.TB, pt uint8, seq uint16, ts, ssrc uint32, payload []byte) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// h264Payload is a small single-NAL-unit payload (a non-IDR slice).
var h264Payload = []byte{0x41, 0x9a, 0x02, 0x03}

var errRefused = errors.New("stream busy")
