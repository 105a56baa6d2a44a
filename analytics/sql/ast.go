package sql

import (
	"strings"
	"time"
)

// This file holds the statement-level nodes; expression nodes are in
// expr.go and printing in print.go.
//
// The AST is the contract between the parser and the planner, window engine
// and evaluator: what a node's fields mean is documented here, and a field
// the parser always sets says so. Every node records where it starts in
// the query text (Pos) so that later stages can report errors with a caret.

// Node is implemented by every node of the tree.
type Node interface {
	// Position is where the node is in the query text.
	Position() Pos
	// String prints the node as canonical SQL: keywords upper-case,
	// identifiers quoted only when needed, the fewest parentheses that
	// keep the structure, intervals as INTERVAL 'n' UNIT. Parsing the
	// result gives the same tree (except for positions).
	String() string
}

// Statement is one continuous query:
//
//	[INSERT INTO stream] SELECT … FROM … [WHERE …] [GROUP BY …] [HAVING …] [EMIT TO MQTT 'topic' …]
type Statement struct {
	Pos    Pos // the first token: INSERT or SELECT
	Select *Select
	// Outputs are where result records go, in order: the INSERT INTO
	// stream first if there is one, then each EMIT TO MQTT clause. Empty
	// for an ad-hoc query, whose results go to the caller.
	Outputs []*Output
}

// Select is the query proper.
type Select struct {
	Pos Pos // the SELECT keyword
	// Projections are the output columns in order; never empty.
	Projections []*Projection
	// From is never nil.
	From *From
	// Where is nil when absent. It holds no aggregate and no window.
	Where Expr
	// GroupBy are the grouping keys, without the window, in order; empty
	// when the query groups by the window alone or is not grouped. No key
	// holds an aggregate, a window or LAG.
	GroupBy []Expr
	// Window is the GROUP BY window; a grouped query always has exactly
	// one, an ungrouped query (Window == nil) has no aggregates at all.
	Window *Window
	// Having is nil when absent; it is only allowed with GROUP BY.
	Having Expr
}

// Grouped reports whether the query has a GROUP BY clause (and so a
// window): it emits one record per group and window instead of one per
// input record.
func (s *Select) Grouped() bool { return s.Window != nil }

// Projection is one SELECT item: an expression with an optional alias, or
// a star (Expr is a *Star, Alias is empty).
type Projection struct {
	Pos   Pos // the expression's first token
	Expr  Expr
	Alias string // "" when there is no AS
}

// OutputName is the name of the field this projection writes in the output
// record: the alias if there is one; otherwise, for a field reference its
// last named segment (a.b[0] → "b"), for a function call its name in lower
// case (COUNT(*) → "count"), and for any other expression its canonical
// SQL text. It is "" for a star, which writes all the fields it expands to.
// Parse refuses two projections with the same output name.
func (p *Projection) OutputName() string {
	if p.Alias != "" {
		return p.Alias
	}
	switch e := p.Expr.(type) {
	case *Star:
		return ""
	case *FieldRef:
		for i := len(e.Path) - 1; i >= 0; i-- {
			if !e.Path[i].IsIndex {
				return e.Path[i].Name
			}
		}
	case *Call:
		return strings.ToLower(e.Name)
	}
	return p.Expr.String()
}

// From is the FROM clause: one stream, then any joins in order.
type From struct {
	Pos    Pos // the FROM keyword
	Source *Source
	Joins  []*Join
}

// Sources returns the driving source followed by each join's source.
func (f *From) Sources() []*Source {
	s := []*Source{f.Source}
	for _, j := range f.Joins {
		s = append(s, j.Source)
	}
	return s
}

// Source is a stream read by the query, or a table joined to it.
//
// A field path whose first segment equals a source's Name (t.amount) is
// qualified: the rest of the path is looked up in that source's record.
// Otherwise the whole path is looked up in the driving source's record.
// (Resolving this is the planner's job; Parse refuses two sources with the
// same Name.)
type Source struct {
	Pos Pos // the stream name (or TABLE keyword)
	// Stream is the stream's name; Parse checks it against the spool's
	// rule: 1 to 128 of [a-zA-Z0-9_.-].
	Stream string
	// Alias is "" when there is none.
	Alias string
	// Table marks JOIN TABLE: the source is not read record by record but
	// kept as the latest record per key, and each record of the driving
	// stream is joined with the table as it is at that moment.
	Table bool
	// Key is the table's key field (TABLE devices KEY id). nil for a
	// stream, and for a table written without KEY, whose key the planner
	// derives from the join's ON clause (an equality with one of the
	// table's fields).
	Key *FieldRef
	// EventTime is nil for arrival time (when the gateway stored the
	// record); always nil for a table.
	EventTime *EventTime
}

// Name is how expressions refer to the source: its alias, or else its
// stream name.
func (s *Source) Name() string {
	if s.Alias != "" {
		return s.Alias
	}
	return s.Stream
}

// EventTime declares that a source's records are timed by a field of the
// record rather than by their arrival:
//
//	EVENT TIME expr [WITH LATENESS interval] [LATE INTO stream]
type EventTime struct {
	Pos Pos // the EVENT keyword
	// Expr computes the record's event time; usually a field reference.
	// It holds no aggregate, window or LAG.
	Expr Expr
	// Lateness is how far behind the latest event time seen a record may
	// arrive and still be counted in its window; 0 when not given.
	Lateness time.Duration
	// LateStream is the stream that records arriving later than that are
	// written to; "" means they are only counted.
	LateStream string
}

// JoinKind is the kind of a join.
type JoinKind int

