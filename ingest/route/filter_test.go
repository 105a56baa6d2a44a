package route

import (
	"errors"
	"strings"
	"testing"
)

// matchCases also seed FuzzMatch.
var matchCases = []struct {
	filter, topic string
	want          bool
}{
	// MQTT 5 §4.7.1.2 and §4.7.1.3 examples
	{"sport/tennis/player1/#", "sport/tennis/player1", true},
	{"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
	{"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
	{"sport/#", "sport", true},
	{"#", "sport/tennis", true},
	{"sport/tennis/#", "sport/tennis", true},
	{"sport/tennis/+", "sport/tennis/player1", true},
	{"sport/tennis/+", "sport/tennis/player2", true},
	{"sport/tennis/+", "sport/tennis/player1/ranking", false},
	{"sport/+", "sport", false},
	{"sport/+", "sport/", true},
	{"sport/+", "sport/tennis/player1", false},
	{"+/+", "/finance", true},
	{"/+", "/finance", true},
	{"+", "/finance", false},
	{"+/tennis/#", "sport/tennis", true},
	{"+/tennis/#", "sport/tennis/x/y", true},
	{"+/#", "a", true},
	// §4.7.2: topics beginning with $
	{"#", "$SYS/x", false},
	{"#", "$SYS", false},
	{"+/monitor/Clients", "$SYS/monitor/Clients", false},
	{"$SYS/#", "$SYS/x", true},
	{"$SYS/#", "$SYS", true},
	{"$SYS/monitor/+", "$SYS/monitor/Clients", true},
	{"a/$x/#", "a/$x/b", true},
	{"+/$x", "a/$x", true},
	// literal levels
	{"a/b", "a/b", true},
	{"a/b", "a/b/", false},
	{"a/b", "a/B", false},
	{"a/b", "a", false},
	{"a", "a/b", false},
	{"a//b", "a//b", true},
	{"a/+/b", "a//b", true},
	{"/", "/", true},
	{"+/+", "/", true},
	{"#", "/", true},
	{"a/#", "a/", true},
	{"a/#", "ab", false},
	{"devices/+/telemetry", "devices/7/telemetry", true},
	{"devices/+/telemetry", "devices/7/status", false},
	{"devices/+/telemetry", "devices/7/8/telemetry", false},
	{"ünï/+", "ünï/ç", true},
}

func TestMatch(t *testing.T) {
	for _, c := range matchCases {
		if got := Match(c.filter, c.topic); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.filter, c.topic, got, c.want)
		}
		f := compileFilter(c.filter)
		if got := f.match(c.topic); got != c.want {
			t.Errorf("compiled %q matching %q = %v, want %v", c.filter, c.topic, got, c.want)
		}
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	f := compileFilter("devices/+/telemetry/#")
	n := testing.AllocsPerRun(100, func() {
		Match("devices/+/telemetry/#", "devices/7/telemetry/a/b")
		f.match("devices/7/telemetry/a/b")
	})
	if n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

// badFilters also seed FuzzMatch.
var badFilters = []struct{ filter, why string }{
	{"", "must not be empty"},
	{strings.Repeat("a", MaxTopicLen+1), "longer than 65535"},
	{"a/\xff", "not valid UTF-8"},
	{"a\x00b", "U+0000"},
	{"a/#/b", "'#' at byte 2"},
	{"#/a", "'#' at byte 0"},
	{"a#", "'#' at byte 1"},
	{"a/b#", "'#' at byte 3"},
	{"a/##", "'#' at byte 2"},
	{"a/+b", "'+' at byte 2"},
	{"a+/b", "'+' at byte 1"},
	{"++", "'+' at byte 0"},
	{"a/b/c+", "'+' at byte 5"},
}

func TestValidFilter(t *testing.T) {
	for _, f := range []string{"#", "+", "a", "/", "//", "a/#", "+/+", "+/#", "$SYS/#", "a/+/b", "/+/", "$share/g/a/#",
		strings.Repeat("a", MaxTopicLen), "ü/€/𝄞"} {
		if err := ValidFilter(f); err != nil {
			t.Errorf("ValidFilter(%s) = %v, want nil", quote(f), err)
		}
	}
	for _, c := range badFilters {
		err := ValidFilter(c.filter)
		if !errors.Is(err, ErrInvalidFilter) {
			t.Errorf("ValidFilter(%s) = %v, want ErrInvalidFilter", quote(c.filter), err)
			continue
		}
		if !strings.Contains(err.Error(), c.why) {
			t.Errorf("ValidFilter(%s) = %q, want it to say %q", quote(c.filter), err, c.why)
		}
	}
}

func TestValidTopic(t *testing.T) {
	for _, s := range []string{"a", "/", "a/b", "$SYS/x", "a//b", " ", "ü/€/𝄞", strings.Repeat("a", MaxTopicLen)} {
		if err := ValidTopic(s); err != nil {
			t.Errorf("ValidTopic(%s) = %v, want nil", quote(s), err)
		}
	}
	for _, c := range []struct{ topic, why string }{
		{"", "must not be empty"},
		{strings.Repeat("a", MaxTopicLen+1), "longer than 65535"},
		{"a\xc3", "not valid UTF-8"},
		{"\xed\xa0\x80", "not valid UTF-8"}, // a UTF-16 surrogate, §1.5.4
		{"a\x00", "U+0000"},
		{"a/+", `wildcard '+' at byte 2`},
		{"#", `wildcard '#' at byte 0`},
		{"a/b#", `wildcard '#' at byte 3`},
	} {
		err := ValidTopic(c.topic)
		if !errors.Is(err, ErrInvalidTopic) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("ValidTopic(%s) = %v, want ErrInvalidTopic saying %q", quote(c.topic), err, c.why)
		}
	}
}

func TestQuoteShortens(t *testing.T) {
	long := strings.Repeat("é", 40) // 80 bytes
	q := quote(long)
	if !strings.HasSuffix(q, `"...`) || len(q) > 64+5 {
		t.Errorf("quote(80 bytes) = %s", q)
	}
	if quote("a/b") != `"a/b"` {
		t.Errorf("quote(a/b) = %s", quote("a/b"))
	}
}
