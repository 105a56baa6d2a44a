package webrtc

import (
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	pion "github.com/pion/webrtc/v4"

	"github.com/tributary-edge/tributary/video/media"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Authorize: func(string, string) bool { return true }}
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
	bad := []struct {
		name string
		mut  func(*Config)
		msg  string
	}{
		{"no authorize", func(c *Config) { c.Authorize = nil }, "Authorize"},
		{"host name", func(c *Config) { c.ICEAddr = "localhost:8189" }, "ICEAddr"},
		{"no port", func(c *Config) { c.ICEAddr = "127.0.0.1" }, "ICEAddr"},
		{"bad port", func(c *Config) { c.ICEAddr = "127.0.0.1:99999" }, "ICEAddr"},
		{"nat not ip", func(c *Config) { c.NAT1To1IPs = []string{"gw.example"} }, "NAT1To1IPs"},
		{"prefix slash", func(c *Config) { c.PathPrefix = "/video/" }, "PathPrefix"},
		{"prefix relative", func(c *Config) { c.PathPrefix = "video" }, "PathPrefix"},
		{"tiny body", func(c *Config) { c.MaxBodyBytes = 10 }, "MaxBodyBytes"},
		{"negative sessions", func(c *Config) { c.MaxSessions = -1 }, "MaxSessions"},
		{"negative timeout", func(c *Config) { c.ConnectTimeout = -time.Second }, "timeout"},
	}
	for _, b := range bad {
		c := ok
		b.mut(&c)
		err := c.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), b.msg) {
			t.Errorf("%s: Validate = %v, want ErrConfig mentioning %s", b.name, err, b.msg)
		}
	}
}

func TestBearerToken(t *testing.T) {
	cases := map[string]string{
		"Bearer abc":      "abc",
		"bearer abc":      "abc",
		"BEARER  abc ":    "abc",
		"Basic abc":       "",
		"Bearer":          "",
		"Bearer ":         "",
		"":                "",
		"Bearerabc":       "",
		"Bearer a b":      "a b",
		"  Bearer tok-1 ": "tok-1",
	}
	for header, want := range cases {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Authorization", header)
		got, ok := bearerToken(r)
		if got != want || ok != (want != "") {
			t.Errorf("%q: got %q %v, want %q", header, got, ok, want)
		}
	}
}

func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  x ", "Basic y", "", "Bearer"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header["Authorization"] = []string{header}
		tok, ok := bearerToken(r)
		if ok && (tok == "" || tok != strings.TrimSpace(tok)) {
			t.Fatalf("%q gave token %q", header, tok)
		}
		if !ok && tok != "" {
			t.Fatalf("%q: token %q without ok", header, tok)
		}
	})
}

func TestValidStream(t *testing.T) {
	for name, want := range map[string]bool{
		"cam1": true, "front-door_2.hd": true, "": false, ".x": false, "a/b": false,
		"a b": false, strings.Repeat("x", 64): true, strings.Repeat("x", 65): false, "é": false,
	} {
		if validStream(name) != want {
			t.Errorf("validStream(%q) = %v", name, !want)
		}
	}
}

func TestChooseCodec(t *testing.T) {
	h264 := func(pm string) pion.RTPCodecParameters {
		return pion.RTPCodecParameters{RTPCodecCapability: pion.RTPCodecCapability{
			MimeType: pion.MimeTypeH264, SDPFmtpLine: "packetization-mode=" + pm + ";profile-level-id=42e01f"}}
	}
	vp8 := pion.RTPCodecParameters{RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8}}
	vp9 := pion.RTPCodecParameters{RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeVP9}}
	opus := pion.RTPCodecParameters{RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeOpus}}
	cases := []struct {
		name  string
		list  []pion.RTPCodecParameters
		want  media.Codec
		got   pion.RTPCodecParameters
		found bool
	}{
		{"prefers h264 mode 1 over the offerer's vp8", []pion.RTPCodecParameters{vp9, vp8, h264("0"), h264("1")}, media.CodecUnknown, h264("1"), true},
		{"vp8 over h264 mode 0", []pion.RTPCodecParameters{h264("0"), vp8}, media.CodecUnknown, vp8, true},
		{"h264 mode 0 alone", []pion.RTPCodecParameters{vp9, h264("0")}, media.CodecUnknown, h264("0"), true},
		{"nothing supported", []pion.RTPCodecParameters{vp9}, media.CodecUnknown, pion.RTPCodecParameters{}, false},
		{"wanted codec only", []pion.RTPCodecParameters{h264("1"), vp8}, media.CodecVP8, vp8, true},
		{"wanted codec missing", []pion.RTPCodecParameters{h264("1")}, media.CodecOpus, pion.RTPCodecParameters{}, false},
		{"audio", []pion.RTPCodecParameters{opus}, media.CodecUnknown, opus, true},
	}
	for _, c := range cases {
		got, ok := chooseCodec(c.list, c.want)
		if ok != c.found || got.MimeType != c.got.MimeType || got.SDPFmtpLine != c.got.SDPFmtpLine {
			t.Errorf("%s: got %v %v", c.name, got.RTPCodecCapability, ok)
		}
	}
}

