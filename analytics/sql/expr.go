package sql

import "time"

// Expr is an expression node. The concrete types are *Literal, *Interval,
// *FieldRef, *Star, *Unary, *Binary, *In, *Between, *Like, *IsNull, *Case,
// *Cast and *Call.
//
// Pos is the position of the node's first token, except for the infix
// forms (*Binary, *In, *Between, *Like, *IsNull), whose Pos is their
// operator's (the "=" of a = b, the NOT of a NOT IN (…)), which is where an
// error about the operation is best shown.
type Expr interface {
	Node
	exprNode()
}

// Literal is a constant: NULL, TRUE/FALSE, a number or a string.
type Literal struct {
	Pos Pos
	// Value is nil, bool, int64 (a number without point or exponent
	// that fits), float64 (1.5, 1e3) or string. A minus sign before a
	// number is folded into it: -5 is Literal{-5}, not a Unary.
	Value any
}

// Interval is a duration constant: INTERVAL '5' MINUTE or the shorthand
// 5m. Duration is >= 0 and a whole number of milliseconds.
type Interval struct {
	Pos      Pos
	Duration time.Duration
}

// FieldRef is a path into a JSON record: a.b[0]."weird name". The first
// segment may name a source (see Source).
type FieldRef struct {
	Pos  Pos
	Path []Segment // never empty; the first segment is a name
}

// Segment is one step of a field path: a member name or an array index.
type Segment struct {
	Name string // the member name, case-sensitive; "" for an index
	// Index is the array index of [n]; a negative index counts from the
	// end ([-1] is the last element).
	Index   int
	IsIndex bool
}

// Star is * or source.* as a SELECT item: every field of the record, or
// of the named source. It appears nowhere else (COUNT(*) is a Call with
// Star set).
type Star struct {
	Pos       Pos
	Qualifier string // "" for a bare *
}

// UnaryOp is a prefix operator.
type UnaryOp int

const (
	Neg UnaryOp = iota + 1 // -x
	Not                    // NOT x
)

// Unary is a prefix operation.
type Unary struct {
	Pos Pos
	Op  UnaryOp
	X   Expr
}

// BinaryOp is an infix operator.
type BinaryOp int

// The binary operators, by precedence from loosest to tightest:
// OR; AND; (NOT); comparisons; ||; + -; * / %.
const (
	Or BinaryOp = iota + 1
	And
	Eq // =
	Ne // <> or !=
	Lt // <
	Le // <=
	Gt // >
	Ge // >=
	Concat
	Add
	Sub
	Mul
	Div
	Mod
)

var binaryOpText = [...]string{
	Or: "OR", And: "AND", Eq: "=", Ne: "<>", Lt: "<", Le: "<=", Gt: ">", Ge: ">=",
	Concat: "||", Add: "+", Sub: "-", Mul: "*", Div: "/", Mod: "%",
}

// String returns the operator as printed: OR, AND, =, <>, <, <=, >, >=,
// ||, +, -, *, /, %.
func (op BinaryOp) String() string {
	if op > 0 && int(op) < len(binaryOpText) {
		return binaryOpText[op]
	}
	return "?"
}

// IsComparison reports whether op is =, <>, <, <=, > or >=.
func (op BinaryOp) IsComparison() bool { return op >= Eq && op <= Ge }

// String returns "-" or "NOT".
func (op UnaryOp) String() string {
	if op == Not {
		return "NOT"
	}
	return "-"
}

// Binary is an infix operation; Pos is the operator's.
type Binary struct {
	Pos  Pos
	Op   BinaryOp
	L, R Expr
}

// In is X [NOT] IN (List…); Pos is the IN (or NOT) keyword's.
type In struct {
	Pos  Pos
	X    Expr
	List []Expr // never empty
	Not  bool
}

// Between is X [NOT] BETWEEN Lo AND Hi, both bounds included; Pos is the
// BETWEEN (or NOT) keyword's.
type Between struct {
	Pos    Pos
	X      Expr
	Lo, Hi Expr
	Not    bool
}

// Like is X [NOT] LIKE Pattern [ESCAPE 'c']; Pos is the LIKE (or NOT)
// keyword's. In the pattern % matches any run of characters and _ any one
// character; Escape, when not "", is the single character that makes the
// next %, _ or itself literal.
type Like struct {
	Pos     Pos
	X       Expr
	Pattern Expr
	Escape  string
	Not     bool
}

// IsNull is X IS [NOT] NULL; Pos is the IS keyword's.
type IsNull struct {
	Pos Pos
	X   Expr
	Not bool
}

