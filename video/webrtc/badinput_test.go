package webrtc_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/webrtc"
	"github.com/tributary-edge/tributary/video/webrtc/whiptest"
)

// onlyReader hides the length of a body so the request is chunked.
type onlyReader struct{ io.Reader }

func TestBadRequests(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, nil)
	good := offerSDP(t, false, capH264)
	whip := f.url("s1", "whip")
	huge := strings.Repeat("a=x-padding:0123456789abcdef\r\n", 4000) // ~120 KB

	cases := []struct {
		name, method, url, ctype, tok string
		body                          io.Reader
		code                          int
		want                          []string // in the body
		header, headerHas             string
	}{
		{name: "no token", method: "POST", url: whip, ctype: "application/sdp", body: stringsReader(good),
			code: 401, want: []string{"missing bearer token"}, header: "WWW-Authenticate", headerHas: "Bearer"},
		{name: "wrong token", method: "POST", url: whip, ctype: "application/sdp", tok: "nope", body: stringsReader(good),
			code: 401, header: "WWW-Authenticate", headerHas: `error="invalid_token"`},
		{name: "other stream's token", method: "POST", url: whip, ctype: "application/sdp", tok: token("s2"), body: stringsReader(good),
			code: 401},
		{name: "wrong content type", method: "POST", url: whip, ctype: "application/json", tok: token("s1"), body: stringsReader(good),
			code: 415, want: []string{"application/sdp"}, header: "Accept-Post", headerHas: "application/sdp"},
		{name: "no content type", method: "POST", url: whip, tok: token("s1"), body: stringsReader(good), code: 415},
		{name: "malformed SDP", method: "POST", url: whip, ctype: "application/sdp", tok: token("s1"), body: stringsReader("hello, I am not SDP"),
			code: 400, want: []string{"malformed SDP"}},
		{name: "SDP without media", method: "POST", url: whip, ctype: "application/sdp", tok: token("s1"),
			body: stringsReader("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"),
			code: 400, want: []string{"no audio or video"}},
		{name: "only H265", method: "POST", url: whip, ctype: "application/sdp", tok: token("s1"), body: stringsReader(offerSDP(t, false, capH265)),
			code: 400, want: []string{"supported: H264, VP8, opus", "offered: H265"}},
		{name: "only G722", method: "POST", url: whip, ctype: "application/sdp", tok: token("s1"), body: stringsReader(offerSDP(t, false, capG722)),
			code: 400, want: []string{"supported: H264, VP8, opus", "offered: G722"}},
		{name: "WHIP offer that only receives", method: "POST", url: whip, ctype: "application/sdp", tok: token("s1"), body: stringsReader(offerSDP(t, true, capH264)),
			code: 400, want: []string{"sendonly or sendrecv"}},
		{name: "huge body", method: "POST", url: whip, ctype: "application/sdp", tok: token("s1"), body: stringsReader(good + huge),
			code: 413},
		{name: "huge chunked body", method: "POST", url: whip, ctype: "application/sdp", tok: token("s1"), body: onlyReader{stringsReader(good + huge)},
			code: 413},
		{name: "bad stream name", method: "POST", url: f.url(".hidden", "whip"), ctype: "application/sdp", tok: token(".hidden"), body: stringsReader(good),
			code: 400, want: []string{"invalid stream name"}},
		{name: "GET endpoint", method: "GET", url: whip, code: 405, header: "Allow", headerHas: "POST"},
		{name: "OPTIONS endpoint", method: "OPTIONS", url: whip, code: 204, header: "Accept-Post", headerHas: "application/sdp"},
		{name: "PATCH trickle", method: "PATCH", url: whip + "/0123", ctype: "application/trickle-ice-sdpfrag", tok: token("s1"), body: stringsReader("a=ice-ufrag:x\r\n"),
			code: 405, want: []string{"trickle"}, header: "Allow", headerHas: "DELETE"},
		{name: "OPTIONS session", method: "OPTIONS", url: whip + "/0123", code: 204, header: "Allow", headerHas: "DELETE"},
		{name: "DELETE unknown session", method: "DELETE", url: whip + "/0123456789abcdef", tok: token("s1"), code: 404},
		{name: "DELETE without token", method: "DELETE", url: whip + "/0123456789abcdef", code: 401},
		{name: "WHEP unpublished stream", method: "POST", url: f.url("nobody", "whep"), ctype: "application/sdp", body: stringsReader(offerSDP(t, true, capH264)),
			code: 404, want: []string{"nobody"}},
		{name: "WHEP only H265", method: "POST", url: f.url("s1", "whep"), ctype: "application/sdp", body: stringsReader(offerSDP(t, true, capH265)),
			code: 400, want: []string{"supported: H264, VP8, opus"}},
		{name: "WHEP DELETE unknown", method: "DELETE", url: f.url("s1", "whep") + "/feed", code: 404},
		{name: "unrouted path", method: "POST", url: f.hs.URL + "/video/s1/what", code: 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, h, body := post(ctx, t, c.method, c.url, c.ctype, c.tok, c.body)
			if code != c.code {
				t.Fatalf("status %d, want %d (body %q)", code, c.code, body)
			}
			if !contains(body, c.want...) {
				t.Fatalf("body %q lacks %q", body, c.want)
			}
			if c.header != "" && !strings.Contains(h.Get(c.header), c.headerHas) {
				t.Fatalf("%s: %q lacks %q", c.header, h.Get(c.header), c.headerHas)
			}
		})
	}
	if s := f.srv.Stats(); s.Publishers != 0 || s.Rejected == 0 {
		t.Fatalf("stats after bad requests: %+v", s)
	}
	if n := f.relay.Publishes(); n != 0 {
		t.Fatalf("Publisher saw %d bad offers", n)
	}
}

