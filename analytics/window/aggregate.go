package window

import (
	"fmt"
	"math"
	"slices"
)

// Func is an aggregate function. See the package documentation for each
// one's definition; all of them ignore NULL arguments except count(*).
type Func uint8

// The aggregate functions.
const (
	_              Func = iota
	FuncCount           // count(x): non-NULL x; with Distinct, distinct non-NULL x
	FuncCountStar       // count(*): rows
	FuncSum             // sum(x): int64 while exact, float64 after overflow or a float input
	FuncAvg             // avg(x): float64
	FuncMin             // min(x): booleans < numbers < strings
	FuncMax             // max(x)
	FuncFirst           // first(x): x of the earliest event (event time, then arrival)
	FuncLast            // last(x): x of the latest event
	FuncStddev          // stddev(x): population standard deviation
	FuncStddevSamp      // stddev_samp(x): sample standard deviation
	FuncPercentile      // percentile(x, q): approximate, 1% relative error
)

var funcNames = [...]string{"", "count", "count(*)", "sum", "avg", "min", "max", "first", "last", "stddev", "stddev_samp", "percentile"}

func (f Func) String() string {
	if f > 0 && int(f) < len(funcNames) {
		return funcNames[f]
	}
	return fmt.Sprintf("Func(%d)", uint8(f))
}

// ParseFunc maps an SQL function name (lower case, as String prints it) to
// its Func.
func ParseFunc(name string) (Func, bool) {
	for i, n := range funcNames {
		if i > 0 && n == name {
			return Func(i), true
		}
	}
	return 0, false
}

// checkArg reports whether a non-NULL v can be an argument of fn.
func checkArg(fn Func, v any) error {
	switch fn {
	case FuncSum, FuncAvg, FuncStddev, FuncStddevSamp, FuncPercentile:
		if !isNumber(v) {
			return fmt.Errorf("%w: %s needs a number, got %s", ErrType, fn, typeName(v))
		}
	case FuncMin, FuncMax:
		if !isScalar(v) {
			return fmt.Errorf("%w: %s needs a boolean, number or string, got %s", ErrType, fn, typeName(v))
		}
	}
	return nil
}

// typeName names v's type in the value model's terms.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NULL"
	case bool:
		return "boolean"
	case int64, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("Go %T", v)
}

// acc is the state of one aggregate in one group of one window. One struct
// serves every Func (a group's accumulators are one slice, one allocation);
// each Func uses the fields its comments name.
type acc struct {
	n     int64               // inputs seen (rows for count(*)); all but distinct
	i     int64               // sum, avg: the sum while it is an exact int64
	f     float64             // sum, avg: the sum once float; stddev: the mean
	m2    float64             // stddev: sum of squared deviations (Welford)
	float bool                // sum, avg: the sum has become float64
	v     any                 // min, max, first, last: the value so far
	t     int64               // first, last: event time of v (ns)
	seq   uint64              // first, last: arrival sequence of v
	set   map[string]struct{} // count(DISTINCT x): canonical encodings
	sk    *sketch             // percentile
}

// add folds in one argument: v is non-NULL (or anything, for count(*)), t
// and seq place the event, dkey is v's canonical encoding for DISTINCT.
func (a *acc) add(s *AggSpec, v any, t int64, seq uint64, dkey []byte) {
	switch s.Func {
	case FuncCount:
		if s.Distinct {
			if _, ok := a.set[string(dkey)]; !ok {
				if a.set == nil {
					a.set = make(map[string]struct{})
				}
				a.set[string(dkey)] = struct{}{}
			}
			return
		}
		a.n++
	case FuncCountStar:
		a.n++
	case FuncSum, FuncAvg:
		a.n++
		a.addSum(v)
	case FuncMin:
		if a.v == nil || compareValues(v, a.v) < 0 {
			a.v = v
		}
	case FuncMax:
		if a.v == nil || compareValues(v, a.v) > 0 {
			a.v = v
		}
	case FuncFirst:
		if a.v == nil || t < a.t || t == a.t && seq < a.seq {
			a.v, a.t, a.seq = v, t, seq
		}
	case FuncLast:
		if a.v == nil || t > a.t || t == a.t && seq > a.seq {
			a.v, a.t, a.seq = v, t, seq
		}
	case FuncStddev, FuncStddevSamp:
		x := toFloat(v)
		a.n++
		d := x - a.f
		a.f += d / float64(a.n)
		a.m2 += d * (x - a.f)
	case FuncPercentile:
		if a.sk == nil {
			a.sk = &sketch{}
		}
		a.sk.add(toFloat(v))
	}
}

// addSum adds a number to the sum, moving to float64 on a float input or
// when the int64 sum would overflow.
func (a *acc) addSum(v any) {
	if x, ok := v.(int64); ok && !a.float {
		s := a.i + x
		if (s > a.i) == (x > 0) {
			a.i = s
			return
		}
		a.float, a.f = true, float64(a.i)
	}
	if !a.float {
		a.float, a.f = true, float64(a.i)
	}
	a.f += toFloat(v)
}

