package window

import "bytes"

// Snapshot encoding, version 1. The runner commits it in the same spool
// transaction as the outputs it caused and the input checkpoint, so a
// restart resumes exactly where the committed state left off.
//
//	magic "TRWS"  version:u8=1
//	shape:   kind:u8 size:varint advance:varint gap:varint count:uvarint slide:uvarint
//	         eventTime:bool nAggs:uvarint nAggs × (func:u8 distinct:bool param:f64)
//	         nLags:uvarint nLags × (ignoreNulls:bool)
//	state:   watermark:varint (MinInt64: none) seq:uvarint
//	         late groupLimitHits windowLimitHits distinctLimitHits: uvarint
//	engine:  per kind, see encode in timewindows.go, session.go, sliding.go, count.go
//	lag:     see lagState.encode in lag.go
//
// A group's aggregates are rows:uvarint then one state per aggregate (see
// acc.encode); key values use the exact value encoding of value.go, with a
// uvarint count in front. Maps are written in key order, so equal states
// give equal bytes. Restoring needs an operator whose Spec has the same
// shape (window, aggregates, LAG expressions, time mode); caps, lateness and
// LagTTL may differ. Decoding checks every count against the bytes left and
// every structural invariant the engines rely on, so garbage is refused with
// ErrBadSnapshot and never panics.
const (
	snapshotMagic   = "TRWS"
	snapshotVersion = 1
)

// MarshalBinary returns the operator's whole state. It never fails.
func (o *Operator) MarshalBinary() ([]byte, error) {
	b := append([]byte(snapshotMagic), snapshotVersion)
	b = o.appendShape(b)
	b = appendUvarint(appendVarint(b, o.wm), o.seq)
	for _, c := range []int64{o.late.Load(), o.groupHits.Load(), o.windowHits.Load(), o.distinctHits.Load()} {
		b = appendUvarint(b, uint64(c))
	}
	b = o.eng.encode(b)
	return o.lag.encode(b), nil
}

// UnmarshalBinary replaces the operator's state with a snapshot taken by
// MarshalBinary of an operator of the same shape. On error (wrapping
// ErrBadSnapshot) the operator is unchanged.
func (o *Operator) UnmarshalBinary(data []byte) error {
	d := &decoder{b: data}
	if !bytes.HasPrefix(d.b, []byte(snapshotMagic)) {
		d.fail("no magic")
		return d.err
	}
	d.b = d.b[len(snapshotMagic):]
	if v := d.byte(); v != snapshotVersion && d.err == nil {
		d.fail("version %d, want %d", v, snapshotVersion)
	}
	shape := o.appendShape(nil)
	if d.err == nil && !bytes.HasPrefix(d.b, shape) {
		d.fail("taken from an operator with a different window, aggregates or time mode")
	}
	if d.err != nil {
		return d.err
	}
	d.b = d.b[len(shape):]
	wm, seq := d.varint(), d.uvarint()
	var counters [4]int64
	for i := range counters {
		counters[i] = d.nonNeg()
	}
	if d.err == nil && wm != noWatermark && !inTimeBounds(wm) {
		d.fail("watermark %d out of range", wm)
	}
	eng := o.newEngine()
	lag := newLagState(o)
	if d.err == nil {
		eng.decode(d)
	}
	if d.err == nil {
		lag.decode(d)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes past the end", len(d.b))
	}
	if d.err != nil {
		return d.err
	}
	o.eng, o.lag, o.wm, o.seq = eng, lag, wm, seq
	o.late.Store(counters[0])
	o.groupHits.Store(counters[1])
	o.windowHits.Store(counters[2])
	o.distinctHits.Store(counters[3])
	o.publish()
	return nil
}

func (o *Operator) appendShape(b []byte) []byte {
	w := o.spec.Window
	b = append(b, byte(w.Kind))
	b = appendVarint(appendVarint(appendVarint(b, int64(w.Size)), int64(w.Advance)), int64(w.Gap))
	b = appendUvarint(appendUvarint(b, uint64(w.Count)), uint64(w.Slide))
	b = appendBool(b, o.spec.EventTime)
	b = appendUvarint(b, uint64(len(o.spec.Aggregates)))
	for _, a := range o.spec.Aggregates {
		b = appendFloat(appendBool(append(b, byte(a.Func)), a.Distinct), a.Param)
	}
	b = appendUvarint(b, uint64(len(o.spec.Lags)))
	for _, l := range o.spec.Lags {
		b = appendBool(b, l.IgnoreNulls)
	}
	return b
}

// inTimeBounds reports whether a decoded time (an event time, a window
// bound, a watermark) is within what live operation can produce.
func inTimeBounds(t int64) bool {
	const limit = timeLimit + 3*int64(maxDuration)
	return t >= -limit && t <= limit
}

// appendKeyVals writes key values: count, then each value (exact).
func appendKeyVals(b []byte, vals []any) []byte {
	b = appendUvarint(b, uint64(len(vals)))
	for _, v := range vals {
		b, _ = appendValue(b, v, false, 0) // checked when the group was made
	}
	return b
}

// readKeyVals reads key values and returns them with their canonical key.
func readKeyVals(d *decoder) ([]any, string) {
	n := d.count(1)
	var vals []any
	if n > 0 {
		vals = make([]any, n)
	}
	for i := range vals {
		vals[i] = readValue(d, 0)
	}
	if d.err != nil {
		return nil, ""
	}
	k, err := appendKey(nil, vals)
	if err != nil {
		d.fail("key: %v", err)
		return nil, ""
	}
	return vals, string(k)
}

// encodeAggs writes a group's row count and aggregate states.
func (o *Operator) encodeAggs(b []byte, g *group) []byte {
	b = appendUvarint(b, uint64(g.rows))
	for i := range g.accs {
		b = g.accs[i].encode(b, &o.spec.Aggregates[i])
	}
	return b
}

func (o *Operator) decodeAggs(d *decoder, g *group) {
	g.rows = d.nonNeg()
	g.accs = make([]acc, len(o.spec.Aggregates))
	for i := range g.accs {
		g.accs[i].decode(d, &o.spec.Aggregates[i])
	}
}

// encodeGroups writes the groups of one time window: count, then per group
// (by canonical key) its key values and aggregates.
func (o *Operator) encodeGroups(b []byte, groups map[string]*group) []byte {
	b = appendUvarint(b, uint64(len(groups)))
	for _, k := range sortedKeys(groups) {
		g := groups[k]
		b = o.encodeAggs(appendKeyVals(b, g.key), g)
	}
	return b
}

func (o *Operator) decodeGroups(d *decoder) map[string]*group {
	n := d.count(2)
	groups := make(map[string]*group, n)
	prev := ""
	for i := range n {
		vals, key := readKeyVals(d)
		g := &group{key: vals}
		o.decodeAggs(d, g)
		if d.err != nil {
			return groups
		}
		if i > 0 && key <= prev {
			d.fail("groups out of order")
			return groups
		}
		prev = key
		groups[key] = g
	}
	return groups
}
