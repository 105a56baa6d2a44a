package clips

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"time"
)

// HTTPDest POSTs each clip to URL: the file as the body (Content-Type
// video/mp4 or video/webm, a known Content-Length), with
//
//	Idempotency-Key            UUID-shaped digest of the object key, the
//	                           same on every attempt and after a restart
//	X-Tributary-Key            the object key (see the package doc)
//	X-Tributary-Kind           event or recording
//	X-Tributary-Rule, -Camera, -Trigger-Stream, -Trigger-Seq,
//	-Trigger-Time, -Triggers, -Last-Trigger-Seq, -Clip-Start, -Clip-End,
//	-First-Fragment, -Last-Fragment
//	X-Tributary-Trigger        the trigger record, cut to MaxHeaderTrigger
//	                           (X-Tributary-Trigger-Truncated: true), in
//	                           base64 when it is not printable ASCII
//	                           (X-Tributary-Trigger-Encoding: base64)
//
// plus Headers. Times are RFC 3339 in UTC with milliseconds; the camera
// and trigger stream names are percent-encoded where needed (bytes outside
// printable ASCII, and '%', as %XX: url.PathUnescape restores them). A 2xx answer means done; 408, 429,
// other statuses, timeouts and network errors are retried; any other 4xx
// is permanent (the clip is skipped, counted and logged with the status
// and the start of the answer). Redirects are not followed.
type HTTPDest struct {
	URL     string
	Headers map[string]string // added to every request (e.g. Authorization)
	// Client defaults to one that waits up to 3 minutes for an answer once
	// the body is sent (sending is not timed: under a link cap a clip
	// takes its time) and follows no redirect.
	Client *http.Client
}

var defaultHTTPClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		ResponseHeaderTimeout: 3 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Upload implements Destination.
func (d *HTTPDest) Upload(ctx context.Context, o *Object) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, o.body(ctx))
	if err != nil {
		return fmt.Errorf("%w: http: %v", ErrPermanent, err)
	}
	req.ContentLength = o.Size
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(o.body(ctx)), nil }
	for k, v := range d.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", o.ContentType)
	req.Header.Set("Idempotency-Key", o.IdempotencyKey())
	req.Header.Set("X-Tributary-Key", o.Key) // ASCII by construction
	for _, p := range o.Meta.pairs(MaxHeaderTrigger, 0) {
		req.Header.Set(textproto.CanonicalMIMEHeaderKey("X-Tributary-"+p.name), p.value)
	}
	c := d.Client
	if c == nil {
		c = defaultHTTPClient
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("http post %s: %w", o.Key, err)
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	resp.Body.Close()
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return nil
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		return fmt.Errorf("%w: http post %s: %d: %s", ErrPermanent, o.Key, code, answer(snippet))
	}
	return fmt.Errorf("http post %s: %d: %s", o.Key, code, answer(snippet))
}

// answer is the start of a response body, fit for a log line.
func answer(b []byte) string {
	s := strings.TrimSpace(string(b))
	if !printable([]byte(s)) {
		return fmt.Sprintf("(%d bytes)", len(b))
	}
	return s
}
