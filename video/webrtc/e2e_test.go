package webrtc_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/webrtc"
	"github.com/tributary-edge/tributary/video/webrtc/whiptest"
)

// checkFrames asserts that every received frame is byte for byte an access
// unit of the clip, that the first is a keyframe, that each frame follows
// its predecessor in the clip or is a keyframe (the publisher jumps to the
// next keyframe on PLI), and that RTP timing survived: 3600 ticks (90 kHz,
// 25 fps) per publisher frame.
func checkFrames(t *testing.T, clip [][]byte, got []whiptest.Frame) {
	t.Helper()
	index := map[string]int{}
	for i, au := range clip {
		index[string(au)] = i
	}
	prev := -1
	var prevPTS int64
	for n, f := range got {
		i, ok := index[string(f.Data)]
		if !ok {
			t.Fatalf("frame %d (%d bytes, keyframe=%v) is no access unit of the clip", n, len(f.Data), f.Keyframe)
		}
		if f.Track != 0 || f.Codec != media.CodecH264 {
			t.Fatalf("frame %d on track %d codec %v", n, f.Track, f.Codec)
		}
		if f.Keyframe != whiptest.IsH264Keyframe(clip[i]) {
			t.Fatalf("frame %d keyframe=%v, clip unit %d says %v", n, f.Keyframe, i, !f.Keyframe)
		}
		switch {
		case prev < 0 && !f.Keyframe:
			t.Fatalf("first frame is clip unit %d, a delta frame", i)
		case prev >= 0 && i != (prev+1)%len(clip) && !f.Keyframe:
			t.Fatalf("frame %d: clip unit %d follows %d and is not a keyframe", n, i, prev)
		}
		if prev >= 0 {
			d := f.PTS - prevPTS
			if d <= 0 || d%3600 != 0 || (i == (prev+1)%len(clip) && d != 3600 && !f.Keyframe) {
				t.Fatalf("frame %d: PTS step %d, want 3600 per frame", n, d)
			}
		}
		prev, prevPTS = i, f.PTS
	}
}

func TestPublishAndView(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, func(c *webrtc.Config) { c.KeyframeInterval = time.Millisecond })
	clip := whiptest.Clip()

	pub, err := whiptest.Publish(ctx, f.url("cam1", "whip"), token("cam1"), media.CodecH264)
	if err != nil {
		t.Fatal(err)
	}
	waitChan(ctx, t, "publisher connected", pub.Connected())
	playCtx, stopPlay := context.WithCancel(ctx)
	played := make(chan error, 1)
	go func() { played <- pub.PlayClip(playCtx, 0, clip, whiptest.ClipFPS) }()
	defer func() {
		stopPlay()
		if err := <-played; err != nil {
			t.Errorf("PlayClip: %v", err)
		}
	}()

	// Two viewers: both must get the clip from a keyframe on.
	v1, err := whiptest.View(ctx, f.url("cam1", "whep"), "")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := whiptest.View(ctx, f.url("cam1", "whep"), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []*whiptest.Viewer{v1, v2} {
		var got []whiptest.Frame
		for len(got) < 2*whiptest.ClipFPS+5 {
			select {
			case fr := <-v.Frames():
				got = append(got, fr)
			case <-ctx.Done():
				t.Fatalf("viewer got %d frames before the deadline", len(got))
			}
		}
		checkFrames(t, clip, got)
	}
	// The viewers' joins reached the camera as PLI.
	waitFor(ctx, t, "PLI at the publisher", func() bool { return pub.KeyframeRequests() > 0 })

	// A viewer's PLI goes upstream too.
	before := f.srv.Stats()
	waitFor(ctx, t, "viewer PLI forwarded", func() bool {
		_ = v1.RequestKeyframe()
		s := f.srv.Stats()
		return s.ViewerKeyframeRequests > before.ViewerKeyframeRequests &&
			s.KeyframeRequests+s.KeyframeRequestsThrottled > before.KeyframeRequests+before.KeyframeRequestsThrottled
	})
	waitFor(ctx, t, "a sender report", func() bool { return f.relay.SenderReports() > 0 })

	st := f.srv.Stats()
	if st.Publishers != 1 || st.Viewers != 2 || st.PublishSessions != 1 || st.ViewSessions != 2 {
		t.Fatalf("sessions in stats: %+v", st)
	}
	if st.PacketsIn == 0 || st.BytesIn == 0 || st.PacketsOut == 0 || st.BytesOut == 0 || st.FramesOut < 2*(2*whiptest.ClipFPS+5) {
		t.Fatalf("traffic in stats: %+v", st)
	}

	// DELETE ends a viewer; the session URL is then unknown.
	if err := v1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "one viewer left", func() bool { return f.srv.Stats().Viewers == 1 })
	if err := whiptest.Delete(ctx, v1.SessionURL(), ""); !isStatus(err, http.StatusNotFound) {
		t.Fatalf("second DELETE = %v, want 404", err)
	}

	// DELETE ends the publisher: Sink.Close once, the hub closes, and the
	// remaining viewer's session ends with the stream.
	if err := pub.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.relay.Closes(); n != 1 {
		t.Fatalf("Sink.Close called %d times", n)
	}
	waitChan(ctx, t, "viewer session ended with the stream", v2.Done())
	waitFor(ctx, t, "no sessions", func() bool { s := f.srv.Stats(); return s.Publishers == 0 && s.Viewers == 0 })
	v2.Abandon()

	// The stream can be published again.
	pub2, err := whiptest.Publish(ctx, f.url("cam1", "whip"), token("cam1"), media.CodecH264)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub2.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func isStatus(err error, code int) bool {
	var he *whiptest.HTTPError
	return errors.As(err, &he) && he.Status == code
}

