package analytics

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/tributary-edge/tributary/analytics/eval"
	"github.com/tributary-edge/tributary/analytics/window"
)

// A join of two streams (an interval join):
//
//	FROM a [EVENT TIME …] [LEFT] JOIN b [EVENT TIME …] ON a.k = b.k [AND …] WITHIN d
//
// pairs every record of a with every record of b that has the same key,
// passes the rest of ON, and whose time is at most d from its own (in
// either direction). A pair is emitted once, when its second record
// arrives, at the later of the two times; it then runs through WHERE and
// any GROUP BY like a single record. With LEFT JOIN, a record of a that
// found no partner is emitted with b's fields NULL once it can no longer
// find one: when the join's watermark is more than d past it (timed at its
// own event time, or with arrival time at that moment).
//
// The watermark is the latest time seen on either stream, less the
// lateness (event time), or the latest arrival (arrival time): it moves
// with the data, so a replay joins exactly as the live run did. A record
// behind the watermark is late: counted, and sent to LATE INTO if there is
// one. Records are held until the watermark is d past them, at most
// maxJoinRecords of them; beyond, a record is still joined with what is
// held but not kept itself, and counted in limit hits.

// joinEntry is one record a join holds.
type joinEntry struct {
	side    uint8 // 0: the driving (left) stream, 1: the joined one
	t       time.Time
	key     string // the join key
	pkey    string // its partition key (a left record's keys the output)
	raw     []byte
	rec     any
	matched bool
	dead    bool
}

// joinState is what a join of two streams holds, in arrival order (the
// queue, which expiry pops from the front) and by side and key.
type joinState struct {
	sides           [2]map[string][]*joinEntry
	queue           []*joinEntry
	head            int
	n               int
	maxTime         time.Time
	late, limitHits int64
}

func newJoinState() joinState {
	return joinState{sides: [2]map[string][]*joinEntry{{}, {}}}
}

var errNoJoinKey = errors.New("no join key: the ON equality's field is missing")

// watermark is the time before which a record is late.
func (q *query) joinWatermark() time.Time {
	return q.join.maxTime.Add(-q.p.lateness)
}

// joinLeft handles a record of the driving stream.
func (q *query) joinLeft(ev Event, r *row) ([]Output, error) {
	j := q.p.join
	t := ev.Arrival
	if q.p.eventTime != nil {
		et, ok := eval.Timestamp(q.p.eventTime(r))
		if !ok {
			return nil, errNoEventTime
		}
		t = et
	}
	e := &joinEntry{side: 0, t: t, pkey: ev.Record.PartitionKey, raw: bytes.Clone(ev.Record.Data), rec: r.rec}
	key, ok := eval.String(j.driveKey(r)).(string)
	if !ok {
		if !j.left {
			return nil, errNoJoinKey
		}
		// NULL never equals anything: a LEFT JOIN emits it unmatched now
		return q.emit(&row{rec: e.rec, raw: e.raw}, t, e.pkey)
	}
	e.key = key
	return q.joinAdd(e)
}

// joinRight handles a record of the joined stream.
func (q *query) joinRight(ev Event) ([]Output, error) {
	j := q.p.join
	rec, err := eval.Decode(ev.Record.Data)
	if err != nil {
		return nil, fmt.Errorf("%s: not a JSON object: %w", j.stream, err)
	}
	t := ev.Arrival
	if j.rightTime != nil {
		et, ok := eval.Timestamp(j.rightTime(&row{table: rec}))
		if !ok {
			return nil, fmt.Errorf("%s: %w", j.stream, errNoEventTime)
		}
		t = et
	}
	key, ok := eval.String(eval.Field(rec, j.tableKey...)).(string)
	if !ok {
		return nil, fmt.Errorf("%s: %w", j.stream, errNoJoinKey)
	}
	return q.joinAdd(&joinEntry{side: 1, t: t, key: key, pkey: ev.Record.PartitionKey, raw: bytes.Clone(ev.Record.Data), rec: rec})
}

// joinAdd joins e with the other side's records, keeps it, and expires
// what the watermark has passed.
func (q *query) joinAdd(e *joinEntry) ([]Output, error) {
	js := &q.join
	if !js.maxTime.IsZero() && e.t.Before(q.joinWatermark()) {
		js.late++
		return nil, fmt.Errorf("%w: %s is behind the join's watermark %s", window.ErrLate,
			e.t.UTC().Format(time.RFC3339Nano), q.joinWatermark().UTC().Format(time.RFC3339Nano))
	}
	var outs []Output
	var errs []error
	for _, o := range js.sides[1-e.side][e.key] {
		left, right := e, o
		if e.side == 1 {
			left, right = o, e
		}
		if d := left.t.Sub(right.t); d > q.p.join.within || -d > q.p.join.within {
			continue
		}
		r := &row{rec: left.rec, raw: left.raw, table: right.rec}
		if c := q.p.join.cond; c != nil && !eval.IsTrue(c(r)) {
			continue
		}
		left.matched = true
		t := left.t
		if right.t.After(t) {
			t = right.t
		}
		o, err := q.emit(r, t, left.pkey)
		outs = append(outs, o...)
		errs = append(errs, err)
	}
	if js.n >= maxJoinRecords {
		js.limitHits++
		errs = append(errs, fmt.Errorf("%w: the join holds %d records; this one is joined but not kept", window.ErrTooManyGroups, js.n))
	} else {
		js.sides[e.side][e.key] = append(js.sides[e.side][e.key], e)
		js.queue = append(js.queue, e)
		js.n++
	}
	if e.t.After(js.maxTime) {
		js.maxTime = e.t
	}
	o, err := q.joinExpire()
	outs = append(outs, o...)
	if q.p.grouped && q.p.eventTime != nil {
		// the windows' watermark follows the join's (held back by WITHIN
		// for a LEFT JOIN, whose unmatched records come out that late)
		wm := q.joinWatermark()
		if q.p.join.left {
			wm = wm.Add(-q.p.join.within)
		}
		outs = append(outs, q.results(q.op.AdvanceWatermark(wm))...)
	}
	return outs, errors.Join(append(errs, err)...)
}

