package sql

import (
	"fmt"
	"strconv"
	"strings"
)

// Precedence levels, loosest first. The parser and the printer share
// them, so that the printer adds exactly the parentheses the parser needs.
const (
	precOr = 1 + iota
	precAnd
	precNot // prefix NOT
	precCmp // = <> < <= > >=, IS NULL, IN, BETWEEN, LIKE; non-associative
	precConcat
	precAdd
	precMul
	precUnary // prefix -
	precPrimary
)

func (op BinaryOp) prec() int {
	switch {
	case op == Or:
		return precOr
	case op == And:
		return precAnd
	case op.IsComparison():
		return precCmp
	case op == Concat:
		return precConcat
	case op == Add || op == Sub:
		return precAdd
	}
	return precMul
}

func exprPrec(e Expr) int {
	switch e := e.(type) {
	case *Binary:
		return e.Op.prec()
	case *Unary:
		if e.Op == Not {
			return precNot
		}
		return precUnary
	case *In, *Between, *Like, *IsNull:
		return precCmp
	}
	return precPrimary
}

// printer builds canonical SQL.
type printer struct{ strings.Builder }

// expr writes e, in parentheses if it binds more loosely than min.
func (p *printer) expr(e Expr, min int) {
	if e == nil {
		p.WriteString("<nil>") // only in a tree built by hand
		return
	}
	if exprPrec(e) < min {
		p.WriteByte('(')
		p.expr(e, 0)
		p.WriteByte(')')
		return
	}
	switch e := e.(type) {
	case *Literal:
		p.WriteString(formatLiteral(e.Value))
	case *Interval:
		p.WriteString(formatInterval(e.Duration))
	case *FieldRef:
		p.path(e.Path)
	case *Star:
		if e.Qualifier != "" {
			p.WriteString(quoteIdent(e.Qualifier) + ".")
		}
		p.WriteByte('*')
	case *Unary:
		if e.Op == Not {
			p.WriteString("NOT ")
			p.expr(e.X, precNot)
			return
		}
		var q printer
		q.expr(e.X, precUnary)
		p.WriteByte('-')
		if strings.HasPrefix(q.String(), "-") {
			p.WriteByte(' ') // "- -5", not the comment "--5"
		}
		p.WriteString(q.String())
	case *Binary:
		left, right := e.Op.prec(), e.Op.prec()+1
		if e.Op.IsComparison() {
			left++ // comparisons do not chain: (a = b) = c
		}
		p.expr(e.L, left)
		p.WriteString(" " + e.Op.String() + " ")
		p.expr(e.R, right)
	case *In:
		p.expr(e.X, precCmp+1)
		p.WriteString(notPrefix(e.Not) + "IN (")
		p.list(e.List)
		p.WriteByte(')')
	case *Between:
		p.expr(e.X, precCmp+1)
		p.WriteString(notPrefix(e.Not) + "BETWEEN ")
		p.expr(e.Lo, precCmp+1)
		p.WriteString(" AND ")
		p.expr(e.Hi, precCmp+1)
	case *Like:
		p.expr(e.X, precCmp+1)
		p.WriteString(notPrefix(e.Not) + "LIKE ")
		p.expr(e.Pattern, precCmp+1)
		if e.Escape != "" {
			p.WriteString(" ESCAPE " + quoteString(e.Escape))
		}
	case *IsNull:
		p.expr(e.X, precCmp+1)
		if e.Not {
			p.WriteString(" IS NOT NULL")
		} else {
			p.WriteString(" IS NULL")
		}
	case *Case:
		p.WriteString("CASE")
		if e.Operand != nil {
			p.WriteByte(' ')
			p.expr(e.Operand, 0)
		}
		for _, w := range e.Whens {
			p.WriteByte(' ')
			p.when(w)
		}
		if e.Else != nil {
			p.WriteString(" ELSE ")
			p.expr(e.Else, 0)
		}
		p.WriteString(" END")
	case *Cast:
		p.WriteString("CAST(")
		p.expr(e.X, 0)
		p.WriteString(" AS " + e.Type.String() + ")")
	case *Call:
		p.WriteString(e.Name + "(")
		switch {
		case e.Star:
			p.WriteByte('*')
		case e.Distinct:
			p.WriteString("DISTINCT ")
			fallthrough
		default:
			p.list(e.Args)
		}
		p.WriteByte(')')
		if e.Over != nil {
			p.WriteByte(' ')
			p.over(e.Over)
		}
	default:
		fmt.Fprintf(p, "<%T>", e)
	}
}

