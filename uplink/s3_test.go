package uplink

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
)

// multipartUploads counts the multipart uploads begun on the test S3
// servers (POST ?uploads).
var multipartUploads atomic.Int64

// startS3 runs an in-process S3 server on loopback with one bucket and
// returns an SDK client for it.
func startS3(t *testing.T) *s3.Client {
	t.Helper()
	backend := s3mem.New()
	fake := gofakes3.New(backend).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.URL.Query()["uploads"]; ok && r.Method == http.MethodPost {
			multipartUploads.Add(1)
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}),
	})
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("lake")}); err != nil {
		t.Fatal(err)
	}
	return c
}

// objects returns every object of the bucket, key → body.
func objects(t *testing.T, c *s3.Client) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	list, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("lake")})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range list.Contents {
		g, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("lake"), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(g.Body)
		g.Body.Close()
		out[*o.Key] = b
	}
	return out
}

func decompress(t *testing.T, c Compression, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch c {
	case CompressionGzip:
		gz, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	case CompressionZstd:
		z, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer z.Close()
		r = z
	case CompressionSnappy:
		r = s2.NewReader(bytes.NewReader(b))
	default:
		return b
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Objects are named as Firehose names them, hold every record once per
// format and compression, and a resend overwrites rather than adds.
func TestS3ObjectsPerFormatAndCompression(t *testing.T) {
	for _, c := range []struct {
		f    Format
		comp Compression
	}{{FormatRaw, CompressionNone}, {FormatLines, CompressionGzip}, {FormatJSONL, CompressionZstd}, {FormatLines, CompressionSnappy}} {
		t.Run(string(c.f)+"/"+string(c.comp), func(t *testing.T) {
			sp := openSpool(t, t.TempDir())
			sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 2})
			client := startS3(t)
			var recs []spool.Record
			for i := range 300 {
				recs = append(recs, spool.Record{PartitionKey: fmt.Sprint("k", i%5), Data: fmt.Appendf(nil, `{"k":"k%d","n":%d}`, i%5, i)})
			}
			sp.Append(context.Background(), "s", recs)
			sink := &S3Sink{Client: client, Bucket: "lake", Prefix: "telemetry/!{timestamp:yyyy/MM/dd}/", Format: c.f, Compression: c.comp}
			d := start(t, sp, Config{Name: "lake", Streams: []string{"s"}, SizeHint: 2 << 10, Sink: sink})
			mqtttest.Eventually(t, 30*time.Second, "300 delivered", func() bool { return d.Status().Delivered == 300 })
			objs := objects(t, client)
			name := regexp.MustCompile(`^telemetry/\d{4}/\d{2}/\d{2}/lake-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}` + regexp.QuoteMeta(Extension(c.f, c.comp)) + `$`)
			seen := map[string]bool{}
			for key, body := range objs {
				if !name.MatchString(key) {
					t.Fatalf("object name %q", key)
				}
				data := decompress(t, c.comp, body)
				if c.f == FormatRaw {
					data = bytes.ReplaceAll(data, []byte("}{"), []byte("}\n{"))
				}
				sc := bufio.NewScanner(bytes.NewReader(data))
				for sc.Scan() {
					var v struct {
						K string
						N int
					}
					if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
						t.Fatalf("%s: line %q: %v", key, sc.Text(), err)
					}
					if seen[fmt.Sprint(v.N)] {
						t.Fatalf("record %d twice", v.N)
					}
					seen[fmt.Sprint(v.N)] = true
				}
			}
			if len(seen) != 300 {
				t.Fatalf("%d records in %d objects", len(seen), len(objs))
			}
		})
	}
}

// A resend of a batch (a crash between upload and checkpoint) writes the
// same key: no duplicate object.
func TestS3ResendOverwrites(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	sp.Append(context.Background(), "s", []spool.Record{{PartitionKey: "a", Data: []byte("one\n")}, {PartitionKey: "a", Data: []byte("two\n")}})
	client := startS3(t)
	sink := &S3Sink{Client: client, Bucket: "lake", Format: FormatRaw}
	cur, _ := sp.Seek("s", "shardId-000000000000", spool.StartPosition{Type: spool.TrimHorizon})
	res, _ := sp.Read(cur, spool.ReadLimits{})
	b := &Batch{Delivery: "d", Stream: "s", ShardID: "shardId-000000000000", Start: cur, First: res.Records[0].Seq, Last: res.Records[1].Seq,
		Records: 2, Oldest: res.Records[0].Arrival, sp: sp}
	for range 2 {
		if err := sink.Send(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	objs := objects(t, client)
	if len(objs) != 1 {
		t.Fatalf("%d objects after a resend", len(objs))
	}
	for key, body := range objs {
		if string(body) != "one\ntwo\n" || !strings.HasPrefix(key, res.Records[0].Arrival.UTC().Format("2006/01/02/15/")) {
			t.Errorf("%s: %q", key, body)
		}
	}
}

// A batch larger than a part goes up as a multipart upload.
func TestS3Multipart(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	client := startS3(t)
	big := bytes.Repeat([]byte("x"), 100<<10)
	for i := range 120 { // 12 MiB
		sp.Append(context.Background(), "s", []spool.Record{{PartitionKey: "a", Data: append(fmt.Appendf(nil, "%03d", i), big...)}})
	}
	before := multipartUploads.Load()
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 64 << 20, Interval: 50 * time.Millisecond,
		Sink: &S3Sink{Client: client, Bucket: "lake", Format: FormatRaw}})
	mqtttest.Eventually(t, 60*time.Second, "120 delivered", func() bool { return d.Status().Delivered == 120 })
	total := 0
	for _, body := range objects(t, client) {
		total += len(body)
	}
	if total != 120*(3+len(big)) {
		t.Errorf("%d bytes stored, want %d", total, 120*(3+len(big)))
	}
	if multipartUploads.Load() == before {
		t.Error("12 MiB went up without a multipart upload")
	}
}

