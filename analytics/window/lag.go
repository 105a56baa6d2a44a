package window

import (
	"fmt"
	"time"
)

// lagState is the LAG/previous-value state: per key, the last values of the
// Spec.Lags expressions. It follows arrival order (the previous row the
// runner passed for the key), not event time, and is independent of any
// window, so an operator with NoWindow keeps only this.
type lagState struct {
	o     *Operator
	keys  map[string]*lagEntry
	now   int64 // latest time passed to Previous; noWatermark before any
	swept int64 // now at the last sweep of expired keys
}

type lagEntry struct {
	t    int64 // time of the key's latest row
	vals []any
}

func newLagState(o *Operator) *lagState {
	return &lagState{o: o, keys: map[string]*lagEntry{}, now: noWatermark, swept: noWatermark}
}

// Previous returns, for each Spec.Lags expression, its value in the key's
// previous row (NULL for the key's first row, or after LagTTL without a row
// for it), and records cur as the current row's values. t is the row's time
// (event or arrival), used only for LagTTL. The returned slice is the
// caller's.
//
// Errors (the state is unchanged after each): ErrTooManyGroups when a new
// key would pass MaxGroups (after forgetting expired keys), ErrType for a
// key or value outside the value model or a len(cur) that does not match,
// ErrTimeRange.
func (o *Operator) Previous(key []any, t time.Time, cur []any) ([]any, error) {
	l := o.lag
	specs := o.spec.Lags
	if len(cur) != len(specs) {
		return nil, fmt.Errorf("%w: %d values for %d LAG expressions", ErrType, len(cur), len(specs))
	}
	ns, err := nanos(t)
	if err != nil {
		return nil, err
	}
	if o.kbuf, err = appendKey(o.kbuf[:0], key); err != nil {
		return nil, fmt.Errorf("LAG key: %w", err)
	}
	for i, v := range cur {
		if !isScalar(v) && v != nil {
			if o.vbuf, err = appendValue(o.vbuf[:0], v, false, 0); err != nil {
				return nil, fmt.Errorf("LAG %d: %w", i, err)
			}
		}
	}
	now := max(l.now, ns)
	ttl := int64(o.spec.LagTTL)
	if ttl > 0 && (l.swept == noWatermark || now-l.swept >= ttl/2) {
		l.sweep(now) // forgetting expired keys changes no answer
	}
	e := l.keys[string(o.kbuf)]
	if e == nil && len(l.keys) >= o.spec.MaxGroups {
		if ttl > 0 {
			l.sweep(now)
		}
		if len(l.keys) >= o.spec.MaxGroups {
			o.groupHits.Add(1)
			return nil, fmt.Errorf("%w: %d keys with LAG state (cap %d)", ErrTooManyGroups, len(l.keys), o.spec.MaxGroups)
		}
	}
	l.now = now
	prev := make([]any, len(specs))
	if e == nil {
		e = &lagEntry{vals: make([]any, len(specs))}
		l.keys[string(o.kbuf)] = e
	} else if ttl > 0 && e.t+ttl <= now {
		clear(e.vals) // expired: as if new
	}
	copy(prev, e.vals)
	e.t = max(e.t, ns)
	for i, v := range cur {
		if v != nil || !specs[i].IgnoreNulls {
			e.vals[i] = v
		}
	}
	o.lagKeys.Store(int64(len(l.keys)))
	return prev, nil
}

// sweep forgets keys not seen for LagTTL.
func (l *lagState) sweep(now int64) {
	ttl := int64(l.o.spec.LagTTL)
	for k, e := range l.keys {
		if e.t+ttl <= now {
			delete(l.keys, k)
		}
	}
	l.swept = now
}

// Snapshot form: now, swept (varints, MinInt64 for none), key count, then
// per key (by canonical key) the key bytes, its time and its values.
func (l *lagState) encode(b []byte) []byte {
	b = appendVarint(appendVarint(b, l.now), l.swept)
	b = appendUvarint(b, uint64(len(l.keys)))
	for _, k := range sortedKeys(l.keys) {
		e := l.keys[k]
		b = appendVarint(appendString(b, k), e.t)
		for _, v := range e.vals {
			b, _ = appendValue(b, v, false, 0) // checked in Previous
		}
	}
	return b
}

func (l *lagState) decode(d *decoder) {
	l.now, l.swept = d.varint(), d.varint()
	n := d.count(2 + len(l.o.spec.Lags))
	if l.now != noWatermark && !inTimeBounds(l.now) || l.swept != noWatermark && !inTimeBounds(l.swept) {
		d.fail("bad LAG clock")
		return
	}
	var prev string
	for i := range n {
		k := d.string()
		e := &lagEntry{t: d.varint(), vals: make([]any, len(l.o.spec.Lags))}
		for j := range e.vals {
			e.vals[j] = readValue(d, 0)
		}
		if d.err != nil {
			return
		}
		if i > 0 && k <= prev || !inTimeBounds(e.t) {
			d.fail("bad LAG key")
			return
		}
		prev = k
		l.keys[k] = e
	}
}
