package sql

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The clauses after FROM, in the order they must appear; a stage is the
// index of the last clause parsed.
const (
	stageFrom = iota // FROM and its joins
	stageWhere
	stageGroupBy
	stageHaving
	stageEmit
)

var stageNames = [...]string{"FROM", "WHERE", "GROUP BY", "HAVING", "EMIT"}

// statement parses [INSERT INTO stream] SELECT … [EMIT …]… [;].
func (p *parser) statement() *Statement {
	st := &Statement{Pos: p.peek().pos}
	if t := p.peek(); isKW(t, "INSERT") {
		p.next()
		p.expectKW("INTO")
		name, _ := p.streamName("a stream name after INSERT INTO")
		st.Outputs = append(st.Outputs, &Output{Pos: t.pos, Kind: ToStream, Stream: name})
		if t := p.peek(); !isKW(t, "SELECT") {
			p.unexpected(t, "SELECT")
		}
	}
	var stage int
	st.Select, stage = p.selectClause()
	for isKW(p.peek(), "EMIT") {
		st.Outputs = append(st.Outputs, p.emit())
		stage = stageEmit
	}
	if p.acceptOp(";") {
		if t := p.peek(); t.kind != tokEOF {
			p.fail(t.pos, "unexpected "+t.describe()+" after \";\" (only one query is allowed)")
		}
	}
	if t := p.peek(); t.kind != tokEOF {
		p.endError(t, stage)
	}
	return st
}

// endError fails at t, the token after the last clause that parsed:
// a clause out of order, an unsupported clause, or something unexpected.
func (p *parser) endError(t token, stage int) {
	p.failUnsupported(t)
	clause := -1
	switch {
	case isKW(t, "JOIN") || isKW(t, "LEFT") || isKW(t, "INNER"):
		clause = stageFrom
	case isKW(t, "WHERE"):
		clause = stageWhere
	case isKW(t, "GROUP"):
		clause = stageGroupBy
	case isKW(t, "HAVING"):
		clause = stageHaving
	case isKW(t, "FROM"):
		p.fail(t.pos, "only one FROM clause is allowed (combine streams with JOIN)")
	case isKW(t, "INSERT"):
		p.fail(t.pos, "INSERT INTO must come before SELECT")
	case isKW(t, "SELECT"):
		p.fail(t.pos, "unexpected keyword SELECT (only one query is allowed)")
	case isOp(t, ",") && stage == stageFrom:
		p.fail(t.pos, "FROM takes one stream: combine streams with JOIN … ON … WITHIN …, or join a table with JOIN TABLE … ON …")
	}
	if clause >= 0 && clause <= stage {
		name := stageNames[clause]
		if clause == stageFrom {
			name = "JOIN"
		}
		if clause == stage && clause != stageFrom {
			p.fail(t.pos, "only one "+name+" clause is allowed")
		}
		p.fail(t.pos, name+" must come before "+stageNames[stage])
	}
	var expected []string
	switch stage {
	case stageFrom:
		expected = []string{"JOIN", "WHERE", "GROUP BY", "EMIT"}
	case stageWhere:
		expected = []string{"GROUP BY", "EMIT"}
	case stageGroupBy:
		expected = []string{"HAVING", "EMIT"}
	default:
		expected = []string{"EMIT"}
	}
	p.unexpected(t, append(expected, "end of query")...)
}

// selectClause parses SELECT … FROM … [WHERE …] [GROUP BY …] [HAVING …]
// and returns the stage it reached.
func (p *parser) selectClause() (*Select, int) {
	t := p.peek()
	if !isKW(t, "SELECT") {
		p.unexpected(t, "SELECT", "INSERT INTO")
	}
	sel := &Select{Pos: p.next().pos}
	if t := p.peek(); isKW(t, "DISTINCT") {
		p.fail(t.pos, "SELECT DISTINCT is not supported (count distinct values with COUNT(DISTINCT x))")
	}
	sel.Projections = p.projections()
	sel.From = p.from()
	stage := stageFrom
	if p.acceptKW("WHERE") {
		sel.Where = p.expr()
		stage = stageWhere
	}
	if t := p.peek(); isKW(t, "GROUP") {
		p.next()
		p.expectKW("BY")
		p.groupBy(sel, t.pos)
		stage = stageGroupBy
	}
	if t := p.peek(); isKW(t, "HAVING") {
		if !sel.Grouped() {
			p.fail(t.pos, "HAVING needs GROUP BY (to filter records, use WHERE)")
		}
		p.next()
		sel.Having = p.expr()
		stage = stageHaving
	}
	return sel, stage
}

