package rtpin

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/webrtc"
)

func FuzzParseSDP(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.sdp")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		withHead("m=video 5004 RTP/AVP 26 98 99", "a=rtpmap:98 h264/90000", "a=fmtp:98 sprop-parameter-sets=Z0LAHtkAoD2wEQAAAwABAAADADIPFi5I,aMuDyyA", "a=rtpmap:99 VP8/90000"),
		withHead("m=audio 0 RTP/AVP 0", "m=video 6000 RTP/AVPF 96", "a=rtpmap:96 H264/90000", "a=fmtp:96 packetization-mode=2"),
		withHead("m=audio 5006 RTP/AVP 100", "a=rtpmap:100 OPUS/48000", "a=fmtp:100 sprop-stereo=1"),
		withHead("m=video abc RTP/AVP 96"),
		withHead("m=video 5004 RTP/AVP 96", "s=again"),
		sdpText("v=0", "", "s=x"),
		sdpText("o=- 0 0 IN IP4 127.0.0.1", "v=0"),
		withHead("m=video 5004 RTP/AVP 96", "a=rtpmap:96 H264/90000", "a=fmtp:96 sprop-parameter-sets=Z0LA,!!!!"),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := ParseSDP(b)
		if err != nil {
			if !errors.Is(err, ErrSDP) {
				t.Fatalf("error %v does not wrap ErrSDP", err)
			}
			return
		}
		lines := strings.Count(string(b), "\n") + 1
		var video, audio int
		for _, m := range ms {
			c := m.Track.Codec
			switch {
			case c == media.CodecUnknown:
				t.Fatalf("unknown codec in %+v", m)
			case c.IsVideo():
				video++
			default:
				audio++
			}
			if m.PayloadType > 127 || m.ClockRate != c.ClockRate() || m.Port < 1 || m.Port > 65535 || m.Line < 1 || m.Line > lines {
				t.Fatalf("media %+v", m)
			}
			if c == media.CodecOpus && (m.Track.Channels < 1 || m.Track.Channels > 2) {
				t.Fatalf("opus channels %d", m.Track.Channels)
			}
			if m.PacketizationMode > 1 {
				t.Fatalf("packetization-mode %d", m.PacketizationMode)
			}
			for _, ps := range m.ParameterSets {
				if typ := ps[0] & 0x1f; typ != 7 && typ != 8 {
					t.Fatalf("parameter set of NAL type %d", typ)
				}
			}
		}
		if len(ms) == 0 || video > 1 || audio > 1 {
			t.Fatalf("%d video and %d audio tracks", video, audio)
		}
	})
}

