package sql

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// tokenKind classifies a token.
type tokenKind int

const (
	tokEOF         tokenKind = iota
	tokIdent                 // a bare word that is not reserved; text as written
	tokQuotedIdent           // "x" or `x`; text is the name without quotes
	tokKeyword               // a reserved word; text is upper-cased
	tokInt                   // 42; text as written
	tokFloat                 // 4.2, 1e3; text as written
	tokString                // 'it''s'; text is the value
	tokDuration              // 30s, 1h30m; text as written, dur parsed
	tokOp                    // punctuation and operators; text is the operator
)

// token is one lexical element of the query.
type token struct {
	kind tokenKind
	text string
	pos  Pos
	end  int // byte offset just after the token
	dur  time.Duration
}

// reserved lists the words that cannot be used as bare identifiers (quote
// them: "end", `from`). The list is short on purpose: words that only have
// meaning in one place (EVENT, TIME, KEY, WITH, LATENESS, LATE, ESCAPE, MQTT,
// TO, OVER, PARTITION, the type names, the window names and the interval
// units) are recognised there and stay usable as field names everywhere
// else.
var reserved = map[string]bool{
	"AND": true, "AS": true, "BETWEEN": true, "BY": true, "CASE": true,
	"CAST": true, "CROSS": true, "DISTINCT": true, "ELSE": true, "EMIT": true,
	"END": true, "FALSE": true, "FROM": true, "FULL": true, "GROUP": true,
	"HAVING": true, "IN": true, "INNER": true, "INSERT": true, "INTERVAL": true,
	"INTO": true, "IS": true, "JOIN": true, "LEFT": true, "LIKE": true,
	"NOT": true, "NULL": true, "ON": true, "OR": true, "OUTER": true,
	"RIGHT": true, "SELECT": true, "TABLE": true, "THEN": true, "TRUE": true,
	"WHEN": true, "WHERE": true, "WITHIN": true,
}

// IsReserved reports whether word (in any case) is a reserved keyword, which
// must be quoted to be used as a field, alias or stream name.
func IsReserved(word string) bool { return reserved[upper(word)] }

// lexer turns the query text into tokens on demand, so that the first
// error reported is the leftmost one whether it is lexical or syntactic.
// It reports a lexical error by panicking with a *Error, which Parse
// recovers.
type lexer struct {
	src       string
	off       int
	line, col int
	prev      token // the last token returned, for ".5"
	prevEnd   Pos   // just after prev: where EOF is reported
	started   bool
}

func newLexer(src string) *lexer { return &lexer{src: src, line: 1, col: 1} }

// newLexerAt starts a lexer part-way through src, at byte offset off.
func newLexerAt(src string, off int) *lexer {
	p := position(src, off)
	return &lexer{src: src, off: off, line: p.Line, col: p.Col}
}

func (l *lexer) pos() Pos { return Pos{Offset: l.off, Line: l.line, Col: l.col} }

// skip moves past n bytes, keeping line and column.
func (l *lexer) skip(n int) {
	for _, r := range l.src[l.off : l.off+n] {
		if r == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
	}
	l.off += n
}

func (l *lexer) fail(p Pos, msg string) { panic(&Error{Pos: p, Msg: msg}) }

// next returns the next token; at the end it returns tokEOF, positioned
// just after the last token (so that a caret points at where more was
// expected rather than at trailing blank lines).
func (l *lexer) next() token {
	l.skipSpace()
	if l.off >= len(l.src) {
		p := l.pos()
		if l.started {
			p = l.prevEnd
		}
		return token{kind: tokEOF, pos: p, end: p.Offset}
	}
	t := l.scan()
	t.end = l.off
	l.prev = t
	l.prevEnd = l.pos()
	l.started = true
	return t
}

func (l *lexer) skipSpace() {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.skip(1)
		case strings.HasPrefix(l.src[l.off:], "--"):
			n := strings.IndexByte(l.src[l.off:], '\n')
			if n < 0 {
				n = len(l.src) - l.off
			}
			l.skip(n)
		case strings.HasPrefix(l.src[l.off:], "/*"):
			n := strings.Index(l.src[l.off+2:], "*/")
			if n < 0 {
				l.fail(l.pos(), "unterminated /* comment (a */ is missing)")
			}
			l.skip(n + 4)
		default:
			return
		}
	}
}

func (l *lexer) scan() token {
	start := l.pos()
	rest := l.src[l.off:]
	r, _ := utf8.DecodeRuneInString(rest)
	switch {
	case isIdentStart(r):
		n := identLen(rest)
		word := rest[:n]
		l.skip(n)
		if up := upper(word); reserved[up] {
			return token{kind: tokKeyword, text: up, pos: start}
		}
		return token{kind: tokIdent, text: word, pos: start}
	case r >= '0' && r <= '9':
		return l.scanNumber(start)
	case r == '.' && len(rest) > 1 && isDigit(rest[1]) && !l.afterOperand():
		n := 1 + numberRunLen(rest[1:])
		l.fail(start, "bad number "+strconv.Quote(rest[:n])+" (write 0"+rest[:n]+")")
	case r == '\'':
		return l.scanString(start)
	case r == '"' || r == '`':
		return l.scanQuotedIdent(start, byte(r))
	}
	op := scanOp(rest)
	if op == "" {
		l.fail(start, badCharMessage(r))
	}
	switch op {
	case "*/":
		l.fail(start, `unexpected "*/" (block comments do not nest: the comment ended at the first */)`)
	case "==":
		l.fail(start, `unexpected "==" (write = to compare)`)
	}
	l.skip(len(op))
	return token{kind: tokOp, text: op, pos: start}
}

