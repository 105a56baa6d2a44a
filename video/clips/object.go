package clips

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tributary-edge/tributary/uplink"
)

// Object is one clip to upload: a file of Size bytes readable through Body,
// with its SHA-256, a key and metadata.
type Object struct {
	// Key is the object's name below the destination's prefix (see the
	// package doc); the same clip always gets the same key.
	Key         string
	ContentType string // video/mp4 or video/webm
	Size        int64
	SHA256      [32]byte
	Body        io.ReaderAt
	Meta        Metadata

	// Link and Priority throttle the body as destinations read it (nil
	// Link: no cap).
	Link     *uplink.Link
	Priority int
}

// Kinds of object.
const (
	KindEvent     = "event"     // a rule's clip
	KindRecording = "recording" // a scheduled upload's chunk
)

// Metadata describes a clip. Trigger fields are empty for recordings.
type Metadata struct {
	Kind   string
	Rule   string
	Camera string

	TriggerStream  string
	TriggerSeq     string    // the first trigger of the clip
	TriggerTime    time.Time // its t
	Triggers       int       // triggers merged into the clip
	LastTriggerSeq string
	Trigger        []byte // the first trigger record, whole

	// WindowStart and WindowEnd are what was asked for; ClipStart and
	// ClipEnd the server times of the video in the file (first fragment's
	// start, last fragment's end).
	WindowStart, WindowEnd time.Time
	ClipStart, ClipEnd     time.Time

	FirstFragment, LastFragment uint64
	Fragments                   int
	Frames                      int // video frames
	Format                      string
}

// Limits on the trigger record where it travels in headers.
const (
	// MaxS3Metadata is S3's limit on user metadata (keys plus values).
	MaxS3Metadata = 2 << 10
	// MaxS3Trigger caps the trigger record in the S3 metadata; the
	// sidecar object has it whole.
	MaxS3Trigger = 1 << 10
	// MaxHeaderTrigger caps the trigger record in X-Tributary-Trigger.
	MaxHeaderTrigger = 4 << 10
)

