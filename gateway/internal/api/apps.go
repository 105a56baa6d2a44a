package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Error codes of the apps API.
const (
	CodeAppNotFound = "AppNotFound"
	CodeAppExists   = "AppExists"
	CodeInvalidSQL  = "InvalidSQL"
)

// AppList is the answer to GET /api/v1/apps.
type AppList struct {
	Apps []App `json:"apps"`
}

// CreateApp is the body of POST /api/v1/apps, and of POST /api/v1/sql
// (an ad-hoc query: Name is not used).
type CreateApp struct {
	Name string `json:"name"`
	SQL  string `json:"sql"`
	From string `json:"from,omitempty"` // latest (default) | trim_horizon
}

// App is one continuous query and its counters.
type App struct {
	Name        string    `json:"name"`
	SQL         string    `json:"sql"`
	From        string    `json:"from"`
	Origin      string    `json:"origin"` // config | api
	Source      string    `json:"source"`
	Output      string    `json:"output,omitempty"`
	Topics      []string  `json:"topics,omitempty"`
	State       string    `json:"state"` // running | stopped | failed
	RecordsIn   int64     `json:"records_in"`
	RecordsOut  int64     `json:"records_out"`
	Published   int64     `json:"published"`
	Errors      int64     `json:"errors"`
	Late        int64     `json:"late_records"`
	LimitHits   int64     `json:"limit_hits"` // records refused by a memory cap
	StateSize   int       `json:"state_size"`
	LagMillis   int64     `json:"lag_ms"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

func appPath(name string) string { return "/api/v1/apps/" + url.PathEscape(name) }

// ListApps returns every app.
func (c *Client) ListApps(ctx context.Context) ([]App, error) {
	var l AppList
	err := c.do(ctx, http.MethodGet, "/api/v1/apps", nil, &l)
	return l.Apps, err
}

// CreateApp starts a new app (kept across restarts).
func (c *Client) CreateApp(ctx context.Context, a CreateApp) (App, error) {
	var out App
	err := c.do(ctx, http.MethodPost, "/api/v1/apps", a, &out)
	return out, err
}

// DescribeApp returns one app.
func (c *Client) DescribeApp(ctx context.Context, name string) (App, error) {
	var out App
	err := c.do(ctx, http.MethodGet, appPath(name), nil, &out)
	return out, err
}

// StopApp stops an app (it resumes from its checkpoints on start).
func (c *Client) StopApp(ctx context.Context, name string) (App, error) {
	var out App
	err := c.do(ctx, http.MethodPost, appPath(name)+"/stop", nil, &out)
	return out, err
}

// StartApp starts a stopped app.
func (c *Client) StartApp(ctx context.Context, name string) (App, error) {
	var out App
	err := c.do(ctx, http.MethodPost, appPath(name)+"/start", nil, &out)
	return out, err
}

// DeleteApp stops an app made through the API and forgets it.
func (c *Client) DeleteApp(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, appPath(name), nil, nil)
}

// Query runs an ad-hoc query and calls fn with each result record (JSON)
// as the gateway streams them, until ctx ends or fn returns an error.
func (c *Client) Query(ctx context.Context, q CreateApp, fn func(json.RawMessage) error) error {
	body, _ := json.Marshal(q)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("/api/v1/sql", nil), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return decodeError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if err := fn(json.RawMessage(sc.Bytes())); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil && err != io.EOF {
		return fmt.Errorf("reading results: %w", err)
	}
	return ctx.Err()
}
