package route

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// mustRoute compiles one rule with filter "#" and routes m through it.
func mustRoute(t testing.TB, r Rule, m Message) Result {
	t.Helper()
	if r.Filter == "" {
		r.Filter = "#"
	}
	if r.Stream == "" {
		r.Stream = "s"
	}
	tab, err := Compile([]Rule{r})
	if err != nil {
		t.Fatalf("Compile(%+v): %v", r, err)
	}
	res, ok := tab.Route(m)
	if !ok {
		t.Fatalf("rule %+v did not match %q", r, m.Topic)
	}
	return res
}

// keyCases also seed FuzzTemplate.
var keyCases = []struct {
	name     string
	key      string
	topic    string
	client   string
	payload  string
	want     string // the key, or the Reject if reject is set
	rejected bool
}{
	{"default", "", "devices/7/telemetry", "", "x", "devices/7/telemetry", false},
	{"topic", "{topic}", "a/b", "", "", "a/b", false},
	{"topic level 0", "{topic.0}", "devices/7/telemetry", "", "", "devices", false},
	{"topic level 1", "dev-{topic.1}", "devices/7/telemetry", "", "", "dev-7", false},
	{"topic level 2", "{topic.2}", "devices/7/telemetry", "", "", "telemetry", false},
	{"topic level out of range", "x{topic.3}y", "devices/7/telemetry", "", "", "xy", false},
	{"topic level empty", "{topic.1}", "a//b", "", "", "", true},
	{"topic level leading slash", "{topic.1}", "/finance", "", "", "finance", false},
	{"two levels", "{topic.1}:{topic.0}", "a/b/c", "", "", "b:a", false},
	{"client_id", "{client_id}", "t", "sensor-9", "", "sensor-9", false},
	{"client_id empty", "{client_id}", "t", "", "", "", true},
	{"literal", "fixed", "t", "", "", "fixed", false},
	{"escapes", "{{{topic}}}-{{x}}", "a/b", "", "", "{a/b}-{x}", false},
	{"only escapes", "{{}}", "a", "", "", "{}", false},
	{"json string", "{json.device_id}", "t", "", `{"device_id":"d-17","x":1}`, "d-17", false},
	{"json nested", "{json.meta.site}/{json.n}", "t", "", `{"meta":{"site":"north","z":[1]},"n":3}`, "north/3", false},
	{"json number text", "{json.n}", "t", "", `{"n": -1.50e+3 }`, "-1.50e+3", false},
	{"json bool", "{json.ok}", "t", "", `{"ok":true}`, "true", false},
	{"json null", "a{json.v}", "t", "", `{"v":null}`, "a", false},
	{"json object compact", "{json.o}", "t", "", "{\"o\": {\"a\" : [1, 2, \"x y\"],\n\"b\":{}} }", `{"a":[1,2,"x y"],"b":{}}`, false},
	{"json array", "{json.a}", "t", "", `{"a":[ true , null ]}`, "[true,null]", false},
	{"json escapes", "{json.s}", "t", "", `{"s":"a\"b\\c\u00e9\ud834\udd1e\ud800x\n"}`, "a\"b\\cé𝄞\uFFFDx\n", false},
	{"json escaped name", "{json.key}", "t", "", `{"k\u0065y":"v"}`, "v", false},
	{"json last duplicate wins", "{json.a}", "t", "", `{"a":"1","a":"2"}`, "2", false},
	{"json same field twice", "{json.a}-{json.a}", "t", "", `{"a":"x"}`, "x-x", false},
	{"json missing with literal", "k-{json.nope}", "t", "", `{"a":1}`, "k-", false},
	{"json missing", "{json.nope}", "t", "", `{"a":1}`, `route 0 (#): partition key template "{json.nope}" resolved to an empty key`, true},
	{"json not an object", "{json.a.b}", "t", "", `{"a":[{"b":1}]}`, `route 0 (#): partition key template "{json.a.b}" resolved to an empty key`, true},
	{"json top level array", "{json.a}", "t", "", `[{"a":1}]`, `route 0 (#): partition key template "{json.a}" resolved to an empty key`, true},
	{"json non-JSON payload", "{json.a}", "t", "", `{"a":"x"`, `route 0 (#): partition key template "{json.a}" resolved to an empty key`, true},
	{"json payload not UTF-8", "{json.a}", "t", "", "{\"a\":\"x\",\"b\":\"\xe9\"}", `route 0 (#): partition key template "{json.a}" resolved to an empty key`, true},
	{"json empty payload", "{json.a}", "t", "", ``, `route 0 (#): partition key template "{json.a}" resolved to an empty key`, true},
	{"json empty string", "{json.a}", "t", "", `{"a":""}`, `route 0 (#): partition key template "{json.a}" resolved to an empty key`, true},
	{"empty topic", "{topic}", "", "", "", `route 0 (#): partition key template "{topic}" resolved to an empty key`, true},
	{"invalid UTF-8 topic", "{topic}", "a\xffb\xc3", "", "", "a\uFFFDb\uFFFD", false},
	{"invalid UTF-8 each byte", "{client_id}", "t", "\xed\xa0\x80", "", "\uFFFD\uFFFD\uFFFD", false},
	{"truncated", "{topic}", strings.Repeat("é", 300), "", "", strings.Repeat("é", 256), false},
	{"truncated mixed", "x{topic}", strings.Repeat("€", 300), "", "", "x" + strings.Repeat("€", 255), false},
	{"truncated invalid", "{topic}", strings.Repeat("\xff", 2000), "", "", strings.Repeat("\uFFFD", 256), false},
	{"truncated json", "{json.a}", "t", "", `{"a":"` + strings.Repeat("𝄞", 3000) + `"}`, strings.Repeat("𝄞", 256), false},
	{"exactly 256", "{topic}", strings.Repeat("a", 256), "", "", strings.Repeat("a", 256), false},
}

