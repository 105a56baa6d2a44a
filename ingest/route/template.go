package route

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxKeyRunes is the longest partition key, in Unicode characters (the
// Kinesis limit, shared/spec/kinesis.md, PutRecord); longer keys are truncated.
const MaxKeyRunes = 256

// maxKeyBytes is as many bytes as MaxKeyRunes characters can come from:
// each character of a key consumes at most 4 bytes of rendered text (a
// UTF-8 sequence, or 1 invalid byte that becomes U+FFFD). Rendering stops
// there, which bounds the work and memory a huge JSON field can cost
// without changing the truncated key.
const maxKeyBytes = 4 * MaxKeyRunes

// defaultKey is the template of a Rule whose Key is "".
const defaultKey = "{topic}"

type segKind uint8

const (
	segLiteral    segKind = iota // lit
	segTopic                     // {topic}
	segTopicLevel                // {topic.N}: n = N
	segJSON                      // {json.a.b}: n = index in template.paths
	segClientID                  // {client_id}
	segRandom                    // {random}
)

type segment struct {
	kind segKind
	lit  string
	n    int
}

// template is a compiled partition key template: literal text and
// placeholders, in order.
type template struct {
	src   string
	segs  []segment
	paths [][]string // distinct {json.…} paths, at most maxJSONFields
}

// parseTemplate compiles src. Its error message is meant to follow
// "routes[i].key: ", e.g. "unknown placeholder {jsn.x}".
func parseTemplate(src string) (*template, error) {
	t := &template{src: src}
	if !utf8.ValidString(src) {
		return nil, fmt.Errorf("template %s is not valid UTF-8", quote(src))
	}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.segs = append(t.segs, segment{kind: segLiteral, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '{' && i+1 < len(src) && src[i+1] == '{', c == '}' && i+1 < len(src) && src[i+1] == '}':
			lit.WriteByte(c)
			i += 2
		case c == '}':
			return nil, fmt.Errorf(`unmatched "}" at byte %d (write "}}" for a literal brace)`, i)
		case c == '{':
			end := strings.IndexByte(src[i+1:], '}')
			if end < 0 {
				return nil, fmt.Errorf(`unclosed "{" at byte %d (write "{{" for a literal brace)`, i)
			}
			name := src[i+1 : i+1+end]
			if j := strings.IndexByte(name, '{'); j >= 0 {
				return nil, fmt.Errorf(`unclosed "{" at byte %d (write "{{" for a literal brace)`, i)
			}
			seg, err := t.placeholder(name)
			if err != nil {
				return nil, err
			}
			flush()
			t.segs = append(t.segs, seg)
			i += end + 2
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return t, nil
}

// placeholder compiles the name between braces.
func (t *template) placeholder(name string) (segment, error) {
	switch {
	case name == "":
		return segment{}, fmt.Errorf("empty placeholder {}: use {topic}, {topic.N}, {json.FIELD}, {client_id} or {random}")
	case name == "topic":
		return segment{kind: segTopic}, nil
	case name == "client_id":
		return segment{kind: segClientID}, nil
	case name == "random":
		return segment{kind: segRandom}, nil
	case strings.HasPrefix(name, "topic."):
		d := name[len("topic."):]
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > MaxTopicLen || d[0] < '0' || d[0] > '9' || (len(d) > 1 && d[0] == '0') {
			return segment{}, fmt.Errorf("placeholder {%s}: the topic level must be a number from 0 to %d", name, MaxTopicLen)
		}
		return segment{kind: segTopicLevel, n: n}, nil
	case name == "json":
		return segment{}, fmt.Errorf("placeholder {json} needs a field, as in {json.device_id}")
	case strings.HasPrefix(name, "json."):
		path := strings.Split(name[len("json."):], ".")
		for _, p := range path {
			if p == "" {
				return segment{}, fmt.Errorf("placeholder {%s} has an empty field name", name)
			}
		}
		for i, q := range t.paths {
			if strings.Join(q, ".") == strings.Join(path, ".") {
				return segment{kind: segJSON, n: i}, nil
			}
		}
		if len(t.paths) == maxJSONFields {
			return segment{}, fmt.Errorf("placeholder {%s}: a template may use at most %d distinct JSON fields", name, maxJSONFields)
		}
		t.paths = append(t.paths, path)
		return segment{kind: segJSON, n: len(t.paths) - 1}, nil
	}
	return segment{}, fmt.Errorf("unknown placeholder {%s}", name)
}

// usesJSON reports whether rendering needs the payload parsed.
func (t *template) usesJSON() bool { return len(t.paths) > 0 }

// key renders the partition key for m. sc holds the scan of m.Payload
// (valid tells whether it was JSON); it is only read if the template uses
// JSON fields. The result is valid UTF-8 of at most MaxKeyRunes characters,
// or "" (the caller rejects the message).
//
// A template that is one {topic}, {topic.N}, {client_id} or literal does
// not allocate unless the text needs repairing (invalid UTF-8); others
// allocate the key once.
func (t *template) key(m *Message, sc *jsonScan, valid bool) string {
	if len(t.segs) == 1 {
		switch s := &t.segs[0]; s.kind {
		case segLiteral:
			return finishKey(s.lit)
		case segTopic:
			return finishKey(m.Topic)
		case segTopicLevel:
			return finishKey(topicLevel(m.Topic, s.n))
		case segClientID:
			return finishKey(m.ClientID)
		}
	}
	var arr [128]byte // most keys fit; a longer one grows onto the heap
	buf := arr[:0]
	for i := range t.segs {
		s := &t.segs[i]
		switch s.kind {
		case segLiteral:
			buf = appendCapped(buf, s.lit, maxKeyBytes)
		case segTopic:
			buf = appendCapped(buf, m.Topic, maxKeyBytes)
		case segTopicLevel:
			buf = appendCapped(buf, topicLevel(m.Topic, s.n), maxKeyBytes)
		case segClientID:
			buf = appendCapped(buf, m.ClientID, maxKeyBytes)
		case segRandom:
			var h [16]byte
			x := rand.Uint64()
			for j := range h {
				h[j] = hexDigits[x>>60]
				x <<= 4
			}
			buf = appendCapped(buf, h[:], maxKeyBytes)
		case segJSON:
			if sp := sc.found[s.n]; valid && sp.end > 0 {
				buf = appendJSONText(buf, m.Payload[sp.start:sp.end], maxKeyBytes)
			}
		}
		if len(buf) >= maxKeyBytes {
			break
		}
	}
	if len(buf) == 0 {
		return ""
	}
	return finishKey(string(buf))
}

const hexDigits = "0123456789abcdef"

// appendJSONText appends a JSON value as key text: a string's contents
// decoded, null as nothing, anything else (number, true, false, object,
// array) as its compact JSON text.
func appendJSONText(dst, raw []byte, limit int) []byte {
	switch raw[0] {
	case '"':
		return appendUnquoted(dst, raw[1:len(raw)-1], limit)
	case 'n':
		return dst
	case '{', '[':
		return appendCompact(dst, raw, limit)
	}
	return appendCapped(dst, raw, limit)
}

// topicLevel returns level n (0-based) of topic, or "" if it has fewer
// levels.
func topicLevel(topic string, n int) string {
	for ; n > 0; n-- {
		i := strings.IndexByte(topic, '/')
		if i < 0 {
			return ""
		}
		topic = topic[i+1:]
	}
	if i := strings.IndexByte(topic, '/'); i >= 0 {
		return topic[:i]
	}
	return topic
}

// finishKey makes s a partition key: each byte that is not part of valid
// UTF-8 becomes U+FFFD, then the result is cut to MaxKeyRunes characters.
// It allocates only to repair invalid UTF-8.
func finishKey(s string) string {
	if len(s) > maxKeyBytes {
		s = s[:maxKeyBytes] // keeps the first MaxKeyRunes characters intact
	}
	s = toValidUTF8(s)
	if len(s) <= MaxKeyRunes {
		return s
	}
	n := 0
	for i := range s {
		if n == MaxKeyRunes {
			return s[:i]
		}
		n++
	}
	return s
}

// toValidUTF8 returns s with each byte that is not part of valid UTF-8
// replaced by U+FFFD (unlike strings.ToValidUTF8, which replaces runs). It
// allocates only if s is not valid.
func toValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b)
}