func notPrefix(not bool) string {
	if not {
		return " NOT "
	}
	return " "
}

func (p *printer) list(es []Expr) {
	for i, e := range es {
		if i > 0 {
			p.WriteString(", ")
		}
		p.expr(e, 0)
	}
}

func (p *printer) path(path []Segment) {
	for i, s := range path {
		switch {
		case s.IsIndex:
			p.WriteString("[" + strconv.Itoa(s.Index) + "]")
		case i > 0:
			p.WriteString("." + quoteIdent(s.Name))
		default:
			p.WriteString(quoteIdent(s.Name))
		}
	}
}

func (p *printer) when(w *When) {
	p.WriteString("WHEN ")
	p.expr(w.Cond, 0)
	p.WriteString(" THEN ")
	p.expr(w.Result, 0)
}

func (p *printer) over(o *Over) {
	p.WriteString("OVER (")
	if len(o.PartitionBy) > 0 {
		p.WriteString("PARTITION BY ")
		p.list(o.PartitionBy)
	}
	p.WriteByte(')')
}

// formatLiteral prints a literal's value; a float always has a point or
// an exponent, so that it reads back as a float.
func formatLiteral(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case bool:
		if v {
			return "TRUE"
		}
		return "FALSE"
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eIN") {
			s += ".0"
		}
		return s
	case string:
		return quoteString(v)
	}
	return fmt.Sprintf("<%T>", v)
}

// quoteStreamName prints a stream name bare when each of its dot-separated
// parts is a bare identifier (telemetry.raw), and in double quotes
// otherwise ("telemetry-1m").
func quoteStreamName(name string) string {
	for _, part := range strings.Split(name, ".") {
		if !isBareIdent(part) {
			return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
		}
	}
	return name
}

func (p *printer) statement(s *Statement) {
	for _, o := range s.Outputs {
		if o.Kind == ToStream {
			p.WriteString(o.String() + " ")
		}
	}
	if s.Select != nil {
		p.selectStmt(s.Select)
	}
	for _, o := range s.Outputs {
		if o.Kind == ToMQTT {
			p.WriteString(" " + o.String())
		}
	}
}

func (p *printer) selectStmt(s *Select) {
	p.WriteString("SELECT ")
	for i, pr := range s.Projections {
		if i > 0 {
			p.WriteString(", ")
		}
		p.projection(pr)
	}
	if s.From != nil {
		p.WriteString(" ")
		p.from(s.From)
	}
	if s.Where != nil {
		p.WriteString(" WHERE ")
		p.expr(s.Where, 0)
	}
	if len(s.GroupBy) > 0 || s.Window != nil {
		p.WriteString(" GROUP BY ")
		p.list(s.GroupBy)
		if s.Window != nil {
			if len(s.GroupBy) > 0 {
				p.WriteString(", ")
			}
			p.WriteString(s.Window.String())
		}
	}
	if s.Having != nil {
		p.WriteString(" HAVING ")
		p.expr(s.Having, 0)
	}
}

func (p *printer) projection(pr *Projection) {
	p.expr(pr.Expr, 0)
	if pr.Alias != "" {
		p.WriteString(" AS " + quoteIdent(pr.Alias))
	}
}

func (p *printer) from(f *From) {
	p.WriteString("FROM ")
	p.source(f.Source)
	for _, j := range f.Joins {
		p.WriteByte(' ')
		p.join(j)
	}
}

