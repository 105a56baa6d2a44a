package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The decoder walks a yaml.Node tree against a Go value by reflection,
// matching mapping keys to `yaml:"name"` struct tags. Unlike yaml.v3's own
// strict mode it does not stop at the first problem: it records every
// unknown key, duplicate key and bad value with its dotted path and line,
// leaves the target's existing (default) value in place for each, and
// carries on.
//
// Rules:
//   - a null value ("key:", "key: ~") leaves the default in place, except
//     for a list, which it empties;
//   - a list replaces the default list; each element starts from the
//     element type's defaults (setDefaults) before its keys are decoded;
//   - types implementing yaml.Unmarshaler (Duration, ByteSize) decode
//     themselves and their error becomes the message;
//   - aliases and merge keys ("<<") are followed, with a bound on the
//     total work so that alias bombs fail instead of exhausting memory.

// maxDecodeSteps bounds the nodes visited, counting every alias expansion.
const maxDecodeSteps = 100_000

// defaulter is implemented by list elements that have per-element
// defaults (Stream).
type defaulter interface{ setDefaults() }

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

type decoder struct {
	file   string
	errs   Errors
	lines  map[string]int      // key path -> line of its key (or list element)
	active map[*yaml.Node]bool // alias targets being decoded, to stop cycles
	steps  int
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, lines: map[string]int{}, active: map[*yaml.Node]bool{}}
}

