package clips

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
)

// motionRule is the rule most tests use: camera "cam1", trigger stream
// "motion", t from the "ts" field, 5 s before and 6 s after.
func motionRule(dest Destination) Rule {
	return Rule{Name: "motion-cam1", Camera: "cam1", Triggers: "motion", TimeField: "ts",
		Pre: 5 * time.Second, Post: 6 * time.Second, Dest: dest}
}

// A trigger gives one clip with the fragments overlapping [t−pre, t+post],
// which ffprobe reads, with its metadata and a sidecar; the checkpoint
// moves to the trigger.
func TestEventClipS3(t *testing.T) {
	e := newEnv(t)
	putFrags(t, e.video, "cam1", 0, 30) // 0–60 s
	s3 := startS3(t)
	at := base.Add(31 * time.Second) // window 26–37 s: fragments 13..18 (26–38 s)
	seq := appendTrigger(t, e.log, "motion", tsTrigger(at))
	w := startWorker(t, motionRule(&S3Dest{Client: s3.client, Bucket: "clips", Prefix: "site/"}), e.options(t))
	mqtttest.Eventually(t, 30*time.Second, "one clip", func() bool { return w.Status().Clips == 1 })

	key := "site/cam1/motion-cam1/2026/03/01/cam1-20260301T120026Z-" + seq + ".mp4"
	if got := s3.keys(t); len(got) != 2 || got[0] != key || got[1] != key+".json" {
		t.Fatalf("objects %q, want %s and its sidecar", got, key)
	}
	body, out := s3.get(t, key)
	if codec, frames := probe(t, body); codec != "h264" || frames != 6*fragFrames {
		t.Fatalf("ffprobe: %s, %d frames; want h264, %d", codec, frames, 6*fragFrames)
	}
	if *out.ContentType != "video/mp4" {
		t.Fatalf("content type %q", *out.ContentType)
	}
	want := map[string]string{
		"kind": "event", "rule": "motion-cam1", "camera": "cam1", "trigger-stream": "motion", "trigger-seq": seq,
		"trigger-time": "2026-03-01T12:00:31.000Z", "clip-start": "2026-03-01T12:00:26.000Z", "clip-end": "2026-03-01T12:00:38.000Z",
		"trigger": tsTrigger(at),
	}
	for k, v := range want {
		if out.Metadata[k] != v {
			t.Errorf("metadata %s = %q, want %q (all: %v)", k, out.Metadata[k], v, out.Metadata)
		}
	}
	side, out := s3.get(t, key+".json")
	var meta struct {
		Key, Kind, Rule, Camera string
		TriggerSeq              string `json:"trigger_seq"`
		WindowStart             string `json:"window_start"`
		WindowEnd               string `json:"window_end"`
		Frames, Fragments       int
		FirstFragment           uint64 `json:"first_fragment"`
		LastFragment            uint64 `json:"last_fragment"`
		Size                    int64
		Trigger                 struct{ Kind, Ts string }
	}
	if err := json.Unmarshal(side, &meta); err != nil {
		t.Fatalf("sidecar %s: %v", side, err)
	}
	if meta.Key != key || meta.Kind != "event" || meta.TriggerSeq != seq || meta.Frames != 300 || meta.Fragments != 6 ||
		meta.FirstFragment != 14 || meta.LastFragment != 19 || meta.Size != int64(len(body)) ||
		meta.Trigger.Kind != "motion" || meta.WindowStart != "2026-03-01T12:00:26.000Z" || meta.WindowEnd != "2026-03-01T12:00:37.000Z" {
		t.Fatalf("sidecar %s", side)
	}
	if *out.ContentType != "application/json" {
		t.Fatalf("sidecar content type %q", *out.ContentType)
	}
	if cp := e.checkpoint(t, "motion-cam1"); cp != seq {
		t.Fatalf("checkpoint %q, want %q", cp, seq)
	}
	st := w.Status()
	if st.Triggers != 1 || st.Bytes != int64(len(body)) || st.Fragments != 6 || st.LastKey != "cam1/motion-cam1/2026/03/01/cam1-20260301T120026Z-"+seq+".mp4" || st.Checkpoint != seq || st.Waiting {
		t.Fatalf("status %+v", st)
	}
}

