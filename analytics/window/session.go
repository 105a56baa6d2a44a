package window

import (
	"fmt"
	"slices"
)

// sessions is the session-window engine. An event at t opens [t, t+gap); a
// session is the union of its events' intervals, [first event, last event +
// gap), so two events of a group share a session when they are less than
// gap apart. An event whose interval overlaps several open sessions (a late
// event bridging a hole) merges them. A session closes when the watermark
// reaches its end.
//
// Each group remembers the end of its last emitted session until the
// watermark passes that end + gap: an event before it belongs to a session
// already emitted and is late. After that, such an event is late anyway
// (its own session would already have closed), so the memory is dropped.
type sessions struct {
	o      *Operator
	gap    int64
	groups map[string]*sessGroup
	sched  schedule
	open   int // sessions in all groups
}

type sessGroup struct {
	slot      // due at the first session's end, or closedEnd+gap when none is open
	keyVals   []any
	sess      []*session // open, by start, disjoint
	closedEnd int64      // end of the last emitted session; noWatermark if none
}

type session struct {
	start, end int64
	*group
}

func newSessions(o *Operator, gap int64) *sessions {
	return &sessions{o: o, gap: gap, groups: map[string]*sessGroup{}}
}

func (e *sessions) numGroups() int  { return len(e.groups) }
func (e *sessions) numWindows() int { return e.open }

func (g *sessGroup) due(gap int64) int64 {
	if len(g.sess) > 0 {
		return g.sess[0].end
	}
	return g.closedEnd + gap
}

func (e *sessions) late(ev *event, wm int64) bool {
	if wm == noWatermark {
		return false
	}
	if ev.t+e.gap <= wm {
		return true
	}
	g := e.groups[string(ev.key)]
	return g != nil && g.closedEnd != noWatermark && ev.t < g.closedEnd
}

// overlapping returns the range [lo, hi) of g's sessions that [t, t+gap)
// overlaps; lo is also where a new session would go.
func (e *sessions) overlapping(g *sessGroup, t int64) (lo, hi int) {
	if g == nil {
		return 0, 0
	}
	lo = len(g.sess)
	for i, s := range g.sess {
		if s.end > t {
			lo = i
			break
		}
	}
	hi = lo
	for hi < len(g.sess) && g.sess[hi].start < t+e.gap {
		hi++
	}
	return lo, hi
}

func (e *sessions) add(ev *event, wm int64) error {
	o := e.o
	g := e.groups[string(ev.key)]
	lo, hi := e.overlapping(g, ev.t)
	switch {
	case g == nil && len(e.groups) >= o.spec.MaxGroups:
		return fmt.Errorf("%w: %d groups with sessions (cap %d)", ErrTooManyGroups, len(e.groups), o.spec.MaxGroups)
	case lo == hi && e.open >= o.spec.MaxWindows:
		return fmt.Errorf("%w: %d open sessions (cap %d)", ErrTooManyWindows, e.open, o.spec.MaxWindows)
	case hi-lo == 1:
		if err := o.checkDistinct(g.sess[lo].group, ev); err != nil {
			return err
		}
	case hi-lo > 1:
		if err := e.checkMergedDistinct(g.sess[lo:hi], ev); err != nil {
			return err
		}
	}

	if g == nil {
		key := string(ev.key)
		g = &sessGroup{slot: slot{key: key, index: -1}, keyVals: cloneKey(ev.keyVals), closedEnd: noWatermark}
		e.groups[key] = g
	}
	var s *session
	if lo == hi {
		s = &session{start: ev.t, end: ev.t + e.gap, group: &group{key: g.keyVals, accs: make([]acc, len(o.spec.Aggregates))}}
		g.sess = slices.Insert(g.sess, lo, s)
		e.open++
	} else {
		s = g.sess[lo]
		for _, m := range g.sess[lo+1 : hi] {
			o.mergeGroup(s.group, m.group)
			s.end = max(s.end, m.end)
		}
		s.start, s.end = min(s.start, ev.t), max(s.end, ev.t+e.gap)
		g.sess = slices.Delete(g.sess, lo+1, hi)
		e.open -= hi - lo - 1
	}
	o.apply(s.group, ev)
	e.sched.set(&g.slot, g.due(e.gap))
	return nil
}

