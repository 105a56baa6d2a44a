package clips

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/tributary-edge/tributary/uplink"
)

// countingReaderAt counts the bytes read from it.
type countingReaderAt struct {
	r *bytes.Reader
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// testObject is an event object with a body of size random bytes, a
// camera name that is not ASCII and a binary trigger record.
func testObject(size int) (*Object, *countingReaderAt) {
	body := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	trig := append([]byte{0, 1, 2, 0xff}, bytes.Repeat([]byte("x"), 5000)...)
	cr := &countingReaderAt{r: bytes.NewReader(body)}
	o := &Object{
		Key: EventKey("Kamera Süd", "rule1", base, "49", "mp4"), ContentType: "video/mp4", Size: int64(size),
		SHA256: sha256.Sum256(body), Body: cr,
		Meta: Metadata{Kind: KindEvent, Rule: "rule1", Camera: "Kamera Süd", TriggerStream: "motion", TriggerSeq: "49",
			TriggerTime: base.Add(5 * time.Second), Triggers: 1, LastTriggerSeq: "49", Trigger: trig,
			WindowStart: base, WindowEnd: base.Add(10 * time.Second), ClipStart: base, ClipEnd: base.Add(10 * time.Second), Format: "mp4"},
	}
	return o, cr
}

// destCase is one Destination under the shared suite, with a way to read
// back what it received: bodies under the object's key, and metadata.
type destCase struct {
	name     string
	dest     Destination
	received func(t *testing.T, key string) (bodies [][]byte, meta map[string]string)
}

func destCases(t *testing.T) []destCase {
	s3 := startS3(t)
	h := startHTTP(t, 0, 0)
	return []destCase{
		{"s3", &S3Dest{Client: s3.client, Bucket: "clips", Prefix: "p/"}, func(t *testing.T, key string) ([][]byte, map[string]string) {
			if keys := s3.keys(t); len(keys) != 2 || keys[0] != "p/"+key || keys[1] != "p/"+key+".json" {
				t.Fatalf("objects %q", keys)
			}
			if n := s3.putCount("p/" + key); n != 2 {
				t.Errorf("%d PUTs of %s, want 2", n, key)
			}
			b, out := s3.get(t, "p/"+key)
			return [][]byte{b}, out.Metadata
		}},
		{"http", &HTTPDest{URL: h.srv.URL}, func(t *testing.T, key string) ([][]byte, map[string]string) {
			var bodies [][]byte
			meta := map[string]string{}
			ids := map[string]bool{}
			for _, r := range h.requests() {
				bodies = append(bodies, r.body)
				ids[r.header.Get("Idempotency-Key")] = true
				for k := range r.header {
					if name, ok := strings.CutPrefix(k, "X-Tributary-"); ok {
						meta[strings.ToLower(name)] = r.header.Get(k)
					}
				}
			}
			if len(ids) != 1 {
				t.Errorf("idempotency keys %v, want one", ids)
			}
			if meta["key"] != key {
				t.Errorf("X-Tributary-Key %q", meta["key"])
			}
			return bodies, meta
		}},
	}
}

// Every destination: a second upload of the same object replaces it, the
// metadata is ASCII with the trigger record in base64 and cut, the body
// is read once per upload, and a link paces it.
func TestDestinations(t *testing.T) {
	for _, c := range destCases(t) {
		t.Run(c.name, func(t *testing.T) {
			const size = 48 << 10
			o, cr := testObject(size)
			const rate = 32 << 10
			o.Link, o.Priority = uplink.NewLink(rate), 3
			began := time.Now()
			for range 2 {
				if err := c.dest.Upload(context.Background(), o); err != nil {
					t.Fatal(err)
				}
			}
			// A full bucket to start with, then the rate.
			if took, min := time.Since(began), time.Duration(2*size-rate)*time.Second/rate; took < min {
				t.Fatalf("2 × %d bytes over %d B/s took %v, want ≥ %v", size, rate, took, min)
			}
			if n := cr.n.Load(); n != 2*size {
				t.Fatalf("body read %d bytes for 2 uploads of %d", n, size)
			}
			bodies, meta := c.received(t, o.Key)
			if len(bodies) == 0 {
				t.Fatal("nothing received")
			}
			for _, b := range bodies {
				if sha256.Sum256(b) != o.SHA256 {
					t.Fatal("body differs")
				}
			}
			if meta["camera"] != "Kamera S%C3%BCd" || meta["trigger-encoding"] != "base64" || meta["trigger-truncated"] != "true" {
				t.Fatalf("metadata %v", meta)
			}
			raw, err := base64.StdEncoding.DecodeString(meta["trigger"])
			if err != nil || !bytes.HasPrefix(o.Meta.Trigger, raw) || len(raw) < 500 {
				t.Fatalf("trigger %q: %v", meta["trigger"], err)
			}
			total := 0
			for k, v := range meta {
				total += len(k) + len(v)
				if !printable([]byte(v)) {
					t.Fatalf("metadata %s = %q is not printable ASCII", k, v)
				}
			}
			if c.name == "s3" && total > MaxS3Metadata {
				t.Fatalf("S3 metadata of %d bytes", total)
			}
		})
	}
}

// The S3 sidecar has all metadata and the whole trigger (base64 when not
// JSON).
func TestS3Sidecar(t *testing.T) {
	s3 := startS3(t)
	o, _ := testObject(1000)
	if err := (&S3Dest{Client: s3.client, Bucket: "clips"}).Upload(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	b, _ := s3.get(t, o.Key+".json")
	var v struct {
		Key           string
		Camera        string
		Size          int64
		TriggerBase64 []byte `json:"trigger_base64"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.Key != o.Key || v.Camera != "Kamera Süd" || v.Size != 1000 || !bytes.Equal(v.TriggerBase64, o.Meta.Trigger) {
		t.Fatalf("sidecar %s: %v", b, err)
	}
}

// Which answers are permanent.
func TestHTTPStatusClasses(t *testing.T) {
	for _, c := range []struct {
		code      int
		permanent bool
	}{{400, true}, {401, true}, {404, true}, {413, true}, {408, false}, {429, false}, {500, false}, {503, false}, {302, false}} {
		h := startHTTP(t, c.code, -1)
		o, _ := testObject(10)
		err := (&HTTPDest{URL: h.srv.URL}).Upload(context.Background(), o)
		if err == nil || errors.Is(err, ErrPermanent) != c.permanent {
			t.Errorf("HTTP %d: %v (permanent %v)", c.code, err, c.permanent)
		}
	}
	o, _ := testObject(10)
	if err := (&HTTPDest{URL: "http://127.0.0.1:1/"}).Upload(context.Background(), o); err == nil || errors.Is(err, ErrPermanent) {
		t.Errorf("connection refused: %v", err)
	}
}

func TestS3ErrorClasses(t *testing.T) {
	for code, permanent := range map[string]bool{"InvalidArgument": true, "EntityTooLarge": true, "AccessDenied": false, "NoSuchBucket": false, "SlowDown": false} {
		err := s3Error("put k", &smithy.GenericAPIError{Code: code})
		if errors.Is(err, ErrPermanent) != permanent {
			t.Errorf("%s: %v", code, err)
		}
	}
	if errors.Is(s3Error("put k", io.ErrUnexpectedEOF), ErrPermanent) {
		t.Error("a network error is permanent")
	}
}