// projections parses the SELECT list up to FROM.
func (p *parser) projections() []*Projection {
	var list []*Projection
	for {
		pr := p.projection()
		list = append(list, pr)
		if p.acceptOp(",") {
			continue
		}
		if t := p.peek(); !isKW(t, "FROM") {
			if pr.Alias == "" {
				if _, star := pr.Expr.(*Star); !star {
					p.unexpected(t, `","`, "AS", "FROM")
				}
			}
			p.unexpected(t, `","`, "FROM")
		}
		return list
	}
}

// projection parses one SELECT item: *, source.*, or expr [AS alias].
func (p *parser) projection() *Projection {
	t := p.peek()
	pr := &Projection{Pos: t.pos}
	switch {
	case isOp(t, "*"):
		p.next()
		pr.Expr = &Star{Pos: t.pos}
	case (t.kind == tokIdent || t.kind == tokQuotedIdent) && isOp(p.peekN(1), ".") && isOp(p.peekN(2), "*"):
		p.next()
		p.next()
		p.next()
		pr.Expr = &Star{Pos: t.pos, Qualifier: t.text}
	default:
		pr.Expr = p.expr()
	}
	if as := p.peek(); isKW(as, "AS") {
		if _, star := pr.Expr.(*Star); star {
			p.fail(as.pos, "a star cannot be renamed with AS")
		}
		p.next()
		pr.Alias = p.ident("a column name after AS").text
	}
	return pr
}

// from parses FROM source [join]….
func (p *parser) from() *From {
	f := &From{Pos: p.expectKW("FROM").pos}
	switch t := p.peek(); {
	case isKW(t, "TABLE"):
		p.fail(t.pos, "a TABLE can only be joined to a stream: FROM stream JOIN TABLE name ON …")
	case isOp(t, "(") || isKW(t, "SELECT"):
		p.fail(t.pos, "subqueries are not supported: FROM takes a stream name")
	}
	f.Source = p.source(false)
	for {
		t := p.peek()
		if !isKW(t, "JOIN") && !isKW(t, "INNER") && !isKW(t, "LEFT") &&
			!isKW(t, "RIGHT") && !isKW(t, "FULL") && !isKW(t, "CROSS") {
			break
		}
		f.Joins = append(f.Joins, p.join())
	}
	seen := map[string]*Source{}
	for _, s := range f.Sources() {
		if prev, dup := seen[s.Name()]; dup {
			p.fail(s.Pos, "duplicate source name "+strconv.Quote(s.Name())+" (also at "+prev.Pos.String()+"); give one of them an alias with AS")
		}
		seen[s.Name()] = s
	}
	return f
}

// source parses stream [[AS] alias] [EVENT TIME …], or (table) the part of
// JOIN TABLE after TABLE: stream [[AS] alias] [KEY field].
func (p *parser) source(table bool) *Source {
	s := &Source{Table: table}
	s.Stream, s.Pos = p.streamName("a stream name")
	p.aliasNext = -1
	switch t := p.peek(); {
	case isKW(t, "AS"):
		p.next()
		s.Alias = p.ident("an alias after AS").text
	case t.kind == tokQuotedIdent || t.kind == tokIdent && !notAliases[upper(t.text)]:
		p.failUnsupported(t)
		s.Alias = p.next().text
		p.alias, p.aliasNext = t, p.peek().pos.Offset
	}
	if table {
		if t := p.peek(); isWord(t, "KEY") {
			p.next()
			s.Key = p.fieldPath()
		}
		if t := p.peek(); isWord(t, "EVENT") {
			p.fail(t.pos, "a TABLE has no EVENT TIME: it holds the latest record per key, whenever it arrived")
		}
		return s
	}
	if t := p.peek(); isWord(t, "EVENT") {
		p.next()
		p.expectWord("TIME")
		s.EventTime = p.eventTime(t.pos)
	}
	return s
}

