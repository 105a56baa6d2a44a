package sql

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Expressions are parsed by precedence climbing: binary(min) parses an
// operand and then every infix operator that binds at least as tightly as
// min, parsing each right operand one level tighter (all binary operators
// are left-associative; comparisons do not chain at all).

// expr parses a whole expression.
func (p *parser) expr() Expr { return p.binary(precOr) }

var binaryOps = map[string]BinaryOp{
	"OR": Or, "AND": And,
	"=": Eq, "!=": Ne, "<>": Ne, "<": Lt, "<=": Le, ">": Gt, ">=": Ge,
	"||": Concat, "+": Add, "-": Sub, "*": Mul, "/": Div, "%": Mod,
}

// infixOp returns the binary operator t is, if it is one.
func infixOp(t token) (BinaryOp, bool) {
	if t.kind != tokOp && !isKW(t, "AND") && !isKW(t, "OR") {
		return 0, false
	}
	op, ok := binaryOps[t.text]
	return op, ok
}

// isComparisonKeyword reports whether t starts a keyword comparison: IS
// [NOT] NULL, [NOT] IN, [NOT] BETWEEN, [NOT] LIKE.
func isComparisonKeyword(t token) bool {
	return isKW(t, "IS") || isKW(t, "IN") || isKW(t, "BETWEEN") || isKW(t, "LIKE") || isKW(t, "NOT")
}

func (p *parser) binary(min int) Expr {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.peek().pos, "expression nested too deeply (more than "+strconv.Itoa(maxDepth)+" levels)")
	}
	defer func() { p.depth-- }()
	left := p.prefix()
	compared := false // left is a comparison made in this loop
	for {
		t := p.peek()
		op, isOp := infixOp(t)
		prec := op.prec()
		if !isOp {
			if !isComparisonKeyword(t) {
				return left
			}
			prec = precCmp
		}
		if prec < min {
			return left
		}
		if prec == precCmp {
			if compared {
				p.fail(t.pos, "comparisons cannot be chained: join them with AND, or add parentheses")
			}
			compared = true
		} else if prec < precCmp {
			compared = false
		}
		if !isOp {
			left = p.comparison(left)
			continue
		}
		p.next()
		left = &Binary{Pos: t.pos, Op: op, L: left, R: p.binary(prec + 1)}
	}
}

// comparison parses the keyword comparison after left.
func (p *parser) comparison(left Expr) Expr {
	start := p.next()
	not := false
	kw := start
	if isKW(start, "NOT") {
		kw = p.peek()
		if !isKW(kw, "IN") && !isKW(kw, "BETWEEN") && !isKW(kw, "LIKE") {
			p.unexpected(kw, "IN", "BETWEEN", "LIKE")
		}
		p.next()
		not = true
	}
	switch kw.text {
	case "IS":
		isNot := p.acceptKW("NOT")
		if t := p.peek(); !isKW(t, "NULL") {
			if isKW(t, "TRUE") || isKW(t, "FALSE") {
				p.fail(t.pos, "IS "+t.text+" is not supported: compare with = "+t.text)
			}
			p.unexpected(t, "NULL")
		}
		p.next()
		return &IsNull{Pos: start.pos, X: left, Not: isNot}
	case "IN":
		p.expectOp("(")
		if t := p.peek(); isKW(t, "SELECT") {
			p.fail(t.pos, "subqueries are not supported: IN takes a list of values")
		} else if isOp(t, ")") {
			p.fail(t.pos, "IN needs at least one value")
		}
		in := &In{Pos: start.pos, X: left, Not: not}
		for {
			in.List = append(in.List, p.expr())
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")", `","`)
		return in
	case "BETWEEN":
		b := &Between{Pos: start.pos, X: left, Not: not}
		b.Lo = p.binary(precCmp + 1)
		p.expectKW("AND")
		b.Hi = p.binary(precCmp + 1)
		return b
	}
	like := &Like{Pos: start.pos, X: left, Not: not}
	like.Pattern = p.binary(precCmp + 1)
	if isWord(p.peek(), "ESCAPE") {
		p.next()
		t := p.peek()
		if t.kind != tokString || utf8.RuneCountInString(t.text) != 1 {
			p.fail(t.pos, "ESCAPE takes a string of exactly one character, such as ESCAPE '!'")
		}
		like.Escape = p.next().text
	}
	return like
}

