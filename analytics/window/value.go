package window

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Values are the evaluator's: nil (SQL NULL), bool, int64, float64, string,
// []any and map[string]any. This file encodes them to bytes, in two flavours:
//
//   - canonical (group keys, DISTINCT members): equal SQL values give equal
//     bytes, so the bytes are a map key. A float64 holding an integer in
//     int64 range encodes as that int64 (1 and 1.0 are one group), −0 as 0,
//     every NaN as one NaN, map entries in key order.
//   - exact (snapshots): the Go value comes back with its type.
//
// Both are tag byte, then payload:
//
//	0 NULL   1 false   2 true
//	3 int64: zigzag varint          4 float64: 8 bytes, IEEE 754 little-endian
//	5 string: uvarint length, bytes
//	6 list: uvarint n, n values     7 map: uvarint n, n × (string key, value), keys sorted
const (
	tagNull byte = iota
	tagFalse
	tagTrue
	tagInt
	tagFloat
	tagString
	tagList
	tagMap
)

// maxDepth bounds nesting of lists and maps, in keys and in snapshots.
const maxDepth = 32

// canonicalNaN is the one NaN of canonical encodings.
var canonicalNaN = math.Float64frombits(0x7ff8000000000001)

// appendKey appends the canonical encoding of a group key.
func appendKey(b []byte, key []any) ([]byte, error) {
	var err error
	for _, v := range key {
		if b, err = appendValue(b, v, true, 0); err != nil {
			return b, err
		}
	}
	return b, nil
}

// appendValue appends v's encoding; canon selects the canonical flavour. It
// fails only for a Go type outside the value model or nesting past maxDepth.
func appendValue(b []byte, v any, canon bool, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, tagNull), nil
	case bool:
		if x {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case int64:
		return appendVarint(append(b, tagInt), x), nil
	case float64:
		if canon {
			if i, ok := exactInt(x); ok {
				return appendVarint(append(b, tagInt), i), nil
			}
			if x != x {
				x = canonicalNaN
			}
		}
		return appendFloat(append(b, tagFloat), x), nil
	case string:
		return appendString(append(b, tagString), x), nil
	case []any:
		if depth >= maxDepth {
			return b, fmt.Errorf("%w: nested deeper than %d", ErrType, maxDepth)
		}
		b = appendUvarint(append(b, tagList), uint64(len(x)))
		var err error
		for _, e := range x {
			if b, err = appendValue(b, e, canon, depth+1); err != nil {
				return b, err
			}
		}
		return b, nil
	case map[string]any:
		if depth >= maxDepth {
			return b, fmt.Errorf("%w: nested deeper than %d", ErrType, maxDepth)
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = appendUvarint(append(b, tagMap), uint64(len(x)))
		var err error
		for _, k := range keys {
			b = appendString(b, k)
			if b, err = appendValue(b, x[k], canon, depth+1); err != nil {
				return b, err
			}
		}
		return b, nil
	}
	return b, fmt.Errorf("%w: %T is not a value (want nil, bool, int64, float64, string, []any or map[string]any)", ErrType, v)
}

// readValue decodes one exact-encoded value.
func readValue(d *decoder, depth int) any {
	switch tag := d.byte(); tag {
	case tagNull:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		return d.varint()
	case tagFloat:
		return d.float()
	case tagString:
		return d.string()
	case tagList, tagMap:
		if depth >= maxDepth {
			d.fail("values nested deeper than %d", maxDepth)
			return nil
		}
		n := d.count(1)
		if tag == tagList {
			l := make([]any, n)
			for i := range l {
				l[i] = readValue(d, depth+1)
			}
			return l
		}
		m := make(map[string]any, n)
		for range n {
			k := d.string()
			m[k] = readValue(d, depth+1)
		}
		return m
	default:
		d.fail("unknown value tag %d", tag)
		return nil
	}
}

// exactInt reports whether f is an integer that int64 holds exactly.
func exactInt(f float64) (int64, bool) {
	if f >= -(1<<63) && f < 1<<63 && f == math.Trunc(f) {
		return int64(f), true
	}
	return 0, false
}

// isNumber reports whether v is int64 or float64.
func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

// toFloat converts a number to float64.
func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// isScalar reports whether min and max can order v.
func isScalar(v any) bool {
	switch v.(type) {
	case bool, int64, float64, string:
		return true
	}
	return false
}

// compareValues orders scalars for min and max: all booleans (false < true)
// before all numbers before all strings; numbers by value across int64 and
// float64 (exactly, without rounding the int64), NaN below every other
// number; strings bytewise.
func compareValues(a, b any) int {
	ca, cb := scalarClass(a), scalarClass(b)
	if ca != cb {
		return cmp.Compare(ca, cb)
	}
	switch x := a.(type) {
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case string:
		return strings.Compare(x, b.(string))
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp.Compare(x, y)
		case float64:
			return compareIntFloat(x, y)
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return -compareIntFloat(y, x)
		case float64:
			return cmp.Compare(x, y)
		}
	}
	return 0
}

func scalarClass(v any) int {
	switch v.(type) {
	case bool:
		return 0
	case int64, float64:
		return 1
	case string:
		return 2
	}
	return 3
}

// compareIntFloat compares an int64 with a float64 exactly.
func compareIntFloat(i int64, f float64) int {
	switch {
	case f != f:
		return 1
	case f >= 1<<63:
		return -1
	case f < -(1 << 63):
		return 1
	}
	t := math.Trunc(f)
	if c := cmp.Compare(i, int64(t)); c != 0 {
		return c
	}
	return cmp.Compare(t, f)
}
