package window

// A reference model of every window definition in doc.go, written the
// obvious way over the whole (in-order) input, against which the
// incremental engines are checked on random streams.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

type modelEvent struct {
	key string
	t   int64 // seconds
	v   int64
}

type modelWindow struct {
	key        string
	start, end int64 // seconds
	rows, sum  int64
}

func (w modelWindow) String() string {
	return fmt.Sprintf("%s [%d,%d] rows=%d sum=%d", w.key, w.start, w.end, w.rows, w.sum)
}

func modelWindows(w Window, evs []modelEvent) []modelWindow {
	var out []modelWindow
	sec := func(d time.Duration) int64 { return int64(d / time.Second) }
	switch w.Kind {
	case KindTumbling, KindHopping:
		size, adv := sec(w.Size), sec(w.Advance)
		if w.Kind == KindTumbling {
			adv = size
		}
		acc := map[modelWindow]*modelWindow{}
		for _, e := range evs {
			for s := floorDiv(e.t, adv) * adv; s > e.t-size; s -= adv {
				k := modelWindow{key: e.key, start: s, end: s + size}
				if acc[k] == nil {
					acc[k] = &modelWindow{key: e.key, start: s, end: s + size}
				}
				acc[k].rows++
				acc[k].sum += e.v
			}
		}
		for _, m := range acc {
			out = append(out, *m)
		}
	case KindSliding:
		size := sec(w.Size)
		for j, e := range evs {
			m := modelWindow{key: e.key, start: e.t - size, end: e.t}
			for i, f := range evs {
				if f.key == e.key && f.t > e.t-size && (f.t < e.t || f.t == e.t && i <= j) {
					m.rows++
					m.sum += f.v
				}
			}
			out = append(out, m)
		}
	case KindSession:
		gap := sec(w.Gap)
		open := map[string]*modelWindow{}
		for _, e := range evs {
			m := open[e.key]
			if m != nil && e.t-(m.end-gap) >= gap {
				out = append(out, *m)
				m = nil
			}
			if m == nil {
				m = &modelWindow{key: e.key, start: e.t}
				open[e.key] = m
			}
			m.end = e.t + gap
			m.rows++
			m.sum += e.v
		}
		for _, m := range open {
			out = append(out, *m)
		}
	case KindCount:
		byKey := map[string][]modelEvent{}
		for _, e := range evs {
			byKey[e.key] = append(byKey[e.key], e)
		}
		for k, es := range byKey {
			for s := 0; s+w.Count <= len(es); s += w.Slide {
				m := modelWindow{key: k, start: es[s].t, end: es[s].t}
				for _, e := range es[s : s+w.Count] {
					m.rows++
					m.sum += e.v
					m.start, m.end = min(m.start, e.t), max(m.end, e.t)
				}
				out = append(out, m)
			}
		}
	}
	return out
}

func TestModel(t *testing.T) {
	windows := []Window{
		Tumbling(10 * time.Second), Tumbling(time.Second),
		Hopping(10*time.Second, 5*time.Second), Hopping(10*time.Second, 3*time.Second), Hopping(6*time.Second, 6*time.Second),
		Sliding(5 * time.Second), Sliding(time.Second),
		Session(3 * time.Second), Session(time.Second),
		Count(3, 3), Count(4, 1), Count(5, 2), Count(1, 1),
	}
	for _, w := range windows {
		for seed := range 10 {
			rng := rand.New(rand.NewPCG(uint64(seed), 11))
			op, err := New(Spec{Window: w, Aggregates: []AggSpec{{Func: FuncCountStar}, {Func: FuncSum}}, EventTime: true})
			if err != nil {
				t.Fatal(err)
			}
			var evs []modelEvent
			var got []string
			var ts int64 = -20 // some windows straddle the epoch
			for range 300 {
				ts += int64(rng.IntN(3)) // in order, often equal
				e := modelEvent{key: fmt.Sprint("k", rng.IntN(3)), t: ts, v: int64(rng.IntN(10))}
				evs = append(evs, e)
				rs, err := op.Add(Event{Key: []any{e.key}, Time: time.Unix(e.t, 0), Args: []any{nil, e.v}})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, fmtModel(rs)...)
			}
			got = append(got, fmtModel(op.AdvanceWatermark(time.Unix(ts+1000, 0)))...)
			var want []string
			for _, m := range modelWindows(w, evs) {
				want = append(want, m.String())
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("%+v seed %d:\n got %d windows %v\nwant %d windows %v", w, seed, len(got), got, len(want), want)
			}
			if s := op.Stats(); w.Kind != KindCount && (s.Groups != 0 || s.Windows != 0) {
				t.Fatalf("%+v: state left after the final watermark: %+v", w, s)
			}
		}
	}
}

func fmtModel(rs []Result) []string {
	var out []string
	for _, r := range rs {
		sum, _ := r.Values[1].(int64)
		out = append(out, modelWindow{key: r.Key[0].(string), start: r.Start.Unix(), end: r.End.Unix(), rows: r.Values[0].(int64), sum: sum}.String())
	}
	return out
}
