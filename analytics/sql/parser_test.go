package sql

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

func TestDepthLimit(t *testing.T) {
	tests := []struct {
		name string
		src  string
		ok   bool
	}{
		{"150 parentheses", strings.Repeat("(", 150) + "a" + strings.Repeat(")", 150), true},
		{"250 parentheses", strings.Repeat("(", 250) + "a" + strings.Repeat(")", 250), false},
		{"150 minus signs", strings.Repeat("- ", 150) + "a", true},
		{"250 minus signs", strings.Repeat("- ", 250) + "a", false},
		{"250 NOTs", strings.Repeat("NOT ", 250) + "a", false},
		{"250 nested calls", strings.Repeat("f(", 250) + "a" + strings.Repeat(")", 250), false},
		{"250 nested CASEs", strings.Repeat("CASE WHEN a THEN ", 250) + "1" + strings.Repeat(" END", 250), false},
		// A long flat chain is not nested: the parser loops.
		{"10000 terms", "a" + strings.Repeat(" + a", 9999), true},
		{"10000 ANDs", "a = 1" + strings.Repeat(" AND a = 1", 9999), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseExpr(tt.src)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				checkExprRoundTrip(t, tt.src)
				return
			}
			if err == nil || !strings.Contains(err.Error(), "expression nested too deeply") {
				t.Fatalf("got %v, want the depth error", err)
			}
		})
	}
}

func TestInvalidUTF8(t *testing.T) {
	for _, src := range []string{"SELECT 'a\xffb' AS x FROM s", "SELECT a FROM s -- \xc3\n"} {
		_, err := Parse(src)
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(e.Msg, "invalid UTF-8 byte 0x") {
			t.Fatalf("Parse(%q) = %v, want an invalid UTF-8 error", src, err)
		}
		if src[e.Pos.Offset] < 0x80 {
			t.Errorf("Parse(%q): error at offset %d, which is ASCII", src, e.Pos.Offset)
		}
	}
	if _, err := ParseExpr("'\xff'"); err == nil || err.Error() != "line 1, column 2: invalid UTF-8 byte 0xff" {
		t.Errorf("ParseExpr: got %v", err)
	}
}

func TestCaret(t *testing.T) {
	tests := []struct {
		src  string
		pos  Pos
		want string
	}{
		{"SELECT a FROM s WHRE x > 1", Pos{Offset: 16, Line: 1, Col: 17}, "SELECT a FROM s WHRE x > 1\n                ^"},
		{"SELECT a\nFROM s\nWHRE x", Pos{Offset: 16, Line: 3, Col: 1}, "WHRE x\n^"},
		{"SELECT a\r\nFROM s WHRE", Pos{Offset: 17, Line: 2, Col: 8}, "FROM s WHRE\n       ^"},
		{"\tSELECT\t'é' x", Pos{Offset: 13, Line: 1, Col: 12}, "\tSELECT\t'é' x\n\t      \t    ^"},
		{"SELECT a", Pos{Offset: 8, Line: 1, Col: 9}, "SELECT a\n        ^"},
		{"", Pos{Offset: 0, Line: 1, Col: 1}, "\n^"},
		{"abc", Pos{Offset: 99}, "abc\n   ^"}, // clamped
	}
	for _, tt := range tests {
		e := &Error{Pos: tt.pos, Msg: "x"}
		if got := e.Caret(tt.src); got != tt.want {
			t.Errorf("Caret(%q) at %+v\n got %q\nwant %q", tt.src, tt.pos, got, tt.want)
		}
	}
}

func TestErrorContract(t *testing.T) {
	st, err := Parse("SELECT a FROM s WHRE x > 1")
	if st != nil {
		t.Fatalf("Parse returned a statement with an error")
	}
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrSyntax) {
		t.Fatalf("%T %v is not an *Error matching ErrSyntax", err, err)
	}
	if e.Pos != (Pos{Offset: 16, Line: 1, Col: 17}) {
		t.Errorf("Pos = %+v", e.Pos)
	}
	// An error found by the checks after parsing also returns no statement.
	if st, err := Parse("SELECT a, a FROM s"); st != nil || err == nil {
		t.Errorf("duplicate output name: got %v, %v", st, err)
	}
	if e, err := ParseExpr("TUMBLING(1m)"); e != nil || err == nil {
		t.Errorf("window in ParseExpr: got %v, %v", e, err)
	}
}

