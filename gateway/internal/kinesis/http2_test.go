package kinesis

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// HTTP/2 as Java SDK v2's KinesisAsyncClient (KCL) speaks it (kinesis.md
// §1.5): prior knowledge over cleartext (h2c) and ALPN "h2" over TLS.

// h2Recorder is a RoundTripper that remembers the protocol of every
// response, so a test can tell the SDK really spoke HTTP/2.
type h2Recorder struct {
	rt     http.RoundTripper
	mu     sync.Mutex
	protos []string
}

func (r *h2Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		r.protos = append(r.protos, req.Header.Get("X-Amz-Target")+" "+resp.Proto)
		r.mu.Unlock()
	}
	return resp, err
}

// check fails unless every recorded response was HTTP/2.
func (r *h2Recorder) check(t *testing.T, atLeast int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.protos) < atLeast {
		t.Errorf("only %d responses recorded, want at least %d: %v", len(r.protos), atLeast, r.protos)
	}
	for _, p := range r.protos {
		if !bytes.HasSuffix([]byte(p), []byte(" HTTP/2.0")) {
			t.Errorf("response not over HTTP/2: %s", p)
		}
	}
}

// h2cClient returns an HTTP client that speaks only HTTP/2 with prior
// knowledge over cleartext, as Java v2's Netty client does.
func h2cClient(t *testing.T) (*http.Client, *h2Recorder) {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	rec := &h2Recorder{rt: tr}
	return &http.Client{Transport: rec, Timeout: 30 * time.Second}, rec
}

// h2DataPlane drives a stream through the SDK and checks the records
// come back.
func h2DataPlane(t *testing.T, c *awskinesis.Client, stream string) {
	t.Helper()
	if _, err := c.CreateStream(ctx, &awskinesis.CreateStreamInput{StreamName: aws.String(stream), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	ls, err := c.ListStreams(ctx, &awskinesis.ListStreamsInput{})
	if err != nil {
		t.Fatalf("ListStreams: %v", err)
	}
	found := false
	for _, n := range ls.StreamNames {
		found = found || n == stream
	}
	if !found {
		t.Errorf("ListStreams: %v lacks %s", ls.StreamNames, stream)
	}
	// A record bigger than one HTTP/2 frame (16 KiB) and the default
	// flow-control window (64 KiB) in both directions.
	big := bytes.Repeat([]byte("0123456789abcdef"), 20000)
	var seqs []string
	for _, d := range [][]byte{[]byte("h2-one"), big} {
		pr, err := c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String(stream), PartitionKey: aws.String("k"), Data: d})
		if err != nil {
			t.Fatalf("PutRecord: %v", err)
		}
		seqs = append(seqs, *pr.SequenceNumber)
	}
	prs, err := c.PutRecords(ctx, &awskinesis.PutRecordsInput{StreamName: aws.String(stream), Records: []types.PutRecordsRequestEntry{
		{PartitionKey: aws.String("k"), Data: []byte("h2-three")}}})
	if err != nil || *prs.FailedRecordCount != 0 {
		t.Fatalf("PutRecords: %v %+v", err, prs)
	}
	it, err := c.GetShardIterator(ctx, &awskinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: aws.String("shardId-000000000000"),
		ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatalf("GetShardIterator: %v", err)
	}
	gr, err := c.GetRecords(ctx, &awskinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatalf("GetRecords: %v", err)
	}
	if len(gr.Records) != 3 || string(gr.Records[0].Data) != "h2-one" || !bytes.Equal(gr.Records[1].Data, big) ||
		string(gr.Records[2].Data) != "h2-three" || *gr.Records[0].SequenceNumber != seqs[0] {
		t.Errorf("GetRecords over HTTP/2: %d records", len(gr.Records))
	}
	// Errors are ordinary API errors over HTTP/2 too.
	if _, err := c.DescribeStream(ctx, &awskinesis.DescribeStreamInput{StreamName: aws.String("no-such-stream")}); apiCode(err) != errResourceNotFound {
		t.Errorf("DescribeStream of an unknown stream over HTTP/2: %v", err)
	}
}

