package window

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// fold runs values through one aggregate, split into parts that are merged
// (as sessions merge), and returns the result.
func fold(s AggSpec, parts ...[]any) any {
	var total acc
	for _, vs := range parts {
		var a acc
		for i, v := range vs {
			if v == nil && s.Func != FuncCountStar {
				continue
			}
			var dkey []byte
			if s.Distinct {
				dkey, _ = appendValue(nil, v, true, 0)
			}
			a.add(&s, v, int64(i), uint64(i), dkey)
		}
		total.merge(&s, &a)
	}
	return total.result(&s)
}

func TestSum(t *testing.T) {
	for _, c := range []struct {
		name string
		in   [][]any
		want any
	}{
		{"empty is NULL", nil, nil},
		{"only NULLs is NULL", [][]any{{nil, nil}}, nil},
		{"int64 stays int64", [][]any{{int64(1), int64(2), nil, int64(-4)}}, int64(-1)},
		{"up to MaxInt64 exactly", [][]any{{int64(math.MaxInt64 - 1), int64(1)}}, int64(math.MaxInt64)},
		{"overflow goes float", [][]any{{int64(math.MaxInt64), int64(1)}}, float64(math.MaxInt64) + 1},
		{"underflow goes float", [][]any{{int64(math.MinInt64), int64(-1)}}, float64(math.MinInt64) - 1},
		{"overflow then back in range stays float", [][]any{{int64(math.MaxInt64), int64(1), int64(-2)}}, float64(math.MaxInt64) - 1},
		{"a float makes it float", [][]any{{int64(1), 0.5}}, 1.5},
		{"merge of ints", [][]any{{int64(2)}, {int64(3)}}, int64(5)},
		{"merge overflow", [][]any{{int64(math.MaxInt64)}, {int64(math.MaxInt64)}}, 2 * float64(math.MaxInt64)},
		{"merge int into float", [][]any{{0.5}, {int64(2)}}, 2.5},
		{"merge float into int", [][]any{{int64(2)}, {0.5}}, 2.5},
		{"merge with empty", [][]any{{}, {int64(7)}, {}}, int64(7)},
	} {
		if got := fold(AggSpec{Func: FuncSum}, c.in...); got != c.want {
			t.Errorf("%s: sum = %v (%T), want %v (%T)", c.name, got, got, c.want, c.want)
		}
	}
}

func TestCountAndAvg(t *testing.T) {
	in := [][]any{{int64(1), nil, 2.0}, {"x", nil}, {}}
	if got := fold(AggSpec{Func: FuncCountStar}, in...); got != int64(5) {
		t.Errorf("count(*) = %v, want 5", got)
	}
	if got := fold(AggSpec{Func: FuncCount}, in...); got != int64(3) {
		t.Errorf("count(x) = %v, want 3", got)
	}
	if got := fold(AggSpec{Func: FuncCount}); got != int64(0) {
		t.Errorf("count over nothing = %v, want 0", got)
	}
	dist := [][]any{{int64(1), 1.0, "1", []any{int64(1)}, []any{1.0}}, {map[string]any{"a": int64(1), "b": nil}, map[string]any{"b": nil, "a": 1.0}, int64(1)}}
	if got := fold(AggSpec{Func: FuncCount, Distinct: true}, dist...); got != int64(4) {
		t.Errorf("count(DISTINCT) = %v, want 4 (1, \"1\", [1], {a:1,b:null})", got)
	}
	if got := fold(AggSpec{Func: FuncAvg}, []any{int64(1), int64(2)}, []any{nil, 4.5}); got != 2.5 {
		t.Errorf("avg = %v, want 2.5", got)
	}
}