func TestKeyTemplates(t *testing.T) {
	for _, c := range keyCases {
		t.Run(c.name, func(t *testing.T) {
			res := mustRoute(t, Rule{Key: c.key}, Message{Topic: c.topic, ClientID: c.client, Payload: []byte(c.payload)})
			if c.rejected {
				if res.Reject == "" || (strings.HasPrefix(c.want, "route ") && res.Reject != c.want) {
					t.Fatalf("Reject = %q, key %q; want Reject %q", res.Reject, res.PartitionKey, c.want)
				}
				if res.PartitionKey != "" || res.Data != nil {
					t.Errorf("rejected result has key %q, data %q", res.PartitionKey, res.Data)
				}
				return
			}
			if res.Reject != "" {
				t.Fatalf("Reject = %q, want key %q", res.Reject, c.want)
			}
			if res.PartitionKey != c.want {
				t.Errorf("key = %q, want %q", res.PartitionKey, c.want)
			}
			if n := utf8.RuneCountInString(res.PartitionKey); n < 1 || n > MaxKeyRunes || !utf8.ValidString(res.PartitionKey) {
				t.Errorf("key of %d runes, valid UTF-8 %v", n, utf8.ValidString(res.PartitionKey))
			}
		})
	}
}

func TestRandomKey(t *testing.T) {
	hex16 := regexp.MustCompile(`^r-[0-9a-f]{16}-7$`)
	seen := map[string]bool{}
	for range 100 {
		res := mustRoute(t, Rule{Key: "r-{random}-{topic.1}"}, Message{Topic: "d/7"})
		if !hex16.MatchString(res.PartitionKey) {
			t.Fatalf("key %q does not match %s", res.PartitionKey, hex16)
		}
		seen[res.PartitionKey] = true
	}
	if len(seen) < 95 {
		t.Errorf("only %d distinct keys in 100", len(seen))
	}
}

