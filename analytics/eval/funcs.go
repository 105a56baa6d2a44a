package eval

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Func is a scalar function apps may call.
type Func struct {
	Name    string
	MinArgs int
	MaxArgs int // -1: any number
	Doc     string
	call    func(args []any) any
}

// Call applies the function. The planner has checked the arity.
func (f *Func) Call(args []any) any { return f.call(args) }

// Now is the clock now() reads (tests set it).
var Now = time.Now

var funcs = map[string]*Func{}

func def(name string, lo, hi int, doc string, call func([]any) any) {
	funcs[name] = &Func{Name: name, MinArgs: lo, MaxArgs: hi, Doc: doc, call: call}
}

// Lookup finds a function by name (any case) and checks it takes n
// arguments; the error says what is known or expected.
func Lookup(name string, n int) (*Func, error) {
	f := funcs[strings.ToLower(name)]
	if f == nil {
		msg := fmt.Sprintf("unknown function %s", name)
		if s := suggest(strings.ToLower(name)); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	if n < f.MinArgs || (f.MaxArgs >= 0 && n > f.MaxArgs) {
		want := strconv.Itoa(f.MinArgs)
		switch {
		case f.MaxArgs < 0:
			want = "at least " + want
		case f.MaxArgs != f.MinArgs:
			want = fmt.Sprintf("%d to %d", f.MinArgs, f.MaxArgs)
		}
		return nil, fmt.Errorf("%s takes %s argument%s, not %d", f.Name, want, plural(f.MinArgs, f.MaxArgs), n)
	}
	return f, nil
}

func plural(lo, hi int) string {
	if lo == 1 && hi == 1 {
		return ""
	}
	return "s"
}

// Funcs lists the functions, sorted by name (for docs and `tributary sql
// functions`).
func Funcs() []*Func {
	out := make([]*Func, 0, len(funcs))
	for _, f := range funcs {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// suggest returns the known name closest to name, if close.
func suggest(name string) string {
	best, bestD := "", 3
	for k := range funcs {
		if d := distance(name, k); d < bestD || (d == bestD && k < best && best != "") {
			best, bestD = k, d
		}
	}
	return best
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// str1 wraps a string → value function: NULL or a non-string gives NULL.
func str1(f func(string) any) func([]any) any {
	return func(a []any) any {
		s, ok := a[0].(string)
		if !ok {
			return nil
		}
		return f(s)
	}
}

// num1 wraps a number → number function.
func num1(f func(float64) float64) func([]any) any {
	return func(a []any) any {
		x, ok := number(a[0])
		if !ok {
			return nil
		}
		r := f(x)
		if math.IsNaN(r) {
			return nil
		}
		return r
	}
}

func intArg(v any) (int, bool) {
	switch x := v.(type) {
	case int64:
		return int(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<31 {
			return int(x), true
		}
	}
	return 0, false
}

func init() {
	// strings
	def("lower", 1, 1, "lower(s): s in lower case", str1(func(s string) any { return strings.ToLower(s) }))
	def("upper", 1, 1, "upper(s): s in upper case", str1(func(s string) any { return strings.ToUpper(s) }))
	def("length", 1, 1, "length(s): characters in s; elements of an array", func(a []any) any {
		switch x := a[0].(type) {
		case string:
			return int64(utf8.RuneCountInString(x))
		case []any:
			return int64(len(x))
		}
		return nil
	})
	def("trim", 1, 1, "trim(s): s without leading and trailing white space", str1(func(s string) any { return strings.TrimSpace(s) }))
	def("ltrim", 1, 1, "ltrim(s): s without leading white space", str1(func(s string) any { return strings.TrimLeft(s, " \t\r\n") }))
	def("rtrim", 1, 1, "rtrim(s): s without trailing white space", str1(func(s string) any { return strings.TrimRight(s, " \t\r\n") }))
	def("substring", 2, 3, "substring(s, start[, length]): characters from start (1-based)", func(a []any) any {
		s, ok := a[0].(string)
		start, ok2 := intArg(a[1])
		if !ok || !ok2 {
			return nil
		}
		r := []rune(s)
		from := max(start-1, 0)
		if from > len(r) {
			return ""
		}
		to := len(r)
		if len(a) == 3 {
			n, ok := intArg(a[2])
			if !ok || n < 0 {
				return nil
			}
			to = min(to, from+n)
		}
		return string(r[from:to])
	})
	def("concat", 1, -1, "concat(a, b, …): the arguments as text, joined (NULLs skipped)", func(a []any) any {
		var b strings.Builder
		for _, v := range a {
			if s, ok := String(v).(string); ok {
				b.WriteString(s)
			}
		}
		return b.String()
	})
	def("replace", 3, 3, "replace(s, old, new): every old in s replaced", func(a []any) any {
		s, ok1 := a[0].(string)
		o, ok2 := a[1].(string)
		n, ok3 := a[2].(string)
		if !ok1 || !ok2 || !ok3 {
			return nil
		}
		return strings.ReplaceAll(s, o, n)
	})
	strPred := func(f func(s, t string) bool) func([]any) any {
		return func(a []any) any {
			s, ok1 := a[0].(string)
			t, ok2 := a[1].(string)
			if !ok1 || !ok2 {
				return nil
			}
			return f(s, t)
		}
	}
	def("starts_with", 2, 2, "starts_with(s, prefix)", strPred(strings.HasPrefix))
	def("ends_with", 2, 2, "ends_with(s, suffix)", strPred(strings.HasSuffix))
	def("contains", 2, 2, "contains(s, sub)", strPred(strings.Contains))
	def("split_part", 3, 3, "split_part(s, sep, n): the nth (1-based) part of s split at sep", func(a []any) any {
		s, ok1 := a[0].(string)
		sep, ok2 := a[1].(string)
		n, ok3 := intArg(a[2])
		if !ok1 || !ok2 || !ok3 || n < 1 || sep == "" {
			return nil
		}
		parts := strings.Split(s, sep)
		if n > len(parts) {
			return ""
		}
		return parts[n-1]
	})

	// math
	def("abs", 1, 1, "abs(x)", func(a []any) any {
		switch x := a[0].(type) {
		case int64:
			if x == math.MinInt64 {
				return -float64(x)
			}
			if x < 0 {
				return -x
			}
			return x
		case float64:
			return math.Abs(x)
		}
		return nil
	})
	def("round", 1, 2, "round(x[, digits]): half away from zero", func(a []any) any {
		x, ok := number(a[0])
		if !ok {
			return nil
		}
		d := 0
		if len(a) == 2 {
			if d, ok = intArg(a[1]); !ok {
				return nil
			}
		}
		p := math.Pow(10, float64(d))
		r := math.Round(x*p) / p
		if _, isInt := a[0].(int64); isInt && d >= 0 {
			return a[0]
		}
		return r
	})
	def("floor", 1, 1, "floor(x)", num1(math.Floor))
	def("ceil", 1, 1, "ceil(x)", num1(math.Ceil))
	def("sqrt", 1, 1, "sqrt(x): NULL for negative x", num1(math.Sqrt))
	def("exp", 1, 1, "exp(x)", num1(math.Exp))
	def("ln", 1, 1, "ln(x): NULL for x ≤ 0", num1(func(x float64) float64 {
		if x <= 0 {
			return math.NaN()
		}
		return math.Log(x)
	}))
	def("log10", 1, 1, "log10(x): NULL for x ≤ 0", num1(func(x float64) float64 {
		if x <= 0 {
			return math.NaN()
		}
		return math.Log10(x)
	}))
	def("power", 2, 2, "power(x, y)", func(a []any) any {
		x, ok1 := number(a[0])
		y, ok2 := number(a[1])
		if !ok1 || !ok2 {
			return nil
		}
		r := math.Pow(x, y)
		if math.IsNaN(r) || math.IsInf(r, 0) {
			return nil
		}
		return r
	})
	def("sign", 1, 1, "sign(x): -1, 0 or 1", func(a []any) any {
		x, ok := number(a[0])
		if !ok {
			return nil
		}
		switch {
		case x > 0:
			return int64(1)
		case x < 0:
			return int64(-1)
		}
		return int64(0)
	})
	extreme := func(want int) func([]any) any {
		return func(a []any) any {
			var best any
			for _, v := range a {
				if v == nil {
					continue
				}
				if best == nil {
					best = v
					continue
				}
				c, ok := Compare(v, best)
				if !ok {
					return nil
				}
				if c == want {
					best = v
				}
			}
			return best
		}
	}
	def("greatest", 1, -1, "greatest(a, b, …): the largest, NULLs skipped", extreme(1))
	def("least", 1, -1, "least(a, b, …): the smallest, NULLs skipped", extreme(-1))

	// conditionals
	def("coalesce", 1, -1, "coalesce(a, b, …): the first argument that is not NULL", func(a []any) any {
		for _, v := range a {
			if v != nil {
				return v
			}
		}
		return nil
	})
	def("ifnull", 2, 2, "ifnull(a, b): a, or b when a is NULL", func(a []any) any {
		if a[0] != nil {
			return a[0]
		}
		return a[1]
	})
	def("nullif", 2, 2, "nullif(a, b): NULL when a = b, else a", func(a []any) any {
		if IsTrue(Equal(a[0], a[1])) {
			return nil
		}
		return a[0]
	})
	def("if", 3, 3, "if(cond, a, b): a when cond is true, else b", func(a []any) any {
		if IsTrue(a[0]) {
			return a[1]
		}
		return a[2]
	})

	// time (timestamps are epoch milliseconds)
	def("now", 0, 0, "now(): the current time (epoch milliseconds)", func([]any) any { return Now().UnixMilli() })
	def("to_timestamp", 1, 1, "to_timestamp(x): epoch milliseconds from epoch seconds/milliseconds or an RFC 3339 string", func(a []any) any { return timestamp(a[0]) })
	def("format_time", 1, 2, "format_time(ts[, layout]): ts as text, RFC 3339 by default (layout: Go's, e.g. '2006-01-02 15:04')", func(a []any) any {
		t, ok := Timestamp(a[0])
		if !ok {
			return nil
		}
		layout := time.RFC3339Nano
		if len(a) == 2 {
			l, ok := a[1].(string)
			if !ok {
				return nil
			}
			layout = l
		}
		return t.Format(layout)
	})
	def("date_trunc", 2, 2, "date_trunc(unit, ts): ts cut to the second, minute, hour or day (UTC)", func(a []any) any {
		unit, ok := a[0].(string)
		t, ok2 := Timestamp(a[1])
		if !ok || !ok2 {
			return nil
		}
		d := map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.ToLower(unit)]
		if d == 0 {
			return nil
		}
		return t.Truncate(d).UnixMilli()
	})
	part := func(name string, f func(time.Time) int) {
		def(name, 1, 1, name+"(ts): the "+name+" of ts (UTC)", func(a []any) any {
			t, ok := Timestamp(a[0])
			if !ok {
				return nil
			}
			return int64(f(t))
		})
	}
	part("year", time.Time.Year)
	part("month", func(t time.Time) int { return int(t.Month()) })
	part("day", time.Time.Day)
	part("hour", time.Time.Hour)
	part("minute", time.Time.Minute)
	part("second", time.Time.Second)

	// JSON
	def("json_extract", 2, 2, "json_extract(v, '$.a.b[0]'): the value at a JSON path (v an object, or a JSON string)", func(a []any) any {
		path, ok := a[1].(string)
		if !ok {
			return nil
		}
		v := a[0]
		if s, ok := v.(string); ok {
			if v = Cast(s, TypeJSON); v == nil {
				return nil
			}
		}
		steps, ok := parseJSONPath(path)
		if !ok {
			return nil
		}
		return Field(v, steps...)
	})
	def("json_parse", 1, 1, "json_parse(s): s parsed as JSON", func(a []any) any { return Cast(a[0], TypeJSON) })
	def("to_json", 1, 1, "to_json(v): v as JSON text", func(a []any) any {
		if a[0] == nil {
			return "null"
		}
		b, err := Encode(a[0])
		if err != nil {
			return nil
		}
		return string(b)
	})
	def("element_at", 2, 2, "element_at(array, i): the ith element (1-based; negative from the end)", func(a []any) any {
		arr, ok := a[0].([]any)
		i, ok2 := intArg(a[1])
		if !ok || !ok2 || i == 0 {
			return nil
		}
		if i < 0 {
			i = len(arr) + i + 1
		}
		return Field(arr, i-1)
	})
}

// parseJSONPath reads $.a.b[0]["c d"] into path steps.
func parseJSONPath(p string) ([]any, bool) {
	if !strings.HasPrefix(p, "$") {
		return nil, false
	}
	p = p[1:]
	var steps []any
	for p != "" {
		switch p[0] {
		case '.':
			p = p[1:]
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			if end == 0 {
				return nil, false
			}
			steps, p = append(steps, p[:end]), p[end:]
		case '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return nil, false
			}
			in := p[1:end]
			p = p[end+1:]
			if len(in) >= 2 && (in[0] == '"' || in[0] == '\'') && in[len(in)-1] == in[0] {
				steps = append(steps, in[1:len(in)-1])
				continue
			}
			i, err := strconv.Atoi(in)
			if err != nil {
				return nil, false
			}
			steps = append(steps, i)
		default:
			return nil, false
		}
	}
	return steps, true
}