func TestDuplicatePublisher(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, nil)
	pub, err := whiptest.Publish(ctx, f.url("dup", "whip"), token("dup"), media.CodecH264)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := whiptest.Publish(ctx, f.url("dup", "whip"), token("dup"), media.CodecH264); !isStatus(err, http.StatusConflict) {
		t.Fatalf("second publisher: %v, want 409", err)
	}
	// Another stream is fine.
	other, err := whiptest.Publish(ctx, f.url("dup2", "whip"), token("dup2"), media.CodecVP8)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pub.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSessionLimit(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, func(c *webrtc.Config) { c.MaxSessions = 1 })
	pub, err := whiptest.Publish(ctx, f.url("lim", "whip"), token("lim"), media.CodecH264)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := whiptest.View(ctx, f.url("lim", "whep"), ""); !isStatus(err, http.StatusServiceUnavailable) {
		t.Fatalf("viewer over the limit: %v, want 503", err)
	}
	if err := pub.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestViewAuthorization(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, func(c *webrtc.Config) {
		c.AuthorizeView = func(stream, tok string) bool { return tok == "view-"+stream }
		c.AllowOrigin = "https://player.example"
	})
	pub, err := whiptest.Publish(ctx, f.url("priv", "whip"), token("priv"), media.CodecH264)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := whiptest.View(ctx, f.url("priv", "whep"), "wrong"); !isStatus(err, http.StatusUnauthorized) {
		t.Fatalf("viewer with wrong token: %v, want 401", err)
	}
	v, err := whiptest.View(ctx, f.url("priv", "whep"), "view-priv")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Close(ctx); err != nil {
		t.Fatal(err)
	}
	code, h, _ := post(ctx, t, http.MethodOptions, f.url("priv", "whep"), "", "", nil)
	if code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://player.example" ||
		!strings.Contains(h.Get("Access-Control-Expose-Headers"), "Location") {
		t.Fatalf("CORS preflight: %d %v", code, h)
	}
	if err := pub.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestNAT1To1 checks that answers advertise the configured public address
// instead of the local one.
func TestNAT1To1(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, func(c *webrtc.Config) { c.NAT1To1IPs = []string{"203.0.113.7"} })
	code, h, body := post(ctx, t, http.MethodPost, f.url("nat", "whip"), "application/sdp", token("nat"),
		stringsReader(offerSDP(t, false, capH264, capOpus)))
	if code != http.StatusCreated {
		t.Fatalf("POST = %d %s", code, body)
	}
	if !strings.Contains(body, "a=candidate:") || !strings.Contains(body, " 203.0.113.7 ") || strings.Contains(body, " 127.0.0.1 ") {
		t.Fatalf("answer candidates do not use the NAT address:\n%s", body)
	}
	if !strings.HasPrefix(h.Get("Location"), "/video/nat/whip/") || h.Get("Content-Type") != "application/sdp" {
		t.Fatalf("headers %v", h)
	}
	code, _, body = post(ctx, t, http.MethodDelete, f.hs.URL+h.Get("Location"), "", token("nat"), nil)
	if code != http.StatusOK {
		t.Fatalf("DELETE = %d %s", code, body)
	}
	if n := f.relay.Closes(); n != 1 {
		t.Fatalf("Sink.Close %d times", n)
	}
}

