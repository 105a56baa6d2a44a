package analytics

import (
	"bytes"
	"sort"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/analytics/eval"
	"github.com/tributary-edge/tributary/analytics/sql"
	"github.com/tributary-edge/tributary/analytics/window"
)

// Plan is a checked statement, ready to make Queries.
type Plan struct {
	SQL        string
	Source     string // the stream it reads
	Output     string // the INSERT INTO stream, or ""
	Topics     []*sql.Template
	LateStream string

	eventTime compiled // nil: arrival time
	lateness  time.Duration
	where     compiled
	grouped   bool
	keys      []compiled
	spec      window.Spec
	aggArgs   []compiled
	lagArgs   []compiled
	lagDefs   []compiled
	lagKey    []compiled
	having    compiled
	cols      []column
	// names are the only top-level fields read (nil: all, for SELECT *);
	// passthrough: the output record is the input record (SELECT *)
	names       map[string]bool
	passthrough bool
	join        *tableJoin
}

// tableJoin is JOIN TABLE: the table stream's latest record per key,
// looked up by each record of the driving stream.
type tableJoin struct {
	stream   string
	left     bool
	driveKey compiled // the driving record's side of the ON equality
	tableKey []any    // the key field's path in a table record
	cond     compiled // the rest of ON (nil: none)
	// within is set for a join of two streams (see streamjoin.go): records
	// match when their times are at most within apart
	within    time.Duration
	rightTime compiled // the right stream's EVENT TIME, read of row.table
}

// maxJoinRecords bounds the records a join of two streams holds.
const maxJoinRecords = 100_000

// maxTableKeys bounds a joined table's keys.
const maxTableKeys = 100_000

// Sources are the streams the plan reads: the driving one, then a joined
// table's.
func (p *Plan) Sources() []string {
	if p.join != nil {
		return []string{p.Source, p.join.stream}
	}
	return []string{p.Source}
}

// TableStream is the joined table's stream, or "".
func (p *Plan) TableStream() string {
	if p.join == nil || p.join.within > 0 {
		return ""
	}
	return p.join.stream
}

// column is one output field.
type column struct {
	name string
	expr compiled
	star bool // SELECT *: the record's fields
}

// Compile parses and plans a statement. streams reports whether a stream
// exists (nil: not checked). Errors carry a position (Caret shows it).
func Compile(src string, streams func(string) bool) (*Plan, error) {
	st, err := sql.Parse(src)
	if err != nil {
		return nil, err
	}
	sel := st.Select
	p := &Plan{SQL: src, Source: sel.From.Source.Stream, grouped: sel.Grouped()}
	if len(sel.From.Joins) > 1 {
		return nil, planErr(sel.From.Joins[1], "a query joins at most one table")
	}
	if streams != nil && !streams(p.Source) {
		return nil, planErr(sel.From.Source, "stream %s does not exist", p.Source)
	}
	for _, o := range st.Outputs {
		switch o.Kind {
		case sql.ToStream:
			p.Output = o.Stream
		case sql.ToMQTT:
			p.Topics = append(p.Topics, o.Topic)
		}
	}
	sc := &scope{source: sel.From.Source.Name(), lags: map[string]int{}, names: map[string]bool{}}
	if len(sel.From.Joins) == 1 {
		j := sel.From.Joins[0]
		if streams != nil && !streams(j.Source.Stream) {
			return nil, planErr(j.Source, "stream %s does not exist", j.Source.Stream)
		}
		if !j.Source.Table && j.Source.Stream == p.Source {
			return nil, planErr(j.Source, "a stream cannot be joined with itself")
		}
		sc.table = j.Source.Name()
		if p.join, err = planJoin(sc, j); err != nil {
			return nil, err
		}
	}
	if et := sel.From.Source.EventTime; et != nil {
		if p.eventTime, err = sc.compile(et.Expr); err != nil {
			return nil, err
		}
		p.lateness, p.LateStream = et.Lateness, et.LateStream
	}
	if err := p.planJoinTime(sc, sel); err != nil {
		return nil, err
	}
	if err := p.planLags(sc, sel); err != nil {
		return nil, err
	}
	if sel.Where != nil {
		if p.where, err = sc.compile(sel.Where); err != nil {
			return nil, err
		}
	}
	if p.grouped {
		err = p.planGrouped(sc, sel)
	} else {
		err = p.planColumns(sc, sel.Projections)
	}
	if err != nil {
		return nil, err
	}
	p.spec.EventTime, p.spec.Lateness = p.eventTime != nil, p.lateness
	if j := p.join; j != nil && j.within > 0 && j.left && p.eventTime != nil {
		// a LEFT JOIN's unmatched records come out WITHIN after their time
		p.spec.Lateness += j.within
	}
	p.names = sc.names
	for _, c := range p.cols {
		if c.star {
			if len(p.cols) == 1 {
				p.passthrough = true // the record goes out as it came
			} else {
				p.names = nil // every field is needed
			}
		}
	}
	for _, t := range p.Topics {
		for _, f := range t.Fields() {
			if p.names != nil && !f.Path[0].IsIndex {
				p.names[f.Path[0].Name] = true
			}
		}
	}
	if err := p.spec.Validate(); err != nil {
		return nil, planErr(sel, "%v", err)
	}
	return p, nil
}