// timeText formats metadata times: RFC 3339, UTC, milliseconds.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// basicTime formats a key's time: ISO 8601 basic format, UTC, seconds.
func basicTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// keyPart escapes a name for an object key: A-Z a-z 0-9 . _ - stay, every
// other byte becomes %XX (so distinct names stay distinct).
func keyPart(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// datePath is "YYYY/MM/DD" of t in UTC.
func datePath(t time.Time) string { return t.UTC().Format("2006/01/02") }

// EventKey is the key of a rule's clip:
//
//	{camera}/{rule}/{YYYY}/{MM}/{DD}/{camera}-{start}-{trigger seq}.{ext}
//
// with start the window's start (ISO 8601 basic, UTC) and the first
// trigger's sequence number.
func EventKey(camera, rule string, start time.Time, seq, ext string) string {
	c := keyPart(camera)
	return fmt.Sprintf("%s/%s/%s/%s-%s-%s.%s", c, rule, datePath(start), c, basicTime(start), seq, ext)
}

// RecordingKey is the key of a scheduled chunk:
//
//	recording/{camera}/{YYYY}/{MM}/{DD}/{camera}-{start}-{first fragment}.{ext}
//
// with start the first fragment's server time.
func RecordingKey(camera string, start time.Time, first uint64, ext string) string {
	c := keyPart(camera)
	return fmt.Sprintf("recording/%s/%s/%s-%s-%d.%s", c, datePath(start), c, basicTime(start), first, ext)
}

// IdempotencyKey is a UUID-shaped digest of the object key: the same on
// every attempt and after a restart.
func (o *Object) IdempotencyKey() string {
	s := sha256.Sum256([]byte("tributary-clip\x00" + o.Key))
	h := hex.EncodeToString(s[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// body returns a reader over the whole body, throttled by the link (a
// seeker, so an SDK can rewind it for a retry).
func (o *Object) body(ctx context.Context) io.ReadSeeker {
	return o.Link.Throttle(ctx, o.Priority, io.NewSectionReader(o.Body, 0, o.Size))
}

// pair is one metadata entry: a lower-case name ("clip-start") and an
// ASCII value.
type pair struct{ name, value string }

// pairs returns the metadata as S3 user metadata and X-Tributary-* headers
// carry it, the trigger record cut to maxTrigger bytes of its encoding (and
// to what the budget leaves, when budget > 0: the sum of names and values).
func (m *Metadata) pairs(maxTrigger, budget int) []pair {
	var ps []pair
	add := func(name, value string) {
		if value != "" {
			ps = append(ps, pair{name, value})
		}
	}
	name := headerText
	if budget > 0 {
		name = func(s string) string { return headerText(cutName(s, maxMetaName)) }
	}
	add("kind", m.Kind)
	add("rule", m.Rule)
	add("camera", name(m.Camera))
	add("trigger-stream", name(m.TriggerStream))
	add("trigger-seq", m.TriggerSeq)
	add("trigger-time", timeText(m.TriggerTime))
	if m.Triggers > 1 {
		add("triggers", strconv.Itoa(m.Triggers))
		add("last-trigger-seq", m.LastTriggerSeq)
	}
	add("clip-start", timeText(m.ClipStart))
	add("clip-end", timeText(m.ClipEnd))
	if m.Kind == KindRecording {
		add("first-fragment", strconv.FormatUint(m.FirstFragment, 10))
		add("last-fragment", strconv.FormatUint(m.LastFragment, 10))
	}
	if m.Trigger == nil {
		return ps
	}
	limit := maxTrigger
	if budget > 0 {
		used := 0
		for _, p := range ps {
			used += len(p.name) + len(p.value)
		}
		// the longest names the trigger can need
		limit = min(limit, budget-used-len("trigger-encoding")-len("base64")-len("trigger-truncated")-len("true")-len("trigger"))
	}
	if limit <= 0 {
		return ps
	}
	value, enc, cut := triggerText(m.Trigger, limit)
	ps = append(ps, pair{"trigger", value})
	if enc != "" {
		ps = append(ps, pair{"trigger-encoding", enc})
	}
	if cut {
		ps = append(ps, pair{"trigger-truncated", "true"})
	}
	return ps
}

// maxMetaName caps a name in budgeted metadata (S3): the sidecar has it
// whole.
const maxMetaName = 256

// cutName cuts s at a character boundary so that headerText(s) takes at
// most n bytes.
func cutName(s string, n int) string {
	size := 0
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		w := 3 * width // each byte as %XX
		if r >= 0x20 && r <= 0x7e && r != '%' {
			w = 1
		}
		if size+w > n {
			return s[:i]
		}
		size += w
		i += width
	}
	return s
}

// printable reports whether s is all printable ASCII (0x20–0x7E): safe in
// an HTTP header value and in S3 metadata.
func printable(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// headerText returns s if it is printable ASCII, else s with every byte
// outside it, and '%', as %XX.
func headerText(s string) string {
	if printable([]byte(s)) && !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// triggerText returns the record as header text of at most limit bytes:
// itself if printable ASCII, else standard base64 (enc "base64"); cut is
// set when it was truncated to fit.
func triggerText(rec []byte, limit int) (value, enc string, cut bool) {
	if printable(rec) {
		if len(rec) > limit {
			return string(rec[:limit]), "", true
		}
		return string(rec), "", false
	}
	raw := limit / 4 * 3
	if len(rec) > raw {
		return base64.StdEncoding.EncodeToString(rec[:raw]), "base64", true
	}
	return base64.StdEncoding.EncodeToString(rec), "base64", false
}

// sidecar is the JSON object written beside an S3 clip: all metadata and
// the whole trigger record (as JSON when it is JSON, else base64).
func (o *Object) sidecar(fullKey string) ([]byte, error) {
	m := &o.Meta
	v := map[string]any{
		"key": fullKey, "kind": m.Kind, "camera": m.Camera,
		"content_type": o.ContentType, "size": o.Size, "sha256": hex.EncodeToString(o.SHA256[:]),
		"format": m.Format, "clip_start": timeText(m.ClipStart), "clip_end": timeText(m.ClipEnd),
		"first_fragment": m.FirstFragment, "last_fragment": m.LastFragment,
		"fragments": m.Fragments, "frames": m.Frames,
	}
	if m.Kind == KindEvent {
		v["rule"] = m.Rule
		v["trigger_stream"] = m.TriggerStream
		v["trigger_seq"] = m.TriggerSeq
		v["trigger_time"] = timeText(m.TriggerTime)
		v["triggers"] = m.Triggers
		v["last_trigger_seq"] = m.LastTriggerSeq
		v["window_start"] = timeText(m.WindowStart)
		v["window_end"] = timeText(m.WindowEnd)
		if json.Valid(m.Trigger) {
			v["trigger"] = json.RawMessage(m.Trigger)
		} else {
			v["trigger_base64"] = m.Trigger // []byte marshals as base64
		}
	}
	return json.Marshal(v)
}
