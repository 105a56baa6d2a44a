package sql

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse and ParseExpr never panic, return exactly
// one of a result and an *Error positioned inside the text, and that a
// successful parse round-trips through String. The seeds are every query
// of testdata/parse and the lexer tests.
//
//	go test ./analytics/sql/ -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	for _, src := range datadrivenInputs(f) {
		f.Add(src)
	}
	for _, tt := range []string{
		"SELECT a FROM s WHRE x > 1",
		"'it''s' \"a\"\"b\" `c` 1.5e3 1h30m -- c\n/* c */",
		"SELECT */* c */ FROM s",
		"SELECT a FROM s EMIT TO MQTT 'a/{b.c[0]}/{\"d e\"}'",
		"SELECT - -9223372036854775808 AS x FROM s",
	} {
		f.Add(tt)
	}
	f.Fuzz(func(t *testing.T, src string) {
		st, err := Parse(src)
		checkParseResult(t, src, st != nil, err)
		if err == nil {
			checkRoundTrip(t, src)
		}
		e, err := ParseExpr(src)
		checkParseResult(t, src, e != nil, err)
		if err == nil {
			checkExprRoundTrip(t, src)
		}
	})
}

// checkParseResult checks the contract of Parse and ParseExpr's results.
func checkParseResult(t *testing.T, src string, ok bool, err error) {
	t.Helper()
	if ok == (err != nil) {
		t.Fatalf("%q: result %v and error %v", src, ok, err)
	}
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrSyntax) || e.Msg == "" {
		t.Fatalf("%q: error %T %v is not a non-empty *Error matching ErrSyntax", src, err, err)
	}
	if e.Pos.Offset < 0 || e.Pos.Offset > len(src) || position(src, e.Pos.Offset) != e.Pos {
		t.Fatalf("%q: error %v at %+v, which is not a position in the text", src, err, e.Pos)
	}
	if c := e.Caret(src); !strings.HasSuffix(c, "^") {
		t.Fatalf("%q: Caret gave %q", src, c)
	}
}

// datadrivenInputs returns the input of every parse and expr command in
// testdata/parse.
func datadrivenInputs(tb testing.TB) []string {
	files, err := filepath.Glob("testdata/parse/*.txt")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no datadriven files: %v", err)
	}
	var inputs []string
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		var cur []string
		in := false
		for _, line := range strings.Split(string(data), "\n") {
			switch {
			case !in && (strings.HasPrefix(line, "parse") || strings.HasPrefix(line, "expr")):
				in, cur = true, nil
			case in && line == "----":
				inputs = append(inputs, strings.Join(cur, "\n"))
				in = false
			case in:
				cur = append(cur, line)
			}
		}
	}
	return inputs
}
