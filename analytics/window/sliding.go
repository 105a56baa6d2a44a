package window

import (
	"fmt"
	"slices"
)

// sliding is the sliding-window engine. Every event e of a group (time t)
// has a window (t−size, t]: the group's events with times in (t−size, t),
// and those at exactly t that arrived no later than e. It is emitted once
// the watermark reaches t — at once, with arrival time or zero lateness —
// and then carries e's own time as End.
//
// A group buffers its events (sorted by time, then arrival) for as long as a
// window to come may need them: an event at u is dropped once the
// watermark passes u+size. The aggregates of each window are computed from
// the buffer when it is emitted, so every aggregate is exact and nothing
// needs retracting; the cost is O(events in the window) per event, which
// suits per-key rules ("3 transactions in 60 s") rather than long windows
// over heavy keys. MaxWindows caps the buffered events.
type sliding struct {
	o      *Operator
	size   int64
	groups map[string]*slideGroup
	sched  schedule
	rows   int // buffered events in all groups

	accs []acc // scratch for computing one window
}

type slideGroup struct {
	slot    // due at the first unemitted event's time, or when rows[0] expires
	keyVals []any
	rows    []slideRow // by (t, seq)
	next    int        // rows[next:] are not yet emitted
}

type slideRow struct {
	t    int64
	seq  uint64
	args []any
}

func newSliding(o *Operator, size int64) *sliding {
	return &sliding{o: o, size: size, groups: map[string]*slideGroup{}, accs: make([]acc, len(o.spec.Aggregates))}
}

func (e *sliding) numGroups() int  { return len(e.groups) }
func (e *sliding) numWindows() int { return e.rows }

func (g *slideGroup) due(size int64) int64 {
	if g.next < len(g.rows) {
		return g.rows[g.next].t
	}
	return g.rows[0].t + size
}

// late: windows up to the watermark have been emitted, and an event before
// it would have belonged to some of them.
func (e *sliding) late(ev *event, wm int64) bool { return ev.t < wm }

func (e *sliding) add(ev *event, wm int64) error {
	o := e.o
	g := e.groups[string(ev.key)]
	switch {
	case g == nil && len(e.groups) >= o.spec.MaxGroups:
		return fmt.Errorf("%w: %d groups with buffered events (cap %d)", ErrTooManyGroups, len(e.groups), o.spec.MaxGroups)
	case e.rows >= o.spec.MaxWindows:
		return fmt.Errorf("%w: %d buffered events (cap %d)", ErrTooManyWindows, e.rows, o.spec.MaxWindows)
	}
	if g == nil {
		key := string(ev.key)
		g = e.newGroup(key, ev.keyVals)
		e.groups[key] = g
	}
	// The new row sorts after every row with an earlier or equal time (its
	// seq is the largest), and at or after g.next since ev.t ≥ wm.
	i := len(g.rows)
	for i > 0 && g.rows[i-1].t > ev.t {
		i--
	}
	args := slices.Clone(ev.args)
	for a := range args {
		if o.spec.Aggregates[a].Func == FuncCountStar {
			args[a] = nil // unchecked and unused
		}
	}
	g.rows = slices.Insert(g.rows, i, slideRow{t: ev.t, seq: ev.seq, args: args})
	e.rows++
	e.sched.set(&g.slot, g.due(e.size))
	return nil
}

func (*sliding) newGroup(key string, keyVals []any) *slideGroup {
	return &slideGroup{slot: slot{key: key, index: -1}, keyVals: cloneKey(keyVals)}
}

func (e *sliding) close(wm int64) {
	for it := e.sched.next(wm); it != nil; it = e.sched.next(wm) {
		g := e.groups[it.key]
		for ; g.next < len(g.rows) && g.rows[g.next].t <= wm; g.next++ {
			e.emitRow(g, g.next)
		}
		// drop rows no window to come can hold: u ≤ wm−size
		n := 0
		for n < g.next && g.rows[n].t+e.size <= wm {
			n++
		}
		if n > 0 {
			clear(g.rows[:n])
			g.rows = slices.Delete(g.rows, 0, n)
			g.next -= n
			e.rows -= n
		}
		if len(g.rows) == 0 {
			e.sched.remove(&g.slot)
			delete(e.groups, g.key)
			continue
		}
		e.sched.set(&g.slot, g.due(e.size))
	}
}

// emitRow computes and queues the window of g.rows[j].
func (e *sliding) emitRow(g *slideGroup, j int) {
	o := e.o
	end := g.rows[j].t
	lo := j
	for lo > 0 && g.rows[lo-1].t > end-e.size {
		lo--
	}
	for i := range e.accs {
		e.accs[i].reset()
	}
	w := group{key: g.keyVals, accs: e.accs}
	for _, r := range g.rows[lo : j+1] {
		w.rows++
		for i := range o.spec.Aggregates {
			s := &o.spec.Aggregates[i]
			v := r.args[i]
			if v == nil && s.Func != FuncCountStar {
				continue
			}
			var dkey []byte
			if s.Distinct {
				o.dbufs[i], _ = appendValue(o.dbufs[i][:0], v, true, 0) // checked when added
				dkey = o.dbufs[i]
			}
			w.accs[i].add(s, v, r.t, r.seq, dkey)
		}
	}
	o.emit(g.key, &w, end-e.size, end)
}

// Snapshot form: group count, then per group (by key) the key values, the
// number of emitted rows, the row count, and per row its time, sequence
// and arguments.
func (e *sliding) encode(b []byte) []byte {
	b = appendUvarint(b, uint64(len(e.groups)))
	for _, k := range sortedKeys(e.groups) {
		g := e.groups[k]
		b = appendUvarint(appendKeyVals(b, g.keyVals), uint64(g.next))
		b = appendUvarint(b, uint64(len(g.rows)))
		for _, r := range g.rows {
			b = appendUvarint(appendVarint(b, r.t), r.seq)
			for _, v := range r.args {
				b, _ = appendValue(b, v, false, 0) // checked when added
			}
		}
	}
	return b
}

func (e *sliding) decode(d *decoder) {
	o := e.o
	n := d.count(3)
	prevKey := ""
	for i := range n {
		keyVals, key := readKeyVals(d)
		next, nrows := d.uvarint(), d.count(2+len(o.spec.Aggregates))
		if d.err != nil {
			return
		}
		if i > 0 && key <= prevKey || nrows == 0 || next > uint64(nrows) {
			d.fail("bad sliding group")
			return
		}
		prevKey = key
		g := e.newGroup(key, nil)
		g.keyVals, g.next = keyVals, int(next)
		g.rows = make([]slideRow, nrows)
		for j := range g.rows {
			r := &g.rows[j]
			r.t, r.seq = d.varint(), d.uvarint()
			r.args = make([]any, len(o.spec.Aggregates))
			for a := range r.args {
				r.args[a] = readValue(d, 0)
				if v := r.args[a]; v != nil && o.spec.Aggregates[a].Func != FuncCountStar {
					if err := checkArg(o.spec.Aggregates[a].Func, v); err != nil {
						d.fail("sliding row: %v", err)
					}
				}
			}
			if d.err != nil {
				return
			}
			if !inTimeBounds(r.t) || j > 0 && (r.t < g.rows[j-1].t || r.t == g.rows[j-1].t && r.seq <= g.rows[j-1].seq) {
				d.fail("sliding rows out of order")
				return
			}
		}
		e.groups[key] = g
		e.rows += nrows
		e.sched.set(&g.slot, g.due(e.size))
	}
}