// eventTime parses the rest of EVENT TIME expr [WITH LATENESS interval]
// [LATE INTO stream].
func (p *parser) eventTime(pos Pos) *EventTime {
	et := &EventTime{Pos: pos, Expr: p.expr()}
	if isWord(p.peek(), "WITH") {
		p.next()
		p.expectWord("LATENESS")
		et.Lateness = p.duration("an interval after WITH LATENESS").Duration
	}
	if isWord(p.peek(), "LATE") {
		p.next()
		p.expectKW("INTO")
		et.LateStream, _ = p.streamName("a stream name after LATE INTO")
	}
	return et
}

// join parses one join.
func (p *parser) join() *Join {
	t := p.next()
	j := &Join{Pos: t.pos, Kind: InnerJoin}
	switch t.text {
	case "INNER":
		p.expectKW("JOIN")
	case "LEFT":
		p.acceptKW("OUTER")
		p.expectKW("JOIN")
		j.Kind = LeftJoin
	case "RIGHT":
		p.fail(t.pos, "RIGHT JOIN is not supported: swap the two sides and write LEFT JOIN")
	case "FULL":
		p.fail(t.pos, "FULL JOIN is not supported (LEFT JOIN and JOIN are)")
	case "CROSS":
		p.fail(t.pos, "CROSS JOIN is not supported: join on a condition, with ON")
	}
	table := p.acceptKW("TABLE")
	j.Source = p.source(table)
	if t := p.peek(); !isKW(t, "ON") {
		if table {
			p.unexpected(t, "KEY", "ON")
		}
		p.unexpected(t, "EVENT TIME", "ON")
	}
	p.next()
	j.On = p.expr()
	t = p.peek()
	switch {
	case table && isKW(t, "WITHIN"):
		p.fail(t.pos, "a TABLE join takes no WITHIN: the table holds the latest record per key")
	case table:
	case !isKW(t, "WITHIN"):
		p.fail(t.pos, "a join of two streams needs WITHIN and an interval, such as WITHIN INTERVAL '1' MINUTE (how far apart the two records' times may be); to join the latest record per key instead, write JOIN TABLE "+quoteStreamName(j.Source.Stream))
	default:
		p.next()
		iv := p.duration("an interval after WITHIN")
		if iv.Duration == 0 {
			p.fail(iv.Pos, "WITHIN must be longer than 0")
		}
		j.Within = iv.Duration
	}
	return j
}

// duration parses an interval: INTERVAL '5' SECOND or the shorthand 5s.
func (p *parser) duration(what string) *Interval {
	t := p.peek()
	switch {
	case isKW(t, "INTERVAL"):
		return p.interval()
	case t.kind == tokDuration:
		p.next()
		return &Interval{Pos: t.pos, Duration: t.dur}
	}
	p.unexpected(t, what+" such as INTERVAL '5' SECOND or 5s")
	return nil
}

// groupBy parses the GROUP BY items; exactly one must be a window.
func (p *parser) groupBy(sel *Select, pos Pos) {
	for {
		e := p.expr()
		c, isCall := e.(*Call)
		switch {
		case isCall && windowKind(c.Name) != 0:
			if sel.Window != nil {
				p.fail(c.Pos, "only one window is allowed in GROUP BY (the first is at "+sel.Window.Pos.String()+")")
			}
			sel.Window = p.window(c)
		case isCall && ekuiperWindows[c.Name] != "":
			p.fail(c.Pos, c.Name+" is eKuiper's spelling; write "+ekuiperWindows[c.Name])
		default:
			p.checkExpr(e, "GROUP BY", false, false)
			sel.GroupBy = append(sel.GroupBy, e)
		}
		if !p.acceptOp(",") {
			break
		}
	}
	if sel.Window == nil {
		p.fail(pos, "GROUP BY needs a window: add TUMBLING(size), HOPPING(size, advance), SLIDING(size), SESSION(gap) or COUNT_WINDOW(n), for example GROUP BY device, TUMBLING(1m)")
	}
}