// planJoinTime compiles the right stream's event time of a join of two
// streams: both sides use event time, or neither does.
func (p *Plan) planJoinTime(sc *scope, sel *sql.Select) error {
	if p.join == nil || p.join.within == 0 {
		return nil
	}
	j := sel.From.Joins[0]
	et := j.Source.EventTime
	switch {
	case et == nil && p.eventTime != nil:
		return planErr(j.Source, "%s needs EVENT TIME too: both streams of a join use event time, or neither does", j.Source.Name())
	case et != nil && p.eventTime == nil:
		return planErr(et, "%s has no EVENT TIME: both streams of a join use event time, or neither does", sel.From.Source.Name())
	case et == nil:
		return nil
	}
	if et.LateStream != "" || et.Lateness != 0 {
		return planErr(et, "put the lateness and LATE INTO on the first stream's EVENT TIME; they apply to the join as a whole")
	}
	var err error
	p.join.rightTime, err = sc.compile(et.Expr)
	return err
}

// planLags collects the LAG calls. In an ungrouped query LAG reads the
// previous record of its partition; in a grouped one (called with the
// output scope) the previous result row of its partition, which must be
// made of GROUP BY keys: LAG(AVG(temp)) OVER (PARTITION BY device) is the
// device's average in its previous window.
func (p *Plan) planLags(sc *scope, sel *sql.Select) error {
	var first *sql.Call
	var lagErr error
	var exprs []sql.Expr
	if p.grouped && !sc.output {
		// a grouped query's LAGs are planned with its output
		sql.Walk(sel.Where, func(n sql.Expr) bool {
			if c, ok := n.(*sql.Call); ok && sql.IsAnalytic(c.Name) && lagErr == nil {
				lagErr = planErr(c, "LAG is not allowed in the WHERE of a query with GROUP BY (it compares result rows: use HAVING)")
			}
			return lagErr == nil
		})
		return lagErr
	}
	if p.grouped {
		exprs = append(exprs, sel.Having)
	} else {
		exprs = append(exprs, sel.Where)
	}
	for _, pr := range sel.Projections {
		exprs = append(exprs, pr.Expr)
	}
	for _, e := range exprs {
		sql.Walk(e, func(n sql.Expr) bool {
			c, ok := n.(*sql.Call)
			if !ok || !sql.IsAnalytic(c.Name) || lagErr != nil {
				return lagErr == nil
			}
			if len(c.Args) > 1 {
				if l, ok := c.Args[1].(*sql.Literal); !ok || l.Value != int64(1) {
					lagErr = planErr(c.Args[1], "LAG's offset must be 1 (the previous record)")
					return false
				}
			}
			if first == nil {
				first = c
				var parts []sql.Expr
				if c.Over != nil {
					parts = c.Over.PartitionBy
				}
				if p.lagKey, lagErr = sc.compileAll(parts); lagErr != nil {
					return false
				}
			} else if overText(c.Over) != overText(first.Over) {
				lagErr = planErr(c, "every LAG of a query must have the same PARTITION BY (%s)", overText(first.Over))
				return false
			}
			if _, dup := sc.lags[c.String()]; dup {
				return false
			}
			arg, err := sc.compile(c.Args[0])
			if err != nil {
				lagErr = err
				return false
			}
			def := compiled(func(*row) any { return nil })
			if len(c.Args) > 2 {
				if def, err = sc.compile(c.Args[2]); err != nil {
					lagErr = err
					return false
				}
			}
			sc.lags[c.String()] = len(p.lagArgs)
			p.lagArgs, p.lagDefs = append(p.lagArgs, arg), append(p.lagDefs, def)
			p.spec.Lags = append(p.spec.Lags, window.LagSpec{})
			return false
		})
	}
	return lagErr
}

func overText(o *sql.Over) string {
	if o == nil {
		return "no partition"
	}
	return o.String()
}