func TestStddev(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name string
		gen  func() float64
		tol  float64 // relative
	}{
		{"uniform", rng.Float64, 1e-9},
		// mean/stddev = 3·10^9: Welford loses ~eps·3·10^9 ≈ 10^-7; the
		// textbook Σx²−(Σx)²/n would lose everything (10^18·eps ≫ 0.08)
		{"large offset", func() float64 { return 1e9 + rng.Float64() }, 1e-5},
		{"normal", rng.NormFloat64, 1e-9},
	} {
		vals := make([]any, 10_000)
		var sum float64
		for i := range vals {
			f := c.gen()
			vals[i] = f
			sum += f
		}
		mean := sum / float64(len(vals))
		var ss float64
		for _, v := range vals {
			d := v.(float64) - mean
			ss += d * d
		}
		pop, samp := math.Sqrt(ss/float64(len(vals))), math.Sqrt(ss/float64(len(vals)-1))
		for _, parts := range [][][]any{{vals}, {vals[:1], vals[1:5000], vals[5000:]}, {vals[:3333], {}, vals[3333:]}} {
			got := fold(AggSpec{Func: FuncStddev}, parts...).(float64)
			if math.Abs(got-pop) > c.tol*pop {
				t.Errorf("%s in %d parts: stddev %v, two-pass %v", c.name, len(parts), got, pop)
			}
			got = fold(AggSpec{Func: FuncStddevSamp}, parts...).(float64)
			if math.Abs(got-samp) > c.tol*samp {
				t.Errorf("%s in %d parts: stddev_samp %v, two-pass %v", c.name, len(parts), got, samp)
			}
		}
	}
	if got := fold(AggSpec{Func: FuncStddev}, []any{int64(3)}); got != 0.0 {
		t.Errorf("stddev of one value = %v, want 0", got)
	}
	if got := fold(AggSpec{Func: FuncStddevSamp}, []any{int64(3)}); got != nil {
		t.Errorf("stddev_samp of one value = %v, want NULL", got)
	}
}

// TestPercentileErrorBound checks the documented bound: the answer is within
// 1% of the ⌊q·(n−1)⌋-th smallest input, for every q, over distributions
// that span many decades and both signs, whole or merged from parts.
func TestPercentileErrorBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		name string
		n    int
		gen  func() float64
	}{
		{"uniform", 10_000, func() float64 { return rng.Float64() * 100 }},
		{"exponential", 10_000, rng.ExpFloat64},
		{"lognormal, 10 decades", 10_000, func() float64 { return math.Exp(rng.NormFloat64() * 3) }},
		{"normal, both signs", 10_000, func() float64 { return rng.NormFloat64() * 50 }},
		{"few distinct", 1_000, func() float64 { return float64(rng.IntN(5)) }},
		{"latencies ms", 10_000, func() float64 { return float64(1 + rng.IntN(2000)) }},
		{"one value", 1, func() float64 { return 42 }},
	} {
		vals := make([]float64, c.n)
		in := make([]any, c.n)
		for i := range vals {
			vals[i] = c.gen()
			in[i] = vals[i]
		}
		sorted := slices.Clone(vals)
		slices.Sort(sorted)
		for _, q := range []float64{0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1} {
			exact := sorted[int(q*float64(c.n-1))]
			for _, parts := range [][][]any{{in}, {in[:c.n/3], in[c.n/3:]}} {
				got := fold(AggSpec{Func: FuncPercentile, Param: q}, parts...).(float64)
				if err := math.Abs(got - exact); err > sketchAlpha*math.Abs(exact)*(1+1e-9)+sketchMinValue {
					t.Errorf("%s q=%v (%d parts): %v, exact %v: error %.3g%%", c.name, q, len(parts), got, exact, 100*err/math.Abs(exact))
				}
			}
		}
	}
}

func TestPercentileMergeIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var whole, a, b sketch
	for i := range 5000 {
		x := rng.NormFloat64() * 1000
		whole.add(x)
		if i%3 == 0 {
			a.add(x)
		} else {
			b.add(x)
		}
	}
	a.merge(&b)
	if got, want := a.encode(nil), whole.encode(nil); !slices.Equal(got, want) {
		t.Fatal("merged sketch differs from the sketch of the whole")
	}
}

func TestPercentileIgnoresNonFinite(t *testing.T) {
	if got := fold(AggSpec{Func: FuncPercentile, Param: 0.5}, []any{math.NaN(), math.Inf(1)}); got != nil {
		t.Errorf("percentile of NaN and Inf = %v, want NULL", got)
	}
	if got := fold(AggSpec{Func: FuncPercentile, Param: 1}, []any{math.Inf(-1), 3.0, math.NaN()}); got != 3.0 {
		t.Errorf("percentile(1) = %v, want 3", got)
	}
}

// TestPercentileBinsBounded: values over 600 decades keep at most
// sketchMaxBins buckets per sign, and the top quantiles keep their bound.
func TestPercentileBinsBounded(t *testing.T) {
	var s sketch
	var all []float64
	for e := -300; e <= 300; e++ {
		for m := 1.0; m < 10; m += 0.5 {
			x := m * math.Pow(10, float64(e))
			s.add(x)
			all = append(all, x)
		}
	}
	if n := len(s.pos.counts); n > sketchMaxBins {
		t.Fatalf("%d buckets, cap %d", n, sketchMaxBins)
	}
	slices.Sort(all)
	for _, q := range []float64{0.99, 0.999, 1} { // the top 17 decades keep their buckets
		exact := all[int(q*float64(len(all)-1))]
		if got := s.quantile(q); math.Abs(got-exact) > sketchAlpha*exact*(1+1e-9) {
			t.Errorf("q=%v: %g, exact %g", q, got, exact)
		}
	}
}

