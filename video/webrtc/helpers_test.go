package webrtc_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"
	"go.uber.org/goleak"

	"github.com/tributary-edge/tributary/video/webrtc"
	"github.com/tributary-edge/tributary/video/webrtc/whiptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixture is a Server behind an httptest server on 127.0.0.1, with a Relay
// as Publisher and Source.
type fixture struct {
	srv   *webrtc.Server
	hs    *httptest.Server
	relay *whiptest.Relay
}

func token(stream string) string { return "secret-" + stream }

// start runs a server for the test; everything is closed and checked for
// goroutine leaks when the test ends.
func start(t *testing.T, mutate func(*webrtc.Config)) *fixture {
	t.Helper()
	return startWith(t, mutate, nil)
}

// startWith is start with pub in place of the relay as Publisher.
func startWith(t *testing.T, mutate func(*webrtc.Config), pub webrtc.Publisher) *fixture {
	t.Helper()
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		goleak.VerifyNone(t)
	})
	cfg := webrtc.Config{
		ICEAddr:   "127.0.0.1:0",
		IPFilter:  func(ip net.IP) bool { return ip.IsLoopback() },
		Authorize: func(stream, tok string) bool { return tok == token(stream) },
		Logger:    slog.New(slog.DiscardHandler),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	f := &fixture{relay: whiptest.NewRelay()}
	if pub == nil {
		pub = f.relay
	}
	srv, err := webrtc.New(cfg, pub, f.relay)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	// Mount it the way the gateway does: on its patterns, on a shared mux.
	mux := http.NewServeMux()
	for _, p := range srv.Patterns() {
		mux.Handle(p, srv)
	}
	mux.HandleFunc("/video/{stream}/fragments", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	f.hs = httptest.NewServer(mux)
	t.Cleanup(f.hs.Close)
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Server.Close: %v", err)
		}
	})
	return f
}

func (f *fixture) url(stream, kind string) string {
	return f.hs.URL + "/video/" + stream + "/" + kind
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

func waitChan(ctx context.Context, t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-ctx.Done():
		t.Fatalf("timed out waiting for %s", what)
	}
}

// offerSDP returns a complete (gathered) offer from a loopback pion peer
// that sends one track per capability (or receives, when recv is set).
func offerSDP(t *testing.T, recv bool, caps ...pion.RTPCodecCapability) string {
	t.Helper()
	me := &pion.MediaEngine{}
	pts := map[string]pion.PayloadType{}
	for i, c := range caps {
		kind := pion.RTPCodecTypeVideo
		if c.ClockRate != 90000 {
			kind = pion.RTPCodecTypeAudio
		}
		if _, ok := pts[c.MimeType]; ok {
			continue
		}
		pts[c.MimeType] = pion.PayloadType(96 + i)
		if err := me.RegisterCodec(pion.RTPCodecParameters{RTPCodecCapability: c, PayloadType: pts[c.MimeType]}, kind); err != nil {
			t.Fatal(err)
		}
	}
	api, err := whiptest.NewLoopbackAPIWith(me)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc.GracefulClose() }()
	for _, c := range caps {
		if recv {
			kind := pion.RTPCodecTypeVideo
			if c.ClockRate != 90000 {
				kind = pion.RTPCodecTypeAudio
			}
			if _, err := pc.AddTransceiverFromKind(kind, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionRecvonly}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		tr, err := pion.NewTrackLocalStaticSample(c, "t", "s")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.AddTransceiverFromTrack(tr, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		t.Fatal("gathering timed out")
	}
	return pc.LocalDescription().SDP
}

var (
	capH264 = pion.RTPCodecCapability{MimeType: pion.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}
	capH265 = pion.RTPCodecCapability{MimeType: pion.MimeTypeH265, ClockRate: 90000}
	capG722 = pion.RTPCodecCapability{MimeType: pion.MimeTypeG722, ClockRate: 8000}
	capOpus = pion.RTPCodecCapability{MimeType: pion.MimeTypeOpus, ClockRate: 48000, Channels: 2}
)

// post sends body to url and returns status, headers and body.
func post(ctx context.Context, t *testing.T, method, url, contentType, tok string, body io.Reader) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
