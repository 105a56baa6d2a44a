package sql

// Datadriven tests (STYLE.md practice 7): testdata/parse/*.txt hold
// queries and what the parser makes of them. Regenerate the expected
// output with
//
//	go test ./analytics/sql/ -run TestDatadriven -rewrite
//
// and then READ the diff: each expected block is a claim about the dialect
// documented in doc.go.
//
// Commands:
//
//	parse [ast] [pos]   Parse the input; print the canonical SQL (String),
//	                    then with ast the tree (expressions as
//	                    S-expressions), with pos also every position.
//	                    Every successful parse is also checked to
//	                    round-trip: Parse(String()) gives the same tree.
//	expr [pos]          ParseExpr the input; print the canonical SQL and
//	                    the S-expression.
//
// An error prints as "error: <Error()>" followed by the Caret lines.

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
)

func TestDatadriven(t *testing.T) {
	datadriven.Walk(t, "testdata/parse", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			src := strings.TrimSuffix(d.Input, "\n")
			withPos := d.HasArg("pos")
			switch d.Cmd {
			case "parse":
				st, err := Parse(src)
				if err != nil {
					return errorOutput(t, src, err)
				}
				checkRoundTrip(t, src)
				out := st.String() + "\n"
				if d.HasArg("ast") || withPos {
					out += dumpNode(st, withPos)
				}
				return out
			case "expr":
				e, err := ParseExpr(src)
				if err != nil {
					return errorOutput(t, src, err)
				}
				checkExprRoundTrip(t, src)
				return e.String() + "\n" + sexpr(e, withPos) + "\n"
			}
			t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
			return ""
		})
	})
}

// errorOutput formats a parse error and checks its contract: an *Error
// that matches ErrSyntax, positioned inside (or just after) the text.
func errorOutput(t testing.TB, src string, err error) string {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrSyntax) {
		t.Fatalf("error %T %v is not an *Error matching ErrSyntax", err, err)
	}
	if !e.Pos.IsValid() || e.Pos.Offset > len(src) || position(src, e.Pos.Offset) != e.Pos {
		t.Fatalf("error %v has a bad position %+v (want %+v)", err, e.Pos, position(src, min(e.Pos.Offset, len(src))))
	}
	return "error: " + err.Error() + "\n" + e.Caret(src) + "\n"
}

// checkRoundTrip checks that printing src's tree and parsing the result
// gives the same tree, and that printing is idempotent.
func checkRoundTrip(t testing.TB, src string) {
	t.Helper()
	a, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	printed := a.String()
	b, err := Parse(printed)
	if err != nil {
		t.Fatalf("the canonical form of %q does not parse: %v\n%s", src, err, printed)
	}
	if again := b.String(); again != printed {
		t.Fatalf("printing is not idempotent:\n%s\n%s", printed, again)
	}
	stripPos(reflect.ValueOf(a))
	stripPos(reflect.ValueOf(b))
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip changed the tree of %q\nbefore:\n%safter:\n%s", src, dumpNode(a, false), dumpNode(b, false))
	}
}

func checkExprRoundTrip(t testing.TB, src string) {
	t.Helper()
	a, err := ParseExpr(src)
	if err != nil {
		t.Fatalf("ParseExpr(%q): %v", src, err)
	}
	printed := a.String()
	b, err := ParseExpr(printed)
	if err != nil {
		t.Fatalf("the canonical form of %q does not parse: %v\n%s", src, err, printed)
	}
	stripPos(reflect.ValueOf(&a))
	stripPos(reflect.ValueOf(&b))
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip changed %q: %s became %s", src, sexpr(a, false), sexpr(b, false))
	}
}

var posType = reflect.TypeOf(Pos{})