// joinExpire drops the records at the front of the queue that the
// watermark is more than WITHIN past, emitting a LEFT JOIN's unmatched.
func (q *query) joinExpire() ([]Output, error) {
	js := &q.join
	cutoff := q.joinWatermark().Add(-q.p.join.within)
	var outs []Output
	var errs []error
	for js.head < len(js.queue) && js.queue[js.head].t.Before(cutoff) {
		e := js.queue[js.head]
		js.queue[js.head] = nil
		js.head++
		js.remove(e)
		if e.side == 0 && q.p.join.left && !e.matched {
			t := e.t
			if q.p.eventTime == nil {
				t = js.maxTime // with arrival time: when it was decided
			}
			o, err := q.emit(&row{rec: e.rec, raw: e.raw}, t, e.pkey)
			outs = append(outs, o...)
			errs = append(errs, err)
		}
	}
	if js.head > 64 && js.head*2 > len(js.queue) {
		js.queue = append(js.queue[:0:0], js.queue[js.head:]...)
		js.head = 0
	}
	return outs, errors.Join(errs...)
}

// remove takes e out of its side's bucket.
func (js *joinState) remove(e *joinEntry) {
	b := js.sides[e.side][e.key]
	for i, x := range b {
		if x == e {
			b = append(b[:i], b[i+1:]...)
			break
		}
	}
	if len(b) == 0 {
		delete(js.sides[e.side], e.key)
	} else {
		js.sides[e.side][e.key] = b
	}
	js.n--
}

const joinMagic = "TRQJ"

// marshal appends the join's records to the window operator's snapshot:
//
//	"TRQJ" uvarint(len op) op varint(maxTime ns) uvarint(late) uvarint(count)
//	count × { side matched varint(t ns) uvarint-len key, pkey, raw }
func (js *joinState) marshal(op []byte) []byte {
	out := binary.AppendUvarint([]byte(joinMagic), uint64(len(op)))
	out = append(out, op...)
	out = binary.AppendVarint(out, js.maxTime.UnixNano())
	out = binary.AppendUvarint(out, uint64(js.late))
	out = binary.AppendUvarint(out, uint64(js.n))
	for _, e := range js.queue[js.head:] {
		out = append(out, e.side, boolByte(e.matched))
		out = binary.AppendVarint(out, e.t.UnixNano())
		for _, s := range [][]byte{[]byte(e.key), []byte(e.pkey), e.raw} {
			out = binary.AppendUvarint(out, uint64(len(s)))
			out = append(out, s...)
		}
	}
	return out
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// restoreJoin loads a snapshot written by marshal.
func (q *query) restoreJoin(b []byte) error {
	bad := errors.New("analytics: a query snapshot that is not this query's (with a join of two streams)")
	if !bytes.HasPrefix(b, []byte(joinMagic)) {
		return bad
	}
	r := newSnapReader(b[len(joinMagic):])
	opSnap := r.bytes()
	if !r.ok {
		return bad
	}
	if err := q.op.UnmarshalBinary(opSnap); err != nil {
		return err
	}
	maxNs, late, n := r.varint(), r.uvarint(), r.uvarint()
	if !r.ok || n > maxJoinRecords {
		return bad
	}
	js := newJoinState()
	if maxNs != (time.Time{}).UnixNano() {
		js.maxTime = time.Unix(0, maxNs)
	}
	js.late = int64(late)
	for range n {
		side, matched := r.byte1(), r.byte1()
		ns := r.varint()
		key, pkey, raw := r.bytes(), r.bytes(), r.bytes()
		if !r.ok || side > 1 || matched > 1 {
			return bad
		}
		e := &joinEntry{side: side, matched: matched == 1, t: time.Unix(0, ns), key: string(key), pkey: string(pkey), raw: bytes.Clone(raw)}
		var err error
		if e.side == 0 && q.p.names != nil {
			e.rec, err = eval.DecodeFields(e.raw, q.p.names)
		} else {
			e.rec, err = eval.Decode(e.raw)
		}
		if err != nil {
			return bad
		}
		js.sides[e.side][e.key] = append(js.sides[e.side][e.key], e)
		js.queue = append(js.queue, e)
		js.n++
	}
	if !r.done() {
		return bad
	}
	js.limitHits = q.join.limitHits
	q.join = js
	return nil
}
