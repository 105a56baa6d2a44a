package analytics

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/analytics/eval"
	"github.com/tributary-edge/tributary/analytics/window"
)

// query runs a Plan: it is the Query an App drives.
type query struct {
	p  *Plan
	op *window.Operator
	r  row
}

// NewQuery returns a fresh query of the plan (its own windows).
func (p *Plan) NewQuery() (Query, error) {
	op, err := window.New(p.spec)
	if err != nil {
		return nil, err
	}
	return &query{p: p, op: op}, nil
}

// Process implements Query.
func (q *query) Process(ev Event) ([]Output, error) {
	p := q.p
	r := &q.r
	*r = row{}
	var recErr error
	var rec any
	var err error
	if p.names != nil {
		var m map[string]any
		if m, err = eval.DecodeFields(ev.Record.Data, p.names); err == nil {
			rec = m
		}
	} else {
		rec, err = eval.Decode(ev.Record.Data)
	}
	if err != nil {
		// NULL semantics: every field is NULL; the record is counted
		recErr = fmt.Errorf("not a JSON object: %w", err)
	}
	r.rec, r.raw = rec, ev.Record.Data
	t := ev.Arrival
	if p.eventTime != nil {
		et, ok := eval.Timestamp(p.eventTime(r))
		if !ok {
			return nil, errors.Join(recErr, errors.New("no event time: the event-time field is missing or not a time"))
		}
		t = et
	}
	if len(p.lagArgs) > 0 {
		cur := make([]any, len(p.lagArgs))
		for i, a := range p.lagArgs {
			cur[i] = a(r)
		}
		prev, err := q.op.Previous(values(p.lagKey, r), t, cur)
		if err != nil {
			return nil, errors.Join(recErr, err)
		}
		for i, v := range prev {
			if v == nil {
				prev[i] = p.lagDefs[i](r)
			}
		}
		r.lags = prev
	}
	if p.where != nil && !eval.IsTrue(p.where(r)) {
		return nil, recErr
	}
	if !p.grouped {
		return []Output{q.output(r, ev.Record.PartitionKey)}, recErr
	}
	args := values(p.aggArgs, r)
	res, err := q.op.Add(window.Event{Key: values(p.keys, r), Time: t, Args: args})
	if err != nil {
		return nil, errors.Join(recErr, err)
	}
	return q.results(res), recErr
}

func values(cs []compiled, r *row) []any {
	if len(cs) == 0 {
		return nil
	}
	out := make([]any, len(cs))
	for i, c := range cs {
		out[i] = c(r)
	}
	return out
}

// results turns closed windows into output records (HAVING applied).
func (q *query) results(res []window.Result) []Output {
	var outs []Output
	for _, w := range res {
		r := &row{keys: w.Key, aggs: w.Values, window: [2]int64{w.Start.UnixMilli(), w.End.UnixMilli()}}
		if q.p.having != nil && !eval.IsTrue(q.p.having(r)) {
			continue
		}
		key := "all"
		if len(w.Key) > 0 {
			parts := make([]string, len(w.Key))
			for i, k := range w.Key {
				parts[i], _ = eval.String(k).(string)
			}
			key = strings.Join(parts, "|")
		}
		outs = append(outs, q.output(r, key))
	}
	return outs
}

// output builds one output: the record, and a message per MQTT topic.
func (q *query) output(r *row, key string) Output {
	data, fields := q.p.record(r)
	o := Output{Key: key, Data: data}
	if len(q.p.Topics) > 0 {
		o.Topic = topic(q.p.Topics[0], fields) // (one topic per output for now)
	}
	if key == "" {
		o.Key = "all"
	}
	return o
}

// Advance implements Query: arrival-time windows close by the clock.
func (q *query) Advance(now time.Time) []Output {
	if !q.p.grouped {
		return nil
	}
	return q.results(q.op.Advance(now))
}

// Snapshot implements Query.
func (q *query) Snapshot() ([]byte, error) { return q.op.MarshalBinary() }

// Restore implements Query.
func (q *query) Restore(b []byte) error { return q.op.UnmarshalBinary(b) }

// Late implements Query.
func (q *query) Late() int64 { return q.op.Late() }

// StateSize implements Query.
func (q *query) StateSize() int { s := q.op.Stats(); return s.Groups + s.Windows + s.LagKeys }

// LimitHits implements Query.
func (q *query) LimitHits() int64 {
	s := q.op.Stats()
	return s.GroupLimitHits + s.WindowLimitHits + s.DistinctLimitHits
}
