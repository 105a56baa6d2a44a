package sql

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrSyntax is matched (with errors.Is) by every error Parse and ParseExpr
// return: the query text is wrong, as opposed to a query that is well formed
// but names an unknown stream or function, which the planner reports.
var ErrSyntax = errors.New("sql: invalid query")

// Pos is a position in the query text.
type Pos struct {
	// Offset is the byte offset, from 0.
	Offset int
	// Line is the line number, from 1 (lines end at '\n').
	Line int
	// Col is the column, from 1, counted in characters (runes), so that a
	// caret lines up under non-ASCII text; a tab counts as one column.
	Col int
}

// String formats the position as "line L, column C".
func (p Pos) String() string {
	return "line " + strconv.Itoa(p.Line) + ", column " + strconv.Itoa(p.Col)
}

// IsValid reports whether p was set by the parser (the zero Pos is not).
func (p Pos) IsValid() bool { return p.Line > 0 }

// Error is a problem in the query text at a position. Parse and ParseExpr
// return it as their only error type.
type Error struct {
	Pos Pos
	// Msg says what is wrong, quoting the offending token, and usually what
	// was expected instead.
	Msg string
}

// Error formats the problem as "line L, column C: msg", for example
//
//	line 1, column 17: unexpected identifier "WHRE" (expected JOIN, WHERE, GROUP BY, HAVING, EMIT or end of query; did you mean WHERE?)
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap returns ErrSyntax.
func (e *Error) Unwrap() error { return ErrSyntax }

// Caret returns the line of src that e.Pos is on and, under it, a caret
// pointing at the column, without a trailing newline:
//
//	SELECT a FROM s WHRE x > 1
//	                ^
//
// Tabs before the column are copied so that the caret lines up in a
// terminal. src must be the text the error came from; a position beyond it
// is clamped to its end.
func (e *Error) Caret(src string) string {
	off := min(max(e.Pos.Offset, 0), len(src))
	start := strings.LastIndexByte(src[:off], '\n') + 1
	end := strings.IndexByte(src[off:], '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += off
	}
	line := strings.TrimSuffix(src[start:end], "\r")
	var b strings.Builder
	b.WriteString(line)
	b.WriteByte('\n')
	for _, r := range src[start:off] {
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteByte('^')
	return b.String()
}

// position computes the Pos of a byte offset in src by counting from the
// start; the lexer tracks positions incrementally and uses this only to
// start part-way through (topic placeholders).
func position(src string, offset int) Pos {
	p := Pos{Line: 1, Col: 1}
	for _, r := range src[:offset] {
		if r == '\n' {
			p.Line++
			p.Col = 1
		} else {
			p.Col++
		}
	}
	p.Offset = offset
	return p
}

// firstInvalidUTF8 returns the offset of the first byte of src that is not
// valid UTF-8, or -1.
func firstInvalidUTF8(src string) int {
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRuneInString(src[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}
