package analytics

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tributary-edge/tributary/analytics/eval"
	"github.com/tributary-edge/tributary/analytics/sql"
)

// Error is a query the planner refuses: well formed, but naming what does
// not exist or using it wrongly, at a position in the query text.
type Error struct {
	Pos sql.Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap returns ErrPlan.
func (e *Error) Unwrap() error { return ErrPlan }

// Caret shows the query line and a caret under the problem.
func (e *Error) Caret(src string) string { return (&sql.Error{Pos: e.Pos, Msg: e.Msg}).Caret(src) }

// ErrPlan is matched by every error the planner returns.
var ErrPlan = errors.New("analytics: query cannot run")

// Caret returns the caret display of a Parse or plan error (the source
// line and a ^ under the problem), or "" for another error.
func Caret(err error, src string) string {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Caret(src)
	}
	var se *sql.Error
	if errors.As(err, &se) {
		return se.Caret(src)
	}
	return ""
}

func planErr(n sql.Node, format string, args ...any) error {
	return &Error{Pos: n.Position(), Msg: fmt.Sprintf(format, args...)}
}

// row is what an expression reads: the record, and in a grouped query's
// output the group's keys and aggregate results.
type row struct {
	raw    []byte // the record as stored
	rec    any    // the decoded record (driving source), or the fields read of it
	table  any    // the joined table's record for this one (NULL: none)
	keys   []any  // GROUP BY values (grouped output)
	aggs   []any  // aggregate results (grouped output)
	lags   []any  // LAG results of this record
	window [2]int64
}

// compiled is an expression ready to evaluate.
type compiled func(r *row) any

// scope is what an expression may name while it is compiled.
type scope struct {
	source string // the driving source's name: a path starting with it is qualified
	table  string // a joined table's name: a path starting with it reads the table's record
	// grouped output: group keys by canonical text, aggregates by text
	keys     map[string]int
	aggs     map[string]int
	lags     map[string]int
	output   bool // compiling for a grouped query's output (keys and aggregates only)
	inWindow bool // WINDOW_START()/WINDOW_END() allowed
	// names collects the top-level fields the record is read at (to
	// decode only those)
	names map[string]bool
}

// compile turns an expression into a function of a row.
func (sc *scope) compile(e sql.Expr) (compiled, error) {
	if sc.output {
		text := e.String()
		if i, ok := sc.keys[text]; ok {
			return func(r *row) any { return r.keys[i] }, nil
		}
		if i, ok := sc.aggs[text]; ok {
			return func(r *row) any { return r.aggs[i] }, nil
		}
	}
	switch x := e.(type) {
	case *sql.Literal:
		v := x.Value
		return func(*row) any { return v }, nil
	case *sql.FieldRef:
		if sc.output {
			return nil, planErr(x, "%s is neither a GROUP BY key nor inside an aggregate", x)
		}
		table := sc.table != "" && len(x.Path) > 1 && !x.Path[0].IsIndex && x.Path[0].Name == sc.table
		path := make([]any, 0, len(x.Path))
		for i, s := range x.Path {
			switch {
			case s.IsIndex:
				path = append(path, s.Index)
			case i == 0 && len(x.Path) > 1 && (s.Name == sc.source || table):
				// qualified by a source's name
			default:
				path = append(path, s.Name)
			}
		}
		if table {
			return func(r *row) any { return eval.Field(r.table, path...) }, nil
		}
		if name, ok := path[0].(string); ok && sc.names != nil {
			sc.names[name] = true
		}
		return func(r *row) any { return eval.Field(r.rec, path...) }, nil
	case *sql.Unary:
		a, err := sc.compile(x.X)
		if err != nil {
			return nil, err
		}
		if x.Op == sql.Not {
			return func(r *row) any { return eval.Not(a(r)) }, nil
		}
		return func(r *row) any { return eval.Neg(a(r)) }, nil
	case *sql.Binary:
		return sc.binary(x)
	case *sql.In:
		a, err := sc.compile(x.X)
		if err != nil {
			return nil, err
		}
		list, err := sc.compileAll(x.List)
		if err != nil {
			return nil, err
		}
		not := x.Not
		return func(r *row) any {
			v := a(r)
			var res any = false
			for _, l := range list {
				res = eval.Or(res, eval.Equal(v, l(r)))
				if res == true {
					break
				}
			}
			if not {
				return eval.Not(res)
			}
			return res
		}, nil
	case *sql.Between:
		v, err := sc.compile(x.X)
		if err != nil {
			return nil, err
		}
		lo, err := sc.compile(x.Lo)
		if err != nil {
			return nil, err
		}
		hi, err := sc.compile(x.Hi)
		if err != nil {
			return nil, err
		}
		not := x.Not
		return func(r *row) any {
			a := v(r)
			res := eval.And(cmp(sql.Ge, a, lo(r)), cmp(sql.Le, a, hi(r)))
			if not {
				return eval.Not(res)
			}
			return res
		}, nil
	case *sql.Like:
		v, err := sc.compile(x.X)
		if err != nil {
			return nil, err
		}
		p, err := sc.compile(x.Pattern)
		if err != nil {
			return nil, err
		}
		var esc rune
		if x.Escape != "" {
			esc = []rune(x.Escape)[0]
		}
		not := x.Not
		return func(r *row) any {
			res := eval.Like(v(r), p(r), esc)
			if not {
				return eval.Not(res)
			}
			return res
		}, nil
	case *sql.IsNull:
		v, err := sc.compile(x.X)
		if err != nil {
			return nil, err
		}
		not := x.Not
		return func(r *row) any { return (v(r) == nil) != not }, nil
	case *sql.Case:
		return sc.caseExpr(x)
	case *sql.Cast:
		v, err := sc.compile(x.X)
		if err != nil {
			return nil, err
		}
		t := castTypes[x.Type]
		return func(r *row) any { return eval.Cast(v(r), t) }, nil
	case *sql.Call:
		return sc.call(x)
	case *sql.Star:
		return nil, planErr(x, "* is only allowed as a SELECT item")
	case *sql.Interval:
		ms := x.Duration.Milliseconds()
		return func(*row) any { return ms }, nil
	}
	return nil, planErr(e, "cannot evaluate %s", e)
}

