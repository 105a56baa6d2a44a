package clips

import (
	"encoding/json"
	"fmt"
	"time"
)

// The state workers and schedulers keep in the spool beside their
// checkpoints (spool.State, committed with them in one transaction):
//
//	worker    owner "clip:<rule>",  key "clip":  {"v":1,"video_end":<RFC 3339>,"last_key":…}
//	scheduler owner "recording:<schedule>", key "checkpoint":
//	          {"v":1,"time":<RFC 3339>,"number":N,"last_key":…}
//
// video_end is the end of the last uploaded clip's video (the merge rule's
// floor); time and number are the last uploaded fragment's server time and
// number.
const stateVersion = 1

const (
	workerStateKey    = "clip"
	schedulerStateKey = "checkpoint"
)

type workerState struct {
	V        int       `json:"v"`
	VideoEnd time.Time `json:"video_end"`
	LastKey  string    `json:"last_key,omitempty"`
}

type schedulerState struct {
	V       int       `json:"v"`
	Time    time.Time `json:"time"`
	Number  uint64    `json:"number"`
	LastKey string    `json:"last_key,omitempty"`
}

func decodeWorkerState(b []byte) (workerState, error) {
	var s workerState
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("clip state: %w", err)
	}
	if s.V != stateVersion {
		return s, fmt.Errorf("clip state: version %d not supported", s.V)
	}
	return s, nil
}

func decodeSchedulerState(b []byte) (schedulerState, error) {
	var s schedulerState
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("recording state: %w", err)
	}
	if s.V != stateVersion {
		return s, fmt.Errorf("recording state: version %d not supported", s.V)
	}
	if s.Number == 0 || s.Time.IsZero() {
		return s, fmt.Errorf("recording state: no position")
	}
	return s, nil
}

// encode never fails for these types.
func encode(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
