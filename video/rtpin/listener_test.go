package rtpin

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/video/media"
)

func TestSessionForwardsPackets(t *testing.T) {
	f := start(t, nil)
	p := newPeer(t)
	for i := range 10 {
		p.send(f.eps[0].RTP, rtpBytes(t, 96, uint16(65530+i), uint32(3000*i), 0xabc, h264Payload))
	}
	st := f.waitStats(t, "10 packets", func(s Stats) bool { return s.Packets == 10 })
	pubs := f.pub.Pubs()
	if len(pubs) != 1 || pubs[0].stream != "cam1" || len(pubs[0].tracks) != 1 || pubs[0].tracks[0] != (media.Track{Codec: media.CodecH264}) {
		t.Fatalf("publications %+v", pubs)
	}
	got := pubs[0].sink.Packets()
	for i, g := range got {
		if g.track != 0 || g.header.SequenceNumber != uint16(65530+i) || g.header.SSRC != 0xabc || string(g.payload) != string(h264Payload) {
			t.Errorf("packet %d: track %d seq %d ssrc %x payload %x", i, g.track, g.header.SequenceNumber, g.header.SSRC, g.payload)
		}
		if !g.arrival.Equal(f.clk.Now()) {
			t.Errorf("arrival %v, want the injected clock's %v", g.arrival, f.clk.Now())
		}
	}
	if !st.Active || st.Sessions != 1 || st.Source != p.addr().String() || !st.LastPacket.Equal(f.clk.Now()) ||
		st.Bytes != uint64(10*(12+len(h264Payload))) {
		t.Errorf("stats %+v", st)
	}
	if e := f.eps[0]; !e.RTCP.IsValid() || e.RTCP.Port() != e.RTP.Port()+1 || e.RTCP.Addr() != e.RTP.Addr() {
		t.Errorf("endpoint %+v: want RTCP on the RTP port + 1", e)
	}
}

// TestGarbage sends every kind of bad datagram into a running session: each
// is counted in its own counter, and the session carries on.
func TestGarbage(t *testing.T) {
	f := start(t, func(c *Config) { c.MaxPacketSize = 1500 })
	p, other := newPeer(t), newPeer(t)
	to := f.eps[0].RTP
	p.send(to, rtpBytes(t, 96, 1, 0, 7, h264Payload))
	f.waitStats(t, "first packet", func(s Stats) bool { return s.Packets == 1 })

	v1 := rtpBytes(t, 96, 2, 0, 7, h264Payload)
	v1[0] = 0x40 // version 1
	cutCSRC := rtpBytes(t, 96, 2, 0, 7, nil)
	cutCSRC[0] |= 0x0f // claims 15 CSRCs it does not have
	badPadding := rtpBytes(t, 96, 2, 0, 7, []byte{1, 2, 3, 0})
	badPadding[0] |= 0x20 // padding bit with a padding count of 0
	wantBad := 0
	for _, b := range [][]byte{
		{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d},
		{0x80, 0x60, 0x00}, // RTP v2, but shorter than a header
		{},
		v1, cutCSRC, badPadding,
	} {
		p.send(to, b)
		wantBad++
	}
	p.send(to, rtpBytes(t, 97, 2, 0, 7, h264Payload))         // wrong payload type
	other.send(to, rtpBytes(t, 96, 2, 0, 8, h264Payload))     // a second source
	p.send(to, rtpBytes(t, 96, 2, 0, 7, make([]byte, 4000)))  // over MaxPacketSize
	p.send(to, rtpBytes(t, 96, 2, 0, 7, make([]byte, 60000))) // far over it
	p.send(to, []byte{0x80, 200, 0, 1, 2})                    // looks like RTCP (RFC 5761), does not parse
	// A 70 KB datagram cannot exist: UDP's length field stops at 64 KiB,
	// so the kernel refuses to send it; nothing reaches the listener.
	if _, err := p.conn.WriteToUDPAddrPort(make([]byte, 70_000), to); err == nil {
		t.Log("the kernel sent a 70 KB datagram")
	}
	p.send(to, rtpBytes(t, 96, 3, 3000, 7, h264Payload))

	st := f.waitStats(t, "all datagrams", func(s Stats) bool { return s.Packets == 2 })
	if st.BadPackets != uint64(wantBad) || st.WrongPayloadType != 1 || st.ForeignSource != 1 ||
		st.Oversize != 2 || st.RTCPPackets != 1 || st.BadRTCP != 1 || st.Sessions != 1 || !st.Active {
		t.Errorf("stats %+v, want %d bad", st, wantBad)
	}
	got := f.pub.last(t).sink.Packets()
	if len(got) != 2 || got[0].header.SequenceNumber != 1 || got[1].header.SequenceNumber != 3 {
		t.Errorf("sink got %+v", got)
	}
	if len(f.pub.Pubs()) != 1 {
		t.Errorf("%d Publish calls", len(f.pub.Pubs()))
	}
}

