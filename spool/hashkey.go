package spool

import (
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"math/big"
	"math/bits"
	"strings"
)

// HashKey is an unsigned 128-bit position in a stream's hash-key space.
type HashKey struct{ Hi, Lo uint64 }

// MaxHashKey is 2^128-1, the end of the last shard's range.
var MaxHashKey = HashKey{^uint64(0), ^uint64(0)}

// HashPartitionKey returns MD5(UTF-8(key)) read as a big-endian unsigned
// 128-bit integer (kinesis.md §3.1).
func HashPartitionKey(key string) HashKey {
	sum := md5.Sum([]byte(key))
	return HashKey{binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:])}
}

// ParseHashKey parses a decimal hash key in [0, 2^128-1]. Leading zeros,
// signs and anything but digits are refused, as by Kinesis'
// `0|([1-9]\d{0,38})` pattern.
func ParseHashKey(s string) (HashKey, error) {
	if s == "" || len(s) > 39 || (len(s) > 1 && s[0] == '0') || strings.IndexFunc(s, notDigit) >= 0 {
		return HashKey{}, fmt.Errorf("%w: hash key %q is not a decimal integer in [0, 2^128-1]", ErrInvalidArgument, s)
	}
	var n big.Int
	n.SetString(s, 10)
	if n.BitLen() > 128 {
		return HashKey{}, fmt.Errorf("%w: hash key %s is out of the range [0, 2^128-1]", ErrInvalidArgument, s)
	}
	return hashKeyFromBig(&n), nil
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// String returns the decimal form without leading zeros.
func (h HashKey) String() string { return h.big().String() }

// Cmp returns -1, 0 or +1 as h is less than, equal to or greater than o.
func (h HashKey) Cmp(o HashKey) int {
	switch {
	case h.Hi < o.Hi:
		return -1
	case h.Hi > o.Hi:
		return 1
	case h.Lo < o.Lo:
		return -1
	case h.Lo > o.Lo:
		return 1
	}
	return 0
}

// add returns h+d (mod 2^128).
func (h HashKey) add(d uint64) HashKey {
	lo, c := bits.Add64(h.Lo, d, 0)
	return HashKey{h.Hi + c, lo}
}

// sub returns h-d (mod 2^128).
func (h HashKey) sub(d uint64) HashKey {
	lo, b := bits.Sub64(h.Lo, d, 0)
	return HashKey{h.Hi - b, lo}
}

func (h HashKey) big() *big.Int {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], h.Hi)
	binary.BigEndian.PutUint64(b[8:], h.Lo)
	return new(big.Int).SetBytes(b[:])
}

func hashKeyFromBig(n *big.Int) HashKey {
	var b [16]byte
	n.FillBytes(b[:])
	return HashKey{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// HashRange is an inclusive range of hash keys.
type HashRange struct{ Start, End HashKey }

// Contains reports whether Start ≤ h ≤ End.
func (r HashRange) Contains(h HashKey) bool { return r.Start.Cmp(h) <= 0 && h.Cmp(r.End) <= 0 }

// UniformRanges splits [lo, hi] into n ranges as Kinesis does at creation
// (kinesis.md §3.2): width w = floor((hi-lo+1)/n), range i starts at lo+i·w,
// and the last range ends at hi.
func UniformRanges(lo, hi HashKey, n int) []HashRange {
	span := new(big.Int).Sub(hi.big(), lo.big())
	span.Add(span, big.NewInt(1))
	w := new(big.Int).Div(span, big.NewInt(int64(n)))
	out := make([]HashRange, n)
	start := lo.big()
	for i := range n {
		end := new(big.Int).Add(start, w)
		end.Sub(end, big.NewInt(1))
		if i == n-1 {
			end = hi.big()
		}
		out[i] = HashRange{hashKeyFromBig(start), hashKeyFromBig(end)}
		start = new(big.Int).Add(end, big.NewInt(1))
	}
	return out
}