// 503s are retried with the same key and idempotency key until one
// succeeds; the checkpoint moves only then.
func TestRetryAfter503(t *testing.T) {
	e := newEnv(t)
	putFrags(t, e.video, "cam1", 0, 30)
	h := startHTTP(t, 503, 3)
	seq := appendTrigger(t, e.log, "motion", tsTrigger(base.Add(31*time.Second)))
	w := startWorker(t, motionRule(&HTTPDest{URL: h.srv.URL, Headers: map[string]string{"Authorization": "Bearer x"}}), e.options(t))
	for n := 1; n <= 3; n++ {
		mqtttest.Eventually(t, 30*time.Second, fmt.Sprintf("attempt %d", n), func() bool { return len(h.requests()) == n && w.Status().Retries == int64(n) })
		if cp := e.checkpoint(t, "motion-cam1"); cp != "" {
			t.Fatalf("checkpoint %q after %d failed attempts", cp, n)
		}
		if st := w.Status(); !st.Retrying || !strings.Contains(st.LastError, "503") {
			t.Fatalf("status while failing: %+v", st)
		}
		awaitTimer(t, e.clock) // the backoff
		e.clock.Advance(DefaultBackoff.Max)
	}
	mqtttest.Eventually(t, 30*time.Second, "the clip", func() bool { return w.Status().Clips == 1 })
	if cp := e.checkpoint(t, "motion-cam1"); cp != seq {
		t.Fatalf("checkpoint %q, want %q", cp, seq)
	}
	reqs := h.requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	key := "cam1/motion-cam1/2026/03/01/cam1-20260301T120026Z-" + seq + ".mp4"
	for i, r := range reqs {
		if r.header.Get("X-Tributary-Key") != key || r.header.Get("Idempotency-Key") != reqs[0].header.Get("Idempotency-Key") ||
			len(r.body) != len(reqs[3].body) || r.header.Get("Authorization") != "Bearer x" {
			t.Fatalf("request %d: %v, %d bytes", i, r.header, len(r.body))
		}
	}
	hd := reqs[3].header
	for k, v := range map[string]string{
		"Content-Type": "video/mp4", "X-Tributary-Rule": "motion-cam1", "X-Tributary-Camera": "cam1",
		"X-Tributary-Clip-Start": "2026-03-01T12:00:26.000Z", "X-Tributary-Clip-End": "2026-03-01T12:00:38.000Z",
		"X-Tributary-Trigger-Seq": seq, "X-Tributary-Trigger-Time": "2026-03-01T12:00:31.000Z",
		"X-Tributary-Trigger": tsTrigger(base.Add(31 * time.Second)), "X-Tributary-Kind": "event",
	} {
		if hd.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, hd.Get(k), v)
		}
	}
	if len(hd.Get("Idempotency-Key")) != 36 {
		t.Errorf("Idempotency-Key %q", hd.Get("Idempotency-Key"))
	}
	if codec, frames := probe(t, reqs[3].body); codec != "h264" || frames != 300 {
		t.Fatalf("ffprobe: %s, %d frames", codec, frames)
	}
	if st := w.Status(); st.Retries != 3 || st.Retrying || st.Failed != 0 {
		t.Fatalf("status %+v", st)
	}
}

