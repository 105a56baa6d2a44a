package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client talks to a gateway's admin API.
type Client struct {
	Base string       // e.g. http://127.0.0.1:4567
	HTTP *http.Client // default http.DefaultClient
}

// APIError is an error answer from the gateway.
type APIError struct {
	Status int
	ErrorBody
}

func (e *APIError) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) url(path string, q url.Values) string {
	u := strings.TrimRight(c.Base, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// do sends a JSON request and decodes a JSON answer into out (if non-nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path, nil), body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the gateway at %s: %w", c.Base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e Error
	if json.Unmarshal(b, &e) == nil && e.Err.Code != "" {
		return &APIError{Status: resp.StatusCode, ErrorBody: e.Err}
	}
	return &APIError{Status: resp.StatusCode, ErrorBody: ErrorBody{Code: http.StatusText(resp.StatusCode), Message: strings.TrimSpace(string(b))}}
}

func streamPath(name string) string { return "/api/v1/streams/" + url.PathEscape(name) }

// ListStreams returns every stream.
func (c *Client) ListStreams(ctx context.Context) ([]Stream, error) {
	var l StreamList
	err := c.do(ctx, http.MethodGet, "/api/v1/streams", nil, &l)
	return l.Streams, err
}

// CreateStream creates a stream.
func (c *Client) CreateStream(ctx context.Context, req CreateStream) (Stream, error) {
	var s Stream
	err := c.do(ctx, http.MethodPost, "/api/v1/streams", req, &s)
	return s, err
}

// DescribeStream returns one stream with its shards.
func (c *Client) DescribeStream(ctx context.Context, name string) (Stream, error) {
	var s Stream
	err := c.do(ctx, http.MethodGet, streamPath(name), nil, &s)
	return s, err
}

// UpdateStream changes a stream's settings.
func (c *Client) UpdateStream(ctx context.Context, name string, req UpdateStream) (Stream, error) {
	var s Stream
	err := c.do(ctx, http.MethodPatch, streamPath(name), req, &s)
	return s, err
}

// DeleteStream deletes a stream.
func (c *Client) DeleteStream(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, streamPath(name), nil, nil)
}

// PutRecords appends records; per-record failures are in the result.
func (c *Client) PutRecords(ctx context.Context, stream string, recs []PutRecord) (PutRecordsResult, error) {
	var r PutRecordsResult
	err := c.do(ctx, http.MethodPost, streamPath(stream)+"/records", PutRecords{Records: recs}, &r)
	return r, err
}

// TailOptions select where GetRecords starts and whether it follows.
type TailOptions struct {
	From   string // trim_horizon (default), latest, a sequence number, RFC 3339 time or a duration ago ("10m")
	Follow bool
	Limit  int
	Shard  string
}

// Tail streams records to fn until the stream's current end (or, with
// Follow, until ctx is done or fn returns an error).
func (c *Client) Tail(ctx context.Context, stream string, o TailOptions, fn func(Record) error) error {
	q := url.Values{}
	if o.From != "" {
		q.Set("from", o.From)
	}
	if o.Follow {
		q.Set("follow", "true")
	}
	if o.Limit > 0 {
		q.Set("limit", fmt.Sprint(o.Limit))
	}
	if o.Shard != "" {
		q.Set("shard", o.Shard)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(streamPath(stream)+"/records", q), nil)
	if err != nil {
		return err
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the gateway at %s: %w", c.Base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		if bytes.HasPrefix(line, []byte(`{"error"`)) {
			var e Error
			if json.Unmarshal(line, &e) == nil {
				return &APIError{Status: 500, ErrorBody: e.Err}
			}
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("bad record line from gateway: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
		return err
	}
	return nil
}

// Health fetches /healthz.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	err := c.do(ctx, http.MethodGet, "/healthz", nil, &h)
	return h, err
}