// aggFuncs maps the aggregate names to the window engine's.
var aggFuncs = map[string]window.Func{
	"COUNT": window.FuncCount, "SUM": window.FuncSum, "AVG": window.FuncAvg, "MIN": window.FuncMin, "MAX": window.FuncMax,
	"FIRST": window.FuncFirst, "LAST": window.FuncLast, "STDDEV": window.FuncStddevSamp, "APPROX_PERCENTILE": window.FuncPercentile,
}

func (p *Plan) planGrouped(sc *scope, sel *sql.Select) error {
	w := sel.Window
	if w.MaxDuration > 0 {
		return planErr(w, "SESSION's maximum duration is not supported yet: a session closes after its gap")
	}
	p.spec.Window = window.Window{Kind: windowKinds[w.Kind], Size: w.Size, Advance: w.Advance, Gap: w.Gap, Count: w.Count, Slide: w.Slide}
	if w.Kind == sql.CountWindow && w.Slide == 0 {
		p.spec.Window.Slide = w.Count // COUNT_WINDOW(n): back to back
	}
	out := &scope{source: sc.source, keys: map[string]int{}, aggs: map[string]int{}, lags: map[string]int{}, output: true, inWindow: true}
	for i, k := range sel.GroupBy {
		c, err := sc.compile(k)
		if err != nil {
			return err
		}
		p.keys = append(p.keys, c)
		out.keys[k.String()] = i
	}
	// every aggregate of the output and HAVING, once each
	var aggErr error
	collect := func(e sql.Expr) {
		sql.Walk(e, func(n sql.Expr) bool {
			c, ok := n.(*sql.Call)
			if !ok || !sql.IsAggregate(c.Name) || aggErr != nil {
				return aggErr == nil
			}
			if _, seen := out.aggs[c.String()]; seen {
				return false
			}
			spec := window.AggSpec{Func: aggFuncs[c.Name], Distinct: c.Distinct}
			var arg compiled = func(*row) any { return nil }
			switch {
			case c.Star:
				spec.Func = window.FuncCountStar
			case c.Name == "APPROX_PERCENTILE":
				if len(c.Args) != 2 {
					aggErr = planErr(c, "APPROX_PERCENTILE takes a value and a quantile: APPROX_PERCENTILE(x, 0.95)")
					return false
				}
				q, ok := c.Args[1].(*sql.Literal)
				f, isNum := eval.Cast(q.Value, eval.TypeDouble).(float64)
				if !ok || !isNum || f < 0 || f > 1 {
					aggErr = planErr(c.Args[1], "the quantile must be a number from 0 to 1")
					return false
				}
				spec.Param = f
				fallthrough
			default:
				if len(c.Args) < 1 || (len(c.Args) > 1 && c.Name != "APPROX_PERCENTILE") {
					aggErr = planErr(c, "%s takes one argument", c.Name)
					return false
				}
				if arg, aggErr = sc.compile(c.Args[0]); aggErr != nil {
					return false
				}
				if numericAggs[c.Name] {
					// a value that is not a number is NULL here (ignored),
					// not a refused row
					a := arg
					arg = func(r *row) any {
						switch v := a(r).(type) {
						case int64, float64:
							return v
						}
						return nil
					}
				}
			}
			out.aggs[c.String()] = len(p.spec.Aggregates)
			p.spec.Aggregates = append(p.spec.Aggregates, spec)
			p.aggArgs = append(p.aggArgs, arg)
			return false
		})
	}
	for _, pr := range sel.Projections {
		if _, star := pr.Expr.(*sql.Star); star {
			return planErr(pr, "SELECT * is not allowed with GROUP BY: name the keys and aggregates")
		}
		collect(pr.Expr)
	}
	if sel.Having != nil {
		collect(sel.Having)
	}
	if aggErr != nil {
		return aggErr
	}
	if err := p.planLags(out, sel); err != nil {
		return err
	}
	if err := p.planColumns(out, sel.Projections); err != nil {
		return err
	}
	if sel.Having != nil {
		var err error
		if p.having, err = out.compile(sel.Having); err != nil {
			return err
		}
	}
	return nil
}

// numericAggs take numbers only.
var numericAggs = map[string]bool{"SUM": true, "AVG": true, "STDDEV": true, "APPROX_PERCENTILE": true}

var windowKinds = map[sql.WindowKind]window.Kind{
	sql.Tumbling: window.KindTumbling, sql.Hopping: window.KindHopping, sql.Sliding: window.KindSliding,
	sql.Session: window.KindSession, sql.CountWindow: window.KindCount,
}

func (p *Plan) planColumns(sc *scope, projs []*sql.Projection) error {
	for _, pr := range projs {
		if _, star := pr.Expr.(*sql.Star); star {
			p.cols = append(p.cols, column{star: true})
			continue
		}
		c, err := sc.compile(pr.Expr)
		if err != nil {
			return err
		}
		p.cols = append(p.cols, column{name: pr.OutputName(), expr: c})
	}
	return nil
}

