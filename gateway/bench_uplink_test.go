package main

// BenchmarkUplink measures draining a backlog upstream (make bench): a
// gateway child process whose telemetry stream holds 1,000,000 records of
// 100 B JSON is restarted with a delivery, and the time until the
// destination has every record is taken. The destinations run in this
// process on loopback: a Firehose HTTP endpoint that decodes each request,
// and an in-process S3 server (gofakes3, in memory). The same records are
// then pushed to the same destination by a plain client in this process
// (requests of 10,000 records / objects of the same size, 4 at a time), and
// the ratio reported.
//
//	rec/s        records delivered per second of the drain
//	MB/s         record data delivered per second
//	x_plain      the drain rate over the plain client's
//	gw_rss_MiB   the gateway's peak RSS (VmHWM) over the drain, with
//	             buffering hints of 47 MiB (http: base64 in the contract's 64 MiB body)
//	             and 128 MiB (s3)
//	gw_anon_MiB  the peak of its anonymous RSS (RssAnon, sampled every
//	             20 ms): the memory it owns. The rest of the RSS is the
//	             spool's memory-mapped table pages, file-backed, which the
//	             kernel reclaims under pressure
//
// Run: go test -run '^$' -bench Uplink -benchtime 1x -timeout 30m ./gateway/

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
)

const (
	ubRecords = 1_000_000
	ubSize    = 100
)

// ubRecord is record i: 100 bytes of JSON.
func ubRecord(i int) []byte {
	b := fmt.Appendf(nil, `{"device":"dev-%04d","seq":%09d,"t":21.5,"pad":"`, i%1000, i)
	for len(b) < ubSize-2 {
		b = append(b, 'x')
	}
	return append(b, '"', '}')
}

// ubLoad fills a fresh data directory's telemetry stream.
func ubLoad(b *testing.B, dataDir string) {
	c := startChildB(b, dataDir, "--mqtt", "off")
	client := &api.Client{Base: c.base, HTTP: &http.Client{Timeout: time.Minute}}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 4 {
		wg.Go(func() {
			for {
				from := int(next.Add(1000)) - 1000
				if from >= ubRecords {
					return
				}
				recs := make([]api.PutRecord, 1000)
				for i := range recs {
					recs[i] = api.PutRecord{PartitionKey: fmt.Sprint(from + i), Data: ubRecord(from + i)}
				}
				if _, err := client.PutRecords(context.Background(), "telemetry", recs); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	c.cmd.Process.Signal(syscall.SIGTERM)
	<-c.done
}

func BenchmarkUplink(b *testing.B) {
	b.Run("http", func(b *testing.B) {
		var got atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var req struct {
				RequestID string `json:"requestId"`
				Records   []struct {
					Data []byte `json:"data"`
				} `json:"records"`
			}
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			got.Add(int64(len(req.Records)))
			fmt.Fprintf(w, `{"requestId":%q,"timestamp":0}`, req.RequestID)
		}))
		defer srv.Close()
		drain := ubDrain(b, fmt.Sprintf("http: {url: %q}", srv.URL), "47MiB", func() int64 { return got.Load() })
		got.Store(0)
		plain := ubPlain(b, func(from, to int) error {
			var body bytes.Buffer
			body.WriteString(`{"requestId":"x","timestamp":0,"records":[`)
			for i := from; i < to; i++ {
				if i > from {
					body.WriteByte(',')
				}
				body.WriteString(`{"data":"` + base64.StdEncoding.EncodeToString(ubRecord(i)) + `"}`)
			}
			body.WriteString("]}")
			resp, err := http.Post(srv.URL, "application/json", &body)
			if err != nil {
				return err
			}
			resp.Body.Close()
			return nil
		})
		b.ReportMetric(drain/plain, "x_plain")
	})
	b.Run("s3", func(b *testing.B) {
		backend := s3mem.New()
		srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithAutoBucket(true)).Server())
		defer srv.Close()
		client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
			})})
		client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("lake")})
		count := func(bucket string) int64 {
			var n int64
			var token *string
			for {
				out, err := client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ContinuationToken: token})
				if err != nil {
					return 0
				}
				for _, o := range out.Contents {
					n += aws.ToInt64(o.Size)
				}
				if !aws.ToBool(out.IsTruncated) {
					return n / (ubSize + 1) // lines format: a newline per record
				}
				token = out.NextContinuationToken
			}
		}
		drain := ubDrain(b, fmt.Sprintf("s3: {bucket: lake, endpoint: %q, path_style: true, access_key_id: AKID, secret_access_key: secret, format: lines}", srv.URL), "128MiB",
			func() int64 { return count("lake") })
		client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("plain")})
		var part atomic.Int64
		plain := ubPlain(b, func(from, to int) error {
			var body bytes.Buffer
			for i := from; i < to; i++ {
				body.Write(ubRecord(i))
				body.WriteByte('\n')
			}
			_, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String(fmt.Sprint("o", part.Add(1))),
				Body: bytes.NewReader(body.Bytes()), ContentLength: aws.Int64(int64(body.Len()))})
			return err
		})
		b.ReportMetric(drain/plain, "x_plain")
	})
}

// ubDrain loads the backlog, restarts the gateway with a delivery to
// dest, and returns the drain rate in records/s.
func ubDrain(b *testing.B, dest, size string, delivered func() int64) float64 {
	dataDir := b.TempDir()
	ubLoad(b, dataDir)
	cfg := filepath.Join(b.TempDir(), "gateway.yaml")
	os.WriteFile(cfg, fmt.Appendf(nil, "mqtt: {listen: \"\"}\ndeliveries:\n  - name: up\n    streams: [telemetry]\n    buffering: {size: %s, interval: 1s}\n    %s\n", size, dest), 0o644)
	start := time.Now()
	c := startChildB(b, dataDir, "-c", cfg)
	defer func() { c.cmd.Process.Signal(syscall.SIGTERM); <-c.done }()
	var anon float64
	mqtttest.Eventually(b, 10*time.Minute, "the backlog delivered", func() bool {
		anon = max(anon, procStatus(c.cmd.Process.Pid, "RssAnon:"))
		return delivered() >= ubRecords
	})
	took := time.Since(start)
	b.ReportMetric(anon, "gw_anon_MiB")
	rate := ubRecords / took.Seconds()
	b.ReportMetric(rate, "rec/s")
	b.ReportMetric(rate*ubSize/1e6, "MB/s")
	b.ReportMetric(vmHWM(c.cmd.Process.Pid), "gw_rss_MiB")
	b.ReportMetric(0, "ns/op")
	b.Logf("drained %d records in %s", ubRecords, took.Round(time.Millisecond))
	return rate
}

// ubPlain pushes the records with send, 10,000 at a time, 4 at once, and
// returns records/s.
func ubPlain(b *testing.B, send func(from, to int) error) float64 {
	start := time.Now()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 4 {
		wg.Go(func() {
			for {
				from := int(next.Add(10000)) - 10000
				if from >= ubRecords {
					return
				}
				if err := send(from, min(from+10000, ubRecords)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	rate := ubRecords / time.Since(start).Seconds()
	b.Logf("plain client: %.0f records/s", rate)
	return rate
}