// afterOperand reports whether the previous token can be followed by a
// path step ".name", so that "a.5" is a path error, not a bad number.
func (l *lexer) afterOperand() bool {
	if !l.started {
		return false
	}
	switch l.prev.kind {
	case tokIdent, tokQuotedIdent:
		return true
	case tokOp:
		return l.prev.text == "]" || l.prev.text == ")"
	}
	return false
}

// scanOp returns the operator at the start of s, "*/" for a stray comment
// end, or "" if s starts with no operator.
func scanOp(s string) string {
	for _, op := range [...]string{"*/", "||", "!=", "<>", "<=", ">=", "=="} {
		if strings.HasPrefix(s, op) {
			if op == "*/" && strings.HasPrefix(s, "*/*") {
				return "*" // "SELECT */* comment */": a star, then a comment
			}
			return op
		}
	}
	switch s[0] {
	case '(', ')', '[', ']', ',', '.', ';', '+', '-', '*', '/', '%', '=', '<', '>':
		return s[:1]
	}
	return ""
}

func badCharMessage(r rune) string {
	switch r {
	case '!':
		return `unexpected character '!' (write != or NOT)`
	case '|':
		return `unexpected character '|' (write || to concatenate)`
	case '&':
		return `unexpected character '&' (write AND)`
	}
	return "unexpected character " + strconv.QuoteRune(r)
}

func (l *lexer) scanNumber(start Pos) token {
	s := l.src[l.off:]
	i := digitsLen(s)
	kind := tokInt
	if i < len(s) && s[i] == '.' {
		if i+1 < len(s) && isDigit(s[i+1]) {
			i += 1 + digitsLen(s[i+1:])
			kind = tokFloat
		} else {
			l.fail(start, "bad number "+strconv.Quote(s[:i+1])+" (a digit must follow the point)")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			i = j + digitsLen(s[j:])
			kind = tokFloat
		}
	}
	if n := i + numberRunLen(s[i:]); n > i {
		// Letters or more points right after the digits: a duration such
		// as 30s or 1h30m, or a malformed number.
		text := s[:n]
		d, err := parseDurationShorthand(text)
		if err != "" {
			l.fail(start, err)
		}
		l.skip(n)
		return token{kind: tokDuration, text: text, pos: start, dur: d}
	}
	l.skip(i)
	return token{kind: kind, text: s[:i], pos: start}
}

func (l *lexer) scanString(start Pos) token {
	text, ok := l.scanQuoted('\'')
	if !ok {
		l.fail(start, "unterminated string (the closing ' is missing)")
	}
	return token{kind: tokString, text: text, pos: start}
}

func (l *lexer) scanQuotedIdent(start Pos, q byte) token {
	text, ok := l.scanQuoted(q)
	if !ok {
		l.fail(start, "unterminated quoted identifier (the closing "+string(q)+" is missing)")
	}
	if text == "" {
		l.fail(start, "empty quoted identifier")
	}
	return token{kind: tokQuotedIdent, text: text, pos: start}
}

// scanQuoted reads text between quotes q, where a doubled q stands for one,
// and moves past it; ok is false if the closing quote is missing.
func (l *lexer) scanQuoted(q byte) (text string, ok bool) {
	s := l.src[l.off:]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != q {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		l.skip(i + 1)
		return b.String(), true
	}
	return "", false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// identLen returns the length in bytes of the identifier at the start of s.
func identLen(s string) int {
	for i, r := range s {
		if !isIdentRune(r) {
			return i
		}
	}
	return len(s)
}

func digitsLen(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// numberRunLen returns the length of the run of identifier characters and
// points at the start of s: what follows the digits of a malformed number.
func numberRunLen(s string) int {
	for i, r := range s {
		if r != '.' && !isIdentRune(r) {
			return i
		}
	}
	return len(s)
}

// isBareIdent reports whether name can be written without quotes: it
// lexes as one identifier token and is not reserved.
func isBareIdent(name string) bool {
	if name == "" || reserved[upper(name)] {
		return false
	}
	r, _ := utf8.DecodeRuneInString(name)
	return isIdentStart(r) && identLen(name) == len(name)
}

// quoteIdent writes name as an identifier: bare when it can be, otherwise
// in double quotes with inner double quotes doubled.
func quoteIdent(name string) string {
	if isBareIdent(name) {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// quoteString writes s as a SQL string literal.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// describe names a token for an error message: identifier "x", keyword
// WHERE, number 5, string 'abc', "+", end of query.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of query"
	case tokIdent, tokQuotedIdent:
		return "identifier " + strconv.Quote(t.text)
	case tokKeyword:
		return "keyword " + t.text
	case tokInt, tokFloat:
		return "number " + t.text
	case tokDuration:
		return "duration " + t.text
	case tokString:
		s := t.text
		if utf8.RuneCountInString(s) > 30 {
			s = string([]rune(s)[:30]) + "…"
		}
		return "string " + quoteString(s)
	}
	return strconv.Quote(t.text)
}

// upper upper-cases the ASCII letters of s and nothing else, so that
// keywords and function names match only their ASCII spellings (not, say,
// "ſelect", whose ſ Unicode upper-cases to S) and upper(upper(s)) ==
// upper(s).
func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