// Records that are not JSON, with the jsonl format, are written as
// Firehose error records under the error prefix; the rest are delivered.
func TestS3FormatErrorsGoToTheErrorPrefix(t *testing.T) {
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	sp.Append(context.Background(), "s", []spool.Record{{PartitionKey: "a", Data: []byte(`{"ok":1}`)}, {PartitionKey: "a", Data: []byte(`not json`)}, {PartitionKey: "a", Data: []byte(`{"ok":2}`)}})
	client := startS3(t)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: &S3Sink{Client: client, Bucket: "lake", Prefix: "data/", Format: FormatJSONL}})
	mqtttest.Eventually(t, 30*time.Second, "the batch delivered", func() bool { return d.Status().Delivered == 3 })
	var good, bad int
	for key, body := range objects(t, client) {
		switch {
		case strings.Contains(key, "/format-conversion-failed/"):
			var e struct {
				ErrorCode string `json:"errorCode"`
				RawData   []byte `json:"rawData"`
			}
			json.Unmarshal(body, &e)
			if e.ErrorCode != "DataFormatConversion.MalformedData" || string(e.RawData) != "not json" {
				t.Errorf("error record %s", body)
			}
			bad++
		case strings.HasPrefix(key, "data/"):
			if string(body) != "{\"ok\":1}\n{\"ok\":2}\n" {
				t.Errorf("object %q", body)
			}
			good++
		}
	}
	if good != 1 || bad != 1 {
		t.Errorf("%d objects and %d error objects", good, bad)
	}
}

func TestJavaTimeAndPrefixes(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 5, 7, 123e6, time.UTC)
	if got := javaTime("yyyy/MM/dd/HH/'hour='HH/mm-ss.SSS", at); got != "2026/11/26/09/hour=09/05-07.123" {
		t.Errorf("javaTime: %s", got)
	}
	b := &Batch{Delivery: "d", Stream: "s", ShardID: "x", Oldest: at}
	p, err := evalPrefix("a/!{timestamp:yyyy}/!{firehose:random-string}/!{firehose:error-output-type}/", b, "format-conversion-failed")
	if err != nil || !regexp.MustCompile(`^a/2026/[0-9a-f]{11}/format-conversion-failed/$`).MatchString(p) {
		t.Errorf("evalPrefix: %q %v", p, err)
	}
	if _, err := evalPrefix("a/!{partitionKeyFromQuery:x}/", b, ""); err == nil {
		t.Error("unsupported expression accepted")
	}
}

// Through an outage of the store — refusing everything (503), then
// storing objects but failing the answer (the upload done, the
// confirmation lost) — every record ends up in exactly one object: the
// resends overwrite, so no duplicate is visible.
func TestS3Outage(t *testing.T) {
	var mode atomic.Int32 // 0 up, 1 down, 2 stores but answers 500
	fake := gofakes3.New(s3mem.New()).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `<Error><Code>SlowDown</Code><Message>down for the test</Message></Error>`)
			return
		case 2:
			if r.Method == http.MethodPut {
				fake.ServeHTTP(httptest.NewRecorder(), r) // stored…
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, `<Error><Code>InternalError</Code><Message>…answer lost</Message></Error>`)
				return
			}
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		})})
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("lake")}); err != nil {
		t.Fatal(err)
	}
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 2})
	mode.Store(1)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 1 << 10, Sink: &S3Sink{Client: client, Bucket: "lake", Format: FormatLines}})
	put(t, sp, "s", 0, 500)
	mqtttest.Eventually(t, 10*time.Second, "retrying while down", func() bool {
		s := d.Status()
		return s.State == "retrying" && strings.Contains(s.LastError, "SlowDown")
	})
	mode.Store(2)
	mqtttest.Eventually(t, 10*time.Second, "objects stored, answers lost", func() bool {
		list, err := client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("lake")})
		return err == nil && len(list.Contents) > 0 && d.Status().Delivered == 0
	})
	put(t, sp, "s", 500, 1000)
	mode.Store(0)
	mqtttest.Eventually(t, 30*time.Second, "all delivered", func() bool { return d.Status().Delivered == 1000 })
	// (objects are named by time and batch, not ordered by sequence:
	// count, do not order)
	seen := map[string]int{}
	for _, body := range objects(t, client) {
		for _, r := range strings.Fields(string(body)) {
			seen[r]++
		}
	}
	for r, n := range seen {
		if n != 1 {
			t.Errorf("%s visible %d times", r, n)
		}
	}
	if len(seen) != 1000 {
		t.Errorf("%d distinct records in the bucket, want 1000", len(seen))
	}
}
