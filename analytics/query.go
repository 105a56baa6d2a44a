package analytics

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
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
	// table is a joined table: the latest record per key (raw, and
	// decoded for lookups)
	table map[string]tableRow
	// join holds the records of a join of two streams
	join joinState
}

type tableRow struct {
	raw []byte
	rec any
}

// NewQuery returns a fresh query of the plan (its own windows).
func (p *Plan) NewQuery() (Query, error) {
	op, err := window.New(p.spec)
	if err != nil {
		return nil, err
	}
	q := &query{p: p, op: op}
	switch {
	case p.join != nil && p.join.within > 0:
		q.join = newJoinState()
	case p.join != nil:
		q.table = map[string]tableRow{}
	}
	return q, nil
}

// updateTable keeps a table record as its key's latest.
func (q *query) updateTable(data []byte) error {
	rec, err := eval.Decode(data)
	if err != nil {
		return fmt.Errorf("table %s: not JSON: %w", q.p.join.stream, err)
	}
	key, ok := eval.String(eval.Field(rec, q.p.join.tableKey...)).(string)
	if !ok {
		return fmt.Errorf("table %s: a record without its key field", q.p.join.stream)
	}
	if _, known := q.table[key]; !known && len(q.table) >= maxTableKeys {
		return fmt.Errorf("table %s: %w (%d keys)", q.p.join.stream, window.ErrTooManyGroups, maxTableKeys)
	}
	q.table[key] = tableRow{raw: append([]byte(nil), data...), rec: rec}
	return nil
}

// Process implements Query.
func (q *query) Process(ev Event) ([]Output, error) {
	p := q.p
	j := p.join
	if j != nil && ev.Stream == j.stream && ev.Stream != p.Source {
		if j.within > 0 {
			outs, err := q.joinRight(ev)
			return q.late(ev, outs, err)
		}
		return nil, q.updateTable(ev.Record.Data)
	}
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
	if j != nil && j.within > 0 {
		outs, err := q.joinLeft(ev, r)
		return q.late(ev, outs, errors.Join(recErr, err))
	}
	if j != nil {
		key, _ := eval.String(j.driveKey(r)).(string)
		if t, ok := q.table[key]; ok {
			r.table = t.rec
			if j.cond != nil && !eval.IsTrue(j.cond(r)) {
				r.table = nil
			}
		}
		if r.table == nil && !j.left {
			return nil, recErr // an inner join without a match
		}
	}
	t := ev.Arrival
	if p.eventTime != nil {
		et, ok := eval.Timestamp(p.eventTime(r))
		if !ok {
			return nil, errors.Join(recErr, errNoEventTime)
		}
		t = et
	}
	outs, err := q.emit(r, t, ev.Record.PartitionKey)
	return q.late(ev, outs, errors.Join(recErr, err))
}

var errNoEventTime = errors.New("no event time: the event-time field is missing or not a time")

// emit runs a row — a record, or a joined pair — through LAG, WHERE and
// the grouping, at time t.
func (q *query) emit(r *row, t time.Time, key string) ([]Output, error) {
	p := q.p
	if len(p.lagArgs) > 0 && !p.grouped {
		cur := make([]any, len(p.lagArgs))
		for i, a := range p.lagArgs {
			cur[i] = a(r)
		}
		prev, err := q.op.Previous(values(p.lagKey, r), t, cur)
		if err != nil {
			return nil, err
		}
		for i, v := range prev {
			if v == nil {
				prev[i] = p.lagDefs[i](r)
			}
		}
		r.lags = prev
	}
	if p.where != nil && !eval.IsTrue(p.where(r)) {
		return nil, nil
	}
	if !p.grouped {
		return []Output{q.output(r, key)}, nil
	}
	res, err := q.op.Add(window.Event{Key: values(p.keys, r), Time: t, Args: values(p.aggArgs, r)})
	if err != nil {
		return nil, err
	}
	return q.results(res), nil
}

// late sends a record that came too late (for its windows, or for a join)
// to the LATE INTO stream, as it was stored, instead of failing it. It is
// counted as late either way.
func (q *query) late(ev Event, outs []Output, err error) ([]Output, error) {
	if q.p.LateStream == "" || !errors.Is(err, window.ErrLate) {
		return outs, err
	}
	return append(outs, Output{Stream: q.p.LateStream, Key: ev.Record.PartitionKey, Data: ev.Record.Data}), nil
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
		q.resultLags(r, w.End)
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

// resultLags sets a grouped query's LAG values: each partition's
// previous result row (NULL, or the default, for its first, or when the
// LAG state is full).
func (q *query) resultLags(r *row, end time.Time) {
	p := q.p
	if len(p.lagArgs) == 0 {
		return
	}
	cur := make([]any, len(p.lagArgs))
	for i, a := range p.lagArgs {
		cur[i] = a(r)
	}
	prev, err := q.op.Previous(values(p.lagKey, r), end, cur)
	if err != nil {
		prev = make([]any, len(cur))
	}
	for i, v := range prev {
		if v == nil {
			prev[i] = p.lagDefs[i](r)
		}
	}
	r.lags = prev
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

// Snapshot implements Query: the window operator's snapshot, then, with a
// table join, the table (key and record, sorted by key).
func (q *query) Snapshot() ([]byte, error) {
	b, err := q.op.MarshalBinary()
	if err == nil && q.join.sides[0] != nil {
		return q.join.marshal(b), nil
	}
	if err != nil || q.table == nil {
		return b, err
	}
	out := binary.AppendUvarint([]byte(tableMagic), uint64(len(b)))
	out = append(out, b...)
	keys := make([]string, 0, len(q.table))
	for k := range q.table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out = binary.AppendUvarint(out, uint64(len(keys)))
	for _, k := range keys {
		out = binary.AppendUvarint(out, uint64(len(k)))
		out = append(out, k...)
		raw := q.table[k].raw
		out = binary.AppendUvarint(out, uint64(len(raw)))
		out = append(out, raw...)
	}
	return out, nil
}

const tableMagic = "TRQT"

// Restore implements Query.
func (q *query) Restore(b []byte) error {
	if q.join.sides[0] != nil {
		return q.restoreJoin(b)
	}
	if q.table == nil {
		return q.op.UnmarshalBinary(b)
	}
	bad := errors.New("analytics: a query snapshot that is not this query's (with a table)")
	if !bytes.HasPrefix(b, []byte(tableMagic)) {
		return bad
	}
	r := newSnapReader(b[len(tableMagic):])
	opSnap := r.bytes()
	if !r.ok {
		return bad
	}
	if err := q.op.UnmarshalBinary(opSnap); err != nil {
		return err
	}
	n := r.uvarint()
	q.table = map[string]tableRow{}
	for i := uint64(0); i < n && r.ok; i++ {
		key, raw := r.bytes(), r.bytes()
		if !r.ok {
			return bad
		}
		rec, err := eval.Decode(raw)
		if err != nil {
			return bad
		}
		q.table[string(key)] = tableRow{raw: raw, rec: rec}
	}
	if !r.ok {
		return bad
	}
	return nil
}

// Late implements Query.
func (q *query) Late() int64 { return q.op.Late() + q.join.late }

// StateSize implements Query.
func (q *query) StateSize() int {
	s := q.op.Stats()
	return s.Groups + s.Windows + s.LagKeys + len(q.table) + q.join.n
}

// LimitHits implements Query.
func (q *query) LimitHits() int64 {
	s := q.op.Stats()
	return s.GroupLimitHits + s.WindowLimitHits + s.DistinctLimitHits + q.join.limitHits
}