func TestH2CPriorKnowledge(t *testing.T) {
	e := newEnv(t, Config{})
	hc, rec := h2cClient(t)

	// A hand-made request: the server must answer the h2 preface, not
	// HTTP/1.1 ("First received frame was not SETTINGS").
	req, err := http.NewRequest("POST", e.url+"/", bytes.NewReader([]byte("{}")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentJSON)
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20150101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abcd")
	req.Header.Set("X-Amz-Date", "20150101T000000Z")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("h2c request: %v", err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != http.StatusOK {
		t.Fatalf("h2c ListStreams: %s %d", resp.Proto, resp.StatusCode)
	}
	if resp.Header.Get("x-amzn-RequestId") == "" || resp.Header.Get("Content-Type") != contentJSON {
		t.Errorf("h2c response headers: %v", resp.Header)
	}

	c := newClient(e.url, hc, aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"})
	h2DataPlane(t, c, "h2c")
	rec.check(t, 8)
}

func TestHTTP2OverTLS(t *testing.T) {
	e := newEnv(t, Config{})
	srv := httptest.NewUnstartedServer(e.h)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)

	hc := srv.Client()
	rec := &h2Recorder{rt: hc.Transport}
	hc = &http.Client{Transport: rec, Timeout: 30 * time.Second}

	req, err := http.NewRequest("POST", srv.URL+"/", bytes.NewReader([]byte("{}")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentJSON)
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20150101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abcd")
	req.Header.Set("X-Amz-Date", "20150101T000000Z")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("TLS request: %v", err)
	}
	resp.Body.Close()
	if resp.TLS == nil {
		t.Fatal("TLS ListStreams: not over TLS")
	}
	if resp.ProtoMajor != 2 || resp.TLS.NegotiatedProtocol != "h2" {
		t.Fatalf("TLS ListStreams: %s, ALPN %q", resp.Proto, resp.TLS.NegotiatedProtocol)
	}

	c := newClient(srv.URL, hc, aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"})
	h2DataPlane(t, c, "h2tls")
	rec.check(t, 8)
}

// SubscribeToShard's event stream over h2c, read through the SDK at least
// to the first SubscribeToShardEvent.
func TestH2CSubscribeToShard(t *testing.T) {
	e := newEnv(t, Config{})
	hc, rec := h2cClient(t)
	c := newClient(e.url, hc, aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"})
	e.mustCreate("fan", 1)
	for _, d := range []string{"fan-1", "fan-2"} {
		if _, err := c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("fan"), PartitionKey: aws.String("k"), Data: []byte(d)}); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := c.RegisterStreamConsumer(ctx, &awskinesis.RegisterStreamConsumerInput{
		StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/fan"), ConsumerName: aws.String("h2")})
	if err != nil {
		t.Fatalf("RegisterStreamConsumer: %v", err)
	}

	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := c.SubscribeToShard(sctx, &awskinesis.SubscribeToShardInput{ConsumerARN: reg.Consumer.ConsumerARN, ShardId: aws.String("shardId-000000000000"),
		StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon}})
	if err != nil {
		t.Fatalf("SubscribeToShard over h2c: %v", err)
	}
	stream := out.GetStream()
	defer stream.Close()

	var got []string
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for len(got) < 2 {
		select {
		case ev, ok := <-stream.Events():
			if !ok {
				t.Fatalf("event stream ended after %v: %v", got, stream.Err())
			}
			se, ok := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
			if !ok {
				t.Fatalf("unexpected event %T", ev)
			}
			if se.Value.ContinuationSequenceNumber == nil {
				t.Errorf("event without ContinuationSequenceNumber on an open shard")
			}
			for _, r := range se.Value.Records {
				got = append(got, string(r.Data))
			}
		case <-timeout.C:
			t.Fatalf("no SubscribeToShardEvent within 10s over h2c (got %v, err %v)", got, stream.Err())
		}
	}
	if got[0] != "fan-1" || got[1] != "fan-2" {
		t.Errorf("SubscribeToShard records: %v", got)
	}
	if err := stream.Close(); err != nil {
		t.Errorf("closing the event stream: %v", err)
	}
	rec.check(t, 4)

	// The handler goes on serving on the same client after the stream.
	if _, err := c.ListStreams(ctx, &awskinesis.ListStreamsInput{}); err != nil {
		t.Errorf("ListStreams after SubscribeToShard: %v", err)
	}
}

// Over h2c too, a body announced larger than MaxRequestBytes is refused
// with 413 while the client is still (not) sending it.
func TestH2COversizedBodyAnsweredEarly(t *testing.T) {
	const limit = 64 << 10
	e := newEnv(t, Config{MaxRequestBytes: limit})
	e.mustCreate("lim", 1)
	hc, _ := h2cClient(t)
	for _, n := range []int64{10 << 20, limit + 1} {
		pr, pw := io.Pipe()
		go func() {
			pw.Write([]byte(`{"StreamName":"lim","PartitionKey":"p","Data":"`)) // then stall
		}()
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		req, err := http.NewRequestWithContext(rctx, "POST", e.url+"/", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = n
		req.Header.Set("Content-Type", contentJSON)
		req.Header.Set("X-Amz-Target", "Kinesis_20131202.PutRecord")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20150101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abcd")
		req.Header.Set("X-Amz-Date", "20150101T000000Z")
		resp, err := hc.Do(req)
		if err != nil {
			t.Errorf("Content-Length %d over h2c, body stalled: no answer: %v", n, err)
		} else {
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.ProtoMajor != 2 {
				t.Errorf("Content-Length %d over h2c: %s %d, want HTTP/2 413", n, resp.Proto, resp.StatusCode)
			}
		}
		cancel()
		pw.CloseWithError(errors.New("test over"))
	}
	// The connection and the handler go on serving.
	c := newClient(e.url, hc, aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"})
	if _, err := c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("lim"), PartitionKey: aws.String("p"), Data: []byte("after")}); err != nil {
		t.Errorf("PutRecord after the 413s: %v", err)
	}
}
