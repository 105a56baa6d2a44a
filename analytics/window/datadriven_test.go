package window

// Datadriven tests (STYLE.md practice 7): testdata/windows/*.txt drive an Operator
// through a small command language and compare what it prints. Regenerate
// the expected output with
//
//	go test ./analytics/window/ -run TestDatadriven -rewrite
//
// and then READ the diff: every expected block is a claim about window
// boundaries, lateness or aggregate semantics (see doc.go).
//
// Every file runs twice. TestDatadriven runs one operator straight through.
// TestDatadrivenRestore runs a second operator alongside it that is
// snapshotted and restored into a fresh Operator before every event and
// command; it must print the same expected output, return results
// reflect.DeepEqual to the uninterrupted operator's, and marshal to the same
// bytes. That is "restart in the middle of a window changes nothing", for
// every window type at every point of every file.
//
// Lines starting with # are comments. Commands:
//
//	new window=KIND [size=D] [advance=D] [gap=D] [count=N] [slide=N]
//	    [event-time] [lateness=D] [max-groups=N] [max-windows=N]
//	    [max-distinct=N] [lag-ttl=D]
//	                 one aggregate or LAG per input line: count(*),
//	                 count(f), count(distinct f), sum(f), avg(f), min(f),
//	                 max(f), first(f), last(f), stddev(f), stddev_samp(f),
//	                 percentile(f, Q), lag(f), lag(f) ignore nulls
//	add              one event per line: TIME KEY [field=VALUE ...]
//	prev             LAG rows, one per line: TIME KEY [field=VALUE ...]
//	advance TIME     arrival-time clock tick
//	watermark TIME   AdvanceWatermark
//	stats
//
// TIME is HH:MM:SS[.frac] after 2024-01-01T00:00:00Z. KEY is "-" (no key)
// or comma-separated values. A VALUE is null, true, false, an integer
// (int64), a number with a dot or exponent (float64), "a Go string", or a
// bare word (string). An aggregate's argument is the event's field of that
// name (NULL when absent). Results print as
//
//	TIME KEY: [START, END) KEY rows=N agg=value ...
//
// with the window's own brackets (sliding "(START, END]", count
// "[START, END]"); errors print as "error <Sentinel>: <message>".

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
)

func TestDatadriven(t *testing.T) {
	if files, _ := filepath.Glob("testdata/windows/*.txt"); len(files) < 9 {
		t.Fatalf("%d test files under testdata/windows, want 9", len(files))
	}
	datadriven.Walk(t, "testdata/windows", func(t *testing.T, path string) {
		e := &ddEnv{t: t}
		datadriven.RunTest(t, path, e.run)
	})
}

func TestDatadrivenRestore(t *testing.T) {
	datadriven.Walk(t, "testdata/windows", func(t *testing.T, path string) {
		e := &ddEnv{t: t, restore: true}
		datadriven.RunTest(t, path, e.run)
	})
}

var ddBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

type ddEnv struct {
	t       *testing.T
	restore bool
	spec    Spec
	labels  []string // aggregate labels, as written
	fields  []string // aggregate argument fields ("" for count(*))
	lagF    []string // LAG fields
	op      *Operator
	shadow  *Operator // restore mode: restored before every step
}

