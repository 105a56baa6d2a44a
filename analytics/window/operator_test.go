package window

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// TestValueModelChecks: values outside the value model are refused where
// the operator would keep them, ignored where it would not, and never reach
// a snapshot.
func TestValueModelChecks(t *testing.T) {
	type goStruct struct{ X int }
	for _, c := range []struct {
		name string
		spec Spec
		ev   Event
		want error
	}{
		{"Go int key", Spec{Window: Tumbling(time.Minute), Aggregates: []AggSpec{{Func: FuncCountStar}}},
			Event{Key: []any{42}, Args: []any{nil}}, ErrType},
		{"count(*) ignores its argument", Spec{Window: Sliding(time.Minute), Aggregates: []AggSpec{{Func: FuncCountStar}}},
			Event{Key: []any{"k"}, Args: []any{42}}, nil},
		{"count(x) of a Go struct, sliding keeps rows", Spec{Window: Sliding(time.Minute), Aggregates: []AggSpec{{Func: FuncCount}}},
			Event{Key: []any{"k"}, Args: []any{goStruct{}}}, ErrType},
		{"count(x) of a Go struct, tumbling only counts", Spec{Window: Tumbling(time.Minute), Aggregates: []AggSpec{{Func: FuncCount}}},
			Event{Key: []any{"k"}, Args: []any{goStruct{}}}, nil},
		{"first of a Go struct", Spec{Window: Tumbling(time.Minute), Aggregates: []AggSpec{{Func: FuncFirst}}},
			Event{Key: []any{"k"}, Args: []any{goStruct{}}}, ErrType},
		{"min of an array", Spec{Window: Tumbling(time.Minute), Aggregates: []AggSpec{{Func: FuncMin}}},
			Event{Key: []any{"k"}, Args: []any{[]any{int64(1)}}}, ErrType},
		{"first of an object", Spec{Window: Session(time.Minute), Aggregates: []AggSpec{{Func: FuncFirst}}},
			Event{Key: []any{"k"}, Args: []any{map[string]any{"a": []any{nil, true}}}}, nil},
		{"too few arguments", Spec{Window: Tumbling(time.Minute), Aggregates: []AggSpec{{Func: FuncSum}, {Func: FuncMax}}},
			Event{Key: []any{"k"}, Args: []any{int64(1)}}, ErrType},
	} {
		op, err := New(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		c.ev.Time = t0
		if _, err := op.Add(c.ev); !errors.Is(err, c.want) || (err == nil) != (c.want == nil) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
		b, _ := op.MarshalBinary()
		fresh, _ := New(c.spec)
		if err := fresh.UnmarshalBinary(b); err != nil {
			t.Errorf("%s: snapshot refused: %v", c.name, err)
		}
	}
}

func TestSnapshotRefusals(t *testing.T) {
	spec := Spec{Window: Tumbling(time.Minute), Aggregates: []AggSpec{{Func: FuncSum}}, EventTime: true}
	op, _ := New(spec)
	if _, err := op.Add(Event{Key: []any{"k"}, Time: t0, Args: []any{int64(5)}}); err != nil {
		t.Fatal(err)
	}
	good, _ := op.MarshalBinary()
	for _, c := range []struct {
		name string
		spec Spec
		data []byte
	}{
		{"other window", Spec{Window: Tumbling(time.Hour), Aggregates: spec.Aggregates, EventTime: true}, good},
		{"other aggregate", Spec{Window: spec.Window, Aggregates: []AggSpec{{Func: FuncAvg}}, EventTime: true}, good},
		{"other time mode", Spec{Window: spec.Window, Aggregates: spec.Aggregates}, good},
		{"truncated", spec, good[:len(good)-1]},
		{"trailing bytes", spec, append(append([]byte{}, good...), 0)},
		{"other version", spec, append([]byte("TRWS\x02"), good[5:]...)},
		{"empty", spec, nil},
	} {
		fresh, _ := New(c.spec)
		if err := fresh.UnmarshalBinary(c.data); !errors.Is(err, ErrBadSnapshot) {
			t.Errorf("%s: err %v, want ErrBadSnapshot", c.name, err)
		}
	}
	// caps and lateness may change across a restart
	relaxed := spec
	relaxed.MaxGroups, relaxed.Lateness = 7, time.Second
	fresh, _ := New(relaxed)
	if err := fresh.UnmarshalBinary(good); err != nil {
		t.Fatalf("restore with other caps: %v", err)
	}
	if rs := fresh.AdvanceWatermark(t0.Add(time.Hour)); len(rs) != 1 || rs[0].Values[0] != int64(5) {
		t.Fatalf("restored results %+v", rs)
	}
}

// TestStatsConcurrentRead: metrics readers on other goroutines while the
// owner adds (run with -race).
func TestStatsConcurrentRead(t *testing.T) {
	op, _ := New(Spec{Window: Tumbling(time.Second), Aggregates: []AggSpec{{Func: FuncCountStar}}, EventTime: true, MaxGroups: 10})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				_ = op.Stats()
				_ = op.Late() + int64(op.Groups())
			}
		}
	}()
	for i := range 2000 {
		_, _ = op.Add(Event{Key: []any{int64(i % 20)}, Time: t0.Add(time.Duration(i%700) * time.Millisecond * 3), Args: []any{nil}})
	}
	close(stop)
	wg.Wait()
	if s := op.Stats(); s.Late == 0 || s.GroupLimitHits == 0 {
		t.Fatalf("expected late events and group-limit hits: %+v", s)
	}
}

func TestTimeRange(t *testing.T) {
	op, _ := New(Spec{Window: Tumbling(time.Minute), Aggregates: []AggSpec{{Func: FuncCountStar}}, EventTime: true})
	for _, tm := range []time.Time{{}, time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, err := op.Add(Event{Time: tm, Args: []any{nil}}); !errors.Is(err, ErrTimeRange) {
			t.Errorf("%v: err %v, want ErrTimeRange", tm, err)
		}
	}
	for _, tm := range []time.Time{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, err := op.Add(Event{Time: tm, Args: []any{nil}}); err != nil {
			t.Errorf("%v: %v", tm, err)
		}
	}
	// far-future watermarks are clamped, not refused
	if rs := op.AdvanceWatermark(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); len(rs) != 1 || rs[0].Start.Year() != 2100 {
		t.Errorf("flush: %+v, want the window of 2100", rs)
	}
}