// badTemplates also seed FuzzTemplate.
var badTemplates = []struct{ key, msg string }{
	{"{jsn.x}", "unknown placeholder {jsn.x}"},
	{"{Topic}", "unknown placeholder {Topic}"},
	{"{ topic }", "unknown placeholder { topic }"},
	{"{topic.}", "placeholder {topic.}: the topic level must be a number from 0 to 65535"},
	{"{topic.-1}", "placeholder {topic.-1}: the topic level must be a number from 0 to 65535"},
	{"{topic.+1}", "placeholder {topic.+1}: the topic level must be a number from 0 to 65535"},
	{"{topic.01}", "placeholder {topic.01}: the topic level must be a number from 0 to 65535"},
	{"{topic.65536}", "placeholder {topic.65536}: the topic level must be a number from 0 to 65535"},
	{"{topic.x}", "placeholder {topic.x}: the topic level must be a number from 0 to 65535"},
	{"{json}", "placeholder {json} needs a field, as in {json.device_id}"},
	{"{json.}", "placeholder {json.} has an empty field name"},
	{"{json.a..b}", "placeholder {json.a..b} has an empty field name"},
	{"{json.a.}", "placeholder {json.a.} has an empty field name"},
	{"{}", "empty placeholder {}: use {topic}, {topic.N}, {json.FIELD}, {client_id} or {random}"},
	{"a{topic", `unclosed "{" at byte 1 (write "{{" for a literal brace)`},
	{"{", `unclosed "{" at byte 0 (write "{{" for a literal brace)`},
	{"{a{topic}", `unclosed "{" at byte 0 (write "{{" for a literal brace)`},
	{"a}b", `unmatched "}" at byte 1 (write "}}" for a literal brace)`},
	{"{topic}}", `unmatched "}" at byte 7 (write "}}" for a literal brace)`},
	{"k\xff", `template "k\xff" is not valid UTF-8`},
	{"{json.a}{json.b}{json.c}{json.d}{json.e}{json.f}{json.g}{json.h}{json.i}", "placeholder {json.i}: a template may use at most 8 distinct JSON fields"},
}

func TestTemplateErrors(t *testing.T) {
	for _, c := range badTemplates {
		_, err := Compile([]Rule{{Filter: "#", Stream: "s", Key: c.key}})
		var errs *Errors
		if !errors.As(err, &errs) || len(*errs) != 1 {
			t.Errorf("Compile(key %q) = %v, want one *RuleError", c.key, err)
			continue
		}
		re := (*errs)[0]
		if re.Index != 0 || re.Field != "key" || re.Msg != c.msg || !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Compile(key %q) = %+v, want key error %q", c.key, re, c.msg)
		}
	}
	// eight distinct fields are fine, and repeats do not count
	if _, err := Compile([]Rule{{Filter: "#", Stream: "s", Key: "{json.a}{json.b}{json.c}{json.d}{json.e}{json.f}{json.g}{json.h}{json.a}"}}); err != nil {
		t.Errorf("eight fields: %v", err)
	}
}

func TestTopicLevel(t *testing.T) {
	for _, c := range []struct {
		topic string
		n     int
		want  string
	}{
		{"a/b/c", 0, "a"}, {"a/b/c", 2, "c"}, {"a/b/c", 3, ""}, {"", 0, ""}, {"/", 1, ""}, {"a", 0, "a"}, {"a/", 1, ""}, {"a", 65535, ""},
	} {
		if got := topicLevel(c.topic, c.n); got != c.want {
			t.Errorf("topicLevel(%q, %d) = %q, want %q", c.topic, c.n, got, c.want)
		}
	}
}

func TestFinishKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"a\xffb", "a\uFFFDb"},
		{"\xe2\x82", "\uFFFD\uFFFD"},
		{strings.Repeat("a", 257), strings.Repeat("a", 256)},
		{strings.Repeat("\xff", 257), strings.Repeat("\uFFFD", 256)},
		{strings.Repeat("𝄞", 255) + "\xf0\x9d", strings.Repeat("𝄞", 255) + "\uFFFD"},
		// the cut at maxKeyBytes splits the last rune; it lies past 256 runes anyway
		{strings.Repeat("ab", 510) + "€€", strings.Repeat("ab", 128)},
	} {
		if got := finishKey(c.in); got != c.want {
			t.Errorf("finishKey(%s) = %s, want %s", quote(c.in), quote(got), quote(c.want))
		}
	}
}