// record builds an output record (JSON, fields in SELECT order) and its
// value as a map (for topic templates).
func (p *Plan) record(r *row) ([]byte, map[string]any) {
	if p.passthrough {
		fields, _ := r.rec.(map[string]any)
		return r.raw, fields
	}
	var b bytes.Buffer
	fields := map[string]any{}
	b.WriteByte('{')
	add := func(name string, v any) {
		if _, dup := fields[name]; dup {
			return
		}
		fields[name] = v
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := eval.Encode(name)
		b.Write(k)
		b.WriteByte(':')
		if v == nil {
			b.WriteString("null")
			return
		}
		j, err := eval.Encode(v)
		if err != nil {
			j = []byte("null")
		}
		b.Write(j)
	}
	for _, c := range p.cols {
		if c.star {
			if m, ok := r.rec.(map[string]any); ok {
				for _, k := range sortedKeys(m) {
					add(k, m[k])
				}
			}
			continue
		}
		add(c.name, c.expr(r))
	}
	b.WriteByte('}')
	return b.Bytes(), fields
}

// topic renders a template from an output record.
func topic(t *sql.Template, fields map[string]any) string {
	var b strings.Builder
	for _, part := range t.Parts {
		if part.Field == nil {
			b.WriteString(part.Text)
			continue
		}
		path := make([]any, 0, len(part.Field.Path))
		for _, s := range part.Field.Path {
			if s.IsIndex {
				path = append(path, s.Index)
			} else {
				path = append(path, s.Name)
			}
		}
		v, _ := eval.String(eval.Field(any(fields), path...)).(string)
		if v == "" {
			v = "null"
		}
		b.WriteString(strings.NewReplacer("/", "_", "+", "_", "#", "_").Replace(v))
	}
	return b.String()
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// planJoin finds the key of a table join: an equality of ON between a
// field of the table (its KEY, if given) and an expression of the driving
// record; the rest of ON is a condition on the pair.
func planJoin(sc *scope, j *sql.Join) (*tableJoin, error) {
	tj := &tableJoin{stream: j.Source.Stream, left: j.Kind == sql.LeftJoin, within: j.Within}
	what := "a table join"
	if !j.Source.Table {
		what = "a join of two streams"
		if j.Within <= 0 {
			return nil, planErr(j, "a join of two streams needs WITHIN: how far apart in time two records may be")
		}
	}
	tableField := func(e sql.Expr) (*sql.FieldRef, bool) {
		f, ok := e.(*sql.FieldRef)
		if !ok || len(f.Path) < 2 || f.Path[0].IsIndex || f.Path[0].Name != sc.table {
			return nil, false
		}
		if k := j.Source.Key; k != nil && strings.TrimPrefix(f.String(), sc.table+".") != strings.TrimPrefix(k.String(), sc.table+".") {
			return nil, false
		}
		return f, true
	}
	var rest []sql.Expr
	var conj func(e sql.Expr)
	conj = func(e sql.Expr) {
		if b, ok := e.(*sql.Binary); ok && b.Op == sql.And {
			conj(b.L)
			conj(b.R)
			return
		}
		rest = append(rest, e)
	}
	conj(j.On)
	for i, e := range rest {
		b, ok := e.(*sql.Binary)
		if !ok || b.Op != sql.Eq {
			continue
		}
		tf, drive := b.L, b.R
		f, isTable := tableField(tf)
		if !isTable {
			tf, drive = b.R, b.L
			if f, isTable = tableField(tf); !isTable {
				continue
			}
		}
		usesTable := false
		sql.Walk(drive, func(n sql.Expr) bool {
			if _, t := tableField(n); t {
				usesTable = true
			}
			return !usesTable
		})
		if usesTable {
			continue
		}
		c, err := sc.compile(drive)
		if err != nil {
			return nil, err
		}
		tj.driveKey = c
		for _, s := range f.Path[1:] {
			if s.IsIndex {
				tj.tableKey = append(tj.tableKey, s.Index)
			} else {
				tj.tableKey = append(tj.tableKey, s.Name)
			}
		}
		rest = append(rest[:i], rest[i+1:]...)
		break
	}
	if tj.driveKey == nil {
		return nil, planErr(j.On, "the ON of %s needs an equality between a field of %s (its key) and the driving record", what, sc.table)
	}
	for _, e := range rest {
		c, err := sc.compile(e)
		if err != nil {
			return nil, err
		}
		prev := tj.cond
		tj.cond = func(r *row) any {
			if prev != nil && !eval.IsTrue(prev(r)) {
				return false
			}
			return c(r)
		}
	}
	return tj, nil
}
