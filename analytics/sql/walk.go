package sql

// Walk calls fn for e and, if fn returns true, walks each of e's
// sub-expressions in the order they appear in the text (a Call's
// arguments, then its OVER keys; a Case's operand, then each WHEN's
// condition and result, then ELSE). Nil expressions are skipped.
func Walk(e Expr, fn func(Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	switch e := e.(type) {
	case *Unary:
		Walk(e.X, fn)
	case *Binary:
		Walk(e.L, fn)
		Walk(e.R, fn)
	case *In:
		Walk(e.X, fn)
		for _, x := range e.List {
			Walk(x, fn)
		}
	case *Between:
		Walk(e.X, fn)
		Walk(e.Lo, fn)
		Walk(e.Hi, fn)
	case *Like:
		Walk(e.X, fn)
		Walk(e.Pattern, fn)
	case *IsNull:
		Walk(e.X, fn)
	case *Case:
		Walk(e.Operand, fn)
		for _, w := range e.Whens {
			Walk(w.Cond, fn)
			Walk(w.Result, fn)
		}
		Walk(e.Else, fn)
	case *Cast:
		Walk(e.X, fn)
	case *Call:
		for _, x := range e.Args {
			Walk(x, fn)
		}
		if e.Over != nil {
			for _, x := range e.Over.PartitionBy {
				Walk(x, fn)
			}
		}
	}
}
