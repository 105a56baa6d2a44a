package clips

import (
	"bytes"
	"testing"
	"time"
)

func FuzzTriggerTime(f *testing.F) {
	for _, s := range []string{`{"ts":"2026-03-01T12:00:31Z"}`, `{"ts":1772366431.5}`, `{"ts":"1772366431250"}`,
		`{"ts":1772366431250000000}`, `{"ts":1e300}`, `{"ts":-5}`, `{"ts":null}`, `not json`, `{"ts":"9999-01-01T00:00:00Z"}`} {
		f.Add([]byte(s), "ts")
	}
	f.Fuzz(func(t *testing.T, data []byte, field string) {
		got, ok := TriggerTime(data, field)
		if !ok {
			if !got.IsZero() {
				t.Fatalf("not ok but %v", got)
			}
			return
		}
		if got.Location() != time.UTC || got.Before(minTime) || got.After(maxTime) {
			t.Fatalf("time %v out of range", got)
		}
		// the window around it is keyable
		if w := got.Add(-24 * time.Hour); time.Unix(0, w.UnixNano()).UTC() != w.UTC() {
			t.Fatalf("%v minus a day does not fit Unix nanoseconds", got)
		}
	})
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"22:00-06:00", "9:30-17:00", "", "22:00-22:00", "24:00-01:00", "+1:00-02:00", "1:2-3:4"} {
		f.Add(s, int64(1772366431))
	}
	f.Fuzz(func(t *testing.T, s string, unix int64) {
		w, err := ParseWindow(s)
		if err != nil {
			return
		}
		back, err := ParseWindow(w.String())
		if err != nil || back != w {
			t.Fatalf("%q → %q → %v, %v", s, w.String(), back, err)
		}
		at := time.Unix(unix%(1<<40), 0).UTC()
		next := w.NextOpen(at)
		if next.Before(at) || next.Sub(at) > 24*time.Hour || !w.Contains(next) {
			t.Fatalf("%s: next open after %v is %v", w, at, next)
		}
		if w.Contains(at) != next.Equal(at) {
			t.Fatalf("%s: contains %v = %v, next open %v", w, at, w.Contains(at), next)
		}
	})
}

func FuzzState(f *testing.F) {
	f.Add(encode(workerState{V: 1, VideoEnd: base, LastKey: "k"}))
	f.Add(encode(schedulerState{V: 1, Time: base, Number: 7, LastKey: "k"}))
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`{"v":1,"time":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := decodeWorkerState(b); err == nil {
			again, err := decodeWorkerState(encode(s))
			if err != nil || !again.VideoEnd.Equal(s.VideoEnd) || again.LastKey != s.LastKey {
				t.Fatalf("worker state %+v does not round trip: %+v, %v", s, again, err)
			}
		}
		if s, err := decodeSchedulerState(b); err == nil {
			again, err := decodeSchedulerState(encode(s))
			if err != nil || !again.Time.Equal(s.Time) || again.Number != s.Number {
				t.Fatalf("scheduler state %+v does not round trip: %+v, %v", s, again, err)
			}
		}
	})
}

// Metadata is always printable ASCII, and within S3's limit whatever the
// names and the record.
func FuzzMetadata(f *testing.F) {
	f.Add("cam1", "motion", []byte(`{"kind":"motion"}`))
	f.Add("Kamera Süd", "s", []byte{0, 1, 0xff})
	f.Add(string(bytes.Repeat([]byte("ü"), 127)), string(bytes.Repeat([]byte("%"), 128)), bytes.Repeat([]byte("x"), 3000))
	f.Fuzz(func(t *testing.T, camera, stream string, trigger []byte) {
		m := Metadata{Kind: KindEvent, Rule: "rule", Camera: camera, TriggerStream: stream, TriggerSeq: "100000000000000000000000000000042",
			TriggerTime: base, Triggers: 2, LastTriggerSeq: "100000000000000000000000000000043", Trigger: trigger,
			ClipStart: base, ClipEnd: base}
		n := 0
		for _, p := range m.pairs(MaxS3Trigger, MaxS3Metadata) {
			n += len(p.name) + len(p.value)
			if !printable([]byte(p.value)) {
				t.Fatalf("%s = %q", p.name, p.value)
			}
		}
		if n > MaxS3Metadata {
			t.Fatalf("%d bytes of S3 metadata", n)
		}
		for _, p := range m.pairs(MaxHeaderTrigger, 0) {
			if !printable([]byte(p.value)) || p.name == "trigger" && len(p.value) > MaxHeaderTrigger {
				t.Fatalf("%s = %q", p.name, p.value)
			}
		}
		o := &Object{Key: EventKey(camera, "rule", base, "1", "mp4"), Meta: m}
		if _, err := o.sidecar("k"); err != nil {
			t.Fatal(err)
		}
	})
}