var castTypes = map[sql.Type]eval.Type{
	sql.TypeString: eval.TypeString, sql.TypeBigint: eval.TypeBigint, sql.TypeDouble: eval.TypeDouble,
	sql.TypeBoolean: eval.TypeBoolean, sql.TypeTimestamp: eval.TypeTimestamp, sql.TypeJSON: eval.TypeJSON,
}

func (sc *scope) compileAll(es []sql.Expr) ([]compiled, error) {
	out := make([]compiled, len(es))
	for i, e := range es {
		c, err := sc.compile(e)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// cmp is a comparison with NULL semantics.
func cmp(op sql.BinaryOp, a, b any) any {
	if op == sql.Eq {
		return eval.Equal(a, b)
	}
	if op == sql.Ne {
		return eval.Not(eval.Equal(a, b))
	}
	c, ok := eval.Compare(a, b)
	if !ok {
		return nil
	}
	switch op {
	case sql.Lt:
		return c < 0
	case sql.Le:
		return c <= 0
	case sql.Gt:
		return c > 0
	}
	return c >= 0
}

var arithOps = map[sql.BinaryOp]eval.Op{sql.Add: eval.OpAdd, sql.Sub: eval.OpSub, sql.Mul: eval.OpMul, sql.Div: eval.OpDiv, sql.Mod: eval.OpMod}

func (sc *scope) binary(x *sql.Binary) (compiled, error) {
	a, err := sc.compile(x.L)
	if err != nil {
		return nil, err
	}
	b, err := sc.compile(x.R)
	if err != nil {
		return nil, err
	}
	op := x.Op
	switch {
	case op == sql.And:
		return func(r *row) any {
			l := a(r)
			if l == false {
				return false
			}
			return eval.And(l, b(r))
		}, nil
	case op == sql.Or:
		return func(r *row) any {
			l := a(r)
			if l == true {
				return true
			}
			return eval.Or(l, b(r))
		}, nil
	case op.IsComparison():
		return func(r *row) any { return cmp(op, a(r), b(r)) }, nil
	case op == sql.Concat:
		return func(r *row) any {
			l, ok1 := eval.String(a(r)).(string)
			rr, ok2 := eval.String(b(r)).(string)
			if !ok1 || !ok2 {
				return nil
			}
			return l + rr
		}, nil
	}
	ar := arithOps[op]
	return func(r *row) any { return eval.Arith(ar, a(r), b(r)) }, nil
}

func (sc *scope) caseExpr(x *sql.Case) (compiled, error) {
	var operand compiled
	if x.Operand != nil {
		var err error
		if operand, err = sc.compile(x.Operand); err != nil {
			return nil, err
		}
	}
	conds := make([]compiled, len(x.Whens))
	results := make([]compiled, len(x.Whens))
	for i, w := range x.Whens {
		var err error
		if conds[i], err = sc.compile(w.Cond); err != nil {
			return nil, err
		}
		if results[i], err = sc.compile(w.Result); err != nil {
			return nil, err
		}
	}
	els := compiled(func(*row) any { return nil })
	if x.Else != nil {
		var err error
		if els, err = sc.compile(x.Else); err != nil {
			return nil, err
		}
	}
	return func(r *row) any {
		var v any
		if operand != nil {
			v = operand(r)
		}
		for i, c := range conds {
			hit := c(r)
			if operand != nil {
				hit = eval.Equal(v, hit)
			}
			if eval.IsTrue(hit) {
				return results[i](r)
			}
		}
		return els(r)
	}, nil
}

func (sc *scope) call(x *sql.Call) (compiled, error) {
	name := strings.ToLower(x.Name)
	switch {
	case sql.IsAggregate(x.Name):
		return nil, planErr(x, "aggregate %s is only allowed in the SELECT list and HAVING of a query with GROUP BY", x.Name)
	case sql.IsAnalytic(x.Name):
		i, ok := sc.lags[x.String()]
		if !ok {
			return nil, planErr(x, "%s is not allowed here", x.Name)
		}
		return func(r *row) any { return r.lags[i] }, nil
	case name == "window_start" || name == "window_end":
		if !sc.inWindow || len(x.Args) != 0 {
			return nil, planErr(x, "%s() is only allowed, without arguments, in the output of a query with GROUP BY", strings.ToUpper(name))
		}
		i := 0
		if name == "window_end" {
			i = 1
		}
		return func(r *row) any { return r.window[i] }, nil
	}
	f, err := eval.Lookup(name, len(x.Args))
	if err != nil {
		return nil, planErr(x, "%v", err)
	}
	args, err := sc.compileAll(x.Args)
	if err != nil {
		return nil, err
	}
	return func(r *row) any {
		vals := make([]any, len(args))
		for i, a := range args {
			vals[i] = a(r)
		}
		return f.Call(vals)
	}, nil
}
