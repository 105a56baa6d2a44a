//go:build linux

package browsertest

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/webrtc/whiptest"
)

// Picture size the publish page asks of the fake camera, and of the clip.
const wantWidth, wantHeight = 320, 240

// TestChromiumPublishesWHIP: Chromium's fake camera over WHIP, relayed to
// a pion WHEP viewer.
func TestChromiumPublishesWHIP(t *testing.T) {
	if !isolate(t) {
		return
	}
	for _, tc := range []struct {
		name  string
		offer string // publish.html's codec parameter; "" offers Chromium's whole list
		want  media.Codec
		mime  string
	}{
		// Chromium offers VP8 first, but the server prefers H.264 with
		// packetization-mode 1 (webrtc's chooseCodec).
		{"ServerChoice", "", media.CodecH264, "video/H264"},
		{"VP8", "video/VP8", media.CodecVP8, "video/VP8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			h := newHarness(t, false)
			b := startChromium(t, h.pageURL("publish.html", url.Values{
				"tag": {"pub"}, "stream": {"cam"}, "token": {testToken}, "codec": {tc.offer},
			}))
			ev := h.waitEvent(b, 60*time.Second, "pub", "publishing")
			t.Logf("chromium publishes %s %dx%d, %d frames encoded", ev.Codec, ev.Width, ev.Height, ev.Frames)
			if !strings.EqualFold(ev.Codec, tc.mime) {
				t.Errorf("chromium encodes %q, want %q", ev.Codec, tc.mime)
			}
			if ev.Width != wantWidth || ev.Height != wantHeight {
				t.Errorf("chromium encodes %dx%d, want %dx%d", ev.Width, ev.Height, wantWidth, wantHeight)
			}
			if n := h.relay.Publishes(); n != 1 {
				t.Errorf("relay saw %d publishers, want 1", n)
			}

			v := viewWHEP(ctx, t, h.endpoint("cam", "whep"))
			checkViewed(t, v, tc.want, 10*time.Second)
			if !mqtttest.Within(5*time.Second, func() bool { return h.relay.SenderReports() > 0 }) {
				t.Errorf("no RTCP sender report from chromium reached the relay")
			}
		})
	}
}

// checkViewed reads v's frames until it has a keyframe of codec c followed
// by 25 more frames, within d: the keyframe must declare the camera's size
// (VP8) or carry SPS, PPS and an IDR slice (H.264, as media.Frame
// requires), and timestamps must rise from frame to frame.
func checkViewed(t *testing.T, v *pionViewer, c media.Codec, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	start := time.Now()
	var key *viewedFrame
	before, after := 0, 0 // frames before the first keyframe, frames after it
	var lastPTS int64
	for key == nil || after < 25 {
		var f viewedFrame
		select {
		case f = <-v.frames:
		case <-timer.C:
			t.Fatalf("within %v: keyframe %v, %d frames before it, %d after", d, key != nil, before, after)
		}
		if f.codec != c {
			t.Fatalf("viewer got %v, want %v", f.codec, c)
		}
		switch {
		case key != nil:
			if f.PTS <= lastPTS {
				t.Errorf("frame PTS %d after %d: timestamps must rise", f.PTS, lastPTS)
			}
			after++
		case f.Keyframe:
			key = &f
			checkKeyframe(t, f)
		default:
			before++
		}
		lastPTS = f.PTS
	}
	t.Logf("viewer: keyframe after %d frames, then %d frames, in %v", before, after, time.Since(start).Round(time.Millisecond))
}

// checkKeyframe checks what a relayed keyframe holds.
func checkKeyframe(t *testing.T, f viewedFrame) {
	t.Helper()
	switch f.codec {
	case media.CodecVP8:
		w, h, ok := vp8KeyframeSize(f.Data)
		if !ok || w != wantWidth || h != wantHeight {
			t.Errorf("VP8 keyframe declares %dx%d (ok %v), want %dx%d", w, h, ok, wantWidth, wantHeight)
		}
	case media.CodecH264:
		seen := map[byte]bool{}
		for _, nal := range whiptest.NALUnits(f.Data) {
			if len(nal) > 0 {
				seen[nal[0]&0x1f] = true
			}
		}
		// ITU-T H.264 Table 7-1: 7 SPS, 8 PPS, 5 IDR slice.
		if !seen[7] || !seen[8] || !seen[5] {
			t.Errorf("H.264 keyframe NAL types %v: want SPS (7), PPS (8) and IDR (5) in-band", seen)
		}
	}
}

// TestChromiumViewsWHEP: a pion WHIP publisher loops the H.264 clip,
// Chromium's view page plays it over WHEP, from the server's origin and
// from another one (CORS preflights for POST and DELETE with
// Authorization, Location exposed).
func TestChromiumViewsWHEP(t *testing.T) {
	if !isolate(t) {
		return
	}
	t.Run("SameOrigin", func(t *testing.T) { testView(t, false) })
	t.Run("CrossOrigin", func(t *testing.T) { testView(t, true) })
}

