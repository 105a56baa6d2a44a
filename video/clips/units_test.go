package clips

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/store"
)

func TestTriggerTime(t *testing.T) {
	want := time.Date(2026, 3, 1, 12, 0, 31, 0, time.UTC)
	for _, c := range []struct {
		data string
		want time.Time // zero: not ok
	}{
		{`{"ts":"2026-03-01T12:00:31Z"}`, want},
		{`{"ts":"2026-03-01T13:00:31+01:00"}`, want},
		{`{"ts":"2026-03-01T12:00:31.250Z"}`, want.Add(250 * time.Millisecond)},
		{`{"ts":1772366431}`, want},
		{`{"ts":1772366431.5}`, want.Add(500 * time.Millisecond)},
		{`{"ts":1772366431250}`, want.Add(250 * time.Millisecond)},
		{`{"ts":"1772366431250"}`, want.Add(250 * time.Millisecond)},
		{`{"ts":1772366431250000}`, want.Add(250 * time.Millisecond)},
		{`{"ts":1772366431250000000}`, want.Add(250 * time.Millisecond)},
		{`{"ts": 1772366431 , "x":1}`, want},
		{`{"ts":0}`, time.Time{}},
		{`{"ts":-5}`, time.Time{}},
		{`{"ts":"yesterday"}`, time.Time{}},
		{`{"ts":null}`, time.Time{}},
		{`{"ts":true}`, time.Time{}},
		{`{"ts":{"s":1}}`, time.Time{}},
		{`{"ts":"9999-01-01T00:00:00Z"}`, time.Time{}}, // beyond what the store can key
		{`{"ts":1e300}`, time.Time{}},
		{`{"other":1772366431}`, time.Time{}},
		{`[1772366431]`, time.Time{}},
		{`not json`, time.Time{}},
		{``, time.Time{}},
	} {
		got, ok := TriggerTime([]byte(c.data), "ts")
		if ok != !c.want.IsZero() || !got.Equal(c.want) {
			t.Errorf("TriggerTime(%s) = %v, %v; want %v", c.data, got, ok, c.want)
		}
	}
}

func TestWindow(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 3, 1, h, m, 0, 0, time.UTC) }
	night, err := ParseWindow("22:00-06:00")
	if err != nil || night.String() != "22:00-06:00" {
		t.Fatal(night, err)
	}
	office, err := ParseWindow("9:30-17:00")
	if err != nil || office.String() != "09:30-17:00" {
		t.Fatal(office, err)
	}
	for _, c := range []struct {
		w    Window
		at   time.Time
		in   bool
		next time.Time
	}{
		{night, day(21, 59), false, day(22, 0)},
		{night, day(22, 0), true, day(22, 0)},
		{night, day(23, 30), true, day(23, 30)},
		{night, day(5, 59), true, day(5, 59)},
		{night, day(6, 0), false, day(22, 0)},
		{night, day(12, 0), false, day(22, 0)},
		{office, day(9, 29), false, day(9, 30)},
		{office, day(12, 0), true, day(12, 0)},
		{office, day(17, 0), false, day(9, 30).AddDate(0, 0, 1)},
		{office, day(23, 0), false, day(9, 30).AddDate(0, 0, 1)},
		{Window{}, day(3, 0), true, day(3, 0)},
	} {
		if got := c.w.Contains(c.at); got != c.in {
			t.Errorf("%s contains %v = %v", c.w, c.at, got)
		}
		if got := c.w.NextOpen(c.at); !got.Equal(c.next) {
			t.Errorf("%s next open after %v = %v, want %v", c.w, c.at, got, c.next)
		}
	}
	for _, bad := range []string{"22:00", "22:00-22:00", "24:00-01:00", "1:2-3:4", "aa:bb-cc:dd", "-1:00-02:00", "22:00-06:60", "+1:00-02:00"} {
		if _, err := ParseWindow(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseWindow(%q) = %v", bad, err)
		}
	}
}

