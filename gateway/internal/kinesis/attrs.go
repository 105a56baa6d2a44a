package kinesis

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// streamAttrs is what the API keeps about a stream beyond the spool's
// own settings. It is stored as the stream's spool attributes (JSON), so
// it survives restarts and goes away with the stream.
type streamAttrs struct {
	Mode      string            `json:"mode,omitempty"` // "" = PROVISIONED
	Tags      map[string]string `json:"tags,omitempty"`
	Consumers []consumerAttr    `json:"consumers,omitempty"`
	Metrics   []string          `json:"metrics,omitempty"` // enhanced monitoring, accepted and reported
	MaxKiB    int64             `json:"max_kib,omitempty"`
}

type consumerAttr struct {
	Name      string `json:"name"`
	CreatedMs int64  `json:"created_ms"`
}

func (a streamAttrs) mode() string {
	if a.Mode == "" {
		return "PROVISIONED"
	}
	return a.Mode
}

func (a streamAttrs) consumer(name string) (consumerAttr, bool) {
	for _, c := range a.Consumers {
		if c.Name == name {
			return c, true
		}
	}
	return consumerAttr{}, false
}

func decodeAttrs(b []byte) streamAttrs {
	var a streamAttrs
	if len(b) > 0 {
		json.Unmarshal(b, &a) // unreadable attributes read as none
	}
	return a
}

// errAttrs carries an *apiError out of a spool attribute update.
type errAttrs struct{ e *apiError }

func (e errAttrs) Error() string { return e.e.Error() }

// updateAttrs applies fn to the stream's attributes atomically; fn may
// return an *apiError to refuse the change.
func (h *Handler) updateAttrs(name string, fn func(*streamAttrs) *apiError) *apiError {
	err := h.sp.UpdateAttributes(name, func(cur []byte) ([]byte, error) {
		a := decodeAttrs(cur)
		if e := fn(&a); e != nil {
			return nil, errAttrs{e}
		}
		return json.Marshal(a)
	})
	var ea errAttrs
	if errors.As(err, &ea) {
		return ea.e
	}
	return h.spoolError(err, name)
}

// ---- names, ARNs, messages ----

func (h *Handler) streamARN(name string) string {
	return fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", h.cfg.Region, h.cfg.AccountID, name)
}

func (h *Handler) consumerARN(stream string, c consumerAttr) string {
	return fmt.Sprintf("%s/consumer/%s:%d", h.streamARN(stream), c.Name, c.CreatedMs/1000)
}

// streamName returns the stream a request addresses, by StreamName or
// StreamARN (kinesis.md §2: newer SDKs and KCL may send only the ARN).
func (h *Handler) streamName(q *request) (string, *apiError) {
	name, _ := q.in["StreamName"].(string)
	arn, _ := q.in["StreamARN"].(string)
	if arn == "" {
		return name, nil
	}
	fromARN, err := h.parseStreamARN(arn)
	if err != nil {
		return "", err
	}
	if name != "" && name != fromARN {
		return "", newError(errInvalidArgument, "StreamName %s and StreamARN %s do not refer to the same stream.", name, arn)
	}
	return fromARN, nil
}

// parseStreamARN returns the stream name of an ARN of this account.
func (h *Handler) parseStreamARN(arn string) (string, *apiError) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || !strings.HasPrefix(parts[5], "stream/") {
		return "", newError(errInvalidArgument, "StreamARN %s is not a Kinesis stream ARN.", arn)
	}
	name := strings.TrimPrefix(parts[5], "stream/")
	if parts[4] != h.cfg.AccountID {
		return "", newError(errResourceNotFound, "Stream %s under account %s not found.", name, parts[4])
	}
	if spool.ValidateStreamName(name) != nil {
		return "", newError(errInvalidArgument, "StreamARN %s names no valid stream.", arn)
	}
	return name, nil
}

// stream describes the named stream or answers ResourceNotFound.
func (h *Handler) stream(name string) (spool.StreamInfo, streamAttrs, *apiError) {
	info, err := h.sp.DescribeStream(name)
	if err != nil {
		return info, streamAttrs{}, h.spoolError(err, name)
	}
	return info, decodeAttrs(info.Attributes), nil
}

// target resolves the stream a request addresses and describes it.
func (h *Handler) target(q *request) (string, spool.StreamInfo, streamAttrs, *apiError) {
	name, e := h.streamName(q)
	if e != nil {
		return "", spool.StreamInfo{}, streamAttrs{}, e
	}
	info, attrs, e := h.stream(name)
	return name, info, attrs, e
}

// spoolError maps a spool error to the API error clients expect.
func (h *Handler) spoolError(err error, stream string) *apiError {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, spool.ErrStreamNotFound):
		return newError(errResourceNotFound, "Stream %s under account %s not found.", stream, h.cfg.AccountID)
	case errors.Is(err, spool.ErrStreamExists):
		return newError(errResourceInUse, "Stream %s under account %s already exists.", stream, h.cfg.AccountID)
	case errors.Is(err, spool.ErrShardNotFound):
		return newError(errResourceNotFound, "%s under account %s.", strings.TrimPrefix(err.Error(), spool.ErrShardNotFound.Error()+": "), h.cfg.AccountID)
	case errors.Is(err, spool.ErrShardClosed), errors.Is(err, spool.ErrInvalidArgument), errors.Is(err, spool.ErrRecordTooLarge):
		return newError(errInvalidArgument, "%s", err)
	case errors.Is(err, spool.ErrStreamFull):
		return newError(errThroughput, "Stream %s under account %s is at its size cap; retry when retention frees space (%v).", stream, h.cfg.AccountID, err)
	case errors.Is(err, spool.ErrDiskFull):
		return &apiError{Type: errServiceUnavailable, Message: "The gateway's disk is full: " + err.Error(), Status: 503}
	case errors.Is(err, spool.ErrClosed):
		return &apiError{Type: errServiceUnavailable, Message: "The gateway is shutting down.", Status: 503}
	}
	h.log.Error("kinesis: spool failure", "stream", stream, "err", err)
	return internalError("Internal Service Failure")
}

func hoursOf(d time.Duration) int64 {
	h := int64((d + time.Hour - 1) / time.Hour)
	return max(h, 1)
}

func timeMs(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
