package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Record is one line of the NDJSON answer to
// GET /api/v1/streams/{name}/records (the gateway's api.Record; Data is
// base64 in JSON).
type Record struct {
	Stream         string    `json:"stream"`
	ShardID        string    `json:"shard_id"`
	SequenceNumber string    `json:"sequence_number"`
	PartitionKey   string    `json:"partition_key"`
	Arrival        time.Time `json:"arrival"`
	Data           []byte    `json:"data"`
}

// Stream is the part of GET /api/v1/streams/{name} the verifier reports.
type Stream struct {
	Name    string  `json:"name"`
	Shards  []Shard `json:"shards"`
	Records int64   `json:"records"`
}

// Shard is one shard of a Stream.
type Shard struct {
	ID string `json:"shard_id"`
}

// apiError is the gateway's error envelope, {"error":{"code","message"}}.
type apiError struct {
	Err *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Client reads a stream through a gateway's admin API.
type Client struct {
	Base string       // e.g. http://127.0.0.1:4567
	HTTP *http.Client // default http.DefaultClient
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) streamURL(stream string) string {
	return strings.TrimRight(c.Base, "/") + "/api/v1/streams/" + url.PathEscape(stream)
}

// get sends a GET and returns the response when its status is 2xx.
func (c *Client) get(ctx context.Context, u, stream string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the gateway at %s: %w", c.Base, err)
	}
	if resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e apiError
	if json.Unmarshal(b, &e) == nil && e.Err != nil {
		if resp.StatusCode == http.StatusNotFound && e.Err.Code == "StreamNotFound" {
			return nil, fmt.Errorf("%w: %q: %s", ErrStreamNotFound, stream, e.Err.Message)
		}
		return nil, fmt.Errorf("%w: %s %s: %s", ErrGateway, resp.Status, e.Err.Code, e.Err.Message)
	}
	return nil, fmt.Errorf("%w: %s: %s", ErrGateway, resp.Status, strings.TrimSpace(string(b)))
}

// Describe returns the stream's shards.
func (c *Client) Describe(ctx context.Context, stream string) (Stream, error) {
	resp, err := c.get(ctx, c.streamURL(stream), stream)
	if err != nil {
		return Stream{}, err
	}
	defer resp.Body.Close()
	var s Stream
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return Stream{}, fmt.Errorf("%w: describing %q: %v", ErrGateway, stream, err)
	}
	return s, nil
}

// Records reads the stream from trim_horizon to the current end of every
// shard and calls fn for each record in the order the gateway sends them
// (per shard, in sequence order). It returns fn's first error, an error
// wrapping ErrBadRecord for a line that is not a record, or one wrapping
// ErrIncomplete when the gateway ends the answer with an error line.
func (c *Client) Records(ctx context.Context, stream string, fn func(Record) error) error {
	resp, err := c.get(ctx, c.streamURL(stream)+"/records?from=trim_horizon", stream)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	err = decodeRecords(resp.Body, fn)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// decodeRecords reads NDJSON records from r and calls fn for each; see
// Client.Records for the errors.
func decodeRecords(r io.Reader, fn func(Record) error) error {
	dec := json.NewDecoder(r)
	for n := 1; ; n++ {
		var line struct {
			Record
			apiError
		}
		if err := dec.Decode(&line); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("%w: line %d: %v", ErrBadRecord, n, err)
		}
		if line.Err != nil {
			return fmt.Errorf("%w: %s: %s", ErrIncomplete, line.Err.Code, line.Err.Message)
		}
		if err := fn(line.Record); err != nil {
			return err
		}
	}
}