func TestKeys(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 26, 500e6, time.UTC)
	if got := EventKey("cam 1/a", "motion", at, "100000000000000000000000000000042", "mp4"); got != "cam%201%2Fa/motion/2026/03/01/cam%201%2Fa-20260301T120026Z-100000000000000000000000000000042.mp4" {
		t.Error(got)
	}
	if got := RecordingKey("cam1", at.In(time.FixedZone("x", 3600*14)), 7, "webm"); got != "recording/cam1/2026/03/01/cam1-20260301T120026Z-7.webm" {
		t.Error(got)
	}
	if keyPart("a%b") == keyPart("a%25b") {
		t.Error("escaping is not injective")
	}
}

func TestTriggerText(t *testing.T) {
	for _, c := range []struct {
		rec        string
		limit      int
		value, enc string
		cut        bool
	}{
		{`{"a":1}`, 100, `{"a":1}`, "", false},
		{`{"a":1}`, 4, `{"a"`, "", true},
		{"caf\xc3\xa9", 100, "Y2Fmw6k=", "base64", false},
		{"caf\xc3\xa9", 4, "Y2Fm", "base64", true},
		{"line\n", 100, "bGluZQo=", "base64", false},
	} {
		v, enc, cut := triggerText([]byte(c.rec), c.limit)
		if v != c.value || enc != c.enc || cut != c.cut {
			t.Errorf("triggerText(%q, %d) = %q, %q, %v", c.rec, c.limit, v, enc, cut)
		}
	}
}

// The S3 metadata stays within 2 KB whatever the names, dropping the
// trigger when nothing is left for it.
func TestPairsBudget(t *testing.T) {
	m := Metadata{Kind: KindEvent, Rule: "r", Camera: strings.Repeat("ü", 120), TriggerStream: strings.Repeat("s", 128),
		TriggerSeq: strings.Repeat("1", 33), Trigger: []byte(strings.Repeat("x", 3000)), ClipStart: base, ClipEnd: base}
	total := func(ps []pair) (n int, trigger bool) {
		for _, p := range ps {
			n += len(p.name) + len(p.value)
			trigger = trigger || p.name == "trigger"
		}
		return n, trigger
	}
	if n, trig := total(m.pairs(MaxS3Trigger, MaxS3Metadata)); n > MaxS3Metadata || !trig {
		t.Errorf("%d bytes of metadata, trigger %v", n, trig)
	}
	// The longest names are cut (at an escape's boundary) to leave room.
	m.Camera = strings.Repeat("ü", 127)
	m.TriggerStream = strings.Repeat("s", 300)
	ps := m.pairs(MaxS3Trigger, MaxS3Metadata)
	if n, trig := total(ps); n > MaxS3Metadata || !trig {
		t.Errorf("%d bytes of metadata, trigger %v", n, trig)
	}
	for _, p := range ps {
		if p.name == "camera" && (len(p.value) > maxMetaName || !strings.HasSuffix(p.value, "%C3%BC")) {
			t.Errorf("camera %q", p.value)
		}
	}
	// Without a budget (HTTP headers) they stay whole.
	for _, p := range m.pairs(MaxHeaderTrigger, 0) {
		if p.name == "camera" && p.value != headerText(m.Camera) {
			t.Errorf("camera %q", p.value)
		}
	}
}

func TestChunkOf(t *testing.T) {
	h264 := []media.Track{{Codec: media.CodecH264}}
	vp8 := []media.Track{{Codec: media.CodecVP8}}
	infos := func(n int, size int64, tracks []media.Track) []store.Info {
		var out []store.Info
		for i := range n {
			out = append(out, store.Info{Number: uint64(i + 1), ServerTime: fragAt(i), Duration: fragDur, Size: size, Tracks: tracks})
		}
		return out
	}
	for _, c := range []struct {
		name   string
		infos  []store.Info
		maxDur time.Duration
		bytes  int64
		want   int
	}{
		{"none", nil, time.Minute, 1 << 20, 0},
		{"by duration", infos(100, 10, h264), time.Minute, 1 << 20, 30},
		{"all", infos(20, 10, h264), time.Minute, 1 << 20, 20},
		{"by bytes", infos(100, 10, h264), time.Hour, 55, 5},
		{"one too large", infos(3, 100, h264), time.Hour, 50, 1},
		{"tracks change", append(infos(3, 10, h264), infos(3, 10, vp8)[2:]...), time.Hour, 1 << 20, 3},
	} {
		if got := len(chunkOf(c.infos, c.maxDur, c.bytes)); got != c.want {
			t.Errorf("%s: %d fragments, want %d", c.name, got, c.want)
		}
	}
}

