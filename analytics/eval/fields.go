package eval

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeFields decodes only the named top-level members of a JSON object,
// skipping the rest in one pass: a query that reads three fields of a
// record does not build the whole record. The values are as Decode's.
// What is skipped is checked for its structure (brackets, strings,
// literals), not decoded; a record that is not an object is an error.
func DecodeFields(data []byte, names map[string]bool) (map[string]any, error) {
	d := fastDecoder{b: data}
	d.space()
	if !d.eat('{') {
		return nil, d.fail("not a JSON object")
	}
	out := make(map[string]any, len(names))
	d.space()
	if d.eat('}') {
		return out, d.end()
	}
	for {
		d.space()
		raw, key, err := d.key()
		if err != nil {
			return nil, err
		}
		d.space()
		if !d.eat(':') {
			return nil, d.fail("expected :")
		}
		d.space()
		// a key without escapes is looked up without a copy
		if (raw != nil && names[string(raw)]) || (raw == nil && names[key]) {
			v, err := d.value(0)
			if err != nil {
				return nil, err
			}
			if raw != nil {
				key = string(raw)
			}
			out[key] = v
		} else if err := d.skip(0); err != nil {
			return nil, err
		}
		d.space()
		if d.eat(',') {
			continue
		}
		if d.eat('}') {
			return out, d.end()
		}
		return nil, d.fail("expected , or }")
	}
}

type fastDecoder struct {
	b []byte
	i int
}

const maxDepth = 256

var errJSON = errors.New("invalid JSON")

func (d *fastDecoder) fail(msg string) error {
	return fmt.Errorf("%w: %s at offset %d", errJSON, msg, d.i)
}

func (d *fastDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDecoder) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *fastDecoder) end() error {
	d.space()
	if d.i != len(d.b) {
		return d.fail("more after the object")
	}
	return nil
}

// key reads an object key: its bytes when it has no escape (raw), else
// the unescaped string.
func (d *fastDecoder) key() (raw []byte, key string, err error) {
	if !d.eat('"') {
		return nil, "", d.fail("expected a string")
	}
	start := d.i
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			return d.b[start : d.i-1], "", nil
		case c == '\\':
			key, err = d.strSlow(start)
			return nil, key, err
		case c < 0x20:
			return nil, "", d.fail("control character in a string")
		}
		d.i++
	}
	return nil, "", d.fail("unterminated string")
}

// str reads a string (the quote at d.i), unescaping it.
func (d *fastDecoder) str() (string, error) {
	if !d.eat('"') {
		return "", d.fail("expected a string")
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := string(d.b[start:d.i])
			d.i++
			return s, nil
		case c == '\\':
			return d.strSlow(start)
		case c < 0x20:
			return "", d.fail("control character in a string")
		}
		d.i++
	}
	return "", d.fail("unterminated string")
}

func (d *fastDecoder) strSlow(start int) (string, error) {
	buf := append([]byte(nil), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(buf) {
				return string([]rune(string(buf))), nil
			}
			return string(buf), nil
		case c < 0x20:
			return "", d.fail("control character in a string")
		case c != '\\':
			buf = append(buf, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			break
		}
		e := d.b[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.fail("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(utf8.RuneError)
				if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
					d.i += 2
					if lo, ok := d.hex4(); ok {
						r2 = utf16.DecodeRune(r, lo)
					}
				}
				r = r2
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", d.fail("bad escape")
		}
	}
	return "", d.fail("unterminated string")
}

func (d *fastDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 16)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}

// value decodes the value at d.i.
func (d *fastDecoder) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.fail("nested too deeply")
	}
	if d.i >= len(d.b) {
		return nil, d.fail("unexpected end")
	}
	switch c := d.b[d.i]; {
	case c == '"':
		return d.str()
	case c == '{':
		d.i++
		m := map[string]any{}
		d.space()
		if d.eat('}') {
			return m, nil
		}
		for {
			d.space()
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			d.space()
			if !d.eat(':') {
				return nil, d.fail("expected :")
			}
			d.space()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[k] = v
			d.space()
			if d.eat(',') {
				continue
			}
			if d.eat('}') {
				return m, nil
			}
			return nil, d.fail("expected , or }")
		}
	case c == '[':
		d.i++
		a := []any{}
		d.space()
		if d.eat(']') {
			return a, nil
		}
		for {
			d.space()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
			d.space()
			if d.eat(',') {
				continue
			}
			if d.eat(']') {
				return a, nil
			}
			return nil, d.fail("expected , or ]")
		}
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []struct {
			s string
			v any
		}{{"true", true}, {"false", false}, {"null", nil}} {
			if len(d.b)-d.i >= len(lit.s) && string(d.b[d.i:d.i+len(lit.s)]) == lit.s {
				d.i += len(lit.s)
				return lit.v, nil
			}
		}
		return nil, d.fail("bad literal")
	default:
		return d.number()
	}
}

func (d *fastDecoder) number() (any, error) {
	start := d.i
	isFloat := false
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c >= '0' && c <= '9':
		case c == '.' || c == 'e' || c == 'E' || c == '+' || (c == '-' && d.i > start):
			isFloat = true
		default:
			goto done
		}
		d.i++
	}
done:
	if d.i == digits {
		return nil, d.fail("expected a value")
	}
	text := d.b[start:d.i]
	if lead := boolInt(text[0] == '-'); len(text) > lead+1 && text[lead] == '0' && text[lead+1] >= '0' && text[lead+1] <= '9' {
		return nil, d.fail("leading zero")
	}
	if !isFloat && len(text) <= 18 {
		// small integers without a copy
		n, neg := int64(0), text[0] == '-'
		for _, c := range text[boolInt(neg):] {
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return n, nil
	}
	if !isFloat {
		if n, err := strconv.ParseInt(string(text), 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		return nil, d.fail("bad number")
	}
	return f, nil
}

// skip passes over the value at d.i, checking its structure.
func (d *fastDecoder) skip(depth int) error {
	if depth > maxDepth {
		return d.fail("nested too deeply")
	}
	if d.i >= len(d.b) {
		return d.fail("unexpected end")
	}
	switch c := d.b[d.i]; c {
	case '"':
		d.i++
		for d.i < len(d.b) {
			switch d.b[d.i] {
			case '\\':
				d.i += 2
				continue
			case '"':
				d.i++
				return nil
			}
			d.i++
		}
		return d.fail("unterminated string")
	case '{', '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		d.i++
		d.space()
		if d.eat(closer) {
			return nil
		}
		for {
			d.space()
			if c == '{' {
				if err := d.skip(depth + 1); err != nil { // the key
					return err
				}
				d.space()
				if !d.eat(':') {
					return d.fail("expected :")
				}
				d.space()
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			d.space()
			if d.eat(',') {
				continue
			}
			if d.eat(closer) {
				return nil
			}
			return d.fail("expected , or a closing bracket")
		}
	default:
		_, err := d.value(depth)
		return err
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