// TestStreamNameRule checks that the parser applies the spool's rule for
// stream names, so that a query never names a stream the spool refuses.
func TestStreamNameRule(t *testing.T) {
	names := []string{
		"a", "telemetry_1m", "a.b-c_D9", "-", ".", "a..b", strings.Repeat("x", 128), strings.Repeat("x", 129),
		"", "has space", "température", "a/b", "a:b", "a\x00b", "*",
	}
	for _, name := range names {
		got := checkStreamName(name) == ""
		want := spool.ValidateStreamName(name) == nil
		if got != want {
			t.Errorf("stream name %q: parser accepts %v, spool accepts %v", name, got, want)
		}
		if !got {
			continue
		}
		// Every valid name can be written, bare or quoted, and reads back.
		src := "INSERT INTO " + quoteStreamName(name) + " SELECT a FROM " + quoteStreamName(name+"x")
		if len(name) == 128 {
			src = "INSERT INTO " + quoteStreamName(name) + " SELECT a FROM s"
		}
		st, err := Parse(src)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if st.Outputs[0].Stream != name {
			t.Errorf("%s: target %q", src, st.Outputs[0].Stream)
		}
	}
}

// TestReservedWords checks that every reserved word is refused as a bare
// name, accepted quoted, and printed quoted.
func TestReservedWords(t *testing.T) {
	words := make([]string, 0, len(reserved))
	for w := range reserved {
		words = append(words, w)
	}
	sort.Strings(words)
	for _, w := range words {
		lower := strings.ToLower(w)
		if !IsReserved(lower) || isBareIdent(lower) {
			t.Errorf("%s: IsReserved %v, isBareIdent %v", w, IsReserved(lower), isBareIdent(lower))
		}
		src := fmt.Sprintf(`SELECT %[1]q AS %[1]q, x.%[2]s AS y FROM s AS %[1]q EMIT TO MQTT 'a/{%[1]q}'`, lower, w)
		st, err := Parse(src)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		checkRoundTrip(t, src)
		if got := st.Select.Projections[1].Expr.(*FieldRef).Path[1].Name; got != w {
			t.Errorf("%s: the reserved word after a dot is %q", src, got)
		}
		if st, err := Parse(fmt.Sprintf("SELECT %s FROM s", lower)); err == nil {
			if _, isField := st.Select.Projections[0].Expr.(*FieldRef); isField {
				t.Errorf("SELECT %s FROM s: a reserved word was accepted as a field", lower)
			}
		}
	}
	// Unreserved words with a meaning in one place are ordinary names
	// everywhere else.
	for _, w := range []string{"event", "time", "key", "with", "lateness", "late", "escape", "mqtt", "to",
		"over", "partition", "tumbling", "hopping", "sliding", "session", "count_window", "string",
		"timestamp", "json", "second", "day", "order", "limit", "window", "count", "lag"} {
		src := fmt.Sprintf("SELECT %[1]s FROM s AS %[1]s EVENT TIME %[1]s WHERE %[1]s.%[1]s > %[1]s[0] EMIT TO MQTT 'x/{%[1]s}'", w)
		if _, err := Parse(src); err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		checkRoundTrip(t, src)
	}
}

func TestFunctionNames(t *testing.T) {
	for _, f := range Aggregates() {
		if !IsAggregate(f.Name) || !IsAggregate(strings.ToLower(f.Name)) || IsAnalytic(f.Name) || IsWindow(f.Name) {
			t.Errorf("aggregate %s misclassified", f.Name)
		}
		if f.Usage == "" || f.Doc == "" {
			t.Errorf("aggregate %s is not described", f.Name)
		}
	}
	if !IsAnalytic("lag") || IsAggregate("lag") || len(Analytics()) != 1 {
		t.Errorf("LAG misclassified")
	}
	for _, w := range []string{"tumbling", "HOPPING", "Sliding", "session", "count_window"} {
		if !IsWindow(w) || IsAggregate(w) {
			t.Errorf("window %s misclassified", w)
		}
	}
	if IsWindow("count") || IsWindow("window") || IsAggregate("ſum") {
		t.Errorf("non-window names taken for windows or aggregates")
	}
	// The lists are copies.
	Aggregates()[0].Name = "X"
	if Aggregates()[0].Name != "COUNT" {
		t.Errorf("Aggregates returned the package's own slice")
	}
}

func TestOutputName(t *testing.T) {
	tests := map[string]string{
		"a":                      "a",
		"a.b.c":                  "c",
		`a."weird name"`:         "weird name",
		"a.b[0]":                 "b",
		"a[1][2]":                "a",
		"count(*)":               "count",
		"Round(x, 2)":            "round",
		"x AS y":                 "y",
		"a + 1":                  "a + 1",
		"CAST(x AS bigint)":      "CAST(x AS BIGINT)",
		"-5":                     "-5",
		"'s'":                    "'s'",
		"CASE WHEN a THEN 1 END": "CASE WHEN a THEN 1 END",
		"*":                      "",
		"t.*":                    "",
	}
	for sel, want := range tests {
		st, err := Parse("SELECT " + sel + " FROM s AS t GROUP BY TUMBLING(1m)")
		if err != nil {
			t.Errorf("%s: %v", sel, err)
			continue
		}
		if got := st.Select.Projections[0].OutputName(); got != want {
			t.Errorf("OutputName(%s) = %q, want %q", sel, got, want)
		}
	}
}

