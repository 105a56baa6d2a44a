package kinesis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"

	"github.com/tributary-edge/tributary/gateway/internal/kinesis/kinesistest"
	"github.com/tributary-edge/tributary/spool"
)

// testClock is a settable clock for iterator and token expiry. It runs
// with the wall clock unless frozen.
type testClock struct {
	mu     sync.Mutex
	off    time.Duration
	frozen time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen.IsZero() {
		return c.frozen.Add(c.off)
	}
	return time.Now().Add(c.off)
}

// Freeze stops the clock at now; Advance still moves it.
func (c *testClock) Freeze() {
	c.mu.Lock()
	c.frozen = time.Now()
	c.mu.Unlock()
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// env is a handler over a fresh spool, served on loopback with HTTP/1.1
// and h2c, and an AWS SDK client pointed at it.
type env struct {
	t      *testing.T
	sp     *spool.Spool
	h      *Handler
	url    string
	clock  *testClock
	client *awskinesis.Client
	http   *http.Client
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	sp, err := spool.Open(spool.Options{Dir: t.TempDir(), MinFreeDisk: -1, GCInterval: -1, Durability: spool.DurabilityNone})
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	h, err := New(sp, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(func() {
		h.Close()
		srv.Close()
		sp.Close()
	})
	e := &env{t: t, sp: sp, h: h, url: srv.URL, clock: clock, http: srv.Client()}
	e.client = newClient(srv.URL, srv.Client(), aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"})
	return e
}

func newClient(url string, hc *http.Client, creds aws.Credentials) *awskinesis.Client {
	return kinesistest.NewClient(url, hc, creds)
}

// apiCode returns the Kinesis error type of err ("" for nil).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "not an API error: " + err.Error()
	}
	return ""
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// rawResponse is a response to a hand-made request.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// raw sends a request with the given target, content type and body, and a
// well-formed (unverified) Authorization header unless noAuth.
func (e *env) raw(method, target, ctype string, body []byte, noAuth bool) rawResponse {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+"/", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if !noAuth {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20150101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abcd")
		req.Header.Set("X-Amz-Date", "20150101T000000Z")
	}
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{resp.StatusCode, resp.Header, b}
}

// call sends a JSON request to an operation and decodes the JSON answer.
func (e *env) call(op string, in any) (int, map[string]any) {
	e.t.Helper()
	b, _ := json.Marshal(in)
	r := e.raw("POST", "Kinesis_20131202."+op, contentJSON, b, false)
	var out map[string]any
	if len(r.body) > 0 {
		if err := json.Unmarshal(r.body, &out); err != nil {
			e.t.Fatalf("%s: response is not JSON: %q", op, r.body)
		}
	}
	return r.status, out
}

func (e *env) mustCreate(name string, shards int32) {
	e.t.Helper()
	_, err := e.client.CreateStream(context.Background(), &awskinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)})
	if err != nil {
		e.t.Fatalf("CreateStream %s: %v", name, err)
	}
}
