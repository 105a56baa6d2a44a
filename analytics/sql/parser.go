package sql

import (
	"strconv"
	"strings"
)

// maxDepth bounds how deeply expressions may nest, so that a hostile
// query cannot exhaust the stack of a small device.
const maxDepth = 200

// Parse parses one continuous query (see the package documentation for
// the dialect). It returns a non-nil *Statement and a nil error, or a nil
// *Statement and an *Error, which matches ErrSyntax. Besides the grammar it
// checks what can be checked without knowing the streams and functions:
// where aggregates, windows and LAG may appear, HAVING without GROUP BY,
// window arguments, stream names, duplicate aliases and output names, and
// MQTT topic templates.
func Parse(src string) (st *Statement, err error) {
	defer func() {
		if r := recover(); r != nil {
			st, err = nil, asError(r)
		}
	}()
	p := newParser(src)
	st = p.statement()
	p.checkStatement(st)
	return st, nil
}

// ParseExpr parses a single expression, such as `temperature > 40 AND
// device LIKE 'fr%'`. Aggregates and LAG are allowed (the caller decides
// whether they make sense), windows are not, and aggregates may not nest.
// It returns an Expr and a nil error, or nil and an *Error.
func ParseExpr(src string) (e Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, asError(r)
		}
	}()
	p := newParser(src)
	e = p.expr()
	if t := p.peek(); t.kind != tokEOF {
		p.unexpected(t, "an operator", "end of expression")
	}
	p.checkExpr(e, "an expression", true, true)
	return e, nil
}

// asError returns the *Error a parser panicked with (recovered by Parse
// and ParseExpr); any other panic is a bug and is raised again.
func asError(r any) error {
	e, ok := r.(*Error)
	if !ok {
		panic(r)
	}
	return e
}

// parser is a recursive-descent parser over a lexer with lookahead. It
// reports the first error by panicking with a *Error, which Parse and
// ParseExpr recover (see asError).
type parser struct {
	src   string
	lex   *lexer
	ahead []token
	depth int
	// alias is the last alias written without AS, and aliasNext the offset
	// of the token after it: when that token is unexpected and the alias
	// looks like a misspelt keyword (FROM s WHRE x > 1), the error blames
	// the alias.
	alias     token
	aliasNext int
}

func newParser(src string) *parser {
	if off := firstInvalidUTF8(src); off >= 0 {
		panic(&Error{Pos: position(src, off), Msg: "invalid UTF-8 byte 0x" + strconv.FormatUint(uint64(src[off]), 16)})
	}
	return &parser{src: src, lex: newLexer(src), aliasNext: -1}
}

func (p *parser) peek() token { return p.peekN(0) }

// peekN returns the token n places ahead without consuming anything.
func (p *parser) peekN(n int) token {
	for len(p.ahead) <= n {
		p.ahead = append(p.ahead, p.lex.next())
	}
	return p.ahead[n]
}

// next consumes and returns the next token.
func (p *parser) next() token {
	t := p.peek()
	if t.kind != tokEOF {
		p.ahead = p.ahead[1:]
	}
	return t
}

func (p *parser) fail(pos Pos, msg string) { panic(&Error{Pos: pos, Msg: msg}) }

func isKW(t token, kw string) bool { return t.kind == tokKeyword && t.text == kw }

func isOp(t token, op string) bool { return t.kind == tokOp && t.text == op }

// isWord reports whether t is the unreserved word w (in any case): the
// words that are keywords only in one place, such as EVENT or KEY.
func isWord(t token, w string) bool { return t.kind == tokIdent && upper(t.text) == upper(w) }

func (p *parser) acceptKW(kw string) bool {
	if isKW(p.peek(), kw) {
		p.next()
		return true
	}
	return false
}