// A FuzzPacket input is a run of datagrams, each
//
//	flags(1) len(uint16) bytes(len)
//
// flags: bit 0 audio track (else video), bit 1 from the second source,
// bit 2 to the RTCP port, bits 3-5 clock step in seconds before the
// datagram, bit 6 Publish refuses, bit 7 a keyframe request after it.
func FuzzPacket(f *testing.F) {
	seed := func(dgrams ...[]byte) []byte {
		var out []byte
		for i := 0; i+1 < len(dgrams); i += 2 {
			out = append(out, dgrams[i][0])
			out = binary.BigEndian.AppendUint16(out, uint16(len(dgrams[i+1])))
			out = append(out, dgrams[i+1]...)
		}
		return out
	}
	flag := func(b byte) []byte { return []byte{b} }
	mustRTCP := func(p ...rtcp.Packet) []byte {
		b, err := rtcp.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	v := rtpBytes(f, 96, 1, 0, 7, h264Payload)
	a := rtpBytes(f, 97, 1, 0, 8, []byte{0xfc})
	sr := mustRTCP(&rtcp.SenderReport{SSRC: 7})
	bye := mustRTCP(&rtcp.Goodbye{Sources: []uint32{7, 8}})
	f.Add(seed(flag(0), v, flag(1), a, flag(4), sr, flag(0x80), v, flag(4), bye, flag(0), v))
	f.Add(seed(flag(0), v, flag(2), v, flag(0x30), v, flag(2), v))
	f.Add(seed(flag(0x40), v, flag(0x08), v, flag(0), []byte{0x80, 200, 0, 1}, flag(0), []byte{0x8f, 96, 0, 0}))
	f.Add(seed(flag(0), sr, flag(0), v, flag(1), v, flag(0), make([]byte, 70)))

	f.Fuzz(func(t *testing.T, data []byte) {
		pub := &recPublisher{}
		clk := newClock()
		l, err := New(Config{Stream: "s", SDP: []byte(ffmpegVideoAudioSDP), Addr: "127.0.0.1:0", MaxPacketSize: 64,
			Now: clk.Now, Logger: quietLogger()}, pub)
		if err != nil {
			t.Fatal(err)
		}
		socks := []*trackSocket{{index: 0}, {index: 1}}
		srcs := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:5000"), netip.MustParseAddrPort("10.0.0.2:5000")}
		var pkt rtp.Packet
		datagrams := 0
		for len(data) >= 3 && datagrams < 200 {
			flags, n := data[0], min(int(binary.BigEndian.Uint16(data[1:])), len(data)-3)
			b := data[3 : 3+n]
			data = data[3+n:]
			datagrams++
			clk.Advance(time.Duration(flags>>3&7) * time.Second)
			if flags&0x40 != 0 {
				pub.setRefuse(errRefused)
			} else {
				pub.setRefuse(nil)
			}
			s, from := socks[flags&1], srcs[flags>>1&1]
			if flags&4 != 0 {
				l.handleRTCP(s.index, nil, b, from, clk.Now())
			} else {
				l.handleRTP(s, &pkt, b, from, clk.Now())
			}
			if flags&0x80 != 0 {
				if pubs := pub.Pubs(); len(pubs) > 0 {
					pubs[len(pubs)-1].kf.RequestKeyframe()
				}
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		st := l.Stats()
		var packets, sessions int
		for _, p := range pub.Pubs() {
			if p.sink == nil {
				continue
			}
			sessions++
			p.sink.check(t)
			if !p.sink.Closed() {
				t.Fatal("a session's Sink was not closed by Close")
			}
			for _, g := range p.sink.Packets() {
				packets++
				if want := l.tracks[g.track].PayloadType; g.header.Version != 2 || g.header.PayloadType != want {
					t.Fatalf("track %d got version %d payload type %d", g.track, g.header.Version, g.header.PayloadType)
				}
			}
		}
		if uint64(packets) != st.Packets || uint64(sessions) != st.Sessions || st.Active {
			t.Fatalf("sinks got %d packets in %d sessions; stats %+v", packets, sessions, st)
		}
		if dropped := st.BadPackets + st.Oversize + st.WrongPayloadType + st.ForeignSource + st.Refused; st.Packets+dropped+st.RTCPPackets < uint64(datagrams) {
			t.Fatalf("%d datagrams, but stats %+v account for fewer", datagrams, st)
		}
	})
}

// nopSink and nopPublisher measure the Listener alone.
type nopSink struct{}

func (nopSink) WriteRTP(int, *rtp.Packet, time.Time)                 {}
func (nopSink) WriteSenderReport(int, *rtcp.SenderReport, time.Time) {}
func (nopSink) Close()                                               {}

type nopPublisher struct{}

func (nopPublisher) Publish(string, []media.Track, webrtc.KeyframeRequester) (webrtc.Sink, error) {
	return nopSink{}, nil
}

// TestNoAllocPerPacket: an accepted packet, and a dropped one, cost no
// allocation once the session runs.
func TestNoAllocPerPacket(t *testing.T) {
	clk := newClock()
	l, err := New(Config{Stream: "s", Codec: "H264", Addr: "127.0.0.1:0", Now: clk.Now, Logger: quietLogger()}, nopPublisher{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := &trackSocket{index: 0}
	from, other := netip.MustParseAddrPort("10.0.0.1:5000"), netip.MustParseAddrPort("10.0.0.2:5000")
	b := rtpBytes(t, 96, 1, 0, 7, h264Payload)
	var pkt rtp.Packet
	l.handleRTP(s, &pkt, b, from, clk.Now())
	seq := uint16(1)
	if n := testing.AllocsPerRun(1000, func() {
		seq++
		binary.BigEndian.PutUint16(b[2:], seq)
		l.handleRTP(s, &pkt, b, from, clk.Now())
		l.handleRTP(s, &pkt, b, other, clk.Now())
		l.handleRTP(s, &pkt, b[:5], from, clk.Now())
	}); n != 0 {
		t.Errorf("%v allocations per packet", n)
	}
	if st := l.Stats(); st.Packets != 1002 || st.ForeignSource != 1001 || st.BadPackets != 1001 {
		t.Errorf("stats %+v", st)
	}
}
