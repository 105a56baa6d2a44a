package uplink

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// HTTPSink delivers to an HTTP endpoint with Firehose's HTTP endpoint
// delivery contract (kinesis.md §4): a POST of
//
//	{"requestId":"…","timestamp":<ms>,"records":[{"data":"<base64>"},…]}
//
// with the X-Amz-Firehose-* headers. Only a 200 whose JSON body echoes
// the request id confirms a batch; 413 is permanent; anything else —
// 3xx (not followed), 4xx, 5xx, a malformed answer, a timeout — is
// retried. The request id is derived from the batch identity, so it is
// the same on every retry and after a restart.
type HTTPSink struct {
	URL        string
	AccessKey  string            // X-Amz-Firehose-Access-Key, sent verbatim
	Attributes map[string]string // X-Amz-Firehose-Common-Attributes
	SourceARN  string            // X-Amz-Firehose-Source-Arn
	Gzip       bool              // Content-Encoding: gzip
	Client     *http.Client      // default: 3-minute timeout, no redirects
}

var errAbandoned = errors.New("request abandoned")

// HTTPMaxRecords is the contract's limit of records per request.
const HTTPMaxRecords = 10000

// MaxRecords reports the contract's per-request limit to the delivery.
func (s *HTTPSink) MaxRecords() int { return HTTPMaxRecords }

// requestID is a UUID-shaped digest of the batch identity.
func requestID(b *Batch) string {
	s := sha256.Sum256([]byte(b.ID()))
	h := hex.EncodeToString(s[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// defaultHTTPClient waits up to 3 minutes for an answer once the body is
// sent (the contract's timeout). Sending the body is not timed: under a
// bandwidth cap a large batch may take longer than that to upload.
var defaultHTTPClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		ResponseHeaderTimeout: 3 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // a 3xx is an answer, retried
	},
}

// Send implements Sink.
func (s *HTTPSink) Send(ctx context.Context, b *Batch) error {
	id := requestID(b)
	pr, pw := io.Pipe()
	written := make(chan struct{})
	var writeErr error
	go func() {
		defer close(written)
		writeErr = s.writeBody(ctx, pw, b, id)
		pw.CloseWithError(writeErr)
	}()
	// The body writer is done before Send returns (it reads the spool and
	// sets the batch's Seen count).
	finish := func() error {
		pr.CloseWithError(errAbandoned)
		<-written
		return writeErr
	}
	defer finish()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, pr)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Firehose-Protocol-Version", "1.0")
	h.Set("X-Amz-Firehose-Request-Id", id)
	if s.SourceARN != "" {
		h.Set("X-Amz-Firehose-Source-Arn", s.SourceARN)
	}
	if s.AccessKey != "" {
		h.Set("X-Amz-Firehose-Access-Key", s.AccessKey)
	}
	if len(s.Attributes) > 0 {
		a, _ := json.Marshal(map[string]any{"commonAttributes": s.Attributes})
		h.Set("X-Amz-Firehose-Common-Attributes", string(a))
	}
	if s.Gzip {
		h.Set("Content-Encoding", "gzip")
	}
	c := s.Client
	if c == nil {
		c = defaultHTTPClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", s.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("%w: %s answered 413 for request %s: %s", ErrPermanent, s.URL, id, truncate(body))
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%s answered %d for request %s: %s", s.URL, resp.StatusCode, id, truncate(body))
	}
	var ans struct {
		RequestID    string `json:"requestId"`
		ErrorMessage string `json:"errorMessage"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || ans.RequestID != id {
		return fmt.Errorf("%s answered 200 for request %s without echoing its requestId (treated as 500): %s", s.URL, id, truncate(body))
	}
	if err := finish(); err != nil {
		return fmt.Errorf("%s answered 200 for request %s before the whole body was sent (treated as 500): %v", s.URL, id, err)
	}
	return nil
}

// writeBody streams the request body from the spool.
func (s *HTTPSink) writeBody(ctx context.Context, w io.Writer, b *Batch, id string) error {
	var gz *gzip.Writer
	if s.Gzip {
		gz = gzip.NewWriter(w)
		w = gz
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"requestId":"` + id + `","timestamp":` + strconv.FormatInt(b.Oldest.UnixMilli(), 10) + `,"records":[`)
	n := 0
	var scratch []byte
	err := b.Each(ctx, func(r spool.StoredRecord) error {
		scratch = scratch[:0]
		if n > 0 {
			scratch = append(scratch, ',')
		}
		n++
		scratch = append(scratch, `{"data":"`...)
		scratch = base64.StdEncoding.AppendEncode(scratch, r.Data)
		scratch = append(scratch, `"}`...)
		_, err := bw.Write(scratch)
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString("]}")
	if err := bw.Flush(); err != nil {
		return err
	}
	if gz != nil {
		return gz.Close()
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