const (
	// InnerJoin ([INNER] JOIN) emits only matched records.
	InnerJoin JoinKind = iota + 1
	// LeftJoin (LEFT [OUTER] JOIN) also emits unmatched records of the
	// left side, with the right side's fields NULL.
	LeftJoin
)

// String returns "JOIN" or "LEFT JOIN".
func (k JoinKind) String() string {
	if k == LeftJoin {
		return "LEFT JOIN"
	}
	return "JOIN"
}

// Join is one join in the FROM clause:
//
//	[INNER | LEFT [OUTER]] JOIN stream [AS alias] [EVENT TIME …] ON cond WITHIN interval
//	[INNER | LEFT [OUTER]] JOIN TABLE stream [AS alias] [KEY field] ON cond
type Join struct {
	Pos  Pos // the first keyword of the join (JOIN, INNER or LEFT)
	Kind JoinKind
	// Source is the right side; Source.Table tells a table join.
	Source *Source
	// On is the join condition; never nil. It holds no aggregate, window
	// or LAG.
	On Expr
	// Within is set for a join of two streams: records match only when
	// their times are at most Within apart (in either direction). It is
	// always > 0 for a stream and 0 for a table.
	Within time.Duration
}

// WindowKind is the kind of a GROUP BY window.
type WindowKind int

const (
	// Tumbling windows are fixed-size, non-overlapping and contiguous.
	Tumbling WindowKind = iota + 1
	// Hopping windows have a fixed size and start every Advance, so
	// they overlap when Advance < Size.
	Hopping
	// Sliding windows end at each record and cover the Size before it.
	Sliding
	// Session windows group records separated by less than Gap, and
	// close Gap after the last one (or at MaxDuration, if set).
	Session
	// CountWindow windows hold Count records; they tumble, or slide by
	// Slide records.
	CountWindow
)

// windowNames maps each WindowKind to the function name that writes it.
var windowNames = [...]string{
	Tumbling:    "TUMBLING",
	Hopping:     "HOPPING",
	Sliding:     "SLIDING",
	Session:     "SESSION",
	CountWindow: "COUNT_WINDOW",
}

// String returns the window's function name: TUMBLING, HOPPING, SLIDING,
// SESSION or COUNT_WINDOW.
func (k WindowKind) String() string {
	if k > 0 && int(k) < len(windowNames) {
		return windowNames[k]
	}
	return "WINDOW?"
}

// windowKind returns the kind a function name (upper case) writes, or 0.
func windowKind(name string) WindowKind {
	for k, n := range windowNames {
		if n == name && n != "" {
			return WindowKind(k)
		}
	}
	return 0
}

// Window is the window of a GROUP BY clause. Which fields are set depends
// on Kind; the others are zero. Durations are whole milliseconds.
//
//	TUMBLING(size)                 Size > 0
//	HOPPING(size, advance)         Size > 0, 0 < Advance <= Size
//	SLIDING(size)                  Size > 0
//	SESSION(gap [, max_duration])  Gap > 0; MaxDuration 0 (none) or >= Gap
//	COUNT_WINDOW(n [, slide])      Count > 0; Slide 0 (tumbling) or 0 < Slide <= Count
type Window struct {
	Pos         Pos // the window's name
	Kind        WindowKind
	Size        time.Duration
	Advance     time.Duration
	Gap         time.Duration
	MaxDuration time.Duration
	Count       int
	Slide       int
}

// OutputKind is the kind of an output.
type OutputKind int

const (
	// ToStream is INSERT INTO stream.
	ToStream OutputKind = iota + 1
	// ToMQTT is EMIT TO MQTT 'topic/{field}'.
	ToMQTT
)

// String returns "stream" or "mqtt".
func (k OutputKind) String() string {
	if k == ToMQTT {
		return "mqtt"
	}
	return "stream"
}

// Output is one destination of the query's results.
type Output struct {
	Pos  Pos // the INSERT or EMIT keyword
	Kind OutputKind
	// Stream is the target of ToStream, checked like a source's name.
	Stream string
	// Topic is the topic template of ToMQTT.
	Topic *Template
}

// Template is an MQTT topic with placeholders, such as alerts/{device}:
// each {path} is replaced by the value of that field of the output record
// (after SELECT), written as text. Parse checks that the template is not
// empty, has no wildcard (+ or #), does not start with $ and that every
// placeholder is a field path (device, site.name, "weird name", tags[0]).
type Template struct {
	Pos   Pos // the string literal
	Parts []TemplatePart
}

// TemplatePart is literal text or one placeholder.
type TemplatePart struct {
	Text  string    // when Field is nil
	Field *FieldRef // a {field} placeholder
}

// Fields returns the template's placeholders in order.
func (t *Template) Fields() []*FieldRef {
	var f []*FieldRef
	for _, p := range t.Parts {
		if p.Field != nil {
			f = append(f, p.Field)
		}
	}
	return f
}

// Text returns the template as written in the query: alerts/{device}.
func (t *Template) Text() string {
	var b strings.Builder
	for _, p := range t.Parts {
		if p.Field != nil {
			b.WriteString("{" + p.Field.String() + "}")
		} else {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

func (s *Statement) Position() Pos  { return s.Pos }
func (s *Select) Position() Pos     { return s.Pos }
func (p *Projection) Position() Pos { return p.Pos }
func (f *From) Position() Pos       { return f.Pos }
func (s *Source) Position() Pos     { return s.Pos }
func (e *EventTime) Position() Pos  { return e.Pos }
func (j *Join) Position() Pos       { return j.Pos }
func (w *Window) Position() Pos     { return w.Pos }
func (o *Output) Position() Pos     { return o.Pos }
func (t *Template) Position() Pos   { return t.Pos }
