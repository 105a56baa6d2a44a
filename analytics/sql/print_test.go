package sql

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestPrintRandomTrees builds random expression trees, prints them and
// parses the text back: the printer must quote every name that needs it
// and add every parenthesis the parser needs, and no more than it takes to
// get the same tree. It complements FuzzParse, which starts from text.
func TestPrintRandomTrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 10000; i++ {
		g := &treeGen{rng: rng}
		e := g.expr(4)
		text := e.String()
		back, err := ParseExpr(text)
		if err != nil {
			t.Fatalf("tree %s prints as %q, which does not parse: %v", sexpr(e, false), text, err)
		}
		stripPos(reflect.ValueOf(&back))
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("tree %s prints as %q, which parses as %s", sexpr(e, false), text, sexpr(back, false))
		}
	}
}

// treeGen generates trees in the parser's canonical form: no unary minus
// directly on a number (the parser folds it into the literal), no
// aggregates or windows.
type treeGen struct{ rng *rand.Rand }

var genNames = []string{
	"a", "b", "Temp", "_x", "end", "FROM", "event", "time", "key", "over", "escape", "count",
	"tumbling", "weird name", `say "hi"`, "température", "1st", "ſelect", "x.y", "{", "it's", "--", "/*",
}

func (g *treeGen) name() string { return genNames[g.rng.IntN(len(genNames))] }

func (g *treeGen) list(depth, min int) []Expr {
	n := min + g.rng.IntN(3)
	var es []Expr
	for range n {
		es = append(es, g.expr(depth-1))
	}
	return es
}

func (g *treeGen) leaf() Expr {
	switch g.rng.IntN(9) {
	case 0:
		return &Literal{}
	case 1:
		return &Literal{Value: g.rng.IntN(2) == 0}
	case 2:
		return &Literal{Value: []int64{0, 1, -1, 42, math.MaxInt64, math.MinInt64}[g.rng.IntN(6)]}
	case 3:
		return &Literal{Value: []float64{0, 1.5, -2.25, 1e21, 1e-7, -3e300, 5e-324, 100}[g.rng.IntN(8)]}
	case 4:
		return &Literal{Value: []string{"", "x", "it's", "''", "a\nb", "--", "ü"}[g.rng.IntN(7)]}
	case 5:
		return &Interval{Duration: time.Duration(g.rng.Int64N(1e6)) * time.Millisecond}
	}
	ref := &FieldRef{Path: []Segment{{Name: g.name()}}}
	for g.rng.IntN(3) == 0 {
		if g.rng.IntN(2) == 0 {
			ref.Path = append(ref.Path, Segment{Name: g.name()})
		} else {
			ref.Path = append(ref.Path, Segment{Index: g.rng.IntN(7) - 3, IsIndex: true})
		}
	}
	return ref
}

func (g *treeGen) expr(depth int) Expr {
	if depth <= 0 || g.rng.IntN(4) == 0 {
		return g.leaf()
	}
	switch g.rng.IntN(11) {
	case 0:
		x := g.expr(depth - 1)
		if lit, ok := x.(*Literal); ok {
			if _, ok := negate(lit.Value); ok {
				x = &FieldRef{Path: []Segment{{Name: "n"}}}
			}
		}
		return &Unary{Op: Neg, X: x}
	case 1:
		return &Unary{Op: Not, X: g.expr(depth - 1)}
	case 2, 3:
		return &Binary{Op: BinaryOp(1 + g.rng.IntN(int(Mod))), L: g.expr(depth - 1), R: g.expr(depth - 1)}
	case 4:
		return &In{X: g.expr(depth - 1), List: g.list(depth, 1), Not: g.rng.IntN(2) == 0}
	case 5:
		return &Between{X: g.expr(depth - 1), Lo: g.expr(depth - 1), Hi: g.expr(depth - 1), Not: g.rng.IntN(2) == 0}
	case 6:
		like := &Like{X: g.expr(depth - 1), Pattern: g.expr(depth - 1), Not: g.rng.IntN(2) == 0}
		if g.rng.IntN(2) == 0 {
			like.Escape = []string{"!", "'", "\\", "é"}[g.rng.IntN(4)]
		}
		return like
	case 7:
		return &IsNull{X: g.expr(depth - 1), Not: g.rng.IntN(2) == 0}
	case 8:
		c := &Case{}
		if g.rng.IntN(2) == 0 {
			c.Operand = g.expr(depth - 1)
		}
		for range 1 + g.rng.IntN(2) {
			c.Whens = append(c.Whens, &When{Cond: g.expr(depth - 1), Result: g.expr(depth - 1)})
		}
		if g.rng.IntN(2) == 0 {
			c.Else = g.expr(depth - 1)
		}
		return c
	case 9:
		return &Cast{X: g.expr(depth - 1), Type: Type(1 + g.rng.IntN(int(TypeJSON)))}
	}
	c := &Call{Name: []string{"F", "ROUND", "LEFT", "COALESCE"}[g.rng.IntN(4)], Args: g.list(depth, 0)}
	if g.rng.IntN(4) == 0 {
		c = &Call{Name: "LAG", Args: []Expr{g.leaf()}, Over: &Over{}}
		if g.rng.IntN(2) == 0 {
			c.Over.PartitionBy = []Expr{g.leaf(), g.leaf()}
		}
	}
	return c
}
