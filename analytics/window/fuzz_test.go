package window

// Fuzz tests for the snapshot decoder (STYLE.md practice 8) and randomized
// checks of restore and of the window definitions. Seeds come from
// operators fed random streams; crashers that `go test -fuzz` finds are kept
// under testdata/fuzz/<FuzzName>/ and run with the normal suite.
//
//	go test -run '^$' -fuzz '^FuzzSnapshot$' -fuzztime 60s ./analytics/window/

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

var allAggs = []AggSpec{
	{Func: FuncCountStar}, {Func: FuncCount}, {Func: FuncCount, Distinct: true}, {Func: FuncSum},
	{Func: FuncAvg}, {Func: FuncMin}, {Func: FuncMax}, {Func: FuncFirst}, {Func: FuncLast},
	{Func: FuncStddev}, {Func: FuncStddevSamp}, {Func: FuncPercentile, Param: 0.9},
}

var allLags = []LagSpec{{}, {IgnoreNulls: true}}

// fuzzSpecs covers every window kind; FuzzSnapshot picks one by the first
// input byte.
var fuzzSpecs = []Spec{
	{Window: Tumbling(10 * time.Second), Aggregates: allAggs, Lags: allLags, EventTime: true, Lateness: 3 * time.Second, MaxDistinct: 4},
	{Window: Hopping(10*time.Second, 5*time.Second), Aggregates: allAggs, Lags: allLags, EventTime: true, Lateness: 2 * time.Second},
	{Window: Sliding(10 * time.Second), Aggregates: allAggs, Lags: allLags, EventTime: true, Lateness: 2 * time.Second},
	{Window: Session(5 * time.Second), Aggregates: allAggs, Lags: allLags, EventTime: true, Lateness: 5 * time.Second},
	{Window: Count(3, 2), Aggregates: allAggs, Lags: allLags},
	{Window: Tumbling(10 * time.Second), Aggregates: allAggs, Lags: allLags}, // arrival time
	{Lags: allLags, LagTTL: 20 * time.Second},
}

// randomEvent makes an event of spec's shape: keys from a small set, times
// around 0..duration with some disorder, arguments of the right kinds with
// NULLs.
func randomEvent(rng *rand.Rand, spec Spec, i int) Event {
	key := []any{fmt.Sprint("k", rng.IntN(4))}
	if rng.IntN(5) == 0 {
		key = append(key, int64(rng.IntN(2)))
	}
	t := t0.Add(time.Duration(i)*300*time.Millisecond + time.Duration(rng.IntN(4000)-2000)*time.Millisecond)
	args := make([]any, len(spec.Aggregates))
	for j, a := range spec.Aggregates {
		if rng.IntN(6) == 0 {
			continue // NULL
		}
		switch a.Func {
		case FuncSum, FuncAvg, FuncStddev, FuncStddevSamp, FuncPercentile:
			if rng.IntN(2) == 0 {
				args[j] = int64(rng.IntN(100) - 20)
			} else {
				args[j] = rng.NormFloat64() * 10
			}
		default:
			switch rng.IntN(4) {
			case 0:
				args[j] = int64(rng.IntN(5))
			case 1:
				args[j] = float64(rng.IntN(5)) / 2
			case 2:
				args[j] = fmt.Sprint("s", rng.IntN(5))
			default:
				args[j] = rng.IntN(2) == 0
			}
		}
	}
	return Event{Key: key, Time: t, Args: args}
}

// drive feeds n random steps to the operator op returns (events, LAG rows,
// clock ticks, watermark moves) and logs everything emitted and every error.
func drive(rng *rand.Rand, spec Spec, n int, op func() *Operator) []string {
	var log []string
	for i := range n {
		ev := randomEvent(rng, spec, i)
		o := op()
		switch r := rng.IntN(20); {
		case r == 0:
			log = append(log, fmt.Sprint("advance ", o.Advance(ev.Time)))
		case r == 1 && spec.Window.Kind != NoWindow:
			log = append(log, fmt.Sprint("watermark ", o.AdvanceWatermark(ev.Time.Add(-5*time.Second))))
		case r < 8:
			cur := make([]any, len(spec.Lags))
			for j := range cur {
				if rng.IntN(4) > 0 {
					cur[j] = rng.NormFloat64()
				}
			}
			prev, err := o.Previous(ev.Key, ev.Time, cur)
			log = append(log, fmt.Sprint("prev ", prev, err))
		default:
			if spec.Window.Kind == NoWindow {
				continue
			}
			rs, err := o.Add(ev)
			log = append(log, fmt.Sprintf("add %v %v", rs, err))
		}
	}
	return log
}

