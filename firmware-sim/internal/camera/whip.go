package camera

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxAnswer caps the SDP answer read from a WHIP server; maxErrorBody
// caps the part of an error response quoted in errors.
const (
	maxAnswer    = 64 << 10
	maxErrorBody = 512
)

// whipClient speaks the HTTP side of WHIP (RFC 9725).
type whipClient struct {
	http  *http.Client
	token string // bearer token, RFC 9725 §4.1 and RFC 6750 §2.1; "" = none
}

func (w *whipClient) newRequest(ctx context.Context, method, target string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWHIP, err)
	}
	if w.token != "" {
		req.Header.Set("Authorization", "Bearer "+w.token)
	}
	return req, nil
}

// offer POSTs an SDP offer to the WHIP endpoint (RFC 9725 §4.2) and
// returns the SDP answer and the session's resource URL: the Location of
// the 201 response, resolved against the URL that answered (after any
// redirect, §4.5). Any other status is a *StatusError.
func (w *whipClient) offer(ctx context.Context, endpoint, sdp string) (answer, resource string, err error) {
	req, err := w.newRequest(ctx, http.MethodPost, endpoint, strings.NewReader(sdp))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Accept", "application/sdp")
	resp, err := w.http.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("%w: %v", ErrWHIP, err)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return "", "", statusError(http.MethodPost, endpoint, resp)
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", "", fmt.Errorf("%w: POST %s: 201 without a Location header", ErrWHIP, endpoint)
	}
	u, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return "", "", fmt.Errorf("%w: POST %s: Location %q: %v", ErrWHIP, endpoint, loc, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/sdp") {
		return "", "", fmt.Errorf("%w: POST %s: answer of type %q, want application/sdp", ErrWHIP, endpoint, ct)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	switch {
	case err != nil:
		return "", "", fmt.Errorf("%w: POST %s: reading the answer: %v", ErrWHIP, endpoint, err)
	case len(b) > maxAnswer:
		return "", "", fmt.Errorf("%w: POST %s: answer larger than %d bytes", ErrWHIP, endpoint, maxAnswer)
	}
	return string(b), u.String(), nil
}

// delete ends the session at resource (RFC 9725 §4.3). Any 2xx is
// success; other statuses are a *StatusError.
func (w *whipClient) delete(ctx context.Context, resource string) error {
	req, err := w.newRequest(ctx, http.MethodDelete, resource, nil)
	if err != nil {
		return err
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrWHIP, err)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode/100 != 2 {
		return statusError(http.MethodDelete, resource, resp)
	}
	return nil
}

// statusError reads the start of resp's body into a *StatusError.
func statusError(method, target string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	body := strings.TrimSpace(strings.ToValidUTF8(string(b), string(utf8.RuneError)))
	body = strings.Join(strings.Fields(body), " ") // one line
	return &StatusError{Method: method, URL: redact(target), Code: resp.StatusCode, Status: resp.Status, Body: body}
}

// redact drops the user info and query of a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

func drainClose(rc io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(rc, 64<<10))
	_ = rc.Close()
}
