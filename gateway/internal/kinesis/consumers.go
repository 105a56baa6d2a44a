package kinesis

import (
	"slices"
	"strconv"
	"strings"
)

// Enhanced fan-out consumers (kinesis.md §2 RegisterStreamConsumer). A
// consumer is a name registered on a stream; SubscribeToShard pushes its
// records. They are ACTIVE as soon as they are registered.

// maxConsumers is AWS's limit of registered consumers per stream.
const maxConsumers = 20

type consumerOut struct {
	ConsumerName              string     `json:"ConsumerName"`
	ConsumerARN               string     `json:"ConsumerARN"`
	ConsumerStatus            string     `json:"ConsumerStatus"`
	ConsumerCreationTimestamp *timestamp `json:"ConsumerCreationTimestamp"`
	StreamARN                 string     `json:"StreamARN,omitempty"`
}

func (h *Handler) consumerOut(stream string, c consumerAttr, withStream bool) consumerOut {
	o := consumerOut{c.Name, h.consumerARN(stream, c), "ACTIVE", ts(timeMs(c.CreatedMs)), ""}
	if withStream {
		o.StreamARN = h.streamARN(stream)
	}
	return o
}

func (h *Handler) registerConsumer(q *request) (any, *apiError) {
	name, e := h.streamName(q)
	if e != nil {
		return nil, e
	}
	cname := q.in["ConsumerName"].(string)
	var added consumerAttr
	e = h.updateAttrs(name, func(a *streamAttrs) *apiError {
		if _, ok := a.consumer(cname); ok {
			return newError(errResourceInUse, "Consumer %s under stream %s already exists for account %s.", cname, name, h.cfg.AccountID)
		}
		if len(a.Consumers) >= maxConsumers {
			return newError(errLimitExceeded, "Stream %s under account %s already has %d registered consumers, the maximum.", name, h.cfg.AccountID, maxConsumers)
		}
		added = consumerAttr{Name: cname, CreatedMs: h.cfg.Now().UnixMilli()}
		a.Consumers = append(a.Consumers, added)
		return nil
	})
	if e != nil {
		return nil, e
	}
	return map[string]any{"Consumer": h.consumerOut(name, added, false)}, nil
}

// findConsumer resolves a consumer by ConsumerARN, or by StreamARN plus
// ConsumerName.
func (h *Handler) findConsumer(q *request) (string, consumerAttr, *apiError) {
	if arn, ok := q.in["ConsumerARN"].(string); ok {
		return h.consumerByARN(arn)
	}
	cname, hasName := q.in["ConsumerName"].(string)
	if _, hasARN := q.in["StreamARN"].(string); !hasARN || !hasName {
		return "", consumerAttr{}, newError(errInvalidArgument, "Either ConsumerARN or both StreamARN and ConsumerName must be provided.")
	}
	name, e := h.streamName(q)
	if e != nil {
		return "", consumerAttr{}, e
	}
	_, attrs, e := h.stream(name)
	if e != nil {
		return "", consumerAttr{}, e
	}
	c, ok := attrs.consumer(cname)
	if !ok {
		return "", consumerAttr{}, newError(errResourceNotFound, "Consumer %s under stream %s not found for account %s.", cname, name, h.cfg.AccountID)
	}
	return name, c, nil
}

// consumerByARN resolves arn:aws:kinesis:<region>:<acct>:stream/<s>/consumer/<name>:<created s>.
func (h *Handler) consumerByARN(arn string) (string, consumerAttr, *apiError) {
	notFound := newError(errResourceNotFound, "Consumer %s not found.", arn)
	streamPart, rest, ok := strings.Cut(arn, "/consumer/")
	if !ok {
		return "", consumerAttr{}, notFound
	}
	name, e := h.parseStreamARN(streamPart)
	if e != nil {
		return "", consumerAttr{}, e
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return "", consumerAttr{}, notFound
	}
	created, err := strconv.ParseInt(rest[i+1:], 10, 64)
	if err != nil {
		return "", consumerAttr{}, notFound
	}
	_, attrs, e := h.stream(name)
	if e != nil {
		return "", consumerAttr{}, e
	}
	c, ok := attrs.consumer(rest[:i])
	if !ok || c.CreatedMs/1000 != created {
		return "", consumerAttr{}, notFound
	}
	return name, c, nil
}

func (h *Handler) describeConsumer(q *request) (any, *apiError) {
	name, c, e := h.findConsumer(q)
	if e != nil {
		return nil, e
	}
	return map[string]any{"ConsumerDescription": h.consumerOut(name, c, true)}, nil
}

func (h *Handler) deregisterConsumer(q *request) (any, *apiError) {
	name, c, e := h.findConsumer(q)
	if e != nil {
		return nil, e
	}
	e = h.updateAttrs(name, func(a *streamAttrs) *apiError {
		a.Consumers = slices.DeleteFunc(a.Consumers, func(x consumerAttr) bool { return x.Name == c.Name })
		return nil
	})
	if e == nil {
		h.subs.endConsumer(h.consumerARN(name, c))
	}
	return nil, e
}

func (h *Handler) listConsumers(q *request) (any, *apiError) {
	name, e := h.streamName(q)
	if e != nil {
		return nil, e
	}
	after := ""
	if tok, ok := q.in["NextToken"].(string); ok {
		t, e := h.openToken(tok, "consumers")
		if e != nil {
			return nil, e
		}
		if t.Stream != name {
			return nil, newError(errInvalidArgument, "NextToken was issued for another stream.")
		}
		after = t.After
	}
	_, attrs, e := h.stream(name)
	if e != nil {
		return nil, e
	}
	cs := slices.Clone(attrs.Consumers)
	slices.SortFunc(cs, func(a, b consumerAttr) int { return strings.Compare(a.Name, b.Name) })
	if after != "" {
		i, _ := slices.BinarySearchFunc(cs, after, func(c consumerAttr, t string) int { return strings.Compare(c.Name, t) })
		for i < len(cs) && cs[i].Name <= after {
			i++
		}
		cs = cs[i:]
	}
	limit := 100
	if n, ok := q.in["MaxResults"].(int64); ok {
		limit = int(n)
	}
	out := map[string]any{}
	if len(cs) > limit {
		cs = cs[:limit]
		out["NextToken"] = h.sealToken(pageToken{Kind: "consumers", Stream: name, After: cs[limit-1].Name})
	}
	list := make([]consumerOut, len(cs))
	for i, c := range cs {
		list[i] = h.consumerOut(name, c, false)
	}
	out["Consumers"] = list
	return out, nil
}