func snapshotSeeds(f *testing.F) {
	for si, spec := range fuzzSpecs {
		for seed := range 3 {
			rng := rand.New(rand.NewPCG(uint64(si), uint64(seed)))
			op, err := New(spec)
			if err != nil {
				f.Fatal(err)
			}
			drive(rng, spec, 20+seed*40, func() *Operator { return op })
			b, _ := op.MarshalBinary()
			f.Add(byte(si), b)
		}
	}
}

func FuzzSnapshot(f *testing.F) {
	snapshotSeeds(f)
	f.Add(byte(0), []byte("TRWS\x01"))
	f.Add(byte(2), []byte{})
	f.Fuzz(func(t *testing.T, sel byte, data []byte) {
		spec := fuzzSpecs[int(sel)%len(fuzzSpecs)]
		op, err := New(spec)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := op.MarshalBinary()
		if err := op.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrBadSnapshot) {
				t.Fatalf("error %v is not ErrBadSnapshot", err)
			}
			if after, _ := op.MarshalBinary(); !slices.Equal(before, after) {
				t.Fatal("a refused snapshot changed the operator")
			}
			return
		}
		// Round trip: what decodes re-encodes stably.
		b1, _ := op.MarshalBinary()
		op2, _ := New(spec)
		if err := op2.UnmarshalBinary(b1); err != nil {
			t.Fatalf("re-encoded snapshot refused: %v", err)
		}
		if b2, _ := op2.MarshalBinary(); !slices.Equal(b1, b2) {
			t.Fatalf("snapshot does not round-trip:\n%x\n%x", b1, b2)
		}
		// A restored operator keeps working (errors are fine, panics not).
		rng := rand.New(rand.NewPCG(uint64(len(data)), 7))
		drive(rng, spec, 30, func() *Operator { return op })
		op.AdvanceWatermark(t0.Add(time.Hour))
	})
}

// TestRestoreAnywhere runs random streams (late events, NULLs, type errors,
// caps, ticks, LAG) through an operator and through one restored from a
// snapshot at random points, for every window kind: both must emit the same
// results and errors and end in the same bytes.
func TestRestoreAnywhere(t *testing.T) {
	for si, spec := range fuzzSpecs {
		for seed := range 5 {
			straight, _ := New(spec)
			log1 := drive(rand.New(rand.NewPCG(uint64(si), uint64(seed))), spec, 400, func() *Operator { return straight })

			restarted, _ := New(spec)
			pick := rand.New(rand.NewPCG(99, uint64(seed)))
			log2 := drive(rand.New(rand.NewPCG(uint64(si), uint64(seed))), spec, 400, func() *Operator {
				if pick.IntN(4) == 0 {
					b, _ := restarted.MarshalBinary()
					restarted, _ = New(spec)
					if err := restarted.UnmarshalBinary(b); err != nil {
						t.Fatal(err)
					}
				}
				return restarted
			})
			if !reflect.DeepEqual(log1, log2) {
				for i := range log1 {
					if log1[i] != log2[i] {
						t.Fatalf("spec %d seed %d: step %d differs:\nstraight  %s\nrestarted %s", si, seed, i, log1[i], log2[i])
					}
				}
			}
			b1, _ := straight.MarshalBinary()
			b2, _ := restarted.MarshalBinary()
			if !slices.Equal(b1, b2) {
				t.Fatalf("spec %d seed %d: final snapshots differ", si, seed)
			}
			if straight.Stats() != restarted.Stats() {
				t.Fatalf("spec %d seed %d: stats %+v vs %+v", si, seed, straight.Stats(), restarted.Stats())
			}
		}
	}
}
