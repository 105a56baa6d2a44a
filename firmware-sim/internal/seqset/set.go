// Package seqset holds sets of per-device sequence numbers as sorted,
// disjoint, non-adjacent closed ranges. A device's acknowledged messages
// are almost always one run 1..N with a few holes, so a set of a million
// numbers usually costs a handful of ranges.
//
// In JSON a Set is an array of [first, last] pairs in increasing order:
//
//	[[1,120],[122,300]]
//
// A Set is not safe for concurrent use; its owner serialises access.
package seqset

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Range is the closed interval [First, Last], First <= Last.
type Range struct {
	First, Last uint64
}

// Len returns how many numbers r holds.
func (r Range) Len() uint64 { return r.Last - r.First + 1 }

// String formats r as "7" or "7-9".
func (r Range) String() string {
	if r.First == r.Last {
		return strconv.FormatUint(r.First, 10)
	}
	return strconv.FormatUint(r.First, 10) + "-" + strconv.FormatUint(r.Last, 10)
}

// Set is a set of uint64. The zero value is an empty set.
type Set struct {
	r   []Range // sorted; r[i].Last+1 < r[i+1].First
	len uint64
}

// Add inserts n and reports whether it was new. Adding in increasing
// order, the common case, costs O(1); any other order costs a binary
// search and at worst a slice insert.
func (s *Set) Add(n uint64) bool {
	if k := len(s.r); k == 0 || n > s.r[k-1].Last {
		if k > 0 && n == s.r[k-1].Last+1 {
			s.r[k-1].Last = n
		} else {
			s.r = append(s.r, Range{n, n})
		}
		s.len++
		return true
	}
	if s.Contains(n) {
		return false
	}
	s.AddRange(n, n)
	return true
}

// AddRange inserts every number of [first, last], merging ranges that
// overlap or touch; it does nothing when first > last.
func (s *Set) AddRange(first, last uint64) {
	if first > last {
		return
	}
	// ranges i..j-1 overlap or touch [first, last]
	i := sort.Search(len(s.r), func(i int) bool { return first == 0 || s.r[i].Last >= first-1 })
	j := i
	for j < len(s.r) && (last == math.MaxUint64 || s.r[j].First <= last+1) {
		j++
	}
	merged := Range{first, last}
	if i < j {
		merged.First = min(first, s.r[i].First)
		merged.Last = max(last, s.r[j-1].Last)
		for k := i; k < j; k++ {
			s.len -= s.r[k].Len()
		}
		s.r[i] = merged
		s.r = append(s.r[:i+1], s.r[j:]...)
	} else {
		s.r = append(s.r, Range{})
		copy(s.r[i+1:], s.r[i:])
		s.r[i] = merged
	}
	s.len += merged.Len()
}

// Contains reports whether n is in s.
func (s *Set) Contains(n uint64) bool {
	i := sort.Search(len(s.r), func(i int) bool { return s.r[i].Last >= n })
	return i < len(s.r) && s.r[i].First <= n
}

// Len returns how many numbers s holds.
func (s *Set) Len() uint64 { return s.len }

// Max returns the largest number in s, or 0 when s is empty.
func (s *Set) Max() uint64 {
	if len(s.r) == 0 {
		return 0
	}
	return s.r[len(s.r)-1].Last
}

// Ranges returns s's ranges in increasing order. The caller must not
// modify the result.
func (s *Set) Ranges() []Range { return s.r }

// Diff returns the numbers of s that are not in o.
func (s *Set) Diff(o *Set) *Set {
	out := &Set{}
	j := 0
	for _, r := range s.r {
		for j < len(o.r) && o.r[j].Last < r.First {
			j++
		}
		cur, done := r.First, false
		for k := j; k < len(o.r) && o.r[k].First <= r.Last; k++ {
			if o.r[k].First > cur {
				out.AddRange(cur, o.r[k].First-1)
			}
			if o.r[k].Last >= r.Last {
				done = true
				break
			}
			cur = o.r[k].Last + 1
		}
		if !done {
			out.AddRange(cur, r.Last)
		}
	}
	return out
}

// Format writes s as "1-120,122-300", or "" when empty. At most max
// ranges are written (max <= 0 means all); the rest is summarised as
// "… (N more ranges)".
func (s *Set) Format(max int) string {
	var b strings.Builder
	for i, r := range s.r {
		if max > 0 && i == max {
			fmt.Fprintf(&b, " … (%d more ranges)", len(s.r)-max)
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(r.String())
	}
	return b.String()
}

// String formats every range of s, as Format(0).
func (s *Set) String() string { return s.Format(0) }

// MarshalJSON writes s as [[first,last],…]; an empty set is [].
func (s *Set) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+len(s.r)*16)
	b = append(b, '[')
	for i, r := range s.r {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendUint(b, r.First, 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, r.Last, 10)
		b = append(b, ']')
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads [[first,last],…]. Pairs may come in any order and
// may overlap; a pair with first > last is an error.
func (s *Set) UnmarshalJSON(data []byte) error {
	var pairs [][2]uint64
	if err := json.Unmarshal(data, &pairs); err != nil {
		return fmt.Errorf("seqset: want [[first,last],…]: %w", err)
	}
	*s = Set{}
	for _, p := range pairs {
		if p[0] > p[1] {
			return fmt.Errorf("seqset: range [%d,%d] has first > last", p[0], p[1])
		}
		s.AddRange(p[0], p[1])
	}
	return nil
}