// checkMergedDistinct reports whether merging ss and adding ev would
// overflow a DISTINCT set.
func (e *sessions) checkMergedDistinct(ss []*session, ev *event) error {
	o := e.o
	for i := range o.spec.Aggregates {
		if !o.spec.Aggregates[i].Distinct {
			continue
		}
		union := map[string]struct{}{}
		for _, s := range ss {
			for k := range s.accs[i].set {
				union[k] = struct{}{}
			}
		}
		if ev.args[i] != nil {
			union[string(ev.dkeys[i])] = struct{}{}
		}
		if len(union) > o.spec.MaxDistinct {
			return fmt.Errorf("%w: merging sessions gives aggregate %d %d values (cap %d)", ErrTooManyDistinct, i, len(union), o.spec.MaxDistinct)
		}
	}
	return nil
}

func (e *sessions) close(wm int64) {
	for it := e.sched.next(wm); it != nil; it = e.sched.next(wm) {
		g := e.groups[it.key]
		n := 0
		for n < len(g.sess) && g.sess[n].end <= wm {
			s := g.sess[n]
			e.o.emit(g.key, s.group, s.start, s.end)
			g.closedEnd = s.end
			n++
		}
		clear(g.sess[:n])
		g.sess = slices.Delete(g.sess, 0, n)
		e.open -= n
		if len(g.sess) == 0 && g.closedEnd+e.gap <= wm {
			e.sched.remove(&g.slot)
			delete(e.groups, g.key)
			continue
		}
		e.sched.set(&g.slot, g.due(e.gap))
	}
}

// Snapshot form: group count, then per group (by key) the key values, the
// end of its last emitted session (varint; MinInt64 for none), session
// count, and per session start, end and its aggregates.
func (e *sessions) encode(b []byte) []byte {
	b = appendUvarint(b, uint64(len(e.groups)))
	for _, k := range sortedKeys(e.groups) {
		g := e.groups[k]
		b = appendVarint(appendKeyVals(b, g.keyVals), g.closedEnd)
		b = appendUvarint(b, uint64(len(g.sess)))
		for _, s := range g.sess {
			b = appendVarint(appendVarint(b, s.start), s.end)
			b = e.o.encodeAggs(b, s.group)
		}
	}
	return b
}

func (e *sessions) decode(d *decoder) {
	n := d.count(4)
	prevKey := ""
	for i := range n {
		keyVals, key := readKeyVals(d)
		closedEnd := d.varint()
		ns := d.count(3)
		if d.err != nil {
			return
		}
		if i > 0 && key <= prevKey {
			d.fail("session groups out of order")
			return
		}
		prevKey = key
		if closedEnd != noWatermark && !inTimeBounds(closedEnd) || ns == 0 && closedEnd == noWatermark {
			d.fail("bad session group")
			return
		}
		g := &sessGroup{slot: slot{key: key, index: -1}, keyVals: keyVals, closedEnd: closedEnd}
		last := closedEnd
		for range ns {
			s := &session{start: d.varint(), end: d.varint(), group: &group{key: keyVals}}
			e.o.decodeAggs(d, s.group)
			if d.err != nil {
				return
			}
			if !inTimeBounds(s.start) || !inTimeBounds(s.end) || s.start >= s.end || s.start < last {
				d.fail("bad session [%d, %d)", s.start, s.end)
				return
			}
			last = s.end
			g.sess = append(g.sess, s)
		}
		e.groups[key] = g
		e.open += ns
		e.sched.set(&g.slot, g.due(e.gap))
	}
}