func (e *ddEnv) run(t *testing.T, td *datadriven.TestData) string {
	switch td.Cmd {
	case "new":
		return e.cmdNew(t, td)
	}
	if e.op == nil {
		td.Fatalf(t, "%s before new", td.Cmd)
	}
	var b strings.Builder
	switch td.Cmd {
	case "add":
		for _, line := range ddLines(td.Input) {
			tm, key, fields := ddEvent(t, td, line)
			ev := Event{Key: key, Time: tm, Args: make([]any, len(e.fields))}
			for i, f := range e.fields {
				ev.Args[i] = fields[f]
			}
			e.step(t)
			rs, err := e.op.Add(ev)
			if e.shadow != nil {
				rs2, err2 := e.shadow.Add(ev)
				e.same(t, line, rs, err, rs2, err2)
			}
			prefix := ddFmtTime(tm) + " " + ddFmtKey(key) + ":"
			switch {
			case errors.Is(err, ErrLate):
				fmt.Fprintf(&b, "%s late\n", prefix)
			case err != nil:
				fmt.Fprintf(&b, "%s %s\n", prefix, ddFmtErr(err))
			}
			for _, r := range rs {
				fmt.Fprintf(&b, "%s %s\n", prefix, e.fmtResult(r))
			}
		}
	case "prev":
		for _, line := range ddLines(td.Input) {
			tm, key, fields := ddEvent(t, td, line)
			cur := make([]any, len(e.lagF))
			for i, f := range e.lagF {
				cur[i] = fields[f]
			}
			e.step(t)
			prev, err := e.op.Previous(key, tm, cur)
			if e.shadow != nil {
				prev2, err2 := e.shadow.Previous(key, tm, cur)
				if fmt.Sprint(err) != fmt.Sprint(err2) || !reflect.DeepEqual(prev, prev2) {
					t.Fatalf("%s: restored operator: %v %v, uninterrupted: %v %v", line, prev2, err2, prev, err)
				}
			}
			fmt.Fprintf(&b, "%s %s:", ddFmtTime(tm), ddFmtKey(key))
			if err != nil {
				fmt.Fprintf(&b, " %s\n", ddFmtErr(err))
				continue
			}
			for i, f := range e.lagF {
				fmt.Fprintf(&b, " lag(%s)=%s", f, ddFmtValue(prev[i]))
			}
			b.WriteString("\n")
		}
	case "advance", "watermark":
		if len(td.CmdArgs) != 1 {
			td.Fatalf(t, "%s TIME", td.Cmd)
		}
		tm := ddParseTime(t, td, td.CmdArgs[0].Key)
		e.step(t)
		call := func(op *Operator) []Result {
			if td.Cmd == "advance" {
				return op.Advance(tm)
			}
			return op.AdvanceWatermark(tm)
		}
		rs := call(e.op)
		if e.shadow != nil {
			e.same(t, td.Cmd, rs, nil, call(e.shadow), nil)
		}
		for _, r := range rs {
			fmt.Fprintf(&b, "%s\n", e.fmtResult(r))
		}
	case "stats":
		e.step(t)
		s := e.op.Stats()
		if e.shadow != nil && e.shadow.Stats() != s {
			t.Fatalf("restored stats %+v, uninterrupted %+v", e.shadow.Stats(), s)
		}
		if e.op.Groups() != s.Groups || e.op.Late() != s.Late {
			t.Fatalf("Groups/Late disagree with Stats")
		}
		wm := "(none)"
		if !s.Watermark.IsZero() {
			wm = ddFmtTime(s.Watermark)
		}
		fmt.Fprintf(&b, "groups=%d windows=%d lag-keys=%d late=%d group-limit=%d window-limit=%d distinct-limit=%d watermark=%s\n",
			s.Groups, s.Windows, s.LagKeys, s.Late, s.GroupLimitHits, s.WindowLimitHits, s.DistinctLimitHits, wm)
	default:
		td.Fatalf(t, "unknown command %q", td.Cmd)
	}
	if b.Len() == 0 {
		return "ok"
	}
	return b.String()
}

