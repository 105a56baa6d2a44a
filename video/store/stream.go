package store

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxStreamName is the longest stream name, in bytes.
const MaxStreamName = 255

// ValidateStreamName reports whether name can name a video stream: 1 to
// MaxStreamName bytes of UTF-8.
func ValidateStreamName(name string) error {
	if name == "" || len(name) > MaxStreamName || !utf8.ValidString(name) {
		return fmt.Errorf("%w: stream name %q (want 1–%d bytes of UTF-8)", ErrInvalidArgument, name, MaxStreamName)
	}
	return nil
}

// stream is one video stream's in-memory state.
type stream struct {
	id   uint32
	name string

	// putMu serializes changes to the stream's fragments (Put, retention,
	// deletion); it is held across the commit.
	putMu sync.Mutex

	mu      sync.Mutex // guards the fields below; held only briefly
	limits  Limits
	st      stats
	oldest  pos // valid when st.count > 0
	newest  pos // valid when st.count > 0
	deleted bool
}

// pos is a place in a stream's index: server time (Unix ns) and number,
// ordered as index keys are.
type pos struct {
	ns     int64
	number uint64
}

func (p pos) less(q pos) bool {
	return p.ns < q.ns || p.ns == q.ns && p.number < q.number
}

// stats is what the 's' key holds. Every transaction that adds or removes
// fragments rewrites it, so it always agrees with the index.
//
//	version:u8=1 next:u64 bytes:u64 count:u64 maxDuration:i64 lastNs:i64
//
// lastNs is the server time of fragment next-1, the last one Put.
type stats struct {
	next   uint64 // the next fragment number; 1 for a new stream
	bytes  int64
	count  int64
	maxDur time.Duration // longest duration ever stored: bounds List's look-back
	lastNs int64
}

const statsVersion = 1

func (s stats) encode() []byte {
	b := make([]byte, 0, 41)
	b = append(b, statsVersion)
	b = binary.BigEndian.AppendUint64(b, s.next)
	b = binary.BigEndian.AppendUint64(b, uint64(s.bytes))
	b = binary.BigEndian.AppendUint64(b, uint64(s.count))
	b = binary.BigEndian.AppendUint64(b, uint64(s.maxDur))
	return binary.BigEndian.AppendUint64(b, uint64(s.lastNs))
}

func decodeStats(b []byte) (stats, error) {
	if len(b) != 41 || b[0] != statsVersion {
		return stats{}, fmt.Errorf("%w: stats value of %d bytes", ErrCorrupt, len(b))
	}
	s := stats{
		next:   binary.BigEndian.Uint64(b[1:]),
		bytes:  int64(binary.BigEndian.Uint64(b[9:])),
		count:  int64(binary.BigEndian.Uint64(b[17:])),
		maxDur: time.Duration(binary.BigEndian.Uint64(b[25:])),
		lastNs: int64(binary.BigEndian.Uint64(b[33:])),
	}
	if s.bytes < 0 || s.count < 0 || s.maxDur < 0 || s.next == 0 {
		return stats{}, fmt.Errorf("%w: stats value out of range", ErrCorrupt)
	}
	return s, nil
}

// The 'm' value:
//
//	version:u8=1 maxAge:i64 maxBytes:i64 policy:u8 name:(the rest)
const metaVersion = 1

func encodeMeta(name string, l Limits) []byte {
	b := make([]byte, 0, 18+len(name))
	b = append(b, metaVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(l.MaxAge))
	b = binary.BigEndian.AppendUint64(b, uint64(l.MaxBytes))
	b = append(b, byte(l.Policy))
	return append(b, name...)
}

func decodeMeta(b []byte) (string, Limits, error) {
	if len(b) < 18 || b[0] != metaVersion {
		return "", Limits{}, fmt.Errorf("%w: stream meta of %d bytes", ErrCorrupt, len(b))
	}
	l := Limits{
		MaxAge:   time.Duration(binary.BigEndian.Uint64(b[1:])),
		MaxBytes: int64(binary.BigEndian.Uint64(b[9:])),
		Policy:   Policy(b[17]),
	}
	name := string(b[18:])
	if err := l.validate(); err != nil {
		return "", Limits{}, fmt.Errorf("%w: stream meta: %v", ErrCorrupt, err)
	}
	if err := ValidateStreamName(name); err != nil {
		return "", Limits{}, fmt.Errorf("%w: stream meta: %v", ErrCorrupt, err)
	}
	return name, l, nil
}