func TestCompareValues(t *testing.T) {
	ordered := []any{
		false, true,
		math.Inf(-1), int64(math.MinInt64), -1.5, int64(-1), 0.0, 0.5, int64(1),
		float64(1 << 53), int64(1<<53 + 1), 9.3e18, math.Inf(1),
		"", "A", "a", "ab",
	}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := compareValues(a, b); got != want {
				t.Errorf("compare(%v, %v) = %d, want %d", a, b, got, want)
			}
		}
	}
	if compareValues(math.NaN(), math.Inf(-1)) != -1 || compareValues(int64(math.MinInt64), math.NaN()) != 1 {
		t.Error("NaN must sort below every other number")
	}
	if compareValues(int64(1), 1.0) != 0 || compareValues(int64(-3), -3.0) != 0 {
		t.Error("int64 and float64 of the same value must compare equal")
	}
}

func TestCanonicalKeys(t *testing.T) {
	enc := func(vs ...any) string {
		b, err := appendKey(nil, vs)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, c := range []struct {
		a, b  []any
		equal bool
	}{
		{[]any{int64(1)}, []any{1.0}, true},
		{[]any{0.0}, []any{math.Copysign(0, -1)}, true},
		{[]any{math.NaN()}, []any{math.Float64frombits(0x7ff8000000000abc)}, true},
		{[]any{map[string]any{"x": int64(1), "y": "z"}}, []any{map[string]any{"y": "z", "x": 1.0}}, true},
		{[]any{int64(1)}, []any{"1"}, false},
		{[]any{1.5}, []any{int64(1)}, false},
		{[]any{"a", "b"}, []any{"ab"}, false}, // length-prefixed: no ambiguity
		{[]any{"a", ""}, []any{"a"}, false},
		{[]any{nil}, []any{}, false},
		{[]any{[]any{}}, []any{map[string]any{}}, false},
		{[]any{float64(1 << 63)}, []any{int64(math.MaxInt64)}, false},
	} {
		if got := enc(c.a...) == enc(c.b...); got != c.equal {
			t.Errorf("key %v == key %v: %v, want %v", c.a, c.b, got, c.equal)
		}
	}
	if _, err := appendKey(nil, []any{42}); !errors.Is(err, ErrType) {
		t.Errorf("Go int as key: err %v, want ErrType", err)
	}
	deep := any("x")
	for range maxDepth + 1 {
		deep = []any{deep}
	}
	if _, err := appendKey(nil, []any{deep}); !errors.Is(err, ErrType) {
		t.Errorf("key nested past maxDepth: err %v, want ErrType", err)
	}
}

// TestSessionMergeDistinctCap: merging two sessions whose DISTINCT sets
// together pass the cap refuses the bridging event and leaves both.
func TestSessionMergeDistinctCap(t *testing.T) {
	op, err := New(Spec{
		Window:      Session(10 * time.Second),
		Aggregates:  []AggSpec{{Func: FuncCount, Distinct: true}},
		EventTime:   true,
		Lateness:    time.Minute,
		MaxDistinct: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	add := func(sec float64, v string) error {
		_, err := op.Add(Event{Key: []any{"k"}, Time: at(sec), Args: []any{v}})
		return err
	}
	for _, e := range []struct {
		sec float64
		v   string
	}{{0, "a"}, {1, "b"}, {20, "c"}, {21, "d"}} { // sessions [0, 11) and [20, 31)
		if err := add(e.sec, e.v); err != nil {
			t.Fatal(err)
		}
	}
	if err := add(10.5, "a"); !errors.Is(err, ErrTooManyDistinct) { // [10.5, 20.5) bridges them
		t.Fatalf("bridging event: err %v, want ErrTooManyDistinct", err)
	}
	if s := op.Stats(); s.Windows != 2 || s.DistinctLimitHits != 1 {
		t.Fatalf("after the refused merge: %+v", s)
	}
	if err := add(10.5, "z"); !errors.Is(err, ErrTooManyDistinct) {
		t.Fatal("a fifth distinct value must be refused too")
	}
	if err := add(5, "b"); err != nil { // inside the first session, no merge
		t.Fatal(err)
	}
	rs := op.AdvanceWatermark(at(100))
	if len(rs) != 2 || rs[0].Values[0] != int64(2) || rs[1].Values[0] != int64(2) {
		t.Fatalf("results %+v", rs)
	}
}
