package uplink

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Reading fields out of JSON records without decoding them: a record is
// checked once with json.Valid, then scanned in place (RFC 8259 syntax),
// so picking a few columns out of a record allocates nothing.

type jsonKind uint8

const (
	kindNull jsonKind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
)

var kindNames = [...]string{"null", "boolean", "number", "string", "object", "array"}

func (k jsonKind) String() string { return kindNames[k] }

// kindOf is the kind of a valid JSON value without surrounding space.
func kindOf(v []byte) jsonKind {
	switch v[0] {
	case 'n':
		return kindNull
	case 't', 'f':
		return kindBool
	case '"':
		return kindString
	case '{':
		return kindObject
	case '[':
		return kindArray
	}
	return kindNumber
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// jsonObject returns a record's JSON object without surrounding space, or
// why the record is not one.
func jsonObject(data []byte) ([]byte, string) {
	obj := trimSpace(data)
	if !json.Valid(obj) {
		var raw json.RawMessage
		err := json.Unmarshal(obj, &raw)
		if err == nil { // cannot happen: Valid said no
			err = fmt.Errorf("invalid JSON")
		}
		return nil, fmt.Sprintf("not JSON: %v", err)
	}
	if k := kindOf(obj); k != kindObject {
		return nil, fmt.Sprintf("not a JSON object but a JSON %s", k)
	}
	return obj, ""
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// stringEnd returns the index after the string starting at b[i] ('"').
func stringEnd(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// valueEnd returns the index after the valid JSON value starting at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(b) && !isSpace(b[i]) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
		i++
	}
	return i
}

// members iterates over the members of a valid JSON object b (no
// surrounding space): key is the raw (quoted) key, val the raw value.
type members struct {
	b        []byte
	i        int
	key, val []byte
}

func (m *members) next() bool {
	i := skipSpace(m.b, m.i)
	if i >= len(m.b) || m.b[i] == '}' {
		return false
	}
	if m.b[i] == '{' || m.b[i] == ',' {
		if i = skipSpace(m.b, i+1); m.b[i] == '}' {
			return false
		}
	}
	e := stringEnd(m.b, i)
	m.key = m.b[i:e]
	i = skipSpace(m.b, skipSpace(m.b, e)+1) // past ':'
	e = valueEnd(m.b, i)
	m.val = m.b[i:e]
	m.i = e
	return true
}

// verbatim reports whether a valid JSON string (quoted) is its own text: no
// escapes, valid UTF-8.
func verbatim(s []byte) bool {
	body := s[1 : len(s)-1]
	return bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body)
}

// unquote appends the text of a valid JSON string (quoted) to dst, as
// encoding/json decodes it (invalid UTF-8 becomes U+FFFD).
func unquote(s, dst []byte) []byte {
	if verbatim(s) {
		return append(dst, s[1:len(s)-1]...)
	}
	var str string
	json.Unmarshal(s, &str) // valid: cannot fail
	return append(dst, str...)
}

// picker finds the values of a set of field paths in JSON objects in one
// pass over each.
type picker struct {
	root pathNode
	vals [][]byte // per field, its raw value in the last object; nil if missing
	key  []byte   // scratch for keys with escapes
}

// pathNode is a key of a path: the fields whose path ends here, and the
// keys below it.
type pathNode struct {
	fields []int
	next   map[string]*pathNode
}

func newPicker(fs []field) *picker {
	p := &picker{vals: make([][]byte, len(fs))}
	for i, f := range fs {
		n := &p.root
		for _, k := range f.path {
			if n.next == nil {
				n.next = map[string]*pathNode{}
			}
			c := n.next[k]
			if c == nil {
				c = &pathNode{}
				n.next[k] = c
			}
			n = c
		}
		n.fields = append(n.fields, i)
	}
	return p
}

// pick sets vals from obj, a valid JSON object. A repeated key's last
// value is the one taken, as encoding/json does.
func (p *picker) pick(obj []byte) {
	clear(p.vals)
	p.walk(&p.root, obj)
}

func (p *picker) walk(n *pathNode, obj []byte) {
	m := members{b: obj}
	for m.next() {
		var c *pathNode
		if verbatim(m.key) {
			c = n.next[string(m.key[1:len(m.key)-1])]
		} else {
			p.key = unquote(m.key, p.key[:0])
			c = n.next[string(p.key)]
		}
		if c == nil {
			continue
		}
		for _, f := range c.fields {
			p.vals[f] = m.val
		}
		if c.next != nil && kindOf(m.val) == kindObject {
			p.walk(c, m.val)
		}
	}
}

// describe names a raw JSON value for an error message: its kind, and the
// value itself when it is short.
func describe(v []byte) string {
	k := kindOf(v)
	switch k {
	case kindObject, kindArray:
		return k.String()
	case kindNull:
		return "null"
	}
	if len(v) > 40 {
		return fmt.Sprintf("%s %s…", k, v[:40])
	}
	return fmt.Sprintf("%s %s", k, v)
}