func (e *ddEnv) cmdNew(t *testing.T, td *datadriven.TestData) string {
	var s Spec
	var kind string
	td.ScanArgs(t, "window", &kind)
	dur := func(name string) time.Duration {
		var v string
		if !td.MaybeScanArgs(t, name, &v) {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			td.Fatalf(t, "%s: %v", name, err)
		}
		return d
	}
	num := func(name string) int {
		var v int
		td.MaybeScanArgs(t, name, &v)
		return v
	}
	switch kind {
	case "none":
	case "tumbling":
		s.Window = Tumbling(dur("size"))
	case "hopping":
		s.Window = Hopping(dur("size"), dur("advance"))
	case "sliding":
		s.Window = Sliding(dur("size"))
	case "session":
		s.Window = Session(dur("gap"))
	case "count":
		s.Window = Count(num("count"), num("slide"))
	default:
		td.Fatalf(t, "unknown window %q", kind)
	}
	s.EventTime = td.HasArg("event-time")
	s.Lateness = dur("lateness")
	s.LagTTL = dur("lag-ttl")
	s.MaxGroups, s.MaxWindows, s.MaxDistinct = num("max-groups"), num("max-windows"), num("max-distinct")
	e.labels, e.fields, e.lagF = nil, nil, nil
	for _, line := range ddLines(td.Input) {
		a, field, lag, ignore, err := ddParseAgg(line)
		if err != nil {
			td.Fatalf(t, "%s: %v", line, err)
		}
		if lag {
			s.Lags = append(s.Lags, LagSpec{IgnoreNulls: ignore})
			e.lagF = append(e.lagF, field)
			continue
		}
		s.Aggregates = append(s.Aggregates, a)
		e.labels = append(e.labels, line)
		e.fields = append(e.fields, field)
	}
	op, err := New(s)
	if err != nil {
		e.op = nil
		return ddFmtErr(err)
	}
	e.spec, e.op, e.shadow = s, op, nil
	if e.restore {
		e.shadow, _ = New(s)
	}
	return "ok"
}