var ekuiperWindows = map[string]string{
	"TUMBLINGWINDOW": "TUMBLING(size), for example TUMBLING(10s)",
	"HOPPINGWINDOW":  "HOPPING(size, advance), for example HOPPING(1m, 10s)",
	"SLIDINGWINDOW":  "SLIDING(size), for example SLIDING(1m)",
	"SESSIONWINDOW":  "SESSION(gap [, max_duration]), for example SESSION(30s, 1h)",
	"COUNTWINDOW":    "COUNT_WINDOW(n [, slide]), for example COUNT_WINDOW(100)",
}

// windowUsage is how each window is written, with an example.
var windowUsage = [...]struct{ sig, example string }{
	Tumbling:    {"TUMBLING(size)", "TUMBLING(1m)"},
	Hopping:     {"HOPPING(size, advance)", "HOPPING(1m, 10s)"},
	Sliding:     {"SLIDING(size)", "SLIDING(1m)"},
	Session:     {"SESSION(gap [, max_duration])", "SESSION(30s)"},
	CountWindow: {"COUNT_WINDOW(n [, slide])", "COUNT_WINDOW(100)"},
}

// maxWindowCount bounds COUNT_WINDOW's arguments so they fit an int on
// 32-bit ARM.
const maxWindowCount = math.MaxInt32

// window turns a window call of GROUP BY into a Window, checking its
// arguments.
func (p *parser) window(c *Call) *Window {
	w := &Window{Pos: c.Pos, Kind: windowKind(c.Name)}
	usage := windowUsage[w.Kind].sig + ", for example " + windowUsage[w.Kind].example
	if c.Star || c.Distinct || c.Over != nil {
		p.fail(c.Pos, "write the window as "+usage)
	}
	lo, hi := 1, 1
	if w.Kind == Hopping {
		lo, hi = 2, 2
	} else if w.Kind == Session || w.Kind == CountWindow {
		hi = 2
	}
	if len(c.Args) < lo || len(c.Args) > hi {
		p.fail(c.Pos, c.Name+" takes "+arity(lo, hi)+": "+usage)
	}
	dur := func(i int, what string) time.Duration {
		iv, ok := c.Args[i].(*Interval)
		if !ok {
			p.fail(c.Args[i].Position(), c.Name+" "+what+" must be an interval such as INTERVAL '1' MINUTE or 1m: "+usage)
		}
		if iv.Duration == 0 {
			p.fail(iv.Pos, c.Name+" "+what+" must be longer than 0")
		}
		return iv.Duration
	}
	count := func(i int, what string) int {
		var n int64
		if lit, ok := c.Args[i].(*Literal); ok {
			n, _ = lit.Value.(int64)
		}
		if n <= 0 || n > maxWindowCount {
			p.fail(c.Args[i].Position(), c.Name+" "+what+" must be a whole number of records from 1 to "+strconv.Itoa(maxWindowCount)+": "+usage)
		}
		return int(n)
	}
	switch w.Kind {
	case Tumbling, Sliding:
		w.Size = dur(0, "size")
	case Hopping:
		w.Size, w.Advance = dur(0, "size"), dur(1, "advance")
		if w.Advance > w.Size {
			p.fail(c.Args[1].Position(), "HOPPING advance "+shortDuration(w.Advance)+" is longer than its size "+shortDuration(w.Size)+", so records between windows would be skipped: "+usage)
		}
	case Session:
		w.Gap = dur(0, "gap")
		if len(c.Args) == 2 {
			w.MaxDuration = dur(1, "max_duration")
			if w.MaxDuration < w.Gap {
				p.fail(c.Args[1].Position(), "SESSION max_duration "+shortDuration(w.MaxDuration)+" is shorter than its gap "+shortDuration(w.Gap)+": "+usage)
			}
		}
	case CountWindow:
		w.Count = count(0, "size")
		if len(c.Args) == 2 {
			w.Slide = count(1, "slide")
			if w.Slide > w.Count {
				p.fail(c.Args[1].Position(), "COUNT_WINDOW slide "+strconv.Itoa(w.Slide)+" is larger than its size "+strconv.Itoa(w.Count)+", so records between windows would be skipped: "+usage)
			}
		}
	}
	return w
}

