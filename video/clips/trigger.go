package clips

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// trigger is one record of a trigger stream.
type trigger struct {
	seq     string
	t       time.Time // the time the clip is cut around
	arrival time.Time
	data    []byte
	badTime bool // TimeField was set but gave no time: t is the arrival
}

func newTrigger(rec spool.StoredRecord, field string) trigger {
	tr := trigger{seq: rec.SequenceNumber(), t: rec.Arrival, arrival: rec.Arrival, data: rec.Data}
	if field != "" {
		if t, ok := TriggerTime(rec.Data, field); ok {
			tr.t = t
		} else {
			tr.badTime = true
		}
	}
	return tr
}

// Epoch magnitudes: a number below 1e11 is seconds (until the year 5138),
// below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds.
const (
	epochMs = 1e11
	epochUs = 1e14
	epochNs = 1e17
)

// TriggerTime reads the time in the top-level field of a JSON object: an
// RFC 3339 string, or a positive epoch time in seconds, milliseconds,
// microseconds or nanoseconds (told apart by magnitude), as a JSON number
// or a numeric string. ok is false when data is not a JSON object, the
// field is missing, or its value is none of these.
func TriggerTime(data []byte, field string) (time.Time, bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return time.Time{}, false
	}
	raw, ok := obj[field]
	if !ok {
		return time.Time{}, false
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return time.Time{}, false
		}
		s = strings.TrimSpace(s)
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return inRange(t)
		}
		return epochTime(s)
	}
	return epochTime(string(raw))
}

// epochTime parses a decimal epoch time (see TriggerTime).
func epochTime(s string) (time.Time, bool) {
	var t time.Time
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case i <= 0:
			return time.Time{}, false
		case i < epochMs:
			t = time.Unix(i, 0)
		case i < epochUs:
			t = time.UnixMilli(i)
		case i < epochNs:
			t = time.UnixMicro(i)
		default:
			t = time.Unix(0, i)
		}
	} else {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || f <= 0 || f >= math.MaxInt64 {
			return time.Time{}, false
		}
		switch {
		case f < epochMs:
		case f < epochUs:
			f /= 1e3
		case f < epochNs:
			f /= 1e6
		default:
			f /= 1e9
		}
		sec := math.Floor(f)
		t = time.Unix(int64(sec), int64((f-sec)*1e9))
	}
	return inRange(t)
}

// inRange returns t in UTC if Unix nanoseconds can hold it (1678–2262, the
// store's range), else false.
func inRange(t time.Time) (time.Time, bool) {
	if t.Before(minTime) || t.After(maxTime) {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// The times Unix nanoseconds can hold, less a day each side so that a
// clip's window around them is still in range.
var (
	minTime = time.Unix(0, math.MinInt64).Add(24 * time.Hour)
	maxTime = time.Unix(0, math.MaxInt64).Add(-24 * time.Hour)
)