func testView(t *testing.T, crossOrigin bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	h := newHarness(t, crossOrigin)
	pub := publishWHIP(ctx, t, h.endpoint("clip", "whip"), testToken)
	select {
	case <-pub.connected:
	case <-time.After(10 * time.Second):
		t.Fatal("pion publisher not connected within 10s")
	}
	playCtx, stop := context.WithCancel(ctx)
	played := make(chan error, 1)
	go func() { played <- pub.play(playCtx, whiptest.Clip(), whiptest.ClipFPS) }()
	defer func() {
		stop()
		if err := <-played; err != nil {
			t.Errorf("playing the clip: %v", err)
		}
	}()

	const minFrames = 20
	// Viewing needs no token; the page sends one anyway, so that a cross-
	// origin request needs a preflight allowing Authorization.
	b := startChromium(t, h.pageURL("view.html", url.Values{
		"tag": {"view"}, "stream": {"clip"}, "frames": {strconv.Itoa(minFrames)}, "token": {testToken},
	}))
	ev := h.waitEvent(b, 60*time.Second, "view", "playing")
	t.Logf("chromium plays %s %dx%d: %d frames decoded (%d keyframes), %d presented",
		ev.Codec, ev.Width, ev.Height, ev.Frames, ev.Keyframes, ev.Presented)
	if !strings.EqualFold(ev.Codec, "video/H264") {
		t.Errorf("chromium decodes %q, want video/H264", ev.Codec)
	}
	if ev.Frames <= minFrames || ev.Keyframes < 1 {
		t.Errorf("chromium decoded %d frames (%d keyframes), want more than %d and a keyframe", ev.Frames, ev.Keyframes, minFrames)
	}
	if ev.Width != wantWidth || ev.Height != wantHeight {
		t.Errorf("video element is %dx%d, want the clip's %dx%d", ev.Width, ev.Height, wantWidth, wantHeight)
	}
	if !strings.HasPrefix(ev.Session, h.api+"/video/clip/whep/") {
		t.Errorf("session URL %q is not under %s", ev.Session, h.api)
	}

	del := h.waitEvent(b, 10*time.Second, "view", "deleted")
	if del.Status != 200 {
		t.Errorf("DELETE of the WHEP session: status %d, want 200", del.Status)
	}
	if !mqtttest.Within(5*time.Second, func() bool { return h.srv.Stats().Viewers == 0 }) {
		t.Errorf("view session still open after DELETE: %+v", h.srv.Stats())
	}
	if st := h.srv.Stats(); st.ViewSessions != 1 || st.Publishers != 1 {
		t.Errorf("server stats %+v: want 1 view session and the publisher still on", st)
	}
	// Cross-origin, POST and DELETE (with Authorization) each need a
	// preflight; same-origin none.
	if n := h.preflights.Load(); crossOrigin && n < 2 || !crossOrigin && n != 0 {
		t.Errorf("%d CORS preflights served (cross-origin %v)", n, crossOrigin)
	}
}

// TestChromiumSeesErrors: the pages' error paths, in two browsers at once
// (headless Chromium opens one page per process), same-origin and
// cross-origin (error responses carry the CORS headers too).
func TestChromiumSeesErrors(t *testing.T) {
	if !isolate(t) {
		return
	}
	t.Run("SameOrigin", func(t *testing.T) { testErrors(t, false) })
	t.Run("CrossOrigin", func(t *testing.T) { testErrors(t, true) })
}

func testErrors(t *testing.T, crossOrigin bool) {
	h := newHarness(t, crossOrigin)
	pubB := startChromium(t, h.pageURL("publish.html", url.Values{"tag": {"badtoken"}, "stream": {"cam"}, "token": {"not-" + testToken}}))
	viewB := startChromium(t, h.pageURL("view.html", url.Values{"tag": {"nostream"}, "stream": {"nobody"}}))
	evs := h.waitEvents(60*time.Second, map[string]string{"badtoken": "error", "nostream": "error"}, pubB, viewB)
	bad := evs["badtoken"]
	t.Logf("bad token: %s (WWW-Authenticate: %q)", bad.Msg, bad.Auth)
	if bad.Status != 401 || !strings.Contains(bad.Msg, "invalid bearer token") {
		t.Errorf("WHIP with a wrong token: status %d (%s), want 401 invalid bearer token", bad.Status, bad.Msg)
	}
	// RFC 6750 §3: the 401 carries a Bearer challenge naming
	// invalid_token; a cross-origin page reads it too (the server exposes
	// WWW-Authenticate to CORS).
	if !strings.HasPrefix(bad.Auth, "Bearer ") || !strings.Contains(bad.Auth, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate %q: want a Bearer invalid_token challenge", bad.Auth)
	}
	none := evs["nostream"]
	t.Logf("unpublished stream: %s", none.Msg)
	if none.Status != 404 {
		t.Errorf("WHEP of an unpublished stream: status %d, want 404", none.Status)
	}
	if n := h.relay.Publishes(); n != 0 {
		t.Errorf("relay saw %d publishers, want none", n)
	}
	if st := h.srv.Stats(); st.Rejected != 2 {
		t.Errorf("server counted %d rejected offers, want 2", st.Rejected)
	}
}