func TestTrackOf(t *testing.T) {
	opus := func(fmtp string) pion.RTPCodecParameters {
		return pion.RTPCodecParameters{RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeOpus, Channels: 2, SDPFmtpLine: fmtp}}
	}
	if tr := trackOf(opus("minptime=10;useinbandfec=1")); tr != (media.Track{Codec: media.CodecOpus, Channels: 1}) {
		t.Errorf("mono opus: %+v", tr)
	}
	if tr := trackOf(opus("sprop-stereo=1;stereo=1")); tr.Channels != 2 {
		t.Errorf("stereo opus: %+v", tr)
	}
	if tr := trackOf(pion.RTPCodecParameters{RTPCodecCapability: pion.RTPCodecCapability{MimeType: "video/h264"}}); tr.Codec != media.CodecH264 {
		t.Errorf("h264: %+v", tr)
	}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestKeyframerThrottleAndPending(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1000, 0)}
	var sent [][]rtcp.Packet
	st := &counters{}
	k := &keyframer{
		write:    func(p []rtcp.Packet) error { sent = append(sent, p); return nil },
		now:      clk.Now,
		interval: 500 * time.Millisecond,
		stats:    st,
	}
	k.RequestKeyframe() // no video SSRC yet: pending
	if len(sent) != 0 {
		t.Fatal("PLI sent without an SSRC")
	}
	k.addSSRC(0xabc) // sends the pending request
	if len(sent) != 1 || sent[0][0].(*rtcp.PictureLossIndication).MediaSSRC != 0xabc {
		t.Fatalf("pending request: %v", sent)
	}
	clk.add(100 * time.Millisecond)
	k.RequestKeyframe() // throttled
	if len(sent) != 1 || st.kfThrottled.Load() != 1 {
		t.Fatalf("not throttled: %d sent, %d throttled", len(sent), st.kfThrottled.Load())
	}
	clk.add(400 * time.Millisecond)
	k.addSSRC(0xdef) // nothing pending: no PLI
	k.RequestKeyframe()
	if len(sent) != 2 || len(sent[1]) != 2 || st.kfSent.Load() != 2 {
		t.Fatalf("after the interval: %v, kfSent %d", sent, st.kfSent.Load())
	}
}

type rtpSink []*rtp.Packet

func (s *rtpSink) WriteRTP(p *rtp.Packet) error {
	c := p.Clone()
	*s = append(*s, c)
	return nil
}

func TestPacketizer(t *testing.T) {
	var out rtpSink
	p := newPacketizer(&out, media.CodecH264)
	big := make([]byte, 3000)
	big[0] = 0x65 // IDR
	au := append([]byte{0, 0, 0, 1, 0x67, 0x42, 0, 0x1f, 0, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1}, big...)
	if _, _, err := p.write(media.Frame{PTS: 0, Keyframe: true, Data: au}); err != nil {
		t.Fatal(err)
	}
	n1 := len(out)
	if _, _, err := p.write(media.Frame{PTS: 7200, Data: []byte{0, 0, 0, 1, 0x41, 1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	if n1 < 4 || len(out) != n1+1 { // STAP-A, 3 FU-A, then one single NAL
		t.Fatalf("%d packets for the keyframe, %d total", n1, len(out))
	}
	for i, pkt := range out {
		if i > 0 && pkt.SequenceNumber != out[i-1].SequenceNumber+1 {
			t.Fatalf("packet %d: sequence %d after %d", i, pkt.SequenceNumber, out[i-1].SequenceNumber)
		}
		wantTS := out[0].Timestamp
		if i >= n1 {
			wantTS += 7200
		}
		if pkt.Timestamp != wantTS {
			t.Fatalf("packet %d: timestamp %d, want %d", i, pkt.Timestamp, wantTS)
		}
		if pkt.Marker != (i == n1-1 || i == len(out)-1) {
			t.Fatalf("packet %d: marker %v", i, pkt.Marker)
		}
		if len(pkt.Payload) > payloadMTU {
			t.Fatalf("packet %d: payload %d > %d", i, len(pkt.Payload), payloadMTU)
		}
	}
	// Depacketized, the access unit comes back whole.
	var d codecs.H264Packet
	var back []byte
	for _, pkt := range out[:n1] {
		b, err := d.Unmarshal(pkt.Payload)
		if err != nil {
			t.Fatal(err)
		}
		back = append(back, b...)
	}
	if string(back) != string(au) {
		t.Fatalf("round trip: %d bytes back for %d", len(back), len(au))
	}

	var audio rtpSink
	a := newPacketizer(&audio, media.CodecOpus)
	if _, _, err := a.write(media.Frame{Track: 1, PTS: 960, Keyframe: true, Data: []byte{0xfc, 1}}); err != nil {
		t.Fatal(err)
	}
	if len(audio) != 1 || audio[0].Marker {
		t.Fatalf("opus packets %+v", audio)
	}
}