// stripPos zeroes every Pos reachable from v, so that trees parsed from
// different texts compare equal with reflect.DeepEqual.
func stripPos(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			stripPos(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			stripPos(v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == posType {
			if v.CanSet() {
				v.Set(reflect.Zero(posType))
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			stripPos(v.Field(i))
		}
	}
}

// dumpNode prints a statement-level tree, one field per line, skipping
// zero fields; expressions print as S-expressions.
func dumpNode(n any, withPos bool) string {
	var b strings.Builder
	dumpValue(&b, reflect.ValueOf(n), 0, withPos)
	return b.String()
}

var (
	exprType     = reflect.TypeOf((*Expr)(nil)).Elem()
	durationType = reflect.TypeOf(time.Duration(0))
)

func dumpValue(b *strings.Builder, v reflect.Value, indent int, withPos bool) {
	pad := strings.Repeat("  ", indent)
	if v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if v.Type().Implements(exprType) {
		b.WriteString(sexpr(v.Interface().(Expr), withPos) + "\n")
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		dumpValue(b, v.Elem(), indent, withPos)
		return
	case reflect.Struct:
		name := v.Type().Name()
		if p := v.FieldByName("Pos"); withPos && p.IsValid() {
			name += fmt.Sprintf(" @%d:%d", p.Field(1).Int(), p.Field(2).Int())
		}
		b.WriteString(name + "\n")
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if v.Type().Field(i).Name == "Pos" || f.IsZero() {
				continue
			}
			b.WriteString(pad + "  " + v.Type().Field(i).Name + ":")
			if f.Kind() != reflect.Slice {
				b.WriteString(" ")
			}
			dumpValue(b, f, indent+1, withPos)
		}
		return
	case reflect.Slice:
		b.WriteString("\n")
		for i := 0; i < v.Len(); i++ {
			b.WriteString(pad + "  - ")
			dumpValue(b, v.Index(i), indent+2, withPos)
		}
		return
	}
	switch {
	case v.Type() == durationType:
		b.WriteString(shortDuration(time.Duration(v.Int())) + "\n")
	case v.Kind() == reflect.String:
		fmt.Fprintf(b, "%q\n", v.String())
	default:
		fmt.Fprintf(b, "%v\n", v.Interface())
	}
}

// sexpr prints an expression as an S-expression, showing its structure:
// (+ a (* b c)). With withPos each node is followed by @line:col.
func sexpr(e Expr, withPos bool) string {
	if e == nil {
		return "<nil>"
	}
	at := ""
	if withPos {
		at = fmt.Sprintf("@%d:%d", e.Position().Line, e.Position().Col)
	}
	list := func(head string, items ...string) string {
		if len(items) == 0 {
			return "(" + head + at + ")"
		}
		return "(" + head + at + " " + strings.Join(items, " ") + ")"
	}
	all := func(es []Expr) []string {
		var s []string
		for _, x := range es {
			s = append(s, sexpr(x, withPos))
		}
		return s
	}
	not := func(b bool, s string) string {
		if b {
			return "NOT " + s
		}
		return s
	}
	switch e := e.(type) {
	case *Literal:
		return fmt.Sprintf("%s:%T%s", formatLiteral(e.Value), e.Value, at)
	case *Interval:
		return "interval:" + shortDuration(e.Duration) + at
	case *FieldRef:
		return "$" + e.String() + at
	case *Star:
		return e.String() + at
	case *Unary:
		return list(e.Op.String(), sexpr(e.X, withPos))
	case *Binary:
		return list(e.Op.String(), sexpr(e.L, withPos), sexpr(e.R, withPos))
	case *In:
		return list(not(e.Not, "IN"), append([]string{sexpr(e.X, withPos)}, all(e.List)...)...)
	case *Between:
		return list(not(e.Not, "BETWEEN"), sexpr(e.X, withPos), sexpr(e.Lo, withPos), sexpr(e.Hi, withPos))
	case *Like:
		items := []string{sexpr(e.X, withPos), sexpr(e.Pattern, withPos)}
		if e.Escape != "" {
			items = append(items, "ESCAPE "+quoteString(e.Escape))
		}
		return list(not(e.Not, "LIKE"), items...)
	case *IsNull:
		if e.Not {
			return list("IS NOT NULL", sexpr(e.X, withPos))
		}
		return list("IS NULL", sexpr(e.X, withPos))
	case *Case:
		var items []string
		if e.Operand != nil {
			items = append(items, sexpr(e.Operand, withPos))
		}
		for _, w := range e.Whens {
			items = append(items, "(WHEN "+sexpr(w.Cond, withPos)+" "+sexpr(w.Result, withPos)+")")
		}
		if e.Else != nil {
			items = append(items, "(ELSE "+sexpr(e.Else, withPos)+")")
		}
		return list("CASE", items...)
	case *Cast:
		return list("CAST", sexpr(e.X, withPos), e.Type.String())
	case *Call:
		items := all(e.Args)
		switch {
		case e.Star:
			items = []string{"*"}
		case e.Distinct:
			items = append([]string{"DISTINCT"}, items...)
		}
		if e.Over != nil {
			items = append(items, "(OVER "+strings.Join(all(e.Over.PartitionBy), " ")+")")
		}
		return list(e.Name, items...)
	}
	return fmt.Sprintf("<%T>", e)
}
