package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Decode parses a JSON document into a value. Integral numbers that fit
// in an int64 become int64, other numbers float64.
func Decode(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("more after the JSON value")
	}
	return normalize(v), nil
}

func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	}
	return v
}

// Encode writes a value as JSON (float64 without a needless exponent; a
// NaN or infinity, which JSON cannot hold, as null).
func Encode(v any) ([]byte, error) {
	return json.Marshal(jsonable(v))
}

func jsonable(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// Field returns the value at a path of object keys and array indexes
// (string and int elements); NULL where the path does not lead.
func Field(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k < 0 || k >= len(a) {
				return nil
			}
			v = a[k]
		default:
			return nil
		}
	}
	return v
}

// Kind names a value's type for messages: null, boolean, integer,
// double, string, array, object.
func Kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64:
		return "integer"
	case float64:
		return "double"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// Truth is a value as a condition: true, false, or nil (unknown) for NULL
// and anything that is not a boolean.
func Truth(v any) any {
	if b, ok := v.(bool); ok {
		return b
	}
	return nil
}

// IsTrue reports whether a condition holds (NULL does not).
func IsTrue(v any) bool { b, ok := v.(bool); return ok && b }

// And, Or and Not are SQL's three-valued logic.
func And(a, b any) any {
	x, y := Truth(a), Truth(b)
	if x == false || y == false {
		return false
	}
	if x == nil || y == nil {
		return nil
	}
	return true
}

// Or is three-valued OR.
func Or(a, b any) any {
	x, y := Truth(a), Truth(b)
	if x == true || y == true {
		return true
	}
	if x == nil || y == nil {
		return nil
	}
	return false
}

// Not is three-valued NOT.
func Not(a any) any {
	if x, ok := Truth(a).(bool); ok {
		return !x
	}
	return nil
}

// number returns v as a float64 and whether it is a number.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// Compare orders two values of the same kind (numbers of either kind
// together): -1, 0 or 1, and false when they cannot be compared (NULL,
// or different kinds).
func Compare(a, b any) (int, bool) {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmpOrdered(x, y), true
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
		return 0, false
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0, true
			case !x:
				return -1, true
			}
			return 1, true
		}
		return 0, false
	}
	fa, ok1 := number(a)
	fb, ok2 := number(b)
	if !ok1 || !ok2 || math.IsNaN(fa) || math.IsNaN(fb) {
		return 0, false
	}
	return cmpOrdered(fa, fb), true
}

func cmpOrdered[T int64 | float64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// Equal is SQL's =: true, false, or NULL when either side is NULL or
// they cannot be compared. Arrays and objects are equal when their JSON
// is.
func Equal(a, b any) any {
	if a == nil || b == nil {
		return nil
	}
	if c, ok := Compare(a, b); ok {
		return c == 0
	}
	_, ac := a.([]any)
	_, am := a.(map[string]any)
	if ac || am {
		x, _ := Encode(a)
		y, _ := Encode(b)
		return bytes.Equal(x, y)
	}
	return nil
}

// Op is an arithmetic operator.
type Op byte

// The arithmetic operators.
const (
	OpAdd Op = '+'
	OpSub Op = '-'
	OpMul Op = '*'
	OpDiv Op = '/'
	OpMod Op = '%'
)

// Arith applies an arithmetic operator: int64 with int64 stays int64
// (carried to float64 on overflow; division of integers is integer
// division, as in SQL), anything with a double is a double, NULL or a
// non-number gives NULL, as does dividing by zero.
func Arith(op Op, a, b any) any {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			return arithInt(op, x, y)
		}
	}
	x, ok1 := number(a)
	y, ok2 := number(b)
	if !ok1 || !ok2 {
		return nil
	}
	switch op {
	case OpAdd:
		return x + y
	case OpSub:
		return x - y
	case OpMul:
		return x * y
	case OpDiv:
		if y == 0 {
			return nil
		}
		return x / y
	case OpMod:
		if y == 0 {
			return nil
		}
		return math.Mod(x, y)
	}
	return nil
}

func arithInt(op Op, x, y int64) any {
	switch op {
	case OpAdd:
		if s := x + y; (s > x) == (y > 0) {
			return s
		}
	case OpSub:
		if s := x - y; (s < x) == (y > 0) {
			return s
		}
	case OpMul:
		if x == 0 || y == 0 {
			return int64(0)
		}
		if p := x * y; p/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64) {
			return p
		}
	case OpDiv:
		if y == 0 {
			return nil
		}
		if !(x == math.MinInt64 && y == -1) {
			return x / y
		}
	case OpMod:
		if y == 0 {
			return nil
		}
		if y == -1 {
			return int64(0)
		}
		return x % y
	}
	return Arith(op, float64(x), float64(y)) // overflow: carried to a double
}

// Neg is unary minus.
func Neg(a any) any {
	switch x := a.(type) {
	case int64:
		if x == math.MinInt64 {
			return -float64(x)
		}
		return -x
	case float64:
		return -x
	}
	return nil
}

// String renders a value as text: strings as they are, numbers and
// booleans as in JSON, arrays and objects as compact JSON, NULL as nil.
func String(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := Encode(v)
	if err != nil {
		return nil
	}
	return string(b)
}