// TestIdleTimeout drives the idle timeout with the injected clock: the
// session outlives a gap shorter than IdleTimeout, ends after a longer one,
// and the next packet — from another source — starts a new session.
func TestIdleTimeout(t *testing.T) {
	f := start(t, func(c *Config) { c.IdleTimeout = 5 * time.Second })
	p, other := newPeer(t), newPeer(t)
	to := f.eps[0].RTP
	p.send(to, rtpBytes(t, 96, 1, 0, 7, h264Payload))
	f.waitStats(t, "first packet", func(s Stats) bool { return s.Packets == 1 })
	first := f.pub.last(t).sink

	f.clk.Advance(4 * time.Second)
	// The foreign packet is handled after the idle check, so once it is
	// counted the session has been checked at +4s.
	other.send(to, rtpBytes(t, 96, 1, 0, 8, h264Payload))
	if st := f.waitStats(t, "foreign packet", func(s Stats) bool { return s.ForeignSource == 1 }); !st.Active || first.Closed() {
		t.Fatalf("session ended before IdleTimeout: %+v", st)
	}

	f.clk.Advance(time.Second)
	mqtttest.Eventually(t, waitTimeout, "idle session to end", first.Closed)
	if st := f.l.Stats(); st.Active {
		t.Errorf("stats %+v after the idle timeout", st)
	}

	other.send(to, rtpBytes(t, 96, 2, 0, 8, h264Payload))
	st := f.waitStats(t, "second session", func(s Stats) bool { return s.Sessions == 2 && s.Packets == 2 })
	if st.Source != other.addr().String() || !st.Active {
		t.Errorf("stats %+v: want the second source %v", st, other.addr())
	}
	pubs := f.pub.Pubs()
	if len(pubs) != 2 || pubs[1].sink == first || len(pubs[1].sink.Packets()) != 1 {
		t.Errorf("publications %+v", pubs)
	}
}

// TestIdleTimeoutRealClock runs the idle timeout on the real clock, as
// deployed.
func TestIdleTimeoutRealClock(t *testing.T) {
	f := start(t, func(c *Config) { c.IdleTimeout = 50 * time.Millisecond; c.Now = nil })
	p := newPeer(t)
	p.send(f.eps[0].RTP, rtpBytes(t, 96, 1, 0, 7, h264Payload))
	f.waitStats(t, "first packet", func(s Stats) bool { return s.Packets == 1 })
	mqtttest.Eventually(t, waitTimeout, "idle session to end", f.pub.last(t).sink.Closed)
	p.send(f.eps[0].RTP, rtpBytes(t, 96, 2, 0, 7, h264Payload))
	f.waitStats(t, "second session", func(s Stats) bool { return s.Sessions == 2 })
}

func TestSSRCChangeFromSameSource(t *testing.T) {
	f := start(t, nil)
	p := newPeer(t)
	p.send(f.eps[0].RTP, rtpBytes(t, 96, 1, 0, 7, h264Payload))
	p.send(f.eps[0].RTP, rtpBytes(t, 96, 500, 0, 9, h264Payload))
	st := f.waitStats(t, "both packets", func(s Stats) bool { return s.Packets == 2 })
	if st.SSRCChanges != 1 || st.Sessions != 1 {
		t.Errorf("stats %+v", st)
	}
	if got := f.pub.last(t).sink.Packets(); got[1].header.SSRC != 9 {
		t.Errorf("second packet SSRC %d", got[1].header.SSRC)
	}
}

func TestPublishRefused(t *testing.T) {
	f := start(t, nil)
	f.pub.setRefuse(errRefused)
	p := newPeer(t)
	p.send(f.eps[0].RTP, rtpBytes(t, 96, 1, 0, 7, h264Payload))
	p.send(f.eps[0].RTP, rtpBytes(t, 96, 2, 0, 7, h264Payload))
	st := f.waitStats(t, "refusals", func(s Stats) bool { return s.Refused == 2 })
	if n := len(f.pub.Pubs()); n != 1 || st.Active || st.Sessions != 0 {
		t.Fatalf("%d Publish calls, stats %+v: want one call within PublishRetry", n, st)
	}
	f.pub.setRefuse(nil)
	f.clk.Advance(DefaultPublishRetry)
	p.send(f.eps[0].RTP, rtpBytes(t, 96, 3, 0, 7, h264Payload))
	st = f.waitStats(t, "session", func(s Stats) bool { return s.Packets == 1 })
	if n := len(f.pub.Pubs()); n != 2 || st.Sessions != 1 || st.Refused != 2 {
		t.Errorf("%d Publish calls, stats %+v", n, st)
	}
}

