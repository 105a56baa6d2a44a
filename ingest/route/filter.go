package route

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxTopicLen is the longest topic name or filter in bytes: MQTT strings
// carry a 16-bit length (MQTT 3.1.1 §1.5.3, MQTT 5 §1.5.4).
const MaxTopicLen = 65535

// sharePrefix starts a shared subscription (MQTT 5 §4.8.2), which names a
// subscriber group, not a set of topics; it cannot be a route's filter.
const sharePrefix = "$share/"

// ValidFilter checks the syntax of a topic filter (MQTT 3.1.1 §4.7.1,
// §4.7.3; MQTT 5 §4.7.1, §4.7.3): non-empty, at most 65535 bytes of UTF-8
// without U+0000; '#' only as the whole last level; '+' only as a whole
// level. It returns nil or an error wrapping ErrInvalidFilter that quotes
// the filter (shortened if long). "$share/g/f" is accepted: it is
// well-formed; Compile refuses it as a route filter.
func ValidFilter(f string) error {
	if why := stringProblem(f); why != "" {
		return fmt.Errorf("%w %s: %s", ErrInvalidFilter, quote(f), why)
	}
	for rest, pos := f, 0; ; {
		level, more := cutLevel(&rest)
		if strings.IndexByte(level, '#') >= 0 && (level != "#" || more) {
			return fmt.Errorf("%w %s: '#' at byte %d must be alone in the last level, as in \"a/#\"",
				ErrInvalidFilter, quote(f), pos+strings.IndexByte(level, '#'))
		}
		if i := strings.IndexByte(level, '+'); i >= 0 && level != "+" {
			return fmt.Errorf("%w %s: '+' at byte %d must be alone in its level, as in \"a/+/b\"",
				ErrInvalidFilter, quote(f), pos+i)
		}
		if !more {
			return nil
		}
		pos += len(level) + 1
	}
}

// ValidTopic checks the syntax of a topic name (MQTT 3.1.1 §4.7.3, MQTT 5
// §4.7.3): non-empty, at most 65535 bytes of UTF-8 without U+0000, and no
// wildcard ('+' or '#'). It returns nil or an error wrapping
// ErrInvalidTopic that quotes the topic (shortened if long).
func ValidTopic(t string) error {
	if why := stringProblem(t); why != "" {
		return fmt.Errorf("%w %s: %s", ErrInvalidTopic, quote(t), why)
	}
	if i := strings.IndexAny(t, "+#"); i >= 0 {
		return fmt.Errorf("%w %s: wildcard %q at byte %d (only filters may hold wildcards)",
			ErrInvalidTopic, quote(t), t[i], i)
	}
	return nil
}

// stringProblem checks what every topic name and filter must satisfy
// (MQTT 5 §1.5.4, §4.7.3) and says what is wrong, or "".
func stringProblem(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case len(s) > MaxTopicLen:
		return fmt.Sprintf("is %d bytes, longer than %d", len(s), MaxTopicLen)
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "contains U+0000"
	}
	return ""
}

// Match reports whether topic matches filter (MQTT 3.1.1 §4.7, MQTT 5
// §4.7): levels are separated by '/'; a "+" level matches exactly one level
// (which may be empty); a "#" level matches that level and every one after
// it, and also the parent alone ("a/#" matches "a"); any other level must
// equal the topic's level byte for byte. A topic starting with '$' is not
// matched by a filter starting with '+' or '#' (§4.7.2), so "#" does not
// match "$SYS/x" but "$SYS/#" does.
//
// Match does not validate either argument (use ValidFilter and ValidTopic);
// it applies the rules above to any input, never panics and never
// allocates.
func Match(filter, topic string) bool {
	if dollarGuard(filter, topic) {
		return false
	}
	end := false // topic levels used up
	for {
		lv, more := cutLevel(&filter)
		if lv == "#" {
			return true
		}
		if end {
			return false
		}
		var tl string
		tl, end = cutTopic(&topic)
		if lv != "+" && lv != tl {
			return false
		}
		if !more {
			return end
		}
	}
}

// dollarGuard reports whether §4.7.2 keeps filter from matching topic: the
// topic starts with '$' and the filter with a wildcard.
func dollarGuard(filter, topic string) bool {
	return topic != "" && topic[0] == '$' && filter != "" && (filter[0] == '+' || filter[0] == '#')
}

// cutLevel removes the first level from *s and returns it, and whether a
// '/' followed it.
func cutLevel(s *string) (level string, more bool) {
	if i := strings.IndexByte(*s, '/'); i >= 0 {
		level, *s = (*s)[:i], (*s)[i+1:]
		return level, true
	}
	level, *s = *s, ""
	return level, false
}

// cutTopic removes the first level from *s and returns it, and whether it
// was the last one.
func cutTopic(s *string) (level string, last bool) {
	level, more := cutLevel(s)
	return level, !more
}

// filterKind picks the matching strategy of a compiled filter.
type filterKind uint8

const (
	filterExact    filterKind = iota // no wildcard: string equality
	filterAll                        // "#": every topic not starting with '$'
	filterWildcard                   // level by level
)

// filter is a compiled, valid topic filter.
type filter struct {
	raw    string
	kind   filterKind
	levels []string // raw split on '/'; only for filterWildcard
	// prefix is what every matching topic starts with: the literal text
	// before the first wildcard, without the '/' before a final "#" ("a/#"
	// matches "a"). It lets most topics that do not match fail in a few
	// nanoseconds. Only for filterWildcard.
	prefix string
}

// compileFilter splits a valid filter into levels once, so matching does
// not rescan it.
func compileFilter(f string) filter {
	switch {
	case f == "#":
		return filter{raw: f, kind: filterAll}
	case strings.IndexAny(f, "+#") < 0:
		return filter{raw: f, kind: filterExact}
	}
	i := strings.IndexAny(f, "+#")
	prefix := f[:i]
	if f[i] == '#' {
		prefix = strings.TrimSuffix(prefix, "/")
	}
	return filter{raw: f, kind: filterWildcard, levels: strings.Split(f, "/"), prefix: prefix}
}

// match is Match(f.raw, topic), without allocating.
func (f *filter) match(topic string) bool {
	switch f.kind {
	case filterExact:
		return topic == f.raw
	case filterAll:
		return topic == "" || topic[0] != '$'
	}
	if !strings.HasPrefix(topic, f.prefix) || dollarGuard(f.raw, topic) {
		return false
	}
	end := false
	for _, lv := range f.levels {
		if lv == "#" {
			return true
		}
		if end {
			return false
		}
		var tl string
		tl, end = cutTopic(&topic)
		if lv != "+" && lv != tl {
			return false
		}
	}
	return end
}

// quote returns s in double quotes for an error message, shortened to its
// first 64 bytes (at a rune boundary) and "..." when longer.
func quote(s string) string {
	const max = 64
	if len(s) <= max {
		return fmt.Sprintf("%q", s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q...", s[:cut])
}