// Case is CASE [Operand] WHEN … THEN … [ELSE …] END. With an Operand
// (simple CASE) each When.Cond is a value compared with it by =; without
// (searched CASE) each When.Cond is a condition.
type Case struct {
	Pos     Pos
	Operand Expr    // nil for a searched CASE
	Whens   []*When // never empty
	Else    Expr    // nil means ELSE NULL
}

// When is one WHEN Cond THEN Result arm.
type When struct {
	Pos    Pos // the WHEN keyword
	Cond   Expr
	Result Expr
}

// Type is a CAST target type.
type Type int

// The CAST types. Each accepts the spellings listed (in any case).
const (
	TypeString    Type = iota + 1 // STRING, VARCHAR, VARCHAR(n), TEXT
	TypeBigint                    // BIGINT, INT, INTEGER
	TypeDouble                    // DOUBLE, FLOAT, REAL
	TypeBoolean                   // BOOLEAN, BOOL
	TypeTimestamp                 // TIMESTAMP
	TypeJSON                      // JSON
)

var typeNames = [...]string{
	TypeString: "STRING", TypeBigint: "BIGINT", TypeDouble: "DOUBLE",
	TypeBoolean: "BOOLEAN", TypeTimestamp: "TIMESTAMP", TypeJSON: "JSON",
}

var typeSpellings = map[string]Type{
	"STRING": TypeString, "VARCHAR": TypeString, "TEXT": TypeString,
	"BIGINT": TypeBigint, "INT": TypeBigint, "INTEGER": TypeBigint,
	"DOUBLE": TypeDouble, "FLOAT": TypeDouble, "REAL": TypeDouble,
	"BOOLEAN": TypeBoolean, "BOOL": TypeBoolean,
	"TIMESTAMP": TypeTimestamp,
	"JSON":      TypeJSON,
}

// String returns the type's canonical name: STRING, BIGINT, DOUBLE,
// BOOLEAN, TIMESTAMP or JSON.
func (t Type) String() string {
	if t > 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "TYPE?"
}

// Cast is CAST(X AS Type).
type Cast struct {
	Pos  Pos
	X    Expr
	Type Type
}

// Call is a function call: f(x, y), COUNT(*), COUNT(DISTINCT x),
// LAG(x, 1) OVER (PARTITION BY device). Parse does not check that the
// function exists or its arity (the planner does), but it knows the
// aggregate and analytic names (IsAggregate, IsAnalytic) and checks where
// they may appear.
type Call struct {
	Pos Pos
	// Name is upper-cased: function names are case-insensitive.
	Name string
	Args []Expr
	// Distinct is COUNT(DISTINCT x) and the like; only on aggregates,
	// and then with at least one argument.
	Distinct bool
	// Star is COUNT(*); only on COUNT, and then Args is empty.
	Star bool
	// Over is the OVER clause of an analytic function; nil when absent,
	// and always nil on other functions.
	Over *Over
}

// Over is OVER (PARTITION BY keys…) after an analytic function such as
// LAG: the function keeps separate state per partition key. Without OVER,
// LAG partitions by the GROUP BY keys of a grouped query and keeps one
// state for an ungrouped one.
type Over struct {
	Pos         Pos // the OVER keyword
	PartitionBy []Expr
}

func (*Literal) exprNode()  {}
func (*Interval) exprNode() {}
func (*FieldRef) exprNode() {}
func (*Star) exprNode()     {}
func (*Unary) exprNode()    {}
func (*Binary) exprNode()   {}
func (*In) exprNode()       {}
func (*Between) exprNode()  {}
func (*Like) exprNode()     {}
func (*IsNull) exprNode()   {}
func (*Case) exprNode()     {}
func (*Cast) exprNode()     {}
func (*Call) exprNode()     {}

func (e *Literal) Position() Pos  { return e.Pos }
func (e *Interval) Position() Pos { return e.Pos }
func (e *FieldRef) Position() Pos { return e.Pos }
func (e *Star) Position() Pos     { return e.Pos }
func (e *Unary) Position() Pos    { return e.Pos }
func (e *Binary) Position() Pos   { return e.Pos }
func (e *In) Position() Pos       { return e.Pos }
func (e *Between) Position() Pos  { return e.Pos }
func (e *Like) Position() Pos     { return e.Pos }
func (e *IsNull) Position() Pos   { return e.Pos }
func (e *Case) Position() Pos     { return e.Pos }
func (e *Cast) Position() Pos     { return e.Pos }
func (e *Call) Position() Pos     { return e.Pos }
func (w *When) Position() Pos     { return w.Pos }
func (o *Over) Position() Pos     { return o.Pos }