func TestWalk(t *testing.T) {
	e, err := ParseExpr("CASE x WHEN -a THEN f(b, LAG(c) OVER (PARTITION BY d)) ELSE e IN (1) END OR g BETWEEN h AND i AND j LIKE k AND CAST(l AS JSON) IS NULL")
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	Walk(e, func(x Expr) bool {
		if f, ok := x.(*FieldRef); ok {
			fields = append(fields, f.String())
		}
		return true
	})
	if got := strings.Join(fields, " "); got != "x a b c d e g h i j k l" {
		t.Errorf("Walk visited %s", got)
	}
	// Returning false skips the children.
	var calls []string
	Walk(e, func(x Expr) bool {
		if c, ok := x.(*Call); ok {
			calls = append(calls, c.Name)
			return false
		}
		return true
	})
	if got := strings.Join(calls, " "); got != "F" {
		t.Errorf("Walk did not prune: %s", got)
	}
	Walk(nil, func(Expr) bool { t.Error("called for nil"); return true })
}

// TestPrintBuiltTree checks that a tree built by hand (as the planner or a
// test may) prints as SQL that parses back to it.
func TestPrintBuiltTree(t *testing.T) {
	device := &FieldRef{Path: []Segment{{Name: "device"}}}
	temp := &FieldRef{Path: []Segment{{Name: "r"}, {Name: "temp"}}}
	st := &Statement{
		Select: &Select{
			Projections: []*Projection{
				{Expr: device},
				{Expr: &Call{Name: "AVG", Args: []Expr{temp}}, Alias: "avg temp"},
				{Expr: &Binary{Op: Mul, L: &Binary{Op: Add, L: temp, R: &Literal{Value: int64(1)}}, R: &Literal{Value: 2.0}}, Alias: "x"},
			},
			From: &From{Source: &Source{Stream: "readings-v2", Alias: "r",
				EventTime: &EventTime{Expr: &FieldRef{Path: []Segment{{Name: "ts"}}}, Lateness: 1500 * time.Millisecond, LateStream: "late"}}},
			Where:   &Unary{Op: Not, X: &Binary{Op: Or, L: &IsNull{X: temp}, R: &Literal{Value: false}}},
			GroupBy: []Expr{device},
			Window:  &Window{Kind: Hopping, Size: time.Hour, Advance: 15 * time.Minute},
			Having:  &Binary{Op: Gt, L: &Call{Name: "COUNT", Star: true}, R: &Literal{Value: int64(-3)}},
		},
		Outputs: []*Output{
			{Kind: ToStream, Stream: "out"},
			{Kind: ToMQTT, Topic: &Template{Parts: []TemplatePart{{Text: "a/"}, {Field: device}}}},
		},
	}
	const want = `INSERT INTO out SELECT device, AVG(r.temp) AS "avg temp", (r.temp + 1) * 2.0 AS x ` +
		`FROM "readings-v2" AS r EVENT TIME ts WITH LATENESS INTERVAL '1500' MILLISECOND LATE INTO late ` +
		`WHERE NOT (r.temp IS NULL OR FALSE) GROUP BY device, HOPPING(INTERVAL '1' HOUR, INTERVAL '15' MINUTE) ` +
		`HAVING COUNT(*) > -3 EMIT TO MQTT 'a/{device}'`
	if got := st.String(); got != want {
		t.Fatalf("String()\n got %s\nwant %s", got, want)
	}
	back, err := Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	stripPos(reflect.ValueOf(back))
	if !reflect.DeepEqual(back, st) {
		t.Errorf("the printed tree parses to a different tree:\n%s\nwant\n%s", dumpNode(back, false), dumpNode(st, false))
	}
}

// TestDocExamples parses every query in the package documentation, so that
// the documentation cannot drift from the parser.
func TestDocExamples(t *testing.T) {
	data, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur []string
	for _, line := range append(strings.Split(string(data), "\n"), "") {
		if code, ok := strings.CutPrefix(line, "//\t"); ok {
			cur = append(cur, code)
			continue
		}
		if len(cur) > 0 {
			blocks = append(blocks, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	n := 0
	for _, b := range blocks {
		first := strings.TrimSpace(b)
		for strings.HasPrefix(first, "--") {
			_, first, _ = strings.Cut(first, "\n")
		}
		if !strings.HasPrefix(first, "SELECT") && !strings.HasPrefix(first, "INSERT") {
			continue
		}
		n++
		if _, err := Parse(b); err != nil {
			t.Errorf("doc example does not parse: %v\n%s", err, b)
		}
	}
	if n < 4 {
		t.Errorf("found only %d examples in doc.go", n)
	}
}
