package window

import "fmt"

// counts is the count-window engine. A group's events are numbered 0, 1, 2,
// … in arrival order; a window starts at every multiple of slide and holds n
// events, so event i belongs to the windows starting at j·slide with
// j·slide ≤ i < j·slide+n (⌈n/slide⌉ at most). A window is emitted when it
// holds n events, in the Add that completes it; time plays no part (no
// watermark, never late), and a window that never fills is never emitted.
// A group whose windows have all been emitted, at a multiple of slide,
// keeps no state.
type counts struct {
	o        *Operator
	n, slide int64
	groups   map[string]*countGroup
	open     int // windows in all groups
}

type countGroup struct {
	key     string // canonical
	keyVals []any
	phase   int64       // events since the latest window opened, mod slide
	wins    []*countWin // open, oldest first
}

type countWin struct {
	minT, maxT int64 // event-time range of its events
	*group
}

func newCounts(o *Operator, n, slide int64) *counts {
	return &counts{o: o, n: n, slide: slide, groups: map[string]*countGroup{}}
}

func (e *counts) numGroups() int          { return len(e.groups) }
func (e *counts) numWindows() int         { return e.open }
func (e *counts) late(*event, int64) bool { return false }
func (e *counts) close(int64)             {}

func (e *counts) add(ev *event, _ int64) error {
	o := e.o
	g := e.groups[string(ev.key)]
	opening := g == nil || g.phase == 0
	switch {
	case g == nil && len(e.groups) >= o.spec.MaxGroups:
		return fmt.Errorf("%w: %d groups with count windows (cap %d)", ErrTooManyGroups, len(e.groups), o.spec.MaxGroups)
	case opening && e.open >= o.spec.MaxWindows:
		return fmt.Errorf("%w: %d open count windows (cap %d)", ErrTooManyWindows, e.open, o.spec.MaxWindows)
	}
	if g != nil {
		for _, w := range g.wins {
			if err := o.checkDistinct(w.group, ev); err != nil {
				return err
			}
		}
	}

	if g == nil {
		g = &countGroup{key: string(ev.key), keyVals: cloneKey(ev.keyVals)}
		e.groups[g.key] = g
	}
	if opening {
		g.wins = append(g.wins, &countWin{minT: ev.t, maxT: ev.t, group: &group{key: g.keyVals, accs: make([]acc, len(o.spec.Aggregates))}})
		e.open++
	}
	for _, w := range g.wins {
		o.apply(w.group, ev)
		w.minT, w.maxT = min(w.minT, ev.t), max(w.maxT, ev.t)
	}
	g.phase = (g.phase + 1) % e.slide
	for len(g.wins) > 0 && g.wins[0].rows >= e.n {
		w := g.wins[0]
		o.emit(g.key, w.group, w.minT, w.maxT)
		g.wins[0] = nil
		g.wins = g.wins[1:]
		e.open--
	}
	if len(g.wins) == 0 && g.phase == 0 {
		delete(e.groups, g.key)
	}
	return nil
}

// Snapshot form: group count, then per group (by key) the key values, the
// phase, the window count, and per window its time range and aggregates.
func (e *counts) encode(b []byte) []byte {
	b = appendUvarint(b, uint64(len(e.groups)))
	for _, k := range sortedKeys(e.groups) {
		g := e.groups[k]
		b = appendUvarint(appendKeyVals(b, g.keyVals), uint64(g.phase))
		b = appendUvarint(b, uint64(len(g.wins)))
		for _, w := range g.wins {
			b = appendVarint(appendVarint(b, w.minT), w.maxT)
			b = e.o.encodeAggs(b, w.group)
		}
	}
	return b
}

func (e *counts) decode(d *decoder) {
	n := d.count(3)
	prevKey := ""
	for i := range n {
		keyVals, key := readKeyVals(d)
		phase, nw := d.uvarint(), d.count(3)
		if d.err != nil {
			return
		}
		if i > 0 && key <= prevKey || phase >= uint64(e.slide) || int64(nw) > (e.n+e.slide-1)/e.slide || nw == 0 && phase == 0 {
			d.fail("bad count-window group")
			return
		}
		prevKey = key
		g := &countGroup{key: key, keyVals: keyVals, phase: int64(phase)}
		for range nw {
			w := &countWin{minT: d.varint(), maxT: d.varint(), group: &group{key: keyVals}}
			e.o.decodeAggs(d, w.group)
			if d.err != nil {
				return
			}
			if w.rows < 1 || w.rows >= e.n || w.minT > w.maxT || !inTimeBounds(w.minT) || !inTimeBounds(w.maxT) {
				d.fail("bad count window")
				return
			}
			g.wins = append(g.wins, w)
		}
		e.groups[key] = g
		e.open += nw
	}
}