// A 400 is permanent: the clip is skipped and counted, the checkpoint
// moves on, and the next trigger is served.
func TestPermanent400(t *testing.T) {
	e := newEnv(t)
	putFrags(t, e.video, "cam1", 0, 60)
	h := startHTTP(t, 400, 1)
	appendTrigger(t, e.log, "motion", tsTrigger(base.Add(31*time.Second)))
	w := startWorker(t, motionRule(&HTTPDest{URL: h.srv.URL}), e.options(t))
	mqtttest.Eventually(t, 30*time.Second, "the refusal", func() bool { return w.Status().Failed == 1 })
	st := w.Status()
	if st.Retries != 0 || st.Clips != 0 || !strings.Contains(st.LastError, "400") || !strings.Contains(st.LastError, "refused by test") {
		t.Fatalf("status %+v", st)
	}
	seq2 := appendTrigger(t, e.log, "motion", tsTrigger(base.Add(91*time.Second)))
	mqtttest.Eventually(t, 30*time.Second, "the next clip", func() bool { return w.Status().Clips == 1 })
	if cp := e.checkpoint(t, "motion-cam1"); cp != seq2 {
		t.Fatalf("checkpoint %q, want %q", cp, seq2)
	}
	if n := len(h.requests()); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

// A restarted worker resumes after its checkpoint: what was uploaded is
// not uploaded again.
func TestRestartDoesNotReupload(t *testing.T) {
	e := newEnv(t)
	putFrags(t, e.video, "cam1", 0, 60)
	s3 := startS3(t)
	dest := &S3Dest{Client: s3.client, Bucket: "clips"}
	seq1 := appendTrigger(t, e.log, "motion", tsTrigger(base.Add(31*time.Second)))
	w := startWorker(t, motionRule(dest), e.options(t))
	mqtttest.Eventually(t, 30*time.Second, "clip 1", func() bool { return w.Status().Clips == 1 })
	key1 := w.Status().LastKey
	w.Close()
	w.Close() // idempotent
	if err := w.Start(context.Background()); !errors.Is(err, ErrStarted) {
		t.Fatalf("Start after Close: %v", err)
	}

	seq2 := appendTrigger(t, e.log, "motion", tsTrigger(base.Add(91*time.Second)))
	w2 := startWorker(t, motionRule(dest), e.options(t))
	mqtttest.Eventually(t, 30*time.Second, "clip 2", func() bool { return w2.Status().Clips == 1 })
	if st := w2.Status(); st.Triggers != 1 || !strings.HasSuffix(st.LastKey, seq2+".mp4") {
		t.Fatalf("restarted worker: %+v", st)
	}
	if n := s3.putCount(key1); n != 1 {
		t.Fatalf("%s was PUT %d times", key1, n)
	}
	if got := s3.keys(t); len(got) != 4 || !strings.HasSuffix(got[0], seq1+".mp4") {
		t.Fatalf("objects %q", got)
	}
}

// The merge rule: triggers whose windows overlap make one clip; one that
// overlaps an uploaded clip starts where its video ended; one inside it
// is covered.
func TestMergeRule(t *testing.T) {
	e := newEnv(t)
	putFrags(t, e.video, "cam1", 0, 60)
	h := startHTTP(t, 0, 0)
	r := motionRule(&HTTPDest{URL: h.srv.URL})
	r.Pre, r.Post = 4*time.Second, 6*time.Second
	seq1 := appendTrigger(t, e.log, "motion", tsTrigger(base.Add(20*time.Second))) // 16–26 s
	seq2 := appendTrigger(t, e.log, "motion", tsTrigger(base.Add(26*time.Second))) // 22–32 s: merged
	w := startWorker(t, r, e.options(t))
	mqtttest.Eventually(t, 30*time.Second, "clip 1", func() bool { return w.Status().Clips == 1 })
	hd := h.requests()[0].header
	if hd.Get("X-Tributary-Trigger-Seq") != seq1 || hd.Get("X-Tributary-Triggers") != "2" || hd.Get("X-Tributary-Last-Trigger-Seq") != seq2 ||
		hd.Get("X-Tributary-Clip-Start") != "2026-03-01T12:00:16.000Z" || hd.Get("X-Tributary-Clip-End") != "2026-03-01T12:00:32.000Z" {
		t.Fatalf("merged clip headers %v", hd)
	}
	if _, frames := probe(t, h.requests()[0].body); frames != 8*fragFrames {
		t.Fatalf("merged clip has %d frames, want %d", frames, 8*fragFrames)
	}
	if cp := e.checkpoint(t, r.Name); cp != seq2 {
		t.Fatalf("checkpoint %q, want the merged trigger %q", cp, seq2)
	}

	seq3 := appendTrigger(t, e.log, "motion", tsTrigger(base.Add(28*time.Second))) // 24–34 s: from 32 s
	mqtttest.Eventually(t, 30*time.Second, "clip 2", func() bool { return w.Status().Clips == 2 })
	hd = h.requests()[1].header
	if hd.Get("X-Tributary-Trigger-Seq") != seq3 || hd.Get("X-Tributary-Clip-Start") != "2026-03-01T12:00:32.000Z" ||
		hd.Get("X-Tributary-Clip-End") != "2026-03-01T12:00:34.000Z" || !strings.Contains(hd.Get("X-Tributary-Key"), "cam1-20260301T120032Z-"+seq3) {
		t.Fatalf("second clip headers %v", hd)
	}

	seq4 := appendTrigger(t, e.log, "motion", tsTrigger(base.Add(25*time.Second))) // 21–31 s: covered
	mqtttest.Eventually(t, 30*time.Second, "covered", func() bool { return w.Status().Covered == 1 })
	if cp := e.checkpoint(t, r.Name); cp != seq4 {
		t.Fatalf("checkpoint %q after a covered trigger, want %q", cp, seq4)
	}
	if st := w.Status(); st.Merged != 1 || st.Clips != 2 || len(h.requests()) != 2 {
		t.Fatalf("status %+v, %d requests", st, len(h.requests()))
	}
}

// A trigger for a time with no video is counted empty and checkpointed.
func TestNoVideoIsEmpty(t *testing.T) {
	e := newEnv(t)
	putFrags(t, e.video, "cam1", 0, 30) // 0–60 s; the clock is at 1 h
	h := startHTTP(t, 0, 0)
	seq := appendTrigger(t, e.log, "motion", tsTrigger(base.Add(30*time.Minute)))
	w := startWorker(t, motionRule(&HTTPDest{URL: h.srv.URL}), e.options(t))
	mqtttest.Eventually(t, 30*time.Second, "empty", func() bool { return w.Status().Empty == 1 })
	mqtttest.Eventually(t, 30*time.Second, "checkpoint", func() bool { return e.checkpoint(t, "motion-cam1") == seq })
	if len(h.requests()) != 0 || w.Status().Clips != 0 {
		t.Fatalf("uploaded %d", len(h.requests()))
	}
	// A camera the store has never seen is empty too.
	r := motionRule(&HTTPDest{URL: h.srv.URL})
	r.Name, r.Camera = "other", "nocam"
	w2 := startWorker(t, r, e.options(t))
	mqtttest.Eventually(t, 30*time.Second, "empty", func() bool { return w2.Status().Empty == 1 })
}

// A worker waits for the video after the trigger: if the camera stays
// quiet, it cuts what there is Quiet after t+post; else once the store
// reaches t+post.
func TestWaitsForVideo(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(base.Add(61 * time.Second))
	putFrags(t, e.video, "cam1", 0, 30) // 0–60 s
	h := startHTTP(t, 0, 0)
	appendTrigger(t, e.log, "motion", tsTrigger(base.Add(59*time.Second))) // wants 54–65 s
	w := startWorker(t, motionRule(&HTTPDest{URL: h.srv.URL}), e.options(t))
	awaitTimer(t, e.clock) // polling
	if st := w.Status(); !st.Waiting || st.Clips != 0 {
		t.Fatalf("status %+v", st)
	}
	e.clock.Set(base.Add(65*time.Second + DefaultQuiet - time.Second))
	awaitTimer(t, e.clock)
	if w.Status().Clips != 0 {
		t.Fatal("cut before the camera was quiet for Quiet past the clip's end")
	}
	e.clock.Advance(time.Second)
	mqtttest.Eventually(t, 30*time.Second, "the clip of a quiet camera", func() bool { return w.Status().Clips == 1 })
	hd := h.requests()[0].header
	if hd.Get("X-Tributary-Clip-Start") != "2026-03-01T12:00:54.000Z" || hd.Get("X-Tributary-Clip-End") != "2026-03-01T12:01:00.000Z" {
		t.Fatalf("clip of a quiet camera: %v", hd)
	}

	// The camera is back; a trigger at 74 s wants 69–80 s.
	appendTrigger(t, e.log, "motion", tsTrigger(base.Add(74*time.Second)))
	awaitTimer(t, e.clock)
	putFrags(t, e.video, "cam1", 30, 38) // to 76 s
	e.clock.Advance(DefaultPoll)
	awaitTimer(t, e.clock)
	if w.Status().Clips != 1 {
		t.Fatal("cut before the video reached t+post")
	}
	putFrags(t, e.video, "cam1", 38, 41) // to 82 s
	e.clock.Advance(DefaultPoll)
	mqtttest.Eventually(t, 30*time.Second, "the clip", func() bool { return w.Status().Clips == 2 })
	hd = h.requests()[1].header
	if hd.Get("X-Tributary-Clip-Start") != "2026-03-01T12:01:08.000Z" || hd.Get("X-Tributary-Clip-End") != "2026-03-01T12:01:20.000Z" {
		t.Fatalf("clip: %v", hd)
	}
	if now := e.clock.Now(); !now.Before(base.Add(90 * time.Second)) {
		t.Fatalf("the clock reached the deadline (%v): the cut was not the store's doing", now)
	}
}

// A VP8 camera's clips are WebM (format by codec).
func TestVP8ClipIsWebM(t *testing.T) {
	e := newEnv(t)
	for i := range 10 {
		if err := e.video.Put("vp8cam", vp8Fragment(t, i)); err != nil {
			t.Fatal(err)
		}
	}
	h := startHTTP(t, 0, 0)
	r := motionRule(&HTTPDest{URL: h.srv.URL})
	r.Camera = "vp8cam"
	seq := appendTrigger(t, e.log, "motion", tsTrigger(base.Add(9*time.Second))) // 4–15 s: fragments 2..7
	w := startWorker(t, r, e.options(t))
	mqtttest.Eventually(t, 30*time.Second, "the clip", func() bool { return w.Status().Clips == 1 })
	req := h.requests()[0]
	if req.header.Get("Content-Type") != "video/webm" || !strings.HasSuffix(req.header.Get("X-Tributary-Key"), seq+".webm") {
		t.Fatalf("headers %v", req.header)
	}
	if codec, frames := probe(t, req.body); codec != "vp8" || frames != 6*fragFrames {
		t.Fatalf("ffprobe: %s, %d frames", codec, frames)
	}
}

// Without TimeField, t is the record's arrival; a TimeField the record
// lacks falls back to it and is counted.
func TestArrivalTime(t *testing.T) {
	e := newEnv(t)
	putFrags(t, e.video, "cam1", 0, 60)
	h := startHTTP(t, 0, 0)
	e.clock.Set(base.Add(40 * time.Second)) // the spool's clock too: arrival 40 s
	appendTrigger(t, e.log, "motion", `{"kind":"pir"}`)
	e.clock.Set(base.Add(time.Hour))
	r := motionRule(&HTTPDest{URL: h.srv.URL})
	r.TimeField = ""
	w := startWorker(t, r, e.options(t))
	mqtttest.Eventually(t, 30*time.Second, "the clip", func() bool { return w.Status().Clips == 1 })
	if hd := h.requests()[0].header; hd.Get("X-Tributary-Trigger-Time") != "2026-03-01T12:00:40.000Z" || hd.Get("X-Tributary-Clip-Start") != "2026-03-01T12:00:34.000Z" {
		t.Fatalf("headers %v", hd)
	}

	r2 := motionRule(&HTTPDest{URL: h.srv.URL})
	r2.Name, r2.Pre = "by-ts", 50*time.Second // from 0 s: not covered by the other rule's video
	w2 := startWorker(t, r2, e.options(t))
	mqtttest.Eventually(t, 30*time.Second, "the clip", func() bool { return w2.Status().Clips == 1 })
	if st := w2.Status(); st.BadTime != 1 {
		t.Fatalf("status %+v", st)
	}
	if hd := h.requests()[1].header; hd.Get("X-Tributary-Trigger-Time") != "2026-03-01T12:00:40.000Z" {
		t.Fatalf("headers %v", hd)
	}
}

// A trigger stream of more than one shard, or none, is refused at Start.
func TestTriggerStreamContract(t *testing.T) {
	e := newEnv(t)
	if err := e.log.CreateStream(spool.StreamConfig{Name: "two", Shards: 2}); err != nil {
		t.Fatal(err)
	}
	for _, stream := range []string{"two", "missing"} {
		r := motionRule(&HTTPDest{URL: "http://127.0.0.1:1/"})
		r.Triggers = stream
		w, err := NewWorker(r, e.options(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Start(context.Background()); !errors.Is(err, ErrTriggerStream) {
			t.Fatalf("%s: %v", stream, err)
		}
		w.Close()
	}
}

// Start removes the temporary files a crashed worker of the same rule
// left, and only those.
func TestStartRemovesStaleFiles(t *testing.T) {
	e := newEnv(t)
	opts := e.options(t)
	stale := filepath.Join(opts.TempDir, "clip-motion-cam1-123.mp4")
	other := filepath.Join(opts.TempDir, "clip-motion-cam2-123.mp4")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	startWorker(t, motionRule(&HTTPDest{URL: "http://127.0.0.1:1/"}), opts)
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale file: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("another rule's file: %v", err)
	}
}
