package window

import (
	"math"
	"math/bits"
)

// sketch is the percentile aggregate's state: a DDSketch (Masson, Rim and
// Lee, "DDSketch: a fast and fully-mergeable quantile sketch with
// relative-error guarantees", VLDB 2019, §2).
//
// A positive x lands in bucket i = ⌈log_γ x⌉, which covers (γ^(i−1), γ^i],
// with γ = (1+α)/(1−α); the bucket answers with 2γ^i/(γ+1), within α·x of
// every value in it. Negative values use a mirror store, |x| < sketchMinValue
// counts as zero. So for quantile q over n finite inputs the answer v̂ and
// the exact x = (the ⌊q·(n−1)⌋-th smallest input, 0-based) satisfy
//
//	|v̂ − x| ≤ α·|x|        (α = 1%; plus 1e-9 absolute near zero)
//
// and v̂ is clamped into [min, max] of the inputs, so q = 0 and q = 1 are
// exact. Each sign keeps at most sketchMaxBins buckets (a range of 10^17 for
// α = 1%); past that the smallest-magnitude buckets fold together and only
// quantiles that fall in the folded buckets lose the bound. Merging adds
// bucket counts, so it is exact and order-independent. NaN and ±Inf are
// ignored. Memory is 8 bytes per occupied bucket range: ~560 bytes for
// values spanning a factor of 10.
type sketch struct {
	pos, neg store
	zero     uint64
	n        uint64 // all counts: zero + pos + neg
	min, max float64
}

const (
	sketchAlpha    = 0.01
	sketchMaxBins  = 2048
	sketchMinValue = 1e-9
)

var (
	sketchGamma   = (1 + sketchAlpha) / (1 - sketchAlpha)
	sketchLnGamma = math.Log(sketchGamma)
)

// store holds bucket counts for indices offset .. offset+len(counts)-1.
type store struct {
	offset int32
	counts []uint64
}

func sketchIndex(x float64) int32 { return int32(math.Ceil(math.Log(x) / sketchLnGamma)) }

func sketchValue(i int32) float64 {
	return math.Exp(float64(i)*sketchLnGamma) * 2 / (sketchGamma + 1)
}

func (s *sketch) count() uint64 { return s.n }

func (s *sketch) add(x float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return
	}
	switch {
	case x >= sketchMinValue:
		s.pos.add(sketchIndex(x), 1)
	case x <= -sketchMinValue:
		s.neg.add(sketchIndex(-x), 1)
	default:
		s.zero++
	}
	if s.n == 0 || x < s.min {
		s.min = x
	}
	if s.n == 0 || x > s.max {
		s.max = x
	}
	s.n++
}

func (s *sketch) merge(o *sketch) {
	if o.n == 0 {
		return
	}
	if s.n == 0 || o.min < s.min {
		s.min = o.min
	}
	if s.n == 0 || o.max > s.max {
		s.max = o.max
	}
	s.pos.merge(&o.pos)
	s.neg.merge(&o.neg)
	s.zero += o.zero
	s.n += o.n
}

// quantile answers for q in [0, 1]; s holds at least one value.
func (s *sketch) quantile(q float64) float64 {
	rank := q * float64(s.n-1)
	var cum uint64
	v := s.max
	found := false
	for i := len(s.neg.counts) - 1; i >= 0 && !found; i-- {
		if cum += s.neg.counts[i]; float64(cum) > rank {
			v, found = -sketchValue(s.neg.offset+int32(i)), true
		}
	}
	if !found {
		if cum += s.zero; float64(cum) > rank {
			v, found = 0, true
		}
	}
	for i := 0; i < len(s.pos.counts) && !found; i++ {
		if cum += s.pos.counts[i]; float64(cum) > rank {
			v, found = sketchValue(s.pos.offset+int32(i)), true
		}
	}
	return min(max(v, s.min), s.max)
}

func (st *store) add(idx int32, c uint64) {
	if len(st.counts) == 0 {
		st.offset, st.counts = idx, []uint64{c}
		return
	}
	lo, hi := st.offset, st.offset+int32(len(st.counts))-1
	if idx >= lo && idx <= hi {
		st.counts[idx-lo] += c
		return
	}
	newLo, newHi := min(lo, idx), max(hi, idx)
	if newHi-newLo+1 > sketchMaxBins {
		newLo = newHi - sketchMaxBins + 1
	}
	st.reshape(newLo, newHi)
	st.counts[max(idx, newLo)-newLo] += c
}

// reshape moves the store to cover [lo, hi] (hi at least the current top),
// folding buckets below lo into lo.
func (st *store) reshape(lo, hi int32) {
	counts := make([]uint64, hi-lo+1, hi-lo+1+8)
	for i, c := range st.counts {
		counts[max(st.offset+int32(i), lo)-lo] += c
	}
	st.offset, st.counts = lo, counts
}

func (st *store) merge(o *store) {
	for i, c := range o.counts {
		if c != 0 {
			st.add(o.offset+int32(i), c)
		}
	}
}

// Snapshot form: n, zero, min, max, then per store (positive, negative)
// offset, bucket count, counts.
func (s *sketch) encode(b []byte) []byte {
	b = appendUvarint(appendUvarint(b, s.n), s.zero)
	b = appendFloat(appendFloat(b, s.min), s.max)
	for _, st := range []*store{&s.pos, &s.neg} {
		b = appendUvarint(appendVarint(b, int64(st.offset)), uint64(len(st.counts)))
		for _, c := range st.counts {
			b = appendUvarint(b, c)
		}
	}
	return b
}

// sketchMaxIndex bounds decoded offsets: finite float64 indices stay within
// ±40,000, and this keeps offset+len far from int32 overflow.
const sketchMaxIndex = 1 << 20

func (s *sketch) decode(d *decoder) {
	s.n, s.zero = d.uvarint(), d.uvarint()
	s.min, s.max = d.float(), d.float()
	total := s.zero
	for _, st := range []*store{&s.pos, &s.neg} {
		off := d.varint()
		if off < -sketchMaxIndex || off > sketchMaxIndex {
			d.fail("sketch offset %d out of range", off)
			return
		}
		n := d.count(1)
		if n > sketchMaxBins {
			d.fail("sketch of %d buckets", n)
			return
		}
		st.offset = int32(off)
		if n > 0 {
			st.counts = make([]uint64, n)
		}
		for i := range st.counts {
			st.counts[i] = d.uvarint()
			var carry uint64
			if total, carry = bits.Add64(total, st.counts[i], 0); carry != 0 {
				d.fail("sketch counts overflow")
				return
			}
		}
	}
	if d.err == nil && (total != s.n || s.n > 0 && !(s.min <= s.max)) {
		d.fail("inconsistent sketch")
	}
}
