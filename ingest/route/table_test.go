package route

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFirstMatchWins(t *testing.T) {
	tab, err := Compile([]Rule{
		{Filter: "devices/+/telemetry", Stream: "telemetry", Key: "{topic.1}"},
		{Filter: "devices/7/#", Stream: "dev7"},
		{Filter: "devices/#", Stream: "devices", Key: "d"},
		{Filter: "$SYS/#", Stream: "sys"},
		{Filter: "#", Stream: "rest"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		topic  string
		rule   int
		stream string
		key    string
	}{
		{"devices/7/telemetry", 0, "telemetry", "7"},
		{"devices/7/status", 1, "dev7", "devices/7/status"},
		{"devices/7", 1, "dev7", "devices/7"},
		{"devices/8/status", 2, "devices", "d"},
		{"devices", 2, "devices", "d"},
		{"$SYS/uptime", 3, "sys", "$SYS/uptime"},
		{"other", 4, "rest", "other"},
	} {
		res, ok := tab.Route(Message{Topic: c.topic, Payload: []byte("p")})
		if !ok || res.Rule != c.rule || res.Stream != c.stream || res.PartitionKey != c.key || res.Reject != "" || string(res.Data) != "p" {
			t.Errorf("Route(%q) = %+v, %v; want rule %d, stream %q, key %q", c.topic, res, ok, c.rule, c.stream, c.key)
		}
	}
	if res, ok := tab.Route(Message{Topic: "$other/x"}); ok {
		t.Errorf("Route($other/x) = %+v, want no match", res)
	}
}

func TestNoMatch(t *testing.T) {
	tab, err := Compile(nil)
	if err != nil || tab.Len() != 0 {
		t.Fatalf("Compile(nil) = %v, %v", tab, err)
	}
	if _, ok := tab.Route(Message{Topic: "a"}); ok {
		t.Error("empty table matched")
	}
	var nilTab *Table
	if _, ok := nilTab.Route(Message{Topic: "a"}); ok || nilTab.Len() != 0 {
		t.Error("nil table matched")
	}
}

func TestRawPayloadIsAliased(t *testing.T) {
	p := []byte("hello")
	res := mustRoute(t, Rule{}, Message{Topic: "t", Payload: p})
	if &res.Data[0] != &p[0] || len(res.Data) != len(p) {
		t.Error("Data is not the payload slice")
	}
}

func TestChecks(t *testing.T) {
	const name = "route 0 (devices/+/telemetry): "
	big := strings.Repeat("x", 300000)
	for _, c := range []struct {
		name    string
		rule    Rule
		payload string
		reject  string
	}{
		{"too large", Rule{MaxPayload: 262144}, big, name + "payload is 300000 bytes, max_payload is 262144"},
		{"at the limit", Rule{MaxPayload: 3}, "abc", ""},
		{"one over", Rule{MaxPayload: 3}, "abcd", name + "payload is 4 bytes, max_payload is 3"},
		{"no limit", Rule{}, big, ""},
		{"size wins over JSON", Rule{MaxPayload: 3, RequireJSON: true}, "abcd", name + "payload is 4 bytes, max_payload is 3"},
		{"size wins over key", Rule{MaxPayload: 3, Key: "{json.x}"}, "abcd", name + "payload is 4 bytes, max_payload is 3"},
		{"not JSON", Rule{RequireJSON: true}, "{", name + "payload is not valid JSON"},
		{"empty is not JSON", Rule{RequireJSON: true}, "", name + "payload is not valid JSON"},
		{"JSON but not UTF-8", Rule{RequireJSON: true}, "\"\xe9\"", name + "payload is not valid JSON"},
		{"JSON ok", Rule{RequireJSON: true}, ` {"a":1} `, ""},
		{"JSON scalar ok", Rule{RequireJSON: true}, `42`, ""},
		{"JSON wins over key", Rule{RequireJSON: true, Key: "{json.x}"}, "nope", name + "payload is not valid JSON"},
		{"key last", Rule{RequireJSON: true, Key: "{json.x}"}, `{"y":1}`, name + `partition key template "{json.x}" resolved to an empty key`},
		{"key with JSON ok", Rule{RequireJSON: true, Key: "{json.x}"}, `{"x":1}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.rule
			r.Filter = "devices/+/telemetry"
			res := mustRoute(t, r, Message{Topic: "devices/7/telemetry", Payload: []byte(c.payload)})
			if res.Reject != c.reject {
				t.Fatalf("Reject = %q, want %q", res.Reject, c.reject)
			}
			if res.Rule != 0 || res.Stream != "s" {
				t.Errorf("rule %d, stream %q", res.Rule, res.Stream)
			}
			if c.reject != "" && (res.Data != nil || res.PartitionKey != "") {
				t.Errorf("rejected with key %q and %d bytes of data", res.PartitionKey, len(res.Data))
			}
			if c.reject == "" && (string(res.Data) != c.payload || res.PartitionKey == "") {
				t.Errorf("accepted with key %q and data %q", res.PartitionKey, res.Data)
			}
		})
	}
}

func TestCompileReportsEveryError(t *testing.T) {
	_, err := Compile([]Rule{
		{Filter: "ok/#", Stream: "fine"},
		{Filter: "a/#/b", Stream: "bad name", Key: "{jsn.x}", MaxPayload: -1},
		{Filter: "$share/g/a/#", Stream: "ok"},
		{Filter: "x", Stream: strings.Repeat("s", 129), Key: "{topic"},
		{Filter: "", Stream: ""},
	})
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Compile = %v, want *Errors", err)
	}
	want := []struct {
		index    int
		field    string
		msg      string
		sentinel error
	}{
		{1, "filter", `invalid topic filter "a/#/b": '#' at byte 2 must be alone in the last level, as in "a/#"`, ErrInvalidFilter},
		{1, "stream", `invalid stream name "bad name": ' ' at byte 3 is not one of [a-zA-Z0-9_.-]`, ErrInvalidStream},
		{1, "key", "unknown placeholder {jsn.x}", ErrInvalidKey},
		{1, "max_payload", "must be 0 (no limit) or a positive number of bytes, got -1", ErrInvalidMaxPayload},
		{2, "filter", `invalid topic filter "$share/g/a/#": a shared subscription cannot be a route; use the filter after $share/GROUP/`, ErrInvalidFilter},
		{3, "stream", `invalid stream name "` + strings.Repeat("s", 64) + `"...: must be 1 to 128 characters of [a-zA-Z0-9_.-]`, ErrInvalidStream},
		{3, "key", `unclosed "{" at byte 0 (write "{{" for a literal brace)`, ErrInvalidKey},
		{4, "filter", `invalid topic filter "": must not be empty`, ErrInvalidFilter},
		{4, "stream", `invalid stream name "": must be 1 to 128 characters of [a-zA-Z0-9_.-]`, ErrInvalidStream},
	}
	if len(*errs) != len(want) {
		t.Fatalf("%d errors, want %d:\n%v", len(*errs), len(want), err)
	}
	for i, w := range want {
		re := (*errs)[i]
		if re.Index != w.index || re.Field != w.field || re.Msg != w.msg || !errors.Is(re, w.sentinel) {
			t.Errorf("error %d = %d %s %q (%v), want %d %s %q", i, re.Index, re.Field, re.Msg, re.Err, w.index, w.field, w.msg)
		}
	}
	for _, s := range []error{ErrInvalidFilter, ErrInvalidStream, ErrInvalidKey, ErrInvalidMaxPayload} {
		if !errors.Is(err, s) {
			t.Errorf("errors.Is(err, %v) = false", s)
		}
	}
	var re *RuleError
	if !errors.As(err, &re) || re.Index != 1 || re.Field != "filter" {
		t.Errorf("errors.As(*RuleError) = %+v", re)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) || lines[2] != "routes[1].key: unknown placeholder {jsn.x}" {
		t.Errorf("Error() lines = %q", lines)
	}
}

func TestConcurrentRoute(t *testing.T) {
	tab, err := Compile([]Rule{
		{Filter: "j/#", Stream: "j", Key: "{json.id}-{random}", Envelope: true},
		{Filter: "#", Stream: "all"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				m := Message{Topic: fmt.Sprintf("j/%d", g), Payload: []byte(fmt.Sprintf(`{"id":%d}`, i)), Received: time.Unix(0, 0)}
				res, ok := tab.Route(m)
				if !ok || !strings.HasPrefix(res.PartitionKey, fmt.Sprint(i, "-")) || res.Reject != "" {
					t.Errorf("Route(%+v) = %+v, %v", m, res, ok)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestRouteAllocations(t *testing.T) {
	for _, c := range []struct {
		rule Rule
		max  float64
	}{
		{Rule{Filter: "#"}, 0},
		{Rule{Filter: "devices/+/telemetry", Key: "{topic.1}"}, 0},
		{Rule{Filter: "devices/#", Key: "{client_id}"}, 0},
		{Rule{Filter: "devices/+/+", Key: "fixed"}, 0},
		{Rule{Filter: "#", RequireJSON: true}, 0},
		{Rule{Filter: "#", Key: "dev-{topic.1}"}, 1},
		{Rule{Filter: "#", Key: "{json.meta.site}"}, 1},
		{Rule{Filter: "#", Envelope: true}, 1},
	} {
		c.rule.Stream = "s"
		tab, err := Compile([]Rule{c.rule})
		if err != nil {
			t.Fatal(err)
		}
		m := Message{Topic: "devices/7/telemetry", ClientID: "c7", Payload: []byte(`{"meta":{"site":"n"},"t":21.5}`)}
		n := testing.AllocsPerRun(200, func() {
			if _, ok := tab.Route(m); !ok {
				t.Fatal("no match")
			}
		})
		if n > c.max {
			t.Errorf("%+v: %v allocations per Route, want ≤ %v", c.rule, n, c.max)
		}
	}
}