// The merge rule, step by step.
func TestMergeSteps(t *testing.T) {
	pre, post, maxDur := 4*time.Second, 6*time.Second, 30*time.Second
	tr := func(s int) trigger {
		return trigger{seq: string(rune('a' + s)), t: base.Add(time.Duration(s) * time.Second)}
	}
	now := base.Add(time.Hour)
	p := open(tr(20), pre, post, time.Time{}, now)
	if !p.start.Equal(base.Add(16*time.Second)) || !p.end.Equal(base.Add(26*time.Second)) {
		t.Fatalf("window %v–%v", p.start, p.end)
	}
	for _, c := range []struct {
		at     int
		merged bool
		end    int
	}{
		{30, true, 36},  // 26–36 touches the end: merged
		{25, true, 36},  // inside: merged, end unchanged
		{41, false, 36}, // 37–47 starts after the end
		{40, true, 46},  // 36–46
		{44, false, 46}, // would end at 50, 34 s after the start (max 30)
	} {
		if got := p.merge(tr(c.at), pre, post, maxDur, now); got != c.merged || !p.end.Equal(base.Add(time.Duration(c.end)*time.Second)) {
			t.Errorf("trigger at %d s: merged %v, end %v; want %v, %d s", c.at, got, p.end.Sub(base), c.merged, c.end)
		}
	}
	if p.triggers != 4 || p.lastSeq != tr(40).seq {
		t.Fatalf("%d triggers, last %q", p.triggers, p.lastSeq)
	}
	// The next clip starts where this one's video ended.
	q := open(tr(44), pre, post, base.Add(46*time.Second), now)
	if !q.start.Equal(base.Add(46 * time.Second)) {
		t.Fatalf("next clip starts %v", q.start.Sub(base))
	}
	if !covered(tr(40), post, base.Add(46*time.Second)) || covered(tr(41), post, base.Add(46*time.Second)) || covered(tr(1), post, time.Time{}) {
		t.Fatal("covered")
	}
	// The wait: Quiet past the end, or MaxWait after the end was set.
	if d := q.deadline(10*time.Second, time.Hour); !d.Equal(q.end.Add(10 * time.Second)) {
		t.Fatalf("deadline %v", d)
	}
	future := open(tr(7200), pre, post, time.Time{}, now)
	if d := future.deadline(10*time.Second, time.Minute); !d.Equal(now.Add(time.Minute)) {
		t.Fatalf("deadline %v for a trigger in the future", d)
	}
}

func TestValidate(t *testing.T) {
	good := Rule{Name: "r", Camera: "c", Triggers: "t", Post: time.Second, Dest: &HTTPDest{}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Rule){
		"name":     func(r *Rule) { r.Name = "a b" },
		"long":     func(r *Rule) { r.Name = strings.Repeat("a", 65) },
		"camera":   func(r *Rule) { r.Camera = "" },
		"triggers": func(r *Rule) { r.Triggers = "" },
		"no time":  func(r *Rule) { r.Post = 0 },
		"negative": func(r *Rule) { r.Pre = -time.Second },
		"max":      func(r *Rule) { r.MaxDuration = 500 * time.Millisecond },
		"max 24h":  func(r *Rule) { r.MaxDuration = 25 * time.Hour },
		"format":   func(r *Rule) { r.Format = "avi" },
		"dest":     func(r *Rule) { r.Dest = nil },
	} {
		r := good
		mut(&r)
		if err := r.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	sc := Schedule{Name: "s", Camera: "c", Dest: &HTTPDest{}}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	sc.Chunk = 48 * time.Hour
	if err := sc.Validate(); !errors.Is(err, ErrInvalid) {
		t.Error(err)
	}
	if _, err := NewWorker(good, Options{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no video: %v", err)
	}
}
