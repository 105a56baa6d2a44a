package route

import (
	"unicode/utf8"
)

// maxJSONFields bounds the distinct {json.…} fields one key template may
// use, so a scan keeps its findings in a fixed array on the stack.
const maxJSONFields = 8

// maxJSONDepth is encoding/json's nesting limit: json.Valid refuses a
// document with more than 10000 nested arrays and objects.
const maxJSONDepth = 10000

// span is a value's bytes in the payload, [start, end); end == 0 means not
// found (no JSON value is empty).
type span struct{ start, end int }

// jsonScan validates a payload in one pass and, on the way, finds the
// values at the wanted object paths. It is the package's only JSON parser,
// so "valid JSON" means the same thing to RequireJSON, Envelope and
// {json.…}: what json.Valid accepts (RFC 8259 §2-§7, at most 10000 levels
// of nesting) and, in addition, valid UTF-8 (RFC 8259 §8.1), which
// json.Valid does not check. Without the second condition an envelope could
// embed bytes that are not UTF-8 and so not JSON to most consumers.
//
// The zero value with paths set is ready; scan it once.
type jsonScan struct {
	data  []byte
	pos   int
	depth int
	paths [][]string // wanted object paths, at most maxJSONFields
	found [maxJSONFields]span
}

// validJSON reports whether p is valid JSON in the sense of jsonScan.
func validJSON(p []byte) bool {
	var s jsonScan
	return s.scan(p)
}

// scan validates data and records the wanted values. When it returns
// false, found is cleared: a payload that is not JSON has no fields.
func (s *jsonScan) scan(data []byte) bool {
	s.data, s.pos, s.depth = data, 0, 0
	s.found = [maxJSONFields]span{}
	s.ws()
	ok := s.value(uint32(1)<<len(s.paths)-1, 0)
	if ok {
		s.ws()
		ok = s.pos == len(s.data)
	}
	if !ok {
		s.found = [maxJSONFields]span{}
	}
	return ok
}

// value parses one value. Paths in mask matched the first level keys of
// the enclosing objects; they only matter if this value is an object.
func (s *jsonScan) value(mask uint32, level int) bool {
	if s.pos >= len(s.data) {
		return false
	}
	switch c := s.data[s.pos]; c {
	case '{':
		return s.object(mask, level)
	case '[':
		return s.array()
	case '"':
		_, ok := s.str()
		return ok
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return s.number()
		}
		return false
	}
}

func (s *jsonScan) ws() {
	data, pos := s.data, s.pos
	for pos < len(data) && (data[pos] == ' ' || data[pos] == '\n' || data[pos] == '\t' || data[pos] == '\r') {
		pos++
	}
	s.pos = pos
}

func (s *jsonScan) literal(lit string) bool {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return false
	}
	s.pos += len(lit)
	return true
}

