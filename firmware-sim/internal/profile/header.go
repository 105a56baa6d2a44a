package profile

import (
	"encoding/json"
	"fmt"
	"time"
)

// Header is the part of every sequenced payload that identifies it.
type Header struct {
	DeviceID string    `json:"device_id"`
	RunID    string    `json:"run"`
	Seq      uint64    `json:"seq"`
	TS       time.Time `json:"ts"`
	Profile  string    `json:"profile"`
}

// ParseHeader decodes the header of a sequenced message. It returns an
// error wrapping ErrNotSimMessage when data is not a JSON object, or has
// no device_id, run or seq >= 1 (as malformed and oversize payloads, and
// other producers' records).
func ParseHeader(data []byte) (Header, error) {
	var h Header
	if err := json.Unmarshal(data, &h); err != nil {
		return Header{}, fmt.Errorf("%w: %v", ErrNotSimMessage, err)
	}
	if h.DeviceID == "" || h.RunID == "" || h.Seq == 0 {
		return Header{}, fmt.Errorf("%w: device_id, run and seq >= 1 are required", ErrNotSimMessage)
	}
	return h, nil
}
