package sql

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// lexAll returns the tokens of src as "kind:text" strings, or the lexical
// error.
func lexAll(src string) (toks []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = asError(r)
		}
	}()
	l := newLexer(src)
	for {
		t := l.next()
		if t.kind == tokEOF {
			return toks, nil
		}
		toks = append(toks, tokenString(t))
	}
}

var kindNames = [...]string{
	tokEOF: "eof", tokIdent: "ident", tokQuotedIdent: "qident", tokKeyword: "kw",
	tokInt: "int", tokFloat: "float", tokString: "str", tokDuration: "dur", tokOp: "op",
}

func tokenString(t token) string {
	if t.kind == tokDuration {
		return "dur:" + t.text + "=" + t.dur.String()
	}
	return kindNames[t.kind] + ":" + t.text
}

func TestLexer(t *testing.T) {
	tests := []struct {
		in   string
		want string // tokens separated by spaces, or "error: …"
	}{
		{"", ""},
		{"   \t\r\n", ""},
		{"-- only a comment", ""},
		{"a -- comment\nb", "ident:a ident:b"},
		{"a--b", "ident:a"},
		{"/* a */ b", "ident:b"},
		{"a/**/b", "ident:a ident:b"},
		{"/* multi\nline */", ""},
		{"/* a /* b */ c */", `error: line 1, column 16: unexpected "*/" (block comments do not nest: the comment ended at the first */)`},
		{"/* never closed", "error: line 1, column 1: unterminated /* comment (a */ is missing)"},
		{"*/* c */", "op:*"},
		{"a - - b", "ident:a op:- op:- ident:b"},

		// Keywords are case-insensitive and only ASCII; other words are
		// identifiers, kept as written.
		{"SELECT select SeLeCt", "kw:SELECT kw:SELECT kw:SELECT"},
		{"tumbling Event TIME key", "ident:tumbling ident:Event ident:TIME ident:key"},
		{"ſelect", "ident:ſelect"},
		{"_a1 é Ünïcode x_9", "ident:_a1 ident:é ident:Ünïcode ident:x_9"},

		// Quoted identifiers and strings.
		{`"a b" "a""b" ` + "`c``d`", `qident:a b qident:a"b qident:c` + "`d"},
		{`"SELECT"`, "qident:SELECT"},
		{`""`, "error: line 1, column 1: empty quoted identifier"},
		{`"open`, `error: line 1, column 1: unterminated quoted identifier (the closing " is missing)`},
		{"`open", "error: line 1, column 1: unterminated quoted identifier (the closing ` is missing)"},
		{"'it''s' '' ''''", "str:it's str: str:'"},
		{"'a\nb'", "str:a\nb"},
		{"'open", "error: line 1, column 1: unterminated string (the closing ' is missing)"},
		{"'a''", "error: line 1, column 1: unterminated string (the closing ' is missing)"},
		{"x 'open\nmore", "error: line 1, column 3: unterminated string (the closing ' is missing)"},

		// Numbers and durations.
		{"0 42 007", "int:0 int:42 int:007"},
		{"1.5 1e3 1E+3 2.5e-3", "float:1.5 float:1e3 float:1E+3 float:2.5e-3"},
		{"30s 5m 1h 1d 250ms", "dur:30s=30s dur:5m=5m0s dur:1h=1h0m0s dur:1d=24h0m0s dur:250ms=250ms"},
		{"1h30m 1.5s 1m30.5s", "dur:1h30m=1h30m0s dur:1.5s=1.5s dur:1m30.5s=1m30.5s"},
		{"1.2.3", `error: line 1, column 1: bad number "1.2.3"`},
		{"1.", `error: line 1, column 1: bad number "1." (a digit must follow the point)`},
		{"1.x", `error: line 1, column 1: bad number "1." (a digit must follow the point)`},
		{".5", `error: line 1, column 1: bad number ".5" (write 0.5)`},
		{"x + .5", `error: line 1, column 5: bad number ".5" (write 0.5)`},
		{"10x", `error: line 1, column 1: bad number "10x" (a duration is written like 30s, 5m or 1h30m, with units ms, s, m, h, d)`},
		{"1e", `error: line 1, column 1: bad number "1e" (a duration is written like 30s, 5m or 1h30m, with units ms, s, m, h, d)`},
		{"1e+", `error: line 1, column 1: bad number "1e" (a duration is written like 30s, 5m or 1h30m, with units ms, s, m, h, d)`},
		{"1e3s", `error: line 1, column 1: bad number "1e3s" (a duration is written like 30s, 5m or 1h30m, with units ms, s, m, h, d)`},
		{"5M", `error: line 1, column 1: bad number "5M" (a duration is written like 30s, 5m or 1h30m, with units ms, s, m, h, d)`},
		{"1us", `error: line 1, column 1: bad number "1us" (a duration is written like 30s, 5m or 1h30m, with units ms, s, m, h, d)`},
		{"0.5ms", `error: line 1, column 1: duration "0.5ms" is not a whole number of milliseconds`},
		{"999999999999d", `error: line 1, column 1: duration "999999999999d" is too large`},
		{"106751d 106751d", "dur:106751d=2562024h0m0s dur:106751d=2562024h0m0s"},
		{"106751d23h47m16s854ms", "dur:106751d23h47m16s854ms=2562047h47m16.854s"},
		{"106751d23h47m16s855ms", `error: line 1, column 1: duration "106751d23h47m16s855ms" is too large`},

		// Paths: a point after a name is a step, not a number.
		{"a.5", "ident:a op:. int:5"},
		{"a[0].b", "ident:a op:[ int:0 op:] op:. ident:b"},
		{`"a".5`, "qident:a op:. int:5"},

		// Operators.
		{"<> != <= >= < > = || + - * / % ( ) [ ] , . ;", "op:<> op:!= op:<= op:>= op:< op:> op:= op:|| op:+ op:- op:* op:/ op:% op:( op:) op:[ op:] op:, op:. op:;"},
		{"a<=b", "ident:a op:<= ident:b"},
		{"!", "error: line 1, column 1: unexpected character '!' (write != or NOT)"},
		{"|", "error: line 1, column 1: unexpected character '|' (write || to concatenate)"},
		{"&", "error: line 1, column 1: unexpected character '&' (write AND)"},
		{"==", `error: line 1, column 1: unexpected "==" (write = to compare)`},
		{"#", "error: line 1, column 1: unexpected character '#'"},
		{"{", "error: line 1, column 1: unexpected character '{'"},
		{"\x00", `error: line 1, column 1: unexpected character '\x00'`},
		{"😀", "error: line 1, column 1: unexpected character '😀'"},
		{"a\u00a0b", `error: line 1, column 2: unexpected character '\u00a0'`},
		{"é ?", "error: line 1, column 3: unexpected character '?'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			toks, err := lexAll(tt.in)
			got := strings.Join(toks, " ")
			if err != nil {
				got = "error: " + err.Error()
			}
			if got != tt.want {
				t.Errorf("lex(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestLexerPositions(t *testing.T) {
	src := "SELECT\n\tété,  \"x\"\r\n  -- c\n  /* c\n */ 'y' 1m\n\n"
	l := newLexer(src)
	var got []string
	for {
		tok := l.next()
		got = append(got, fmt.Sprintf("%s@%d:%d+%d", kindNames[tok.kind], tok.pos.Line, tok.pos.Col, tok.pos.Offset))
		if tok.pos != position(src, tok.pos.Offset) {
			t.Errorf("token %q at %+v, but position() says %+v", tok.text, tok.pos, position(src, tok.pos.Offset))
		}
		if tok.kind == tokEOF {
			break
		}
	}
	// The EOF is just after the last token, not on the trailing blank lines.
	want := "kw@1:1+0 ident@2:2+8 op@2:5+13 qident@2:8+16 str@5:5+39 dur@5:9+43 eof@5:11+45"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("positions\n got %s\nwant %s", s, want)
	}
}

func TestLexerErrorsAreSyntaxErrors(t *testing.T) {
	_, err := lexAll("'open")
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrSyntax) {
		t.Fatalf("lexical error %T %v is not an *Error matching ErrSyntax", err, err)
	}
}