// step, in restore mode, checks that the shadow operator marshals like the
// uninterrupted one, then replaces it by a fresh Operator restored from its
// own snapshot.
func (e *ddEnv) step(t *testing.T) {
	if e.shadow == nil {
		return
	}
	want, _ := e.op.MarshalBinary()
	got, _ := e.shadow.MarshalBinary()
	if !slices.Equal(want, got) {
		t.Fatalf("restored operator marshals differently:\n got %x\nwant %x", got, want)
	}
	fresh, err := New(e.spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.UnmarshalBinary(got); err != nil {
		t.Fatalf("restore: %v", err)
	}
	e.shadow = fresh
}

func (e *ddEnv) same(t *testing.T, what string, rs []Result, err error, rs2 []Result, err2 error) {
	t.Helper()
	if fmt.Sprint(err) != fmt.Sprint(err2) {
		t.Fatalf("%s: restored operator error %v, uninterrupted %v", what, err2, err)
	}
	if !reflect.DeepEqual(ddComparable(rs), ddComparable(rs2)) {
		t.Fatalf("%s: restored operator emitted\n%v\nuninterrupted\n%v", what, rs2, rs)
	}
}

// ddComparable makes NaN equal to NaN for DeepEqual.
func ddComparable(rs []Result) []Result {
	out := slices.Clone(rs)
	for i := range out {
		out[i].Values = slices.Clone(out[i].Values)
		for j, v := range out[i].Values {
			if f, ok := v.(float64); ok && math.IsNaN(f) {
				out[i].Values[j] = "NaN"
			}
		}
	}
	return out
}

func (e *ddEnv) fmtResult(r Result) string {
	open, close := "[", ")"
	switch e.spec.Window.Kind {
	case KindSliding:
		open, close = "(", "]"
	case KindCount:
		close = "]"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s, %s%s %s rows=%d", open, ddFmtTime(r.Start), ddFmtTime(r.End), close, ddFmtKey(r.Key), r.Rows)
	for i, v := range r.Values {
		fmt.Fprintf(&b, " %s=%s", e.labels[i], ddFmtValue(v))
	}
	return b.String()
}

// ddParseAgg parses one aggregate line: NAME(ARG[, PARAM]) or lag(f)
// [ignore nulls].
func ddParseAgg(line string) (a AggSpec, field string, lag, ignore bool, err error) {
	open, close := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
	if open < 0 || close < open {
		return a, "", false, false, fmt.Errorf("want NAME(ARG)")
	}
	name, args, rest := line[:open], strings.Split(line[open+1:close], ","), strings.TrimSpace(line[close+1:])
	for i := range args {
		args[i] = strings.TrimSpace(args[i])
	}
	if name == "lag" {
		return a, args[0], true, rest == "ignore nulls", nil
	}
	if rest != "" {
		return a, "", false, false, fmt.Errorf("trailing %q", rest)
	}
	if name == "count" && args[0] == "*" {
		name = "count(*)"
	}
	f, ok := ParseFunc(name)
	if !ok {
		return a, "", false, false, fmt.Errorf("unknown function %q", name)
	}
	a.Func = f
	if d, ok := strings.CutPrefix(args[0], "distinct "); ok {
		a.Distinct, args[0] = true, d
	}
	if len(args) == 2 {
		if a.Param, err = strconv.ParseFloat(args[1], 64); err != nil {
			return a, "", false, false, err
		}
	}
	if f == FuncCountStar {
		return a, "", false, false, nil
	}
	return a, args[0], false, false, nil
}

func ddLines(input string) []string {
	var out []string
	for _, l := range strings.Split(input, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// ddEvent parses TIME KEY [field=VALUE ...].
func ddEvent(t *testing.T, td *datadriven.TestData, line string) (time.Time, []any, map[string]any) {
	words := ddSplit(line)
	if len(words) < 2 {
		td.Fatalf(t, "%q: want TIME KEY [field=VALUE ...]", line)
	}
	tm := ddParseTime(t, td, words[0])
	var key []any
	if words[1] != "-" {
		for _, k := range strings.Split(words[1], ",") {
			key = append(key, ddParseValue(k))
		}
	}
	fields := map[string]any{}
	for _, w := range words[2:] {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			td.Fatalf(t, "%q: %q is not field=VALUE", line, w)
		}
		fields[k] = ddParseValue(v)
	}
	return tm, key, fields
}

// ddSplit splits on spaces outside double quotes.
func ddSplit(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			quoted = !quoted
			cur.WriteByte(c)
		case c == '\\' && quoted && i+1 < len(s):
			cur.WriteByte(c)
			i++
			cur.WriteByte(s[i])
		case c == ' ' && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func ddParseValue(s string) any {
	switch s {
	case "null":
		return nil
	case "true":
		return true
	case "false":
		return false
	}
	if strings.HasPrefix(s, `"`) {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	if strings.ContainsAny(s, ".eEN") {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	}
	return s
}

func ddParseTime(t *testing.T, td *datadriven.TestData, s string) time.Time {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		td.Fatalf(t, "time %q: want HH:MM:SS[.frac]", s)
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	sec, err3 := strconv.ParseFloat(parts[2], 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		td.Fatalf(t, "time %q: %v", s, err)
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(math.Round(sec*1e9))
	return ddBase.Add(d)
}

func ddFmtTime(t time.Time) string {
	d := t.Sub(ddBase)
	if d < 0 || d > 1000*time.Hour {
		return t.UTC().Format(time.RFC3339Nano)
	}
	h, m := d/time.Hour, (d%time.Hour)/time.Minute
	s := d % time.Minute
	out := fmt.Sprintf("%02d:%02d:%02d", h, m, s/time.Second)
	if ns := s % time.Second; ns != 0 {
		out += strings.TrimRight(fmt.Sprintf(".%09d", ns), "0")
	}
	return out
}

func ddFmtKey(key []any) string {
	if len(key) == 0 {
		return "-"
	}
	parts := make([]string, len(key))
	for i, v := range key {
		parts[i] = ddFmtValue(v)
	}
	return strings.Join(parts, ",")
}

// ddFmtValue prints a value; floats to 6 significant digits, so the files
// do not depend on the last bits of a platform's arithmetic.
func ddFmtValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		s := strconv.FormatFloat(x, 'g', 6, 64)
		if !strings.ContainsAny(s, ".eIN") {
			s += ".0" // mark it float
		}
		return s
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func ddFmtErr(err error) string {
	for _, s := range []struct {
		name string
		err  error
	}{
		{"ErrInvalidSpec", ErrInvalidSpec}, {"ErrLate", ErrLate}, {"ErrTooManyGroups", ErrTooManyGroups},
		{"ErrTooManyWindows", ErrTooManyWindows}, {"ErrTooManyDistinct", ErrTooManyDistinct},
		{"ErrType", ErrType}, {"ErrTimeRange", ErrTimeRange}, {"ErrBadSnapshot", ErrBadSnapshot},
	} {
		if errors.Is(err, s.err) {
			return "error " + s.name + ": " + err.Error()
		}
	}
	return "error (no sentinel): " + err.Error()
}