// number parses RFC 8259 §6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScan) number() bool {
	if s.data[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(s.data) && s.data[s.pos] == '0':
		s.pos++
	case s.digits() == 0:
		return false
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return false
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

func (s *jsonScan) digits() int {
	data, pos := s.data, s.pos
	for pos < len(data) && data[pos] >= '0' && data[pos] <= '9' {
		pos++
	}
	n := pos - s.pos
	s.pos = pos
	return n
}

// str parses a string (RFC 8259 §7) starting at its opening quote and
// reports whether it holds an escape.
func (s *jsonScan) str() (escaped, ok bool) {
	s.pos++ // opening quote
	for s.pos < len(s.data) {
		// the common case: a run of printable ASCII
		data, pos := s.data, s.pos
		for pos < len(data) && plainASCII[data[pos]] {
			pos++
		}
		s.pos = pos
		if pos == len(data) {
			break
		}
		c := data[pos]
		switch {
		case c == '"':
			s.pos++
			return escaped, true
		case c == '\\':
			escaped = true
			if s.pos+1 >= len(s.data) {
				return false, false
			}
			switch s.data[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if len(s.data)-s.pos < 6 {
					return false, false
				}
				for _, h := range s.data[s.pos+2 : s.pos+6] {
					if unhex(h) < 0 {
						return false, false
					}
				}
				s.pos += 6
			default:
				return false, false
			}
		case c < 0x20:
			return false, false
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, n := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && n == 1 {
				return false, false
			}
			s.pos += n
		}
	}
	return false, false
}

// plainASCII marks the bytes a JSON string holds as themselves: ASCII
// from U+0020 on, except '"' and '\\'.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (s *jsonScan) array() bool {
	if s.depth++; s.depth > maxJSONDepth {
		return false
	}
	s.pos++ // '['
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		s.depth--
		return true
	}
	for {
		if !s.value(0, 0) {
			return false
		}
		s.ws()
		if s.pos >= len(s.data) {
			return false
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
			s.ws()
		case ']':
			s.pos++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// object parses an object whose members are at path depth level; for each
// member it narrows mask to the paths continuing with the member's name,
// and records the member's value for those that end there. A name that
// occurs twice counts only its last value, and what lies below it, as
// json.Unmarshal into a map keeps the last.
func (s *jsonScan) object(mask uint32, level int) bool {
	if s.depth++; s.depth > maxJSONDepth {
		return false
	}
	s.pos++ // '{'
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		s.depth--
		return true
	}
	for {
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return false
		}
		nameStart := s.pos + 1
		escaped, ok := s.str()
		if !ok {
			return false
		}
		var sub, ends uint32
		if mask != 0 {
			name := s.data[nameStart : s.pos-1]
			for i := 0; mask>>i != 0; i++ {
				if mask&(1<<i) == 0 {
					continue
				}
				p := s.paths[i]
				if level < len(p) && nameEquals(name, escaped, p[level]) {
					if level == len(p)-1 {
						ends |= 1 << i
					} else {
						sub |= 1 << i
					}
				}
			}
		}
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return false
		}
		s.pos++
		s.ws()
		// A repeated name replaces the earlier value and all below it.
		for i := 0; (sub|ends)>>i != 0; i++ {
			if (sub|ends)&(1<<i) != 0 {
				s.found[i] = span{}
			}
		}
		start := s.pos
		if !s.value(sub, level+1) {
			return false
		}
		for i := 0; ends>>i != 0; i++ {
			if ends&(1<<i) != 0 {
				s.found[i] = span{start, s.pos}
			}
		}
		s.ws()
		if s.pos >= len(s.data) {
			return false
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
			s.ws()
		case '}':
			s.pos++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// nameEquals reports whether the raw contents of a valid JSON string
// (between its quotes) decode to want.
func nameEquals(raw []byte, escaped bool, want string) bool {
	if !escaped {
		return string(raw) == want
	}
	var buf [64]byte
	dec := appendUnquoted(buf[:0], raw, len(want)+1)
	return string(dec) == want
}

// unhex returns the value of a hex digit, or -1.
func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// appendUnquoted appends the decoded contents of a valid JSON string (raw
// is what lies between the quotes) to dst, stopping once dst holds limit
// bytes or more. Escapes decode as in encoding/json: a \u escape of a lone
// UTF-16 surrogate becomes U+FFFD.
func appendUnquoted(dst, raw []byte, limit int) []byte {
	for i := 0; i < len(raw) && len(dst) < limit; {
		c := raw[i]
		if c != '\\' {
			j := i + 1
			for j < len(raw) && raw[j] != '\\' {
				j++
			}
			dst = appendCapped(dst, raw[i:j], limit)
			i = j
			continue
		}
		switch e := raw[i+1]; e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(raw[i+2:])
			i += 6
			if utf16IsSurrogate(r) {
				r2 := rune(-1)
				if r < 0xDC00 && i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = hex4(raw[i+2:])
				}
				if r < 0xDC00 && r2 >= 0xDC00 && r2 <= 0xDFFF {
					r = (r-0xD800)<<10 | (r2 - 0xDC00) + 0x10000
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, e)
		}
		i += 2
	}
	return dst
}

func hex4(b []byte) rune {
	return rune(unhex(b[0])<<12 | unhex(b[1])<<8 | unhex(b[2])<<4 | unhex(b[3]))
}

func utf16IsSurrogate(r rune) bool { return r >= 0xD800 && r <= 0xDFFF }

// appendCompact appends the valid JSON value raw without the whitespace
// between tokens (as json.Compact), stopping once dst holds limit bytes or
// more.
func appendCompact(dst, raw []byte, limit int) []byte {
	inStr := false
	for i := 0; i < len(raw) && len(dst) < limit; i++ {
		c := raw[i]
		switch {
		case inStr:
			switch c {
			case '\\':
				dst = append(dst, c)
				i++
				c = raw[i]
			case '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == ' ', c == '\t', c == '\n', c == '\r':
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// appendCapped appends as much of src to dst as fits under limit bytes.
func appendCapped[S ~string | ~[]byte](dst []byte, src S, limit int) []byte {
	if room := limit - len(dst); len(src) > room {
		if room <= 0 {
			return dst
		}
		src = src[:room]
	}
	return append(dst, src...)
}
