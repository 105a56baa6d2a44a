package camera

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/store"
	"github.com/tributary-edge/tributary/video/webrtc"
	"github.com/tributary-edge/tributary/video/webrtc/whiptest"
)

type fixture struct {
	m   *Manager
	st  *store.Store
	srv *webrtc.Server
	hs  *httptest.Server
}

func (f *fixture) url(stream, kind string) string { return f.hs.URL + "/video/" + stream + "/" + kind }

// start runs a manager over a fresh store behind a WHIP/WHEP server on
// loopback.
func start(t *testing.T, cfgs ...Config) *fixture {
	t.Helper()
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		goleak.VerifyNone(t)
	})
	st, err := store.Open(store.Options{Dir: t.TempDir(), MinFreeDisk: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := New(st, cfgs, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	srv, err := webrtc.New(webrtc.Config{
		ICEAddr: "127.0.0.1:0", IPFilter: func(ip net.IP) bool { return ip.IsLoopback() },
		Authorize: m.Authorize, AuthorizeView: m.AuthorizeView, KeyframeInterval: time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	}, m, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	mux := http.NewServeMux()
	for _, p := range srv.Patterns() {
		mux.Handle(p, srv)
	}
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return &fixture{m: m, st: st, srv: srv, hs: hs}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A camera publishes over WHIP: a viewer sees it live over WHEP, and the
// store holds keyframe-led fragments whose frames are the clip's, in
// order, numbered from 1.
func TestPublishRecordAndView(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, Config{Name: "shop", Token: "s3cret", Record: true})
	clip := whiptest.Clip()
	pub, err := whiptest.Publish(ctx, f.url("shop", "whip"), "s3cret", media.CodecH264)
	if err != nil {
		t.Fatal(err)
	}
	playCtx, stop := context.WithCancel(ctx)
	played := make(chan error, 1)
	go func() { played <- pub.PlayClip(playCtx, 0, clip, 25) }()
	stopped := false
	defer func() {
		if !stopped {
			stop()
			<-played
		}
	}()

	mqtttest.Eventually(t, 30*time.Second, "the stream live", func() bool { s, _ := f.m.StreamStatus("shop"); return s.Live })
	view, err := whiptest.View(ctx, f.url("shop", "whep"), "")
	if err != nil {
		t.Fatal(err)
	}
	var first whiptest.Frame
	select {
	case first = <-view.Frames():
	case <-ctx.Done():
		t.Fatal("no live frame")
	}
	if !first.Keyframe {
		t.Errorf("the viewer's first frame is not a keyframe")
	}
	mqtttest.Eventually(t, 30*time.Second, "two fragments stored", func() bool { u, _ := f.st.Usage("shop"); return u.Fragments >= 2 })
	stop()
	<-played
	stopped = true
	if err := view.Close(ctx); err != nil {
		t.Error(err)
	}
	if err := pub.Close(ctx); err != nil {
		t.Error(err)
	}
	mqtttest.Eventually(t, 30*time.Second, "the publisher gone", func() bool { s, _ := f.m.StreamStatus("shop"); return !s.Live })

	index := map[string]int{}
	for i, au := range clip {
		index[string(stripParams(au))] = i
	}
	infos, err := f.st.List("shop", time.Time{}, time.Time{}, 0)
	if err != nil || len(infos) < 2 {
		t.Fatalf("List: %d, %v", len(infos), err)
	}
	for n, info := range infos {
		if info.Number != uint64(n+1) {
			t.Errorf("fragment %d numbered %d", n, info.Number)
		}
		frag, err := f.st.Get("shop", info.Number)
		if err != nil {
			t.Fatal(err)
		}
		if !frag.Frames[0].Keyframe {
			t.Errorf("fragment %d does not start at a keyframe", info.Number)
		}
		prev := -1
		for _, fr := range frag.Frames {
			i, ok := index[string(stripParams(fr.Data))]
			if !ok {
				t.Fatalf("fragment %d holds a frame that is no access unit of the clip", info.Number)
			}
			if prev >= 0 && i != (prev+1)%len(clip) && !fr.Keyframe {
				t.Fatalf("fragment %d: clip unit %d follows %d", info.Number, i, prev)
			}
			prev = i
		}
	}
	if s, _ := f.m.StreamStatus("shop"); s.Fragments < 2 || s.Dropped != 0 || s.Sessions != 1 {
		t.Errorf("status %+v", s)
	}
}

// stripParams keeps an access unit's slices: the depacketizer adds SPS and
// PPS ahead of keyframes and drops delimiters; SEI may go either way.
func stripParams(au []byte) []byte {
	var out []byte
	for _, nal := range whiptest.NALUnits(au) {
		if t := nal[0] & 0x1f; t == 6 || t == 7 || t == 8 || t == 9 || t == 12 {
			continue
		}
		out = append(out, 0, 0, 0, 1)
		out = append(out, nal...)
	}
	return out
}

// Recording follows SetRecording: off, nothing is stored while the camera
// is live; on, fragments start at the next keyframe; a second publisher is
// refused; a wrong token is refused.
func TestRecordingOnDemand(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, Config{Name: "door", Token: "t", Record: false})
	if _, err := whiptest.Publish(ctx, f.url("door", "whip"), "wrong", media.CodecH264); !isStatus(err, http.StatusUnauthorized) {
		t.Errorf("a wrong token: %v", err)
	}
	if _, err := whiptest.Publish(ctx, f.url("nope", "whip"), "t", media.CodecH264); !isStatus(err, http.StatusUnauthorized) {
		t.Errorf("an unknown stream: %v", err)
	}
	pub, err := whiptest.Publish(ctx, f.url("door", "whip"), "t", media.CodecH264)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close(context.Background())
	playCtx, stop := context.WithCancel(ctx)
	played := make(chan error, 1)
	go func() { played <- pub.PlayClip(playCtx, 0, whiptest.Clip(), 25) }()
	defer func() { stop(); <-played }()

	mqtttest.Eventually(t, 30*time.Second, "frames arriving", func() bool { s, _ := f.m.StreamStatus("door"); return s.Frames > 60 })
	if u, _ := f.st.Usage("door"); u.Fragments != 0 {
		t.Fatalf("%d fragments stored while not recording", u.Fragments)
	}
	if _, err := whiptest.Publish(ctx, f.url("door", "whip"), "t", media.CodecH264); !isStatus(err, http.StatusConflict) {
		t.Errorf("a second publisher: %v", err)
	}
	if err := f.m.SetRecording("door", true); err != nil {
		t.Fatal(err)
	}
	mqtttest.Eventually(t, 30*time.Second, "a fragment stored", func() bool { u, _ := f.st.Usage("door"); return u.Fragments >= 1 })
	if err := f.m.SetRecording("door", false); err != nil {
		t.Fatal(err)
	}
	u0, _ := f.st.Usage("door")
	framesAt := func() int64 { s, _ := f.m.StreamStatus("door"); return s.Frames }
	n0 := framesAt()
	mqtttest.Eventually(t, 30*time.Second, "more frames", func() bool { return framesAt() > n0+75 }) // 3 s of video, more than a fragment
	if u, _ := f.st.Usage("door"); u.Fragments > u0.Fragments+1 {
		t.Errorf("recording stopped at %d fragments, now %d", u0.Fragments, u.Fragments)
	}
	if err := f.m.SetRecording("nope", true); !errors.Is(err, ErrUnknownStream) {
		t.Errorf("SetRecording of an unknown stream: %v", err)
	}
}

func isStatus(err error, code int) bool {
	var he *whiptest.HTTPError
	return errors.As(err, &he) && he.Status == code
}

func TestParseWindow(t *testing.T) {
	at := func(day time.Weekday, hh, mm int) time.Time {
		// 2026-11-22 is a Sunday
		return time.Date(2026, 11, 22+int(day), hh, mm, 0, 0, time.Local)
	}
	for _, c := range []struct {
		spec string
		t    time.Time
		open bool
	}{
		{"08:00-18:00", at(time.Monday, 8, 0), true},
		{"08:00-18:00", at(time.Monday, 17, 59), true},
		{"08:00-18:00", at(time.Monday, 18, 0), false},
		{"mon-fri 08:00-18:00", at(time.Saturday, 9, 0), false},
		{"mon-fri 08:00-18:00", at(time.Friday, 9, 0), true},
		{"sat,sun 22:00-06:00", at(time.Sunday, 23, 0), true},
		{"sat,sun 22:00-06:00", at(time.Monday, 5, 0), true}, // Sunday night's window
		{"sat,sun 22:00-06:00", at(time.Saturday, 5, 0), false},
		{"fri-mon 00:00-24:00", at(time.Sunday, 12, 0), true},
		{"fri-mon 00:00-24:00", at(time.Wednesday, 12, 0), false},
	} {
		w, err := ParseWindow(c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		if got := w.open(c.t); got != c.open {
			t.Errorf("%s at %v: open %v, want %v", c.spec, c.t, got, c.open)
		}
	}
	for _, bad := range []string{"", "8-18", "mon-fri", "funday 08:00-09:00", "08:00-08:00", "25:00-26:00", "mon 08:00-09:00 extra"} {
		if _, err := ParseWindow(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A full stream under deny_new: fragments are refused and counted, the
// camera stays live and viewers keep watching; nothing already stored is
// evicted.
func TestFullStoreDenyNew(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, Config{Name: "gate", Record: true, Retention: store.Limits{MaxBytes: 60 << 10, Policy: store.PolicyDenyNew}})
	pub, err := whiptest.Publish(ctx, f.url("gate", "whip"), "", media.CodecH264)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close(context.Background())
	playCtx, stop := context.WithCancel(ctx)
	played := make(chan error, 1)
	go func() { played <- pub.PlayClip(playCtx, 0, whiptest.Clip(), 25) }()
	defer func() { stop(); <-played }()
	mqtttest.Eventually(t, 30*time.Second, "a fragment denied", func() bool { s, _ := f.m.StreamStatus("gate"); return s.Denied > 0 })
	first, err := f.st.List("gate", time.Time{}, time.Time{}, 0)
	if err != nil || len(first) == 0 {
		t.Fatalf("nothing stored before the stream was full: %v", err)
	}
	view, err := whiptest.View(ctx, f.url("gate", "whep"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer view.Close(context.Background())
	select {
	case <-view.Frames():
	case <-ctx.Done():
		t.Fatal("no live view while the store is full")
	}
	s, _ := f.m.StreamStatus("gate")
	if !s.Live || s.Usage.Bytes > 60<<10 || !strings.Contains(s.LastError, "full") {
		t.Errorf("status %+v", s)
	}
	if now, _ := f.st.List("gate", time.Time{}, time.Time{}, 0); len(now) == 0 || now[0].Number != first[0].Number {
		t.Errorf("deny_new evicted: first fragment %d, now %+v", first[0].Number, now)
	}
}

// Recording follows the schedule's windows on the manager's clock; the
// API's override holds until the schedule's next boundary.
func TestScheduledRecording(t *testing.T) {
	st, err := store.Open(store.Options{Dir: t.TempDir(), MinFreeDisk: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := ParseWindow("08:00-18:00")
	if err != nil {
		t.Fatal(err)
	}
	var now, reads atomic.Int64
	at := func(day, hh, mm int) { now.Store(time.Date(2026, 11, day, hh, mm, 0, 0, time.Local).UnixNano()) }
	at(26, 7, 59)
	m, err := New(st, []Config{{Name: "shop", Record: true, Schedule: []Window{w}}},
		Options{Tick: time.Millisecond, Now: func() time.Time { reads.Add(1); return time.Unix(0, now.Load()) }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	recording := func() bool { s, _ := m.StreamStatus("shop"); return s.Recording }
	// seen waits until the manager's clock loop has read the time twice
	// more: it has acted on the time set before.
	seen := func() {
		r := reads.Load()
		mqtttest.Eventually(t, 5*time.Second, "the schedule checked", func() bool { return reads.Load() >= r+2 })
	}
	if recording() {
		t.Fatal("recording at 07:59 although the window opens at 08:00 (the schedule overrides record: true)")
	}
	at(26, 8, 0)
	mqtttest.Eventually(t, 5*time.Second, "recording when the window opens", recording)
	if err := m.SetRecording("shop", false); err != nil {
		t.Fatal(err)
	}
	at(26, 12, 0) // inside the window: the override holds
	seen()
	if recording() {
		t.Fatal("the schedule undid the override inside its window")
	}
	at(26, 18, 0) // a boundary ends the override; the window is closed
	seen()
	if recording() {
		t.Fatal("recording after the window closed")
	}
	if err := m.SetRecording("shop", true); err != nil { // recording out of hours, until 08:00
		t.Fatal(err)
	}
	at(26, 23, 0)
	seen()
	if !recording() {
		t.Fatal("the schedule undid the out-of-hours override")
	}
	at(27, 8, 0) // the next window: the override is over
	seen()
	at(27, 18, 30)
	mqtttest.Eventually(t, 5*time.Second, "the schedule back in charge", func() bool { return !recording() })
}
