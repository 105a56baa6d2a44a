package config

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ByteSize is a size in bytes. In YAML it is written either as a plain
// integer (bytes) or as a number followed by a unit, case-insensitively,
// with optional space between them:
//
//	B                    1
//	K, KiB, Ki           1024        KB  1000
//	M, MiB, Mi           1024²       MB  1000²
//	G, GiB, Gi           1024³       GB  1000³
//	T, TiB, Ti           1024⁴       TB  1000⁴
//
// So the "i" units and the bare single letters are binary (1024-based) and
// the two-letter "B" units are decimal (1000-based): "10k" is 10240 bytes,
// "256MB" is 256000000 bytes and "64MiB" is 67108864 bytes. The number may
// have a fractional part ("1.5GiB") as long as the result is a whole number
// of bytes. Negative sizes are rejected.
type ByteSize int64

// Binary (1024-based) byte multiples.
const (
	KiB ByteSize = 1 << (10 * (iota + 1))
	MiB
	GiB
	TiB
)

// Decimal (1000-based) byte multiples.
const (
	KB ByteSize = 1000
	MB ByteSize = 1000 * KB
	GB ByteSize = 1000 * MB
	TB ByteSize = 1000 * GB
)

var byteUnits = map[string]ByteSize{
	"": 1, "b": 1,
	"k": KiB, "ki": KiB, "kib": KiB, "kb": KB,
	"m": MiB, "mi": MiB, "mib": MiB, "mb": MB,
	"g": GiB, "gi": GiB, "gib": GiB, "gb": GB,
	"t": TiB, "ti": TiB, "tib": TiB, "tb": TB,
}

// displayUnits are tried by String, largest first; the one giving the
// smallest whole number wins, binary before decimal on ties.
var displayUnits = []struct {
	name string
	size ByteSize
}{
	{"TiB", TiB}, {"TB", TB}, {"GiB", GiB}, {"GB", GB},
	{"MiB", MiB}, {"MB", MB}, {"KiB", KiB}, {"KB", KB},
}

// ParseByteSize parses s in the syntax described on ByteSize. The error
// names the offending text, e.g. `invalid byte size "lots"`.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.' || t[i] == '-' || t[i] == '+') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := byteUnits[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("invalid byte size %q", s)
	}
	if strings.HasPrefix(num, "-") {
		return 0, fmt.Errorf("invalid byte size %q (must not be negative)", s)
	}
	if !strings.ContainsRune(num, '.') {
		n, err := strconv.ParseInt(strings.TrimPrefix(num, "+"), 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return 0, fmt.Errorf("invalid byte size %q (too large)", s)
			}
			return 0, fmt.Errorf("invalid byte size %q", s)
		}
		if n > math.MaxInt64/int64(mult) {
			return 0, fmt.Errorf("invalid byte size %q (too large)", s)
		}
		return ByteSize(n) * mult, nil
	}
	// Fractional: compute exactly so "1.1KB" is 1100, not 1100.0000000000002.
	if strings.Count(num, ".") > 1 || strings.ContainsAny(num[1:], "+-") || num == "." || len(num) > 64 {
		return 0, fmt.Errorf("invalid byte size %q", s)
	}
	r, ok := new(big.Rat).SetString(strings.TrimPrefix(num, "+"))
	if !ok {
		return 0, fmt.Errorf("invalid byte size %q", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(int64(mult)))
	if !r.IsInt() {
		return 0, fmt.Errorf("invalid byte size %q (not a whole number of bytes)", s)
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("invalid byte size %q (too large)", s)
	}
	return ByteSize(r.Num().Int64()), nil
}

// String formats b with the unit that gives the smallest whole number
// ("64MiB", "256MB", "1GiB"), or as a plain integer when no unit divides it
// exactly. ParseByteSize(b.String()) == b for every b >= 0.
func (b ByteSize) String() string {
	if b == 0 {
		return "0"
	}
	abs := b
	if abs < 0 {
		if b == math.MinInt64 {
			return strconv.FormatInt(int64(b), 10)
		}
		abs = -b
	}
	best, bestN := "", abs
	for _, u := range displayUnits {
		if abs%u.size == 0 && abs/u.size < bestN {
			best, bestN = u.name, abs/u.size
		}
	}
	s := strconv.FormatInt(int64(bestN), 10) + best
	if b < 0 {
		s = "-" + s
	}
	return s
}

// UnmarshalYAML implements yaml.Unmarshaler. It accepts a scalar in the
// syntax described on ByteSize; YAML integers in other bases (0x400) are
// accepted as bytes.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a byte size, got %s", describe(n))
	}
	if n.ShortTag() == "!!int" {
		var i int64
		if err := n.Decode(&i); err == nil {
			if i < 0 {
				return fmt.Errorf("invalid byte size %q (must not be negative)", n.Value)
			}
			*b = ByteSize(i)
			return nil
		}
	}
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalYAML implements yaml.Marshaler: a unit string when a unit divides
// b exactly, otherwise the integer number of bytes.
func (b ByteSize) MarshalYAML() (any, error) {
	s := b.String()
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return int64(b), nil
	}
	return s, nil
}
