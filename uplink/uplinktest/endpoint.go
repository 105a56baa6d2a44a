// Package uplinktest is a receiver for Firehose's HTTP endpoint delivery
// contract (kinesis.md §4), for the tests of deliveries at every level:
// the uplink package, the gateway, the CLI, kill -9 runs.
package uplinktest

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Request is one request the endpoint received.
type Request struct {
	ID, AccessKey, Encoding, SourceARN, Attributes string
	Status                                         int      // what the endpoint answered
	Data                                           []string // the records' data
}

// Endpoint checks each request against the contract (request id header
// and body agree, protocol version, content type; gzip decoded) and
// answers 200 echoing the request id, unless it is down (503) or Fail
// says otherwise. Status 299 stands for a 200 that does not echo the id.
type Endpoint struct {
	*httptest.Server
	mu       sync.Mutex
	requests []Request
	records  []string // data of accepted requests, in arrival order
	fail     func(n int, r *http.Request) int
	down     bool
	stall    chan struct{} // non-nil: accepted requests wait for it to close
	watch    func(data string)
	judge    func(data []string) int
}

// SetJudge makes a request answered with judge(its records' data) when
// that is not 0 (after SetFail's verdict).
func (e *Endpoint) SetJudge(judge func(data []string) int) {
	e.mu.Lock()
	e.judge = judge
	e.mu.Unlock()
}

// Watch calls fn with each record the endpoint accepts from now on, as it
// accepts it (fn must be quick; it runs under the endpoint's lock).
func (e *Endpoint) Watch(fn func(data string)) {
	e.mu.Lock()
	e.watch = fn
	e.mu.Unlock()
}

// Start runs an endpoint on loopback until t ends.
func Start(t testing.TB) *Endpoint {
	e := &Endpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.Close)
	return e
}

// SetFail makes request n (0-based) answered with fail(n, r) when that is
// not 0.
func (e *Endpoint) SetFail(fail func(n int, r *http.Request) int) {
	e.mu.Lock()
	e.fail = fail
	e.mu.Unlock()
}

// SetDown makes the endpoint answer 503 to everything while down.
func (e *Endpoint) SetDown(down bool) {
	e.mu.Lock()
	e.down = down
	e.mu.Unlock()
}

// SetStall makes the endpoint accept requests (their records count as
// arrived) but hold the answer until the stall ends or the client goes
// away: the sender's crash between upload and confirmation.
func (e *Endpoint) SetStall(stall bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case stall && e.stall == nil:
		e.stall = make(chan struct{})
	case !stall && e.stall != nil:
		close(e.stall)
		e.stall = nil
	}
}

// Snapshot returns the requests so far and the data of the accepted ones,
// in arrival order.
func (e *Endpoint) Snapshot() ([]Request, []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Request(nil), e.requests...), append([]string(nil), e.records...)
}

// Distinct is how many different records the endpoint has accepted: a
// resend across a restart (at least once) is counted once.
func (e *Endpoint) Distinct() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := make(map[string]bool, len(e.records))
	for _, r := range e.records {
		seen[r] = true
	}
	return len(seen)
}

// Accepted is how many records the endpoint has accepted.
func (e *Endpoint) Accepted() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.records)
}

func (e *Endpoint) serve(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = gz
	}
	var req struct {
		RequestID string `json:"requestId"`
		Timestamp int64  `json:"timestamp"`
		Records   []struct {
			Data []byte `json:"data"`
		} `json:"records"`
	}
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		http.Error(w, "bad body: "+err.Error(), 400)
		return
	}
	e.mu.Lock()
	locked := true
	defer func() {
		if locked {
			e.mu.Unlock()
		}
	}()
	rec := Request{ID: r.Header.Get("X-Amz-Firehose-Request-Id"), AccessKey: r.Header.Get("X-Amz-Firehose-Access-Key"),
		Encoding: r.Header.Get("Content-Encoding"), SourceARN: r.Header.Get("X-Amz-Firehose-Source-Arn"),
		Attributes: r.Header.Get("X-Amz-Firehose-Common-Attributes"), Status: 200}
	for _, x := range req.Records {
		rec.Data = append(rec.Data, string(x.Data))
	}
	switch {
	case req.RequestID != rec.ID || r.Header.Get("X-Amz-Firehose-Protocol-Version") != "1.0" || r.Header.Get("Content-Type") != "application/json":
		rec.Status = 400
	case e.down:
		rec.Status = 503
	case e.fail != nil && e.fail(len(e.requests), r) != 0:
		rec.Status = e.fail(len(e.requests), r)
	case e.judge != nil && e.judge(rec.Data) != 0:
		rec.Status = e.judge(rec.Data)
	}
	e.requests = append(e.requests, rec)
	switch rec.Status {
	case 200:
		e.records = append(e.records, rec.Data...)
		if e.watch != nil {
			for _, d := range rec.Data {
				e.watch(d)
			}
		}
		if stall := e.stall; stall != nil {
			e.mu.Unlock()
			locked = false
			select {
			case <-stall:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"requestId":%q,"timestamp":%d}`, req.RequestID, time.Now().UnixMilli())
	case 299: // a 200 that does not echo the request id
		w.Write([]byte(`{"requestId":"someone-else"}`))
	case 302:
		w.Header().Set("Location", "/elsewhere")
		w.WriteHeader(302)
	default:
		w.WriteHeader(rec.Status)
		fmt.Fprintf(w, `{"requestId":%q,"errorMessage":"refused"}`, req.RequestID)
	}
}
