package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// SensorList is the answer to GET /api/v1/sensors.
type SensorList struct {
	Sensors []Sensor `json:"sensors"`
}

// Sensor is one attached sensor and how it is doing.
type Sensor struct {
	Name   string `json:"name"`
	Driver string `json:"driver"`
	Stream string `json:"stream"`
	// State: starting, ok, failing (retrying with backoff) or stopped.
	State         string          `json:"state"`
	LastReading   json.RawMessage `json:"last_reading,omitempty"`
	LastTime      time.Time       `json:"last_time,omitzero"`
	Readings      int64           `json:"readings"`
	Appended      int64           `json:"appended"`
	Errors        int64           `json:"errors"`
	AppendErrors  int64           `json:"append_errors"`
	Dropped       int64           `json:"dropped"`
	LastError     string          `json:"last_error,omitempty"`
	LastErrorTime time.Time       `json:"last_error_at,omitzero"`
}

// ListSensors returns every configured sensor.
func (c *Client) ListSensors(ctx context.Context) ([]Sensor, error) {
	var l SensorList
	err := c.do(ctx, http.MethodGet, "/api/v1/sensors", nil, &l)
	return l.Sensors, err
}