// prefix parses NOT x, -x or a primary expression.
func (p *parser) prefix() Expr {
	t := p.peek()
	switch {
	case isKW(t, "NOT"):
		p.next()
		return &Unary{Pos: t.pos, Op: Not, X: p.binary(precNot)}
	case isOp(t, "-"):
		p.next()
		if n := p.peek(); n.kind == tokInt || n.kind == tokFloat {
			// Read "-" and the digits together, so that the smallest
			// BIGINT, -9223372036854775808, can be written.
			p.next()
			return p.number(n, "-", t.pos)
		}
		x := p.binary(precUnary)
		if lit, ok := x.(*Literal); ok {
			if v, ok := negate(lit.Value); ok {
				return &Literal{Pos: t.pos, Value: v}
			}
		}
		return &Unary{Pos: t.pos, Op: Neg, X: x}
	}
	return p.primary()
}

// negate returns -v for a numeric literal value that can be negated.
func negate(v any) (any, bool) {
	switch v := v.(type) {
	case int64:
		if v != math.MinInt64 {
			return -v, true
		}
	case float64:
		return -v, true
	}
	return nil, false
}

// number makes the literal of a number token, with sign "" or "-".
func (p *parser) number(t token, sign string, pos Pos) *Literal {
	if t.kind == tokInt {
		v, err := strconv.ParseInt(sign+t.text, 10, 64)
		if err != nil {
			p.fail(pos, "number "+sign+t.text+" is out of range for BIGINT (write "+sign+t.text+".0 for a DOUBLE)")
		}
		return &Literal{Pos: pos, Value: v}
	}
	v, err := strconv.ParseFloat(sign+t.text, 64)
	if err != nil {
		p.fail(pos, "number "+sign+t.text+" is out of range for DOUBLE")
	}
	return &Literal{Pos: pos, Value: v}
}

// primary parses a literal, a field path, a call, CASE, CAST, INTERVAL or
// a parenthesized expression.
func (p *parser) primary() Expr {
	t := p.peek()
	switch t.kind {
	case tokInt, tokFloat:
		p.next()
		return p.number(t, "", t.pos)
	case tokString:
		p.next()
		return &Literal{Pos: t.pos, Value: t.text}
	case tokDuration:
		p.next()
		return &Interval{Pos: t.pos, Duration: t.dur}
	case tokIdent:
		if isOp(p.peekN(1), "(") {
			return p.call()
		}
		return p.fieldPath()
	case tokQuotedIdent:
		return p.fieldPath()
	case tokKeyword:
		switch t.text {
		case "NULL":
			p.next()
			return &Literal{Pos: t.pos}
		case "TRUE", "FALSE":
			p.next()
			return &Literal{Pos: t.pos, Value: t.text == "TRUE"}
		case "INTERVAL":
			return p.interval()
		case "CASE":
			return p.caseExpr()
		case "CAST":
			return p.cast()
		case "LEFT", "RIGHT": // the string functions
			if isOp(p.peekN(1), "(") {
				return p.call()
			}
		case "SELECT":
			p.fail(t.pos, "subqueries are not supported")
		}
	case tokOp:
		if t.text == "(" {
			p.next()
			if s := p.peek(); isKW(s, "SELECT") {
				p.fail(s.pos, "subqueries are not supported")
			}
			e := p.expr()
			p.expectOp(")", "an operator")
			return e
		}
	}
	p.unexpected(t, "an expression")
	return nil
}

// fieldPath parses name {. name | [index]}. After a dot any word is a
// name, even a reserved one (msg.end).
func (p *parser) fieldPath() *FieldRef {
	t := p.ident("a field name")
	ref := &FieldRef{Pos: t.pos, Path: []Segment{{Name: t.text}}}
	for {
		switch next := p.peek(); {
		case isOp(next, "."):
			p.next()
			n := p.peek()
			switch {
			case n.kind == tokIdent || n.kind == tokQuotedIdent:
				ref.Path = append(ref.Path, Segment{Name: n.text})
			case n.kind == tokKeyword:
				ref.Path = append(ref.Path, Segment{Name: p.src[n.pos.Offset:n.end]})
			case isOp(n, "*"):
				p.fail(n.pos, ref.String()+".* is not allowed here: a star is a SELECT item on its own, * or source.*")
			default:
				p.unexpected(n, `a field name after "."`)
			}
			p.next()
		case isOp(next, "["):
			p.next()
			sign := ""
			if p.acceptOp("-") {
				sign = "-"
			}
			n := p.peek()
			if n.kind != tokInt {
				p.fail(n.pos, "an array index must be a whole number, such as [0] or [-1] for the last element")
			}
			i, err := strconv.ParseInt(sign+n.text, 10, 32)
			if err != nil {
				p.fail(n.pos, "array index "+sign+n.text+" is out of range")
			}
			p.next()
			p.expectOp("]")
			ref.Path = append(ref.Path, Segment{Index: int(i), IsIndex: true})
		default:
			return ref
		}
	}
}

