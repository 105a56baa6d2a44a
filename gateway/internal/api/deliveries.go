package api

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// CodeDeliveryNotFound: no delivery has that name.
const CodeDeliveryNotFound = "DeliveryNotFound"

// DeliveryList is the answer to GET /api/v1/deliveries.
type DeliveryList struct {
	Deliveries []Delivery `json:"deliveries"`
}

// Delivery describes one delivery and its state.
type Delivery struct {
	Name        string    `json:"name"`
	Streams     []string  `json:"streams"`
	Destination string    `json:"destination"` // e.g. "http https://…"
	State       string    `json:"state"`       // connected | retrying | paused
	Delivered   int64     `json:"delivered_records"`
	Rate        float64   `json:"records_per_second"` // confirmed, over the last minute
	Batches     int64     `json:"batches"`
	Failed      int64     `json:"failed_records"` // sent to the error output
	Lost        int64     `json:"lost_records"`   // removed by retention before delivery
	Backlog     int64     `json:"backlog_records"`
	BacklogSize int64     `json:"backlog_bytes"` // approximate
	Oldest      time.Time `json:"oldest_undelivered,omitzero"`
	Retry       int       `json:"retry_attempt,omitempty"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

func deliveryPath(name string) string { return "/api/v1/deliveries/" + url.PathEscape(name) }

// ListDeliveries returns every delivery with its state.
func (c *Client) ListDeliveries(ctx context.Context) ([]Delivery, error) {
	var l DeliveryList
	err := c.do(ctx, http.MethodGet, "/api/v1/deliveries", nil, &l)
	return l.Deliveries, err
}

// DescribeDelivery returns one delivery.
func (c *Client) DescribeDelivery(ctx context.Context, name string) (Delivery, error) {
	var d Delivery
	err := c.do(ctx, http.MethodGet, deliveryPath(name), nil, &d)
	return d, err
}

// PauseDelivery stops a delivery sending until ResumeDelivery.
func (c *Client) PauseDelivery(ctx context.Context, name string) (Delivery, error) {
	var d Delivery
	err := c.do(ctx, http.MethodPost, deliveryPath(name)+"/pause", nil, &d)
	return d, err
}

// ResumeDelivery undoes PauseDelivery.
func (c *Client) ResumeDelivery(ctx context.Context, name string) (Delivery, error) {
	var d Delivery
	err := c.do(ctx, http.MethodPost, deliveryPath(name)+"/resume", nil, &d)
	return d, err
}
