package window

import (
	"fmt"
	"slices"
)

// timeWindows is the engine of tumbling (advance == size) and hopping
// windows: epoch-aligned [k·advance, k·advance+size), each with its own
// groups. An event goes straight into every window that contains it (at most
// ⌈size/advance⌉ ≤ maxFanout), so no merging is needed and every window's
// aggregates are exact.
type timeWindows struct {
	o         *Operator
	size, adv int64
	wins      []*timeWindow // open windows by start
	nGroups   int

	targets []int // scratch: indices into wins for the current event
}

type timeWindow struct {
	start, end int64
	groups     map[string]*group
}

func newTimeWindows(o *Operator, size, adv int64) *timeWindows {
	return &timeWindows{o: o, size: size, adv: adv}
}

func (e *timeWindows) numGroups() int  { return e.nGroups }
func (e *timeWindows) numWindows() int { return len(e.wins) }

// lastStart is the start of the latest window holding t.
func (e *timeWindows) lastStart(t int64) int64 { return floorDiv(t, e.adv) * e.adv }

// late: every window holding the event has ended at or before the watermark.
// The latest such window ends last, so it alone decides.
func (e *timeWindows) late(ev *event, wm int64) bool {
	return wm != noWatermark && e.lastStart(ev.t)+e.size <= wm
}

// find returns the index of the window starting at start, or where it would
// be inserted.
func (e *timeWindows) find(start int64) (int, bool) {
	if n := len(e.wins); n > 0 && e.wins[n-1].start == start { // the usual case
		return n - 1, true
	}
	return slices.BinarySearchFunc(e.wins, start, func(w *timeWindow, s int64) int {
		switch {
		case w.start < s:
			return -1
		case w.start > s:
			return 1
		}
		return 0
	})
}

func (e *timeWindows) add(ev *event, wm int64) error {
	o := e.o
	// Check every window the event joins before changing any of them.
	newWins := 0
	for s := e.lastStart(ev.t); s > ev.t-e.size; s -= e.adv {
		if wm != noWatermark && s+e.size <= wm {
			break // this one and every earlier one have closed
		}
		i, ok := e.find(s)
		if !ok {
			newWins++
			continue
		}
		w := e.wins[i]
		g := w.groups[string(ev.key)]
		if g == nil {
			if len(w.groups) >= o.spec.MaxGroups {
				return e.tooManyGroups(w)
			}
			continue
		}
		if err := o.checkDistinct(g, ev); err != nil {
			return err
		}
	}
	if newWins > 0 && len(e.wins)+newWins > o.spec.MaxWindows {
		return fmt.Errorf("%w: %d open, cap %d", ErrTooManyWindows, len(e.wins), o.spec.MaxWindows)
	}

	var key string
	for s := e.lastStart(ev.t); s > ev.t-e.size; s -= e.adv {
		if wm != noWatermark && s+e.size <= wm {
			break
		}
		i, ok := e.find(s)
		if !ok {
			e.wins = slices.Insert(e.wins, i, &timeWindow{start: s, end: s + e.size, groups: map[string]*group{}})
		}
		w := e.wins[i]
		g := w.groups[string(ev.key)]
		if g == nil {
			if key == "" {
				key = string(ev.key)
			}
			g = o.newGroup(ev.keyVals)
			w.groups[key] = g
			e.nGroups++
		}
		o.apply(g, ev)
	}
	return nil
}

func (e *timeWindows) tooManyGroups(w *timeWindow) error {
	return fmt.Errorf("%w: window %s holds %d groups (cap %d)", ErrTooManyGroups, fmtTime(w.start), len(w.groups), e.o.spec.MaxGroups)
}

func (e *timeWindows) close(wm int64) {
	n := 0
	for n < len(e.wins) && e.wins[n].end <= wm {
		w := e.wins[n]
		for k, g := range w.groups {
			e.o.emit(k, g, w.start, w.end)
		}
		e.nGroups -= len(w.groups)
		n++
	}
	if n > 0 {
		clear(e.wins[:n])
		e.wins = slices.Delete(e.wins, 0, n)
	}
}

// Snapshot form: window count, then per window start and its groups (see
// encodeGroups).
func (e *timeWindows) encode(b []byte) []byte {
	b = appendUvarint(b, uint64(len(e.wins)))
	for _, w := range e.wins {
		b = appendVarint(b, w.start)
		b = e.o.encodeGroups(b, w.groups)
	}
	return b
}

func (e *timeWindows) decode(d *decoder) {
	n := d.count(2)
	prev := int64(noWatermark)
	for range n {
		start := d.varint()
		if d.err != nil {
			return
		}
		if start <= prev || start%e.adv != 0 || start < -timeLimit-int64(maxDuration) || start > timeLimit {
			d.fail("window start %d out of order or off the grid", start)
			return
		}
		prev = start
		w := &timeWindow{start: start, end: start + e.size, groups: e.o.decodeGroups(d)}
		e.wins = append(e.wins, w)
		e.nGroups += len(w.groups)
	}
}
