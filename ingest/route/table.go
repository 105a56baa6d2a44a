package route

// Table is a compiled, immutable, concurrency-safe list of rules; the
// first rule whose filter matches wins.
type Table struct {
	rules []rule
}

// Compile checks every rule and returns the table, or nil and every
// problem at once as *Errors (a []*RuleError, each with Index, Field
// ("filter", "stream", "key", "max_payload") and Msg, each wrapping a
// sentinel of errors.go), so the config layer can print
// "mqtt.routes[2].key: unknown placeholder {jsn.x}". An empty list compiles
// to a table that matches nothing. Compile keeps no reference to rules.
func Compile(rules []Rule) (*Table, error) {
	t := &Table{rules: make([]rule, len(rules))}
	var errs Errors
	for i, r := range rules {
		t.rules[i], errs = compileRule(i, r, errs)
	}
	if len(errs) > 0 {
		return nil, &errs
	}
	return t, nil
}

// Route returns the result for m and true, or false if no rule matches
// (the message is not stored). A nil *Table matches nothing. m.Topic is not
// validated: the MQTT layer has done that. Route is safe for concurrent
// use; it does no I/O, and for a raw payload and a key of {topic},
// {topic.N}, {client_id} or literal text it does not allocate.
func (t *Table) Route(m Message) (Result, bool) {
	if t == nil {
		return Result{}, false
	}
	for i := range t.rules {
		r := &t.rules[i]
		if r.filter.match(m.Topic) {
			return r.route(i, &m), true
		}
	}
	return Result{}, false
}

// Len returns the number of rules.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.rules)
}