func (p *parser) acceptOp(op string) bool {
	if isOp(p.peek(), op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectKW(kw string) token {
	t := p.peek()
	if !isKW(t, kw) {
		p.unexpected(t, kw)
	}
	return p.next()
}

func (p *parser) expectOp(op string, alternatives ...string) token {
	t := p.peek()
	if !isOp(t, op) {
		p.unexpected(t, append(alternatives, strconv.Quote(op))...)
	}
	return p.next()
}

func (p *parser) expectWord(w string) token {
	t := p.peek()
	if !isWord(t, w) {
		p.unexpected(t, w)
	}
	return p.next()
}

// unexpected fails at t: `unexpected identifier "WHRE" (expected WHERE,
// GROUP BY or end of query; did you mean WHERE?)`.
func (p *parser) unexpected(t token, expected ...string) {
	if p.aliasNext >= 0 && t.pos.Offset == p.aliasNext && t.kind != tokEOF {
		if s := suggest(p.alias, expected); s != "" {
			t = p.alias
		}
	}
	msg := "unexpected " + t.describe()
	if len(expected) > 0 {
		msg += " (expected " + orList(expected)
		if s := suggest(t, expected); s != "" {
			msg += "; did you mean " + s + "?"
		}
		msg += ")"
	}
	p.fail(t.pos, msg)
}

// orList joins alternatives as "a", "a or b", "a, b or c".
func orList(alts []string) string {
	switch len(alts) {
	case 0:
		return ""
	case 1:
		return alts[0]
	}
	return strings.Join(alts[:len(alts)-1], ", ") + " or " + alts[len(alts)-1]
}

// suggest returns the expected keyword (or keyword phrase) that the word
// t is a likely misspelling of, or "".
func suggest(t token, expected []string) string {
	if t.kind != tokIdent {
		return ""
	}
	w := upper(t.text)
	best, bestDist := "", 3
	for _, alt := range expected {
		kw, _, _ := strings.Cut(alt, " ")
		if kw == "" || strings.IndexFunc(kw, func(r rune) bool { return (r < 'A' || r > 'Z') && r != '_' }) >= 0 {
			continue
		}
		limit := 2
		if len(kw) <= 4 {
			limit = 1
		}
		if d := editDistance(w, kw); d > 0 && d <= limit && d < bestDist {
			best, bestDist = alt, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance between a and b,
// in runes: insertions, deletions, substitutions and transpositions of
// neighbours (FORM → FROM) count 1. It gives up (returns a large number)
// for long words.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 32 || len(rb) > 32 {
		return 99
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// ident reads a name: a bare or quoted identifier. what describes it for
// the error message.
func (p *parser) ident(what string) token {
	t := p.peek()
	if t.kind != tokIdent && t.kind != tokQuotedIdent {
		p.unexpected(t, what)
	}
	return p.next()
}

// streamName reads a stream name: a quoted identifier, or bare identifiers
// joined by dots (telemetry.raw), and checks it against the spool's rule.
func (p *parser) streamName(what string) (string, Pos) {
	t := p.peek()
	var name string
	switch t.kind {
	case tokQuotedIdent:
		name = p.next().text
	case tokIdent:
		name = p.next().text
		for isOp(p.peek(), ".") {
			p.next()
			name += "." + p.ident("the rest of the stream name after \".\"").text
		}
	default:
		p.unexpected(t, what)
	}
	if msg := checkStreamName(name); msg != "" {
		p.fail(t.pos, msg)
	}
	return name, t.pos
}

// checkStreamName applies the spool's stream name rule (Kinesis'): 1 to
// 128 of [a-zA-Z0-9_.-]. It returns "" or what is wrong.
func checkStreamName(name string) string {
	if len(name) == 0 || len(name) > 128 {
		return "stream name " + strconv.Quote(name) + " must be 1 to 128 characters"
	}
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return "stream name " + strconv.Quote(name) + " has " + strconv.QuoteRune(c) +
				" at byte " + strconv.Itoa(i) + " (allowed: a-z A-Z 0-9 _ . -)"
		}
	}
	return ""
}

// unsupportedClauses explains words that start clauses of other SQL
// dialects; they are refused as aliases and at the end of a query.
var unsupportedClauses = map[string]string{
	"ORDER":  "ORDER BY is not supported: a continuous query emits results as they are computed",
	"LIMIT":  "LIMIT is not supported in a continuous query",
	"OFFSET": "OFFSET is not supported in a continuous query",
	"UNION":  "UNION is not supported: write one query per input stream, each into the same output stream",
	"WINDOW": "a WINDOW clause is not supported: write the window as a GROUP BY item, for example GROUP BY device, TUMBLING(1m)",
}

// notAliases are unreserved words that cannot be an alias written
// without AS, because they start what may follow a source.
var notAliases = map[string]bool{"EVENT": true, "KEY": true}

func (p *parser) failUnsupported(t token) {
	if t.kind == tokIdent {
		if msg, ok := unsupportedClauses[upper(t.text)]; ok {
			p.fail(t.pos, msg)
		}
	}
}
