package clips

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/uplink"
)

func startScheduler(t testing.TB, sc Schedule, opts Options) *Scheduler {
	t.Helper()
	s, err := NewScheduler(sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func recordingKey(i int) string {
	at := fragAt(i)
	return fmt.Sprintf("recording/cam1/2026/03/01/cam1-%s-%d.mp4", at.Format("20060102T150405Z"), i+1)
}

// 25 minutes of recording go up as 3 chunks of at most 10 minutes,
// paced by the link; the next interval takes what was recorded since,
// and a restarted scheduler resumes from its checkpoint.
func TestSchedulerChunks(t *testing.T) {
	e := newEnv(t)
	putFrags(t, e.video, "cam1", 0, 750)
	s3 := startS3(t)
	u, err := e.video.Usage("cam1")
	if err != nil {
		t.Fatal(err)
	}
	rate := u.Bytes / 3
	opts := e.options(t)
	opts.Link, opts.Priority = uplink.NewLink(rate), -1
	sc := Schedule{Name: "cam1-rec", Camera: "cam1", Location: time.UTC, Dest: &S3Dest{Client: s3.client, Bucket: "clips"}}
	began := time.Now()
	s := startScheduler(t, sc, opts)
	mqtttest.Eventually(t, 30*time.Second, "3 chunks", func() bool { return s.Status().Clips == 3 && !s.Status().NextRun.IsZero() })
	took := time.Since(began)
	st := s.Status()
	// The link starts with a second's worth of bytes: the rest takes at
	// least its size over the rate.
	if min := time.Duration(float64(st.Bytes-rate) / float64(rate) * float64(time.Second)); took < min {
		t.Fatalf("uploaded %d bytes in %v over a link of %d B/s; at least %v expected", st.Bytes, took, rate, min)
	}
	want := []string{recordingKey(0), recordingKey(300), recordingKey(600)}
	for i, key := range want {
		body, out := s3.get(t, key)
		if codec, packets := probePackets(t, body); codec != "h264" || packets != []int{300, 300, 150}[i]*fragFrames {
			t.Fatalf("%s: %s, %d packets", key, codec, packets)
		}
		if out.Metadata["kind"] != "recording" || out.Metadata["first-fragment"] != fmt.Sprint(1+300*i) || out.Metadata["clip-start"] != timeText(fragAt(300*i)) {
			t.Fatalf("%s metadata %v", key, out.Metadata)
		}
		s3.get(t, key+".json")
	}
	if got := s3.keys(t); len(got) != 6 {
		t.Fatalf("objects %q", got)
	}
	if st.Fragments != 750 || st.Checkpoint != "750@"+timeText(fragAt(749)) || !st.NextRun.Equal(base.Add(2*time.Hour)) {
		t.Fatalf("status %+v", st)
	}

	// The next interval.
	putFrags(t, e.video, "cam1", 750, 780)
	awaitTimer(t, e.clock)
	e.clock.Advance(DefaultInterval)
	mqtttest.Eventually(t, 30*time.Second, "chunk 4", func() bool { return s.Status().Clips == 4 })
	if key := s.Status().LastKey; key != recordingKey(750) {
		t.Fatalf("chunk 4 is %s, want %s", key, recordingKey(750))
	}

	// A restart resumes from the checkpoint.
	s.Close()
	putFrags(t, e.video, "cam1", 780, 800)
	s2 := startScheduler(t, sc, opts)
	mqtttest.Eventually(t, 30*time.Second, "chunk 5", func() bool { return s2.Status().Clips == 1 })
	if st := s2.Status(); st.LastKey != recordingKey(780) || st.Fragments != 20 {
		t.Fatalf("after restart: %+v", st)
	}
	for _, key := range append(want, recordingKey(750)) {
		if n := s3.putCount(key); n != 1 {
			t.Fatalf("%s was PUT %d times", key, n)
		}
	}
	if got := s3.keys(t); len(got) != 10 {
		t.Fatalf("objects %q", got)
	}
}

// With DeleteAfterUpload the store keeps what was not uploaded only: a
// chunk the destination refuses stays.
func TestSchedulerDeleteAfterUpload(t *testing.T) {
	e := newEnv(t)
	putFrags(t, e.video, "cam1", 0, 400) // 800 s: chunks of 300 and 100
	h := startHTTP(t, 400, 1)            // the first chunk is refused
	sc := Schedule{Name: "cam1-rec", Camera: "cam1", Location: time.UTC, DeleteAfterUpload: true, Dest: &HTTPDest{URL: h.srv.URL}}
	s := startScheduler(t, sc, e.options(t))
	mqtttest.Eventually(t, 30*time.Second, "2 chunks", func() bool { return !s.Status().NextRun.IsZero() })
	st := s.Status()
	if st.Failed != 1 || st.Clips != 1 || st.Deleted != 100 {
		t.Fatalf("status %+v", st)
	}
	u, err := e.video.Usage("cam1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Fragments != 300 || !u.Oldest.Equal(fragAt(0)) || !u.Newest.Equal(fragAt(299)) {
		t.Fatalf("usage %+v: want the refused chunk only", u)
	}
	reqs := h.requests()
	if len(reqs) != 2 || reqs[1].header.Get("X-Tributary-First-Fragment") != "301" || reqs[1].header.Get("X-Tributary-Last-Fragment") != "400" {
		t.Fatalf("%d requests; last %v", len(reqs), reqs[len(reqs)-1].header)
	}
	if _, packets := probePackets(t, reqs[1].body); packets != 100*fragFrames {
		t.Fatalf("%d packets", packets)
	}

	putFrags(t, e.video, "cam1", 400, 430)
	awaitTimer(t, e.clock)
	e.clock.Advance(DefaultInterval)
	mqtttest.Eventually(t, 30*time.Second, "chunk 3", func() bool { return s.Status().NextRun.Equal(base.Add(3 * time.Hour)) })
	if u, _ := e.video.Usage("cam1"); u.Fragments != 300 || s.Status().Deleted != 130 {
		t.Fatalf("usage %+v, status %+v", u, s.Status())
	}
}

// Outside the upload window nothing goes; the scheduler sleeps until it
// opens.
func TestSchedulerWindow(t *testing.T) {
	e := newEnv(t) // 13:00 UTC
	putFrags(t, e.video, "cam1", 0, 30)
	h := startHTTP(t, 0, 0)
	win, err := ParseWindow("22:00-06:00")
	if err != nil {
		t.Fatal(err)
	}
	sc := Schedule{Name: "cam1-rec", Camera: "cam1", Location: time.UTC, Window: win, Dest: &HTTPDest{URL: h.srv.URL}}
	s := startScheduler(t, sc, e.options(t))
	awaitTimer(t, e.clock)
	open := time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)
	if st := s.Status(); st.Clips != 0 || !st.NextRun.Equal(open) || len(h.requests()) != 0 {
		t.Fatalf("status %+v before the window", st)
	}
	e.clock.Set(open.Add(-time.Second))
	if len(h.requests()) != 0 {
		t.Fatal("uploaded before the window opened")
	}
	e.clock.Set(open)
	mqtttest.Eventually(t, 30*time.Second, "the chunk", func() bool { return s.Status().Clips == 1 })
	awaitTimer(t, e.clock)
	if st := s.Status(); !st.NextRun.Equal(open.Add(time.Hour)) {
		t.Fatalf("next run %v", st.NextRun)
	}
	if hd := h.requests()[0].header; hd.Get("X-Tributary-Kind") != "recording" || !strings.HasPrefix(hd.Get("X-Tributary-Key"), "recording/cam1/") {
		t.Fatalf("headers %v", hd)
	}
}
