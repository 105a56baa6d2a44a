package sql

import "strconv"

// checkStatement applies the rules that need the whole statement, clause
// by clause in the order of the text: where aggregates, windows and LAG
// may appear, output names, and outputs that would feed the query back to
// itself.
func (p *parser) checkStatement(st *Statement) {
	sel := st.Select
	names := map[string]*Projection{}
	for _, pr := range sel.Projections {
		p.checkExpr(pr.Expr, "SELECT", sel.Grouped(), true)
		name := pr.OutputName()
		if name == "" {
			continue
		}
		if prev, dup := names[name]; dup {
			p.fail(pr.Pos, "duplicate output name "+strconv.Quote(name)+" (also at "+prev.Pos.String()+"); name one of them with AS")
		}
		names[name] = pr
	}
	inputs := map[string]bool{}
	for _, s := range sel.From.Sources() {
		inputs[s.Stream] = true
	}
	for i, s := range sel.From.Sources() {
		if et := s.EventTime; et != nil {
			p.checkExpr(et.Expr, "EVENT TIME", false, false)
			if inputs[et.LateStream] {
				p.fail(et.Pos, "LATE INTO "+quoteStreamName(et.LateStream)+" would feed late records back into the query, which reads that stream")
			}
		}
		if i > 0 {
			p.checkExpr(sel.From.Joins[i-1].On, "ON", false, false)
		}
	}
	if sel.Where != nil {
		p.checkExpr(sel.Where, "WHERE", false, true)
	}
	// GROUP BY keys were checked as they were parsed, so that a window
	// inside a key is reported as such rather than as a missing window.
	if sel.Having != nil {
		p.checkExpr(sel.Having, "HAVING", true, true)
	}
	for _, o := range st.Outputs {
		if o.Kind == ToStream && inputs[o.Stream] {
			p.fail(o.Pos, "INSERT INTO "+quoteStreamName(o.Stream)+" would feed the query's output back into itself, since it reads that stream")
		}
	}
}

// checkExpr fails if e holds a window, an aggregate where aggOK is false,
// LAG where lagOK is false, or an aggregate or LAG nested in its own kind.
// clause names where e is, for the message.
func (p *parser) checkExpr(e Expr, clause string, aggOK, lagOK bool) {
	var visit func(e Expr, inAgg, inLag *Call)
	visit = func(e Expr, inAgg, inLag *Call) {
		Walk(e, func(x Expr) bool {
			c, ok := x.(*Call)
			if !ok {
				return true
			}
			switch {
			case windowKind(c.Name) != 0:
				p.fail(c.Pos, c.Name+" is a window: it is only allowed on its own as a GROUP BY item, for example GROUP BY device, "+windowUsage[windowKind(c.Name)].example)
			case IsAggregate(c.Name):
				switch {
				case inAgg != nil:
					p.fail(c.Pos, "aggregate "+c.Name+" cannot be nested inside "+inAgg.Name)
				case aggOK:
				case clause == "WHERE":
					p.fail(c.Pos, "aggregate "+c.Name+" is not allowed in WHERE, which filters records before they are grouped (filter groups with HAVING)")
				case clause == "SELECT":
					p.fail(c.Pos, "aggregate "+c.Name+" needs GROUP BY with a window, for example GROUP BY TUMBLING(1m)")
				default:
					p.fail(c.Pos, "aggregate "+c.Name+" is not allowed in "+clause)
				}
				for _, a := range c.Args {
					visit(a, c, inLag)
				}
				return false
			case IsAnalytic(c.Name):
				switch {
				case inLag != nil:
					p.fail(c.Pos, c.Name+" cannot be nested inside "+inLag.Name)
				case !lagOK:
					p.fail(c.Pos, c.Name+" is not allowed in "+clause)
				}
				for _, a := range c.Args {
					visit(a, inAgg, c)
				}
				if c.Over != nil {
					for _, k := range c.Over.PartitionBy {
						p.checkExpr(k, "PARTITION BY", false, false)
					}
				}
				return false
			}
			return true
		})
	}
	visit(e, nil, nil)
}