func (p *printer) join(j *Join) {
	p.WriteString(j.Kind.String() + " ")
	p.source(j.Source)
	p.WriteString(" ON ")
	p.expr(j.On, 0)
	if j.Source != nil && !j.Source.Table {
		p.WriteString(" WITHIN " + formatInterval(j.Within))
	}
}

func (p *printer) source(s *Source) {
	if s == nil {
		return
	}
	if s.Table {
		p.WriteString("TABLE ")
	}
	p.WriteString(quoteStreamName(s.Stream))
	if s.Alias != "" {
		p.WriteString(" AS " + quoteIdent(s.Alias))
	}
	if s.Key != nil {
		p.WriteString(" KEY ")
		p.path(s.Key.Path)
	}
	if s.EventTime != nil {
		p.WriteString(" " + s.EventTime.String())
	}
}

func (e *EventTime) String() string {
	var p printer
	p.WriteString("EVENT TIME ")
	p.expr(e.Expr, 0)
	if e.Lateness > 0 {
		p.WriteString(" WITH LATENESS " + formatInterval(e.Lateness))
	}
	if e.LateStream != "" {
		p.WriteString(" LATE INTO " + quoteStreamName(e.LateStream))
	}
	return p.String()
}

func (w *Window) String() string {
	args := []string{}
	switch w.Kind {
	case Tumbling, Sliding:
		args = append(args, formatInterval(w.Size))
	case Hopping:
		args = append(args, formatInterval(w.Size), formatInterval(w.Advance))
	case Session:
		args = append(args, formatInterval(w.Gap))
		if w.MaxDuration > 0 {
			args = append(args, formatInterval(w.MaxDuration))
		}
	case CountWindow:
		args = append(args, strconv.Itoa(w.Count))
		if w.Slide > 0 {
			args = append(args, strconv.Itoa(w.Slide))
		}
	}
	return w.Kind.String() + "(" + strings.Join(args, ", ") + ")"
}

func (o *Output) String() string {
	if o.Kind == ToMQTT && o.Topic != nil {
		return "EMIT TO MQTT " + o.Topic.String()
	}
	return "INSERT INTO " + quoteStreamName(o.Stream)
}

// String prints the template as a SQL string literal: 'alerts/{device}'.
func (t *Template) String() string { return quoteString(t.Text()) }

func (s *Statement) String() string {
	var p printer
	p.statement(s)
	return p.String()
}

func (s *Select) String() string {
	var p printer
	p.selectStmt(s)
	return p.String()
}

func (pr *Projection) String() string {
	var p printer
	p.projection(pr)
	return p.String()
}

func (f *From) String() string {
	var p printer
	p.from(f)
	return p.String()
}

func (s *Source) String() string {
	var p printer
	p.source(s)
	return p.String()
}

func (j *Join) String() string {
	var p printer
	p.join(j)
	return p.String()
}

func (w *When) String() string {
	var p printer
	p.when(w)
	return p.String()
}

func (o *Over) String() string {
	var p printer
	p.over(o)
	return p.String()
}

func exprString(e Expr) string {
	var p printer
	p.expr(e, 0)
	return p.String()
}

func (e *Literal) String() string  { return exprString(e) }
func (e *Interval) String() string { return exprString(e) }
func (e *FieldRef) String() string { return exprString(e) }
func (e *Star) String() string     { return exprString(e) }
func (e *Unary) String() string    { return exprString(e) }
func (e *Binary) String() string   { return exprString(e) }
func (e *In) String() string       { return exprString(e) }
func (e *Between) String() string  { return exprString(e) }
func (e *Like) String() string     { return exprString(e) }
func (e *IsNull) String() string   { return exprString(e) }
func (e *Case) String() string     { return exprString(e) }
func (e *Cast) String() string     { return exprString(e) }
func (e *Call) String() string     { return exprString(e) }