// TestTwoTracks receives video and audio of one SDP on two ports at once;
// the recording Sink fails the test if its calls overlap.
func TestTwoTracks(t *testing.T) {
	f := start(t, func(c *Config) { c.Codec, c.SDP = "", []byte(ffmpegVideoAudioSDP) })
	if len(f.eps) != 2 || f.eps[0].RTP.Port() == f.eps[1].RTP.Port() {
		t.Fatalf("endpoints %+v", f.eps)
	}
	const n = 200
	received := func(track int) int {
		k := 0
		for _, pub := range f.pub.Pubs() {
			if pub.sink == nil {
				continue
			}
			for _, p := range pub.sink.Packets() {
				if p.track == track {
					k++
				}
			}
		}
		return k
	}
	var wg sync.WaitGroup
	for track, pt := range []uint8{96, 97} {
		p := newPeer(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				b := rtpBytes(t, pt, uint16(i), uint32(i), uint32(track+1), []byte{byte(track), 0x9a})
				_, _ = p.conn.WriteToUDPAddrPort(b, f.eps[track].RTP)
				if i%20 == 19 {
					// Pace the burst so that the kernel's queue is not the
					// test's subject: let the listener take what was sent
					// (a few may still be lost: UDP).
					mqtttest.Within(time.Second, func() bool { return received(track) > i-20 })
				}
			}
		}()
	}
	wg.Wait()
	pub := f.pub.last(t)
	var got [2]int
	mqtttest.Eventually(t, waitTimeout, "packets on both tracks", func() bool {
		got = [2]int{}
		for _, p := range pub.sink.Packets() {
			got[p.track]++
		}
		return got[0] > 0 && got[1] > 0 && f.l.Stats().Packets >= n // UDP may drop a few
	})
	for _, p := range pub.sink.Packets() {
		if p.payload[0] != byte(p.track) || p.header.SSRC != uint32(p.track+1) {
			t.Fatalf("packet of track %d on track %d", p.payload[0], p.track)
		}
	}
	want := []media.Track{{Codec: media.CodecH264}, {Codec: media.CodecOpus, Channels: 2}}
	if len(f.pub.Pubs()) != 1 || len(pub.tracks) != 2 || pub.tracks[0] != want[0] || pub.tracks[1] != want[1] {
		t.Errorf("publications %+v, want one with %v", f.pub.Pubs(), want)
	}
}

func TestLifecycle(t *testing.T) {
	pub := &recPublisher{}
	cfg := Config{Stream: "cam1", Addr: "127.0.0.1:0", Codec: "vp8", Logger: quietLogger()}

	l, err := New(cfg, pub)
	if err != nil {
		t.Fatal(err)
	}
	if l.Endpoints() != nil {
		t.Error("endpoints before Start")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Start(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v", err)
	}

	l, err = New(cfg, pub)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Start(ctx); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start: %v", err)
	}
	p := newPeer(t)
	p.send(l.Endpoints()[0].RTP, rtpBytes(t, 96, 1, 0, 7, []byte{0x10, 0, 0, 0}))
	mqtttest.Eventually(t, waitTimeout, "session", func() bool { return l.Stats().Packets == 1 })
	sink := pub.last(t).sink
	cancel() // cancelling Start's context closes the Listener
	mqtttest.Eventually(t, waitTimeout, "Sink.Close after cancel", sink.Closed)
	for range 2 {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	}
	sink.check(t)
	if tr := l.Tracks(); len(tr) != 1 || tr[0].Track.Codec != media.CodecVP8 || tr[0].PayloadType != 96 || tr[0].ClockRate != 90000 {
		t.Errorf("tracks %+v", tr)
	}

	if _, err := New(cfg, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("nil Publisher: %v", err)
	}
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	l, _ = New(cfg, pub)
	if err := l.Start(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with a cancelled context: %v", err)
	}
	_ = l.Close()
}

// TestStartFailsOnBusyPort: a taken RTP port fails Start. (A taken RTCP
// port only costs RTCP, but testing that would bind a fixed port.)
func TestStartFailsOnBusyPort(t *testing.T) {
	f := start(t, nil)
	busy := f.eps[0].RTP.String()
	l, err := New(Config{Stream: "cam2", Addr: busy, Codec: "H264", Logger: quietLogger()}, &recPublisher{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Start(context.Background()); err == nil {
		t.Error("Start on a taken port succeeded")
	}
	_ = l.Close()
}
