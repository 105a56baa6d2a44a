package eval

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestDecodeNumbersAndFields(t *testing.T) {
	v, err := Decode([]byte(`{"a":{"b":[1,2.5,{"c":"x"}]},"big":12345678901234567890,"n":null}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path []any
		want any
	}{
		{[]any{"a", "b", 0}, int64(1)},
		{[]any{"a", "b", 1}, 2.5},
		{[]any{"a", "b", 2, "c"}, "x"},
		{[]any{"a", "b", 3}, nil},
		{[]any{"a", "b", -1}, nil},
		{[]any{"a", "x", "y"}, nil},
		{[]any{"n"}, nil},
		{[]any{"missing"}, nil},
		{[]any{"big"}, 12345678901234567890.0},
	} {
		if got := Field(v, c.path...); got != c.want {
			t.Errorf("Field(%v) = %#v, want %#v", c.path, got, c.want)
		}
	}
	for _, bad := range []string{``, `{`, `{"a":1} {"b":2}`, `nul`} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%q): no error", bad)
		}
	}
}

func TestArith(t *testing.T) {
	for _, c := range []struct {
		op   Op
		a, b any
		want any
	}{
		{OpAdd, int64(2), int64(3), int64(5)},
		{OpAdd, int64(2), 0.5, 2.5},
		{OpAdd, int64(math.MaxInt64), int64(1), float64(math.MaxInt64) + 1},
		{OpSub, int64(math.MinInt64), int64(1), float64(math.MinInt64) - 1},
		{OpMul, int64(math.MaxInt64), int64(2), float64(math.MaxInt64) * 2},
		{OpMul, int64(-1), int64(math.MinInt64), -float64(math.MinInt64)},
		{OpDiv, int64(7), int64(2), int64(3)},
		{OpDiv, 7.0, int64(2), 3.5},
		{OpDiv, int64(1), int64(0), nil},
		{OpDiv, 1.0, 0.0, nil},
		{OpDiv, int64(math.MinInt64), int64(-1), -float64(math.MinInt64)},
		{OpMod, int64(7), int64(3), int64(1)},
		{OpMod, int64(7), int64(0), nil},
		{OpMod, int64(math.MinInt64), int64(-1), int64(0)},
		{OpAdd, nil, int64(1), nil},
		{OpAdd, "1", int64(1), nil},
		{OpMul, true, int64(1), nil},
	} {
		if got := Arith(c.op, c.a, c.b); got != c.want {
			t.Errorf("%v %c %v = %#v, want %#v", c.a, c.op, c.b, got, c.want)
		}
	}
	if Neg(int64(math.MinInt64)) != -float64(math.MinInt64) || Neg(int64(3)) != int64(-3) || Neg("x") != nil {
		t.Errorf("Neg")
	}
}

func TestCompareAndLogic(t *testing.T) {
	for _, c := range []struct {
		a, b any
		want any // Equal's answer
	}{
		{int64(1), 1.0, true},
		{int64(1), int64(2), false},
		{"a", "a", true},
		{"1", int64(1), nil},
		{nil, nil, nil},
		{true, true, true},
		{math.NaN(), math.NaN(), nil},
		{[]any{int64(1)}, []any{int64(1)}, true},
		{map[string]any{"a": int64(1)}, map[string]any{"a": int64(2)}, false},
	} {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%#v, %#v) = %#v, want %#v", c.a, c.b, got, c.want)
		}
	}
	if c, ok := Compare("b", "a"); !ok || c != 1 {
		t.Errorf("Compare strings")
	}
	if c, ok := Compare(int64(2), 2.5); !ok || c != -1 {
		t.Errorf("Compare mixed numbers")
	}
	// three-valued logic, every combination
	vals := []any{true, false, nil}
	and := [3][3]any{{true, false, nil}, {false, false, false}, {nil, false, nil}}
	or := [3][3]any{{true, true, true}, {true, false, nil}, {true, nil, nil}}
	for i, a := range vals {
		for j, b := range vals {
			if got := And(a, b); got != and[i][j] {
				t.Errorf("%v AND %v = %v", a, b, got)
			}
			if got := Or(a, b); got != or[i][j] {
				t.Errorf("%v OR %v = %v", a, b, got)
			}
		}
	}
	if Not(true) != false || Not(nil) != nil || Not("x") != nil {
		t.Errorf("Not")
	}
}

func TestCast(t *testing.T) {
	ts := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC).UnixMilli()
	for _, c := range []struct {
		v    any
		t    Type
		want any
	}{
		{" 42 ", TypeBigint, int64(42)},
		{"4.9", TypeBigint, int64(4)},
		{-4.9, TypeBigint, int64(-4)},
		{1e30, TypeBigint, nil},
		{"abc", TypeBigint, nil},
		{true, TypeBigint, int64(1)},
		{"2.5", TypeDouble, 2.5},
		{int64(2), TypeDouble, 2.0},
		{"x", TypeDouble, nil},
		{int64(7), TypeString, "7"},
		{0.5, TypeString, "0.5"},
		{map[string]any{"a": int64(1)}, TypeString, `{"a":1}`},
		{"TRUE", TypeBoolean, true},
		{int64(0), TypeBoolean, false},
		{"yes", TypeBoolean, nil},
		{"2026-11-26T12:00:00Z", TypeTimestamp, ts},
		{ts / 1000, TypeTimestamp, ts},
		{ts, TypeTimestamp, ts},
		{"not a time", TypeTimestamp, nil},
		{nil, TypeString, nil},
	} {
		if got := Cast(c.v, c.t); got != c.want {
			t.Errorf("CAST(%#v AS %s) = %#v, want %#v", c.v, c.t, got, c.want)
		}
	}
	if v := Cast(`{"a":[1]}`, TypeJSON); fmt.Sprint(v) != "map[a:[1]]" {
		t.Errorf("CAST AS JSON: %v", v)
	}
}

func TestLike(t *testing.T) {
	for _, c := range []struct {
		s, p string
		want bool
	}{
		{"freezer-1", "freezer%", true},
		{"freezer-1", "%-_", true},
		{"freezer-12", "%-_", false},
		{"abc", "a%c", true},
		{"ac", "a%c", true},
		{"ab", "a%c", false},
		{"100%", "100!%", true},
		{"1000", "100!%", false},
		{"", "%", true},
		{"", "_", false},
		{"ααβ", "_α_", true},
		{strings.Repeat("a", 200), strings.Repeat("%a", 30) + "b", false}, // no exponential blow-up
	} {
		if got := Like(c.s, c.p, '!'); got != c.want {
			t.Errorf("%q LIKE %q = %v, want %v", c.s, c.p, got, c.want)
		}
	}
	if Like(nil, "%", 0) != nil || Like("a", int64(1), 0) != nil {
		t.Errorf("LIKE with NULL")
	}
}

func call(t *testing.T, name string, args ...any) any {
	t.Helper()
	f, err := Lookup(name, len(args))
	if err != nil {
		t.Fatal(err)
	}
	return f.Call(args)
}

func TestFunctions(t *testing.T) {
	Now = func() time.Time { return time.UnixMilli(1_800_000_000_123) }
	defer func() { Now = time.Now }()
	ts := time.Date(2026, 11, 26, 12, 34, 56, 0, time.UTC).UnixMilli()
	doc := map[string]any{"a": []any{int64(1), map[string]any{"b c": "x"}}}
	for _, c := range []struct {
		name string
		args []any
		want any
	}{
		{"LOWER", []any{"AbC"}, "abc"},
		{"upper", []any{nil}, nil},
		{"length", []any{"ααβ"}, int64(3)},
		{"length", []any{[]any{int64(1), int64(2)}}, int64(2)},
		{"substring", []any{"freezer", int64(2), int64(3)}, "ree"},
		{"substring", []any{"abc", int64(5)}, ""},
		{"concat", []any{"a", int64(1), nil, true}, "a1true"},
		{"replace", []any{"a-b-c", "-", "+"}, "a+b+c"},
		{"starts_with", []any{"freezer-1", "freezer"}, true},
		{"split_part", []any{"a/b/c", "/", int64(2)}, "b"},
		{"split_part", []any{"a/b/c", "/", int64(9)}, ""},
		{"abs", []any{int64(-3)}, int64(3)},
		{"round", []any{2.345, int64(2)}, 2.35},
		{"round", []any{-2.5}, -3.0},
		{"sqrt", []any{-1.0}, nil},
		{"ln", []any{int64(0)}, nil},
		{"power", []any{int64(2), int64(10)}, 1024.0},
		{"sign", []any{-0.5}, int64(-1)},
		{"greatest", []any{int64(1), nil, 2.5}, 2.5},
		{"least", []any{"b", "a"}, "a"},
		{"greatest", []any{"b", int64(1)}, nil},
		{"coalesce", []any{nil, nil, int64(3)}, int64(3)},
		{"nullif", []any{int64(1), int64(1)}, nil},
		{"if", []any{nil, "a", "b"}, "b"},
		{"now", nil, int64(1_800_000_000_123)},
		{"to_timestamp", []any{"2026-11-26T12:34:56Z"}, ts},
		{"format_time", []any{ts}, "2026-11-26T12:34:56Z"},
		{"format_time", []any{ts, "2006-01-02 15:04"}, "2026-11-26 12:34"},
		{"date_trunc", []any{"minute", ts}, ts - 56_000},
		{"hour", []any{ts}, int64(12)},
		{"json_extract", []any{doc, `$.a[1]["b c"]`}, "x"},
		{"json_extract", []any{`{"k":[5]}`, "$.k[0]"}, int64(5)},
		{"json_extract", []any{doc, "no dollar"}, nil},
		{"to_json", []any{[]any{int64(1), "a"}}, `[1,"a"]`},
		{"element_at", []any{[]any{"a", "b"}, int64(-1)}, "b"},
	} {
		if got := call(t, c.name, c.args...); got != c.want {
			t.Errorf("%s%v = %#v, want %#v", c.name, c.args, got, c.want)
		}
	}
}

func TestLookupErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int
		want string
	}{
		{"lowr", 1, "unknown function lowr (did you mean lower?)"},
		{"frobnicate", 1, "unknown function frobnicate"},
		{"lower", 2, "lower takes 1 argument, not 2"},
		{"substring", 1, "substring takes 2 to 3 arguments, not 1"},
		{"coalesce", 0, "coalesce takes at least 1 arguments, not 0"},
	} {
		_, err := Lookup(c.name, c.n)
		if err == nil || err.Error() != c.want {
			t.Errorf("Lookup(%s, %d) = %v, want %q", c.name, c.n, err, c.want)
		}
	}
	for _, f := range Funcs() {
		if f.Doc == "" || !strings.HasPrefix(f.Doc, f.Name) {
			t.Errorf("%s: doc %q should start with its name", f.Name, f.Doc)
		}
	}
}

// Functions never panic, whatever values they are given.
func FuzzFunctions(f *testing.F) {
	f.Add("substring", `["abc", 2, 1]`)
	f.Add("json_extract", `[{"a":[1]}, "$.a[0]"]`)
	f.Add("round", `[1e308, 400]`)
	f.Fuzz(func(t *testing.T, name, args string) {
		v, err := Decode([]byte(args))
		if err != nil {
			return
		}
		a, ok := v.([]any)
		if !ok {
			return
		}
		fn, err := Lookup(name, len(a))
		if err != nil {
			return
		}
		fn.Call(a)
	})
}