func arity(lo, hi int) string {
	s := func(n int) string {
		if n == 1 {
			return "1 argument"
		}
		return strconv.Itoa(n) + " arguments"
	}
	if lo == hi {
		return s(lo)
	}
	return strconv.Itoa(lo) + " or " + s(hi)
}

// emit parses EMIT TO MQTT 'topic'.
func (p *parser) emit() *Output {
	o := &Output{Pos: p.next().pos, Kind: ToMQTT}
	p.expectWord("TO")
	p.expectWord("MQTT")
	t := p.peek()
	if t.kind != tokString {
		p.unexpected(t, "a topic such as 'alerts/{device}'")
	}
	p.next()
	o.Topic = p.template(t)
	return o
}

// maxTopicLen is MQTT's limit on a topic name, in bytes (MQTT 3.1.1 §1.5.3).
const maxTopicLen = 65535

// template parses the topic template of the string token t. It works on
// the literal's source text, so that error positions point into it and a
// placeholder is lexed like any field path.
func (p *parser) template(t token) *Template {
	tmpl := &Template{Pos: t.pos}
	switch {
	case t.text == "":
		p.fail(t.pos, "the MQTT topic is empty")
	case len(t.text) > maxTopicLen:
		p.fail(t.pos, "the MQTT topic is longer than 65535 bytes")
	case strings.HasPrefix(t.text, "$"):
		p.fail(t.pos, "MQTT topics starting with $ are reserved for the broker")
	}
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			tmpl.Parts = append(tmpl.Parts, TemplatePart{Text: text.String()})
			text.Reset()
		}
	}
	end := t.end - 1 // the closing quote
	for i := t.pos.Offset + 1; i < end; {
		switch c := p.src[i]; c {
		case '\'':
			text.WriteByte('\'')
			i += 2
		case '+', '#':
			p.fail(position(p.src, i), "an MQTT topic to publish to cannot contain the wildcard "+string(c))
		case 0:
			p.fail(position(p.src, i), "an MQTT topic cannot contain a NUL character")
		case '}':
			p.fail(position(p.src, i), "unmatched } in the MQTT topic (placeholders are written {field})")
		case '{':
			n := strings.IndexByte(p.src[i:end], '}')
			if n < 0 {
				p.fail(position(p.src, i), "unclosed { in the MQTT topic (placeholders are written {field})")
			}
			inner := p.src[i+1 : i+n]
			if strings.TrimSpace(inner) == "" {
				p.fail(position(p.src, i), "empty {} in the MQTT topic (write a field name, as in {device})")
			}
			if q := strings.IndexByte(inner, '\''); q >= 0 {
				p.fail(position(p.src, i+1+q), "a topic placeholder cannot contain a quote")
			}
			flush()
			tmpl.Parts = append(tmpl.Parts, TemplatePart{Field: p.placeholder(i+1, i+n)})
			i += n + 1
		default:
			text.WriteByte(c)
			i++
		}
	}
	flush()
	return tmpl
}

// placeholder parses the field path in src[start:end], the inside of a
// {…} of a topic template.
func (p *parser) placeholder(start, end int) *FieldRef {
	sub := &parser{src: p.src, lex: newLexerAt(p.src[:end], start), aliasNext: -1}
	t := sub.peek()
	if t.kind != tokIdent && t.kind != tokQuotedIdent {
		sub.unexpected(t, "a field name in the topic placeholder")
	}
	ref := sub.fieldPath()
	if t := sub.peek(); t.kind != tokEOF {
		sub.unexpected(t, `".", "[" or "}" in the topic placeholder`)
	}
	return ref
}
