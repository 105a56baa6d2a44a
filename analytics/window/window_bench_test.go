package window

// Benchmarks for issue 6's targets (per core: run with -cpu 1):
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./analytics/window/
//
// The evaluator's cost (parsing JSON, evaluating expressions, boxing values)
// is not here: keys and arguments are built once, as the evaluator would
// hand them over.

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkTumbling10kGroups: the telemetry roll-up over 10,000 devices,
// SELECT device, count(*), avg(temp), min(temp), max(temp) GROUP BY device,
// TUMBLING(1m), event time with 5 s lateness; 10,000 records/s of event
// time, so each window closes with 10,000 groups of 6 records.
func BenchmarkTumbling10kGroups(b *testing.B) {
	const groups = 10_000
	op, err := New(Spec{
		Window:     Tumbling(time.Minute),
		Aggregates: []AggSpec{{Func: FuncCountStar}, {Func: FuncAvg}, {Func: FuncMin}, {Func: FuncMax}},
		EventTime:  true,
		Lateness:   5 * time.Second,
	})
	if err != nil {
		b.Fatal(err)
	}
	keys := make([][]any, groups)
	args := make([][]any, groups)
	for i := range keys {
		keys[i] = []any{fmt.Sprintf("device-%05d", i)}
		temp := any(-18 + float64(i%100)/10)
		args[i] = []any{nil, temp, temp, temp}
	}
	emitted := 0
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		g := (i * 7919) % groups // spread the groups over the stream
		rs, err := op.Add(Event{Key: keys[g], Time: t0.Add(time.Duration(i) * 100 * time.Microsecond), Args: args[g]})
		if err != nil {
			b.Fatal(err)
		}
		emitted += len(rs)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if b.N > 2*600_000 && emitted == 0 {
		b.Fatal("no window closed")
	}
}

// BenchmarkFraudSliding: the fraud rule over 10,000 cards, one transaction
// per millisecond (about 6 per card in any 60 s), 30% of them over 1,000:
// count(CASE WHEN amount > 1000 THEN 1 END), count(DISTINCT CASE WHEN
// amount > 1000 THEN location END) GROUP BY card, SLIDING(60s). Every
// event emits its window.
func BenchmarkFraudSliding(b *testing.B) {
	const cards = 10_000
	op, err := New(Spec{
		Window:     Sliding(time.Minute),
		Aggregates: []AggSpec{{Func: FuncCount}, {Func: FuncCount, Distinct: true}},
		EventTime:  true,
	})
	if err != nil {
		b.Fatal(err)
	}
	keys := make([][]any, cards)
	for i := range keys {
		keys[i] = []any{fmt.Sprintf("card-%05d", i)}
	}
	locs := []any{"paris", "lyon", "nice", "rome", "oslo"}
	one := any(int64(1))
	argsBig := make([][]any, len(locs))
	for i, l := range locs {
		argsBig[i] = []any{one, l}
	}
	argsSmall := []any{nil, nil}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c := (i * 7919) % cards
		args := argsSmall
		if i%10 < 3 {
			args = argsBig[i%len(locs)]
		}
		if _, err := op.Add(Event{Key: keys[c], Time: t0.Add(time.Duration(i) * time.Millisecond), Args: args}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkIdleOperator: the memory of an app's idle window state, for the
// ≤ 1 MB per idle app target: a spec with every aggregate and LAG, no
// events.
func BenchmarkIdleOperator(b *testing.B) {
	const n = 1000
	spec := Spec{Window: Tumbling(time.Minute), Aggregates: allAggs, Lags: allLags, EventTime: true}
	ops := make([]*Operator, n)
	var before, after runtime.MemStats
	for b.Loop() {
		clear(ops)
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range ops {
			ops[i], _ = New(spec)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	runtime.KeepAlive(ops)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/idle-op")
}

// BenchmarkStateBytes: heap per group of an open tumbling window with the
// roll-up's four aggregates, and the snapshot size per group.
func BenchmarkStateBytes(b *testing.B) {
	const groups = 10_000
	spec := Spec{
		Window:     Tumbling(time.Minute),
		Aggregates: []AggSpec{{Func: FuncCountStar}, {Func: FuncAvg}, {Func: FuncMin}, {Func: FuncMax}},
		EventTime:  true,
	}
	var before, after runtime.MemStats
	var op *Operator
	var snap []byte
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		op, _ = New(spec)
		for i := range groups {
			temp := any(float64(i))
			if _, err := op.Add(Event{Key: []any{fmt.Sprintf("device-%05d", i)}, Time: t0, Args: []any{nil, temp, temp, temp}}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		snap, _ = op.MarshalBinary()
	}
	runtime.KeepAlive(op)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/groups, "heap-bytes/group")
	b.ReportMetric(float64(len(snap))/groups, "snapshot-bytes/group")
}

// BenchmarkSnapshot: marshalling and restoring 10,000 groups.
func BenchmarkSnapshot(b *testing.B) {
	spec := Spec{
		Window:     Tumbling(time.Minute),
		Aggregates: []AggSpec{{Func: FuncCountStar}, {Func: FuncAvg}, {Func: FuncMin}, {Func: FuncMax}},
		EventTime:  true,
	}
	op, _ := New(spec)
	for i := range 10_000 {
		temp := any(float64(i))
		if _, err := op.Add(Event{Key: []any{fmt.Sprintf("device-%05d", i)}, Time: t0, Args: []any{nil, temp, temp, temp}}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := op.MarshalBinary(); err != nil {
				b.Fatal(err)
			}
		}
	})
	snap, _ := op.MarshalBinary()
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fresh, _ := New(spec)
			if err := fresh.UnmarshalBinary(snap); err != nil {
				b.Fatal(err)
			}
		}
	})
}