func (d *decoder) errorf(path string, line int, format string, args ...any) {
	d.errs = append(d.errs, &KeyError{File: d.file, Path: path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// lineOf returns the line of path or of its nearest ancestor in the file,
// or 0.
func (d *decoder) lineOf(path string) int {
	for path != "" {
		if l, ok := d.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

var yamlLineErr = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// document decodes data, which must hold at most one YAML document, over
// c. It returns false when the YAML could not be parsed at all, in which
// case nothing was decoded and d.errs says why.
func (d *decoder) document(data []byte, c *Config) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := safeDecode(dec, &doc)
	if errors.Is(err, io.EOF) {
		return true // empty file: defaults
	}
	if err != nil {
		d.syntaxError(err)
		return false
	}
	var extra yaml.Node
	err = safeDecode(dec, &extra)
	if err != nil && !errors.Is(err, io.EOF) {
		d.syntaxError(err)
		return false
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		d.decode("", doc.Content[0], reflect.ValueOf(c).Elem())
	}
	if err == nil {
		d.errorf("", extra.Line, "multiple YAML documents; want one")
	}
	return true
}

// safeDecode is dec.Decode that turns a panic inside yaml.v3 into an error.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return dec.Decode(n)
}

func (d *decoder) syntaxError(err error) {
	ke := &KeyError{File: d.file, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: "), Err: err}
	if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
		ke.Line, _ = strconv.Atoi(m[1])
		ke.Msg = "invalid YAML: " + m[2]
	}
	d.errs = append(d.errs, ke)
}

// step counts one unit of work and reports whether the budget allows it.
func (d *decoder) step(path string, line int) bool {
	d.steps++
	if d.steps == maxDecodeSteps {
		d.errorf(path, line, "document too large (more than %d nodes after expanding aliases)", maxDecodeSteps)
	}
	return d.steps < maxDecodeSteps
}

// resolve follows an alias to its anchored node and marks it active;
// the caller must call the returned release. ok is false (and an error
// recorded) for an alias that refers to a node containing it.
func (d *decoder) resolve(path string, n *yaml.Node) (target *yaml.Node, release func(), ok bool) {
	if n.Kind != yaml.AliasNode {
		return n, func() {}, true
	}
	t := n.Alias
	if t == nil {
		d.errorf(path, n.Line, "unknown alias *%s", n.Value)
		return nil, nil, false
	}
	if d.active[t] {
		d.errorf(path, n.Line, "alias *%s refers to a value that contains it", n.Value)
		return nil, nil, false
	}
	d.active[t] = true
	return t, func() { delete(d.active, t) }, true
}

func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) {
	if !d.step(path, n.Line) {
		return
	}
	n, release, ok := d.resolve(path, n)
	if !ok {
		return
	}
	defer release()
	if isNull(n) {
		if v.Kind() == reflect.Slice {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			d.errorf(path, n.Line, "%s", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(path, n, v)
	case reflect.Slice:
		d.decodeSlice(path, n, v)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.errorf(path, n.Line, "want a string, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.errorf(path, n.Line, "want an integer, got %s", describe(n))
			return
		}
		if v.OverflowInt(i) {
			d.errorf(path, n.Line, "integer %s out of range", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.errorf(path, n.Line, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	default:
		// A programming error in the schema, not in the file.
		panic(fmt.Sprintf("config: unsupported field type %s at %s", v.Type(), path))
	}
}

func (d *decoder) decodeStruct(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.errorf(path, n.Line, "want a mapping, got %s", describe(n))
		return
	}
	fields, names := structFields(v.Type())
	// Merged mappings first, so the mapping's own keys override them;
	// of several merged mappings the first listed wins.
	for i := len(n.Content) - 2; i >= 0; i -= 2 {
		if isMerge(n.Content[i]) {
			d.merge(path, n.Content[i+1], v)
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			continue
		}
		if !d.step(path, k.Line) {
			return
		}
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(joinPath(path, "?"), k.Line, "want a string key, got %s", describe(k))
			continue
		}
		p := joinPath(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.errorf(p, k.Line, "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		idx, ok := fields[k.Value]
		if !ok {
			msg := "unknown key"
			if s := suggest(k.Value, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.errorf(p, k.Line, "%s", msg)
			continue
		}
		d.lines[p] = k.Line
		d.decode(p, val, v.Field(idx))
	}
}

// merge decodes the value of a "<<" key: a mapping, or a list of them.
func (d *decoder) merge(path string, n *yaml.Node, v reflect.Value) {
	if !d.step(path, n.Line) {
		return
	}
	n, release, ok := d.resolve(path, n)
	if !ok {
		return
	}
	defer release()
	switch n.Kind {
	case yaml.MappingNode:
		d.decodeStruct(path, n, v)
	case yaml.SequenceNode:
		for i := len(n.Content) - 1; i >= 0; i-- {
			el := n.Content[i]
			if el.Kind != yaml.AliasNode && el.Kind != yaml.MappingNode {
				d.errorf(joinPath(path, "<<"), el.Line, "want a mapping to merge, got %s", describe(el))
				continue
			}
			d.merge(path, el, v)
		}
	default:
		d.errorf(joinPath(path, "<<"), n.Line, "want a mapping to merge, got %s", describe(n))
	}
}

func (d *decoder) decodeSlice(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(path, n.Line, "want a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, el := range n.Content {
		ev := s.Index(i)
		if def, ok := ev.Addr().Interface().(defaulter); ok {
			def.setDefaults()
		}
		p := path + "[" + strconv.Itoa(i) + "]"
		d.lines[p] = el.Line
		d.decode(p, el, ev)
	}
	v.Set(s)
}

// structFields maps the yaml tag names of t's fields to field indexes and
// lists the names in field order (for suggestions).
func structFields(t reflect.Type) (map[string]int, []string) {
	fields := make(map[string]int, t.NumField())
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		fields[name] = i
		names = append(names, name)
	}
	return fields, names
}

var simpleKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// joinPath appends key to a dotted path; keys that are not simple words
// are quoted in brackets so the path stays unambiguous.
func joinPath(path, key string) string {
	if !simpleKey.MatchString(key) && key != "?" && key != "<<" {
		return path + "[" + strconv.Quote(truncate(key)) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func isMerge(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && n.ShortTag() == "!!merge"
}

// describe names what a node is, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "null"
		}
		return strconv.Quote(truncate(n.Value))
	default:
		return "nothing"
	}
}

// truncate shortens s for quoting in a message.
func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	r := []rune(s[:max])
	return string(r[:len(r)-1]) + "…"
}
