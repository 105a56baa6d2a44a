package window

import "container/heap"

// schedule orders per-group state (sessions, sliding buffers) by the time of
// its next action, so a watermark move touches only the groups it concerns:
// O(log groups) per change instead of a scan. Ties break on the canonical
// key, so the order of visits is deterministic.
type schedule struct{ items []*slot }

// slot is a group's place in a schedule; groups embed it.
type slot struct {
	at    int64  // time of the next action
	key   string // the group's canonical key
	index int    // position in schedule.items; -1 when not scheduled
}

func (s *schedule) Len() int { return len(s.items) }
func (s *schedule) Less(i, j int) bool {
	a, b := s.items[i], s.items[j]
	return a.at < b.at || a.at == b.at && a.key < b.key
}
func (s *schedule) Swap(i, j int) {
	s.items[i], s.items[j] = s.items[j], s.items[i]
	s.items[i].index, s.items[j].index = i, j
}
func (s *schedule) Push(x any) {
	it := x.(*slot)
	it.index = len(s.items)
	s.items = append(s.items, it)
}
func (s *schedule) Pop() any {
	n := len(s.items) - 1
	it := s.items[n]
	s.items[n] = nil
	s.items = s.items[:n]
	it.index = -1
	return it
}

// set schedules it at time at, adding it if it is not scheduled.
func (s *schedule) set(it *slot, at int64) {
	it.at = at
	if it.index < 0 {
		heap.Push(s, it)
		return
	}
	heap.Fix(s, it.index)
}

// remove unschedules it.
func (s *schedule) remove(it *slot) {
	if it.index >= 0 {
		heap.Remove(s, it.index)
	}
}

// next returns the earliest slot due at or before t, or nil.
func (s *schedule) next(t int64) *slot {
	if len(s.items) == 0 || s.items[0].at > t {
		return nil
	}
	return s.items[0]
}