// call parses name(args) [OVER (PARTITION BY …)].
func (p *parser) call() Expr {
	t := p.next()
	c := &Call{Pos: t.pos, Name: upper(t.text)}
	p.next() // (
	switch a := p.peek(); {
	case isOp(a, "*") && isOp(p.peekN(1), ")"):
		if c.Name != "COUNT" {
			p.fail(a.pos, "* is only allowed in COUNT(*)")
		}
		p.next()
		c.Star = true
	case isKW(a, "DISTINCT"):
		if !IsAggregate(c.Name) {
			p.fail(a.pos, "DISTINCT is only allowed in an aggregate, such as COUNT(DISTINCT x)")
		}
		p.next()
		c.Distinct = true
		if isOp(p.peek(), ")") {
			p.unexpected(p.peek(), "an expression")
		}
	}
	if !c.Star && !isOp(p.peek(), ")") {
		for {
			c.Args = append(c.Args, p.expr())
			if !p.acceptOp(",") {
				break
			}
		}
	}
	p.expectOp(")", `","`)
	if o := p.peek(); isWord(o, "OVER") && isOp(p.peekN(1), "(") {
		if !IsAnalytic(c.Name) {
			p.fail(o.pos, "OVER is only allowed after LAG (aggregates are grouped with GROUP BY)")
		}
		p.next()
		p.next()
		c.Over = &Over{Pos: o.pos}
		if t := p.peek(); isWord(t, "PARTITION") {
			p.next()
			p.expectKW("BY")
			for {
				c.Over.PartitionBy = append(c.Over.PartitionBy, p.expr())
				if !p.acceptOp(",") {
					break
				}
			}
		} else if !isOp(t, ")") {
			p.unexpected(t, "PARTITION BY", `")"`)
		}
		p.expectOp(")", `","`)
	}
	return c
}

// caseExpr parses CASE [x] WHEN … THEN … [ELSE …] END.
func (p *parser) caseExpr() Expr {
	c := &Case{Pos: p.next().pos}
	if !isKW(p.peek(), "WHEN") {
		c.Operand = p.expr()
	}
	for {
		t := p.peek()
		if !isKW(t, "WHEN") {
			if len(c.Whens) == 0 {
				p.unexpected(t, "WHEN")
			}
			break
		}
		p.next()
		w := &When{Pos: t.pos, Cond: p.expr()}
		p.expectKW("THEN")
		w.Result = p.expr()
		c.Whens = append(c.Whens, w)
	}
	if p.acceptKW("ELSE") {
		c.Else = p.expr()
		p.expectKW("END")
		return c
	}
	if t := p.peek(); !isKW(t, "END") {
		p.unexpected(t, "WHEN", "ELSE", "END")
	}
	p.next()
	return c
}

// cast parses CAST(x AS type).
func (p *parser) cast() Expr {
	c := &Cast{Pos: p.next().pos}
	p.expectOp("(")
	c.X = p.expr()
	p.expectKW("AS")
	t := p.peek()
	typ, ok := typeSpellings[upper(t.text)]
	if t.kind != tokIdent || !ok {
		p.unexpected(t, "a type: STRING, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP or JSON")
	}
	p.next()
	c.Type = typ
	if upper(t.text) == "VARCHAR" && p.acceptOp("(") {
		// VARCHAR(n) is accepted for familiarity; strings have no length limit.
		if n := p.peek(); n.kind != tokInt {
			p.unexpected(n, "a length")
		}
		p.next()
		p.expectOp(")")
	}
	p.expectOp(")")
	return c
}

// interval parses INTERVAL 'n' UNIT (n may also be written unquoted).
func (p *parser) interval() *Interval {
	iv := &Interval{Pos: p.next().pos}
	v := p.peek()
	if v.kind != tokString && v.kind != tokInt && v.kind != tokFloat {
		p.unexpected(v, "a quoted number, as in INTERVAL '5' SECOND")
	}
	p.next()
	u := p.peek()
	unit, ok := intervalUnits[upper(u.text)]
	if u.kind != tokIdent || !ok {
		p.unexpected(u, "a unit: MILLISECOND, SECOND, MINUTE, HOUR or DAY")
	}
	p.next()
	d, why := scaleDecimal(v.text, unit)
	if why != "" {
		if strings.HasPrefix(strings.TrimSpace(v.text), "-") {
			why = "is negative (subtract it instead: ts - INTERVAL '5' SECOND)"
		} else if why == "is not a number" {
			why += " (write INTERVAL '5' SECOND, or 5s)"
		}
		p.fail(v.pos, "interval "+quoteString(v.text)+" "+why)
	}
	iv.Duration = d
	return iv
}