// TestPeerGoneEndsSession: a publisher that closes its peer connection
// without DELETE ends its session (Sink.Close once), and so do its viewers.
func TestPeerGoneEndsSession(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, func(c *webrtc.Config) {
		c.ICEDisconnectedTimeout = 300 * time.Millisecond
		c.ICEFailedTimeout = 300 * time.Millisecond
	})
	pub, err := whiptest.Publish(ctx, f.url("cam2", "whip"), token("cam2"), media.CodecH264, media.CodecOpus)
	if err != nil {
		t.Fatal(err)
	}
	waitChan(ctx, t, "publisher connected", pub.Connected())
	v, err := whiptest.View(ctx, f.url("cam2", "whep"), "")
	if err != nil {
		t.Fatal(err)
	}
	waitChan(ctx, t, "viewer connected", v.Connected())
	pub.Abandon()
	waitFor(ctx, t, "Sink.Close", func() bool { return f.relay.Closes() == 1 })
	waitChan(ctx, t, "viewer ended", v.Done())
	waitFor(ctx, t, "no sessions", func() bool { s := f.srv.Stats(); return s.Publishers == 0 && s.Viewers == 0 })
	v.Abandon()
	if n := f.relay.Publishes(); n != 1 {
		t.Fatalf("Publish called %d times", n)
	}
}

// TestConnectTimeout: an answered offer whose peer never connects ends.
func TestConnectTimeout(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, func(c *webrtc.Config) { c.ConnectTimeout = 200 * time.Millisecond })
	code, _, body := post(ctx, t, http.MethodPost, f.url("cam3", "whip"), "application/sdp", token("cam3"),
		stringsReader(offerSDP(t, false, capH264)))
	if code != http.StatusCreated {
		t.Fatalf("POST = %d %s", code, body)
	}
	waitFor(ctx, t, "session ended", func() bool { return f.relay.Closes() == 1 && f.srv.Stats().Publishers == 0 })
}

// TestServerCloseEndsSessions: Close ends publisher and viewer sessions,
// waits for them, and later offers get 503.
func TestServerCloseEndsSessions(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, nil)
	pub, err := whiptest.Publish(ctx, f.url("cam4", "whip"), token("cam4"), media.CodecH264)
	if err != nil {
		t.Fatal(err)
	}
	v, err := whiptest.View(ctx, f.url("cam4", "whep"), "")
	if err != nil {
		t.Fatal(err)
	}
	waitChan(ctx, t, "viewer connected", v.Connected())
	if err := f.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if n := f.relay.Closes(); n != 1 {
		t.Fatalf("Sink.Close called %d times after Server.Close", n)
	}
	if s := f.srv.Stats(); s.Publishers != 0 || s.Viewers != 0 {
		t.Fatalf("sessions after Close: %+v", s)
	}
	code, _, _ := post(ctx, t, http.MethodPost, f.url("cam4", "whip"), "application/sdp", token("cam4"),
		stringsReader(offerSDP(t, false, capH264)))
	if code != http.StatusServiceUnavailable {
		t.Fatalf("POST after Close = %d, want 503", code)
	}
	pub.Abandon()
	v.Abandon()
}

// TestSilentPeerTimesOut: a publisher that goes silent (no DTLS close, no
// DELETE, no ICE consent) is noticed by ICE timeout: Sink.Close once, and
// its viewer's session ends with the stream.
func TestSilentPeerTimesOut(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, func(c *webrtc.Config) {
		c.ICEDisconnectedTimeout = 300 * time.Millisecond
		c.ICEFailedTimeout = 300 * time.Millisecond
	})
	pub, err := whiptest.Publish(ctx, f.url("cam5", "whip"), token("cam5"), media.CodecH264)
	if err != nil {
		t.Fatal(err)
	}
	waitChan(ctx, t, "publisher connected", pub.Connected())
	v, err := whiptest.View(ctx, f.url("cam5", "whep"), "")
	if err != nil {
		t.Fatal(err)
	}
	waitChan(ctx, t, "viewer connected", v.Connected())
	pub.Mute()
	waitFor(ctx, t, "Sink.Close after ICE timeout", func() bool { return f.relay.Closes() == 1 })
	waitChan(ctx, t, "viewer ended", v.Done())
	waitFor(ctx, t, "no sessions", func() bool { s := f.srv.Stats(); return s.Publishers == 0 && s.Viewers == 0 })
	pub.Abandon()
	v.Abandon()
}