// merge folds b (of the same aggregate) into a; b is not used afterwards.
// Callers check DISTINCT caps first.
func (a *acc) merge(s *AggSpec, b *acc) {
	switch s.Func {
	case FuncCount:
		if s.Distinct {
			if len(a.set) < len(b.set) {
				a.set, b.set = b.set, a.set
			}
			if a.set == nil {
				return
			}
			for k := range b.set {
				a.set[k] = struct{}{}
			}
			return
		}
		a.n += b.n
	case FuncCountStar:
		a.n += b.n
	case FuncSum, FuncAvg:
		a.n += b.n
		switch {
		case !a.float && !b.float:
			a.addSum(b.i)
		case b.float:
			a.addSum(b.f)
		default:
			a.f += float64(b.i)
		}
	case FuncMin, FuncMax, FuncFirst, FuncLast:
		if b.v != nil {
			a.add(s, b.v, b.t, b.seq, nil)
		}
	case FuncStddev, FuncStddevSamp:
		if b.n == 0 {
			return
		}
		if a.n == 0 {
			*a = *b
			return
		}
		n := a.n + b.n
		d := b.f - a.f
		a.m2 += b.m2 + d*d*float64(a.n)*float64(b.n)/float64(n)
		a.f += d * float64(b.n) / float64(n)
		a.n = n
	case FuncPercentile:
		if b.sk == nil {
			return
		}
		if a.sk == nil {
			a.sk = b.sk
			return
		}
		a.sk.merge(b.sk)
	}
}

// reset empties a for reuse, keeping its DISTINCT set's memory.
func (a *acc) reset() {
	set := a.set
	clear(set)
	*a = acc{set: set}
}

// result is the aggregate's value: NULL when it saw no non-NULL input
// (except count, which is 0).
func (a *acc) result(s *AggSpec) any {
	switch s.Func {
	case FuncCount:
		if s.Distinct {
			return int64(len(a.set))
		}
		return a.n
	case FuncCountStar:
		return a.n
	case FuncSum:
		switch {
		case a.n == 0:
			return nil
		case a.float:
			return a.f
		}
		return a.i
	case FuncAvg:
		switch {
		case a.n == 0:
			return nil
		case a.float:
			return a.f / float64(a.n)
		}
		return float64(a.i) / float64(a.n)
	case FuncMin, FuncMax, FuncFirst, FuncLast:
		return a.v
	case FuncStddev:
		if a.n == 0 {
			return nil
		}
		return math.Sqrt(max(a.m2, 0) / float64(a.n))
	case FuncStddevSamp:
		if a.n < 2 {
			return nil
		}
		return math.Sqrt(max(a.m2, 0) / float64(a.n-1))
	case FuncPercentile:
		if a.sk == nil || a.sk.count() == 0 {
			return nil
		}
		return a.sk.quantile(s.Param)
	}
	return nil
}

// encode appends the state in the snapshot format (see snapshot.go).
func (a *acc) encode(b []byte, s *AggSpec) []byte {
	switch s.Func {
	case FuncCount:
		if s.Distinct {
			keys := make([]string, 0, len(a.set))
			for k := range a.set {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			b = appendUvarint(b, uint64(len(keys)))
			for _, k := range keys {
				b = appendString(b, k)
			}
			return b
		}
		return appendUvarint(b, uint64(a.n))
	case FuncCountStar:
		return appendUvarint(b, uint64(a.n))
	case FuncSum, FuncAvg:
		b = appendBool(appendUvarint(b, uint64(a.n)), a.float)
		if a.float {
			return appendFloat(b, a.f)
		}
		return appendVarint(b, a.i)
	case FuncMin, FuncMax:
		b, _ = appendValue(b, a.v, false, 0) // checked when added
		return b
	case FuncFirst, FuncLast:
		b, _ = appendValue(b, a.v, false, 0)
		if a.v == nil {
			return b
		}
		return appendUvarint(appendVarint(b, a.t), a.seq)
	case FuncStddev, FuncStddevSamp:
		return appendFloat(appendFloat(appendUvarint(b, uint64(a.n)), a.f), a.m2)
	case FuncPercentile:
		if a.sk == nil {
			return append(b, 0)
		}
		return a.sk.encode(append(b, 1))
	}
	return b
}

// decode reads what encode wrote.
func (a *acc) decode(d *decoder, s *AggSpec) {
	switch s.Func {
	case FuncCount:
		if s.Distinct {
			n := d.count(1)
			if n > 0 {
				a.set = make(map[string]struct{}, n)
			}
			for range n {
				a.set[d.string()] = struct{}{}
			}
			return
		}
		a.n = d.nonNeg()
	case FuncCountStar:
		a.n = d.nonNeg()
	case FuncSum, FuncAvg:
		a.n = d.nonNeg()
		if a.float = d.bool(); a.float {
			a.f = d.float()
		} else {
			a.i = d.varint()
		}
	case FuncMin, FuncMax:
		a.v = readValue(d, 0)
		if a.v != nil && !isScalar(a.v) {
			d.fail("%s holds a %s", s.Func, typeName(a.v))
		}
	case FuncFirst, FuncLast:
		if a.v = readValue(d, 0); a.v != nil {
			a.t, a.seq = d.varint(), d.uvarint()
		}
	case FuncStddev, FuncStddevSamp:
		a.n, a.f, a.m2 = d.nonNeg(), d.float(), d.float()
	case FuncPercentile:
		if d.bool() {
			a.sk = &sketch{}
			a.sk.decode(d)
		}
	}
}