// TestAnswerNarrowsCodecs: the answer to a multi-codec browser-like offer
// keeps one video codec, and the Publisher learns it.
func TestAnswerNarrowsCodecs(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, nil)
	code, h, body := post(ctx, t, http.MethodPost, f.url("multi", "whip"), "application/sdp", token("multi"),
		bytes.NewReader([]byte(offerSDP(t, false, capH265, capH264, capOpus))))
	if code != http.StatusCreated {
		t.Fatalf("POST = %d %s", code, body)
	}
	if strings.Contains(body, "H265") || !strings.Contains(body, "H264/90000") || !strings.Contains(body, "opus/48000") {
		t.Fatalf("answer codecs:\n%s", body)
	}
	// Every candidate is the one ICE socket: a single UDP port for all
	// sessions.
	addrs := f.srv.ICEAddrs()
	if len(addrs) != 1 {
		t.Fatalf("ICE listens on %v", addrs)
	}
	_, port, _ := strings.Cut(addrs[0].String(), ":")
	cands := 0
	for _, line := range strings.Split(body, "\r\n") {
		if strings.HasPrefix(line, "a=candidate:") {
			cands++
			if !strings.Contains(line, " 127.0.0.1 "+port+" typ host") {
				t.Fatalf("candidate %q is not the ICE socket %s", line, addrs[0])
			}
		}
	}
	if cands == 0 {
		t.Fatalf("answer has no candidates:\n%s", body)
	}
	hub := f.relay.Hub("multi")
	if hub == nil {
		t.Fatal("stream not published")
	}
	if code, _, _ := post(ctx, t, http.MethodDelete, f.hs.URL+h.Get("Location"), "", token("multi"), nil); code != 200 {
		t.Fatalf("DELETE = %d", code)
	}
}

type refusingPublisher struct{ err error }

func (p refusingPublisher) Publish(string, []media.Track, webrtc.KeyframeRequester) (webrtc.Sink, error) {
	return nil, p.err
}

func TestPublisherRefusal(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
	}{
		{fmt.Errorf("camera %w", webrtc.ErrStreamBusy), http.StatusConflict},
		{errors.New("disk full"), http.StatusServiceUnavailable},
	} {
		t.Run(c.err.Error(), func(t *testing.T) {
			ctx := testCtx(t)
			f := startWith(t, nil, refusingPublisher{c.err})
			code, _, body := post(ctx, t, http.MethodPost, f.url("r", "whip"), "application/sdp", token("r"),
				stringsReader(offerSDP(t, false, capH264)))
			if code != c.code || !strings.Contains(body, c.err.Error()) {
				t.Errorf("%d %q, want %d", code, body, c.code)
			}
			if s := f.srv.Stats(); s.Publishers != 0 || s.Rejected != 1 {
				t.Errorf("stats after refusal: %+v", s)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	auth := func(string, string) bool { return true }
	relay := whiptest.NewRelay()
	if _, err := webrtc.New(webrtc.Config{ICEAddr: "127.0.0.1:0"}, relay, relay); !errors.Is(err, webrtc.ErrConfig) {
		t.Errorf("no Authorize: %v", err)
	}
	if _, err := webrtc.New(webrtc.Config{ICEAddr: "127.0.0.1:0", Authorize: auth}, nil, relay); !errors.Is(err, webrtc.ErrConfig) {
		t.Errorf("nil Publisher: %v", err)
	}
	// All interfaces, but a filter that keeps only loopback, which the
	// all-interfaces mode never uses: nothing to listen on.
	_, err := webrtc.New(webrtc.Config{ICEAddr: "0.0.0.0:0", Authorize: auth,
		IPFilter: func(ip net.IP) bool { return ip.IsLoopback() }}, relay, relay)
	if err == nil || !strings.Contains(err.Error(), "no interface address") {
		t.Errorf("unspecified address with a loopback-only filter: %v", err)
	}
	// A taken port is reported.
	a, err := webrtc.New(webrtc.Config{ICEAddr: "127.0.0.1:0", Authorize: auth}, relay, relay)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := webrtc.New(webrtc.Config{ICEAddr: a.ICEAddrs()[0].String(), Authorize: auth}, relay, relay); err == nil {
		t.Error("second server on the same ICE port started")
	}
}
