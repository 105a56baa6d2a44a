package route

// Fuzz tests for every decoder in the package (STYLE.md practice 8): topic
// filters, key templates, JSON payloads, envelopes. The seeds come from the
// unit tests' tables; crashers that `go test -fuzz` finds are kept under
// testdata/fuzz/<FuzzName>/ and run with the normal suite.
//
//	go test -run '^$' -fuzz '^FuzzMatch$' -fuzztime 45s -fuzzminimizetime 5s ./ingest/route/
//
// (The default minimization budget of 60s per new input stalls the run
// for long stretches; 5s keeps the workers fuzzing.)

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// refMatch is an obviously correct Match for valid filters: split both
// and compare level by level (MQTT 5 §4.7).
func refMatch(filter, topic string) bool {
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false
	}
	f, t := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, lv := range f {
		if lv == "#" {
			return true
		}
		if i >= len(t) || lv != "+" && lv != t[i] {
			return false
		}
	}
	return len(f) == len(t)
}

func FuzzMatch(f *testing.F) {
	for _, c := range matchCases {
		f.Add(c.filter, c.topic)
	}
	for _, c := range badFilters {
		if len(c.filter) < 1000 {
			f.Add(c.filter, "a/b")
		}
	}
	f.Fuzz(func(t *testing.T, filter, topic string) {
		got := Match(filter, topic)
		if ValidFilter(filter) == nil {
			cf := compileFilter(filter)
			if c := cf.match(topic); c != got {
				t.Fatalf("Match(%q, %q) = %v, compiled filter says %v", filter, topic, got, c)
			}
			if r := refMatch(filter, topic); r != got {
				t.Fatalf("Match(%q, %q) = %v, reference says %v", filter, topic, got, r)
			}
		}
		if ValidTopic(topic) == nil {
			if !Match(topic, topic) {
				t.Fatalf("topic %q does not match itself as a filter", topic)
			}
			if ValidFilter(topic) != nil {
				t.Fatalf("valid topic %q is not a valid filter: %v", topic, ValidFilter(topic))
			}
		}
		if all := topic == "" || topic[0] != '$'; Match("#", topic) != all {
			t.Fatalf(`Match("#", %q) = %v, want %v`, topic, !all, all)
		}
		if err := ValidTopic(topic); err != nil && !errors.Is(err, ErrInvalidTopic) {
			t.Fatalf("ValidTopic(%q) = %v, not ErrInvalidTopic", topic, err)
		}
		if err := ValidFilter(filter); err != nil && !errors.Is(err, ErrInvalidFilter) {
			t.Fatalf("ValidFilter(%q) = %v, not ErrInvalidFilter", filter, err)
		}
	})
}

func FuzzTemplate(f *testing.F) {
	for _, c := range keyCases {
		if len(c.topic) < 1000 && len(c.payload) < 1000 {
			f.Add(c.key, c.topic, c.client, []byte(c.payload))
		}
	}
	for _, c := range badTemplates {
		f.Add(c.key, "a/b", "c", []byte(`{"a":1}`))
	}
	f.Fuzz(func(t *testing.T, key, topic, client string, payload []byte) {
		tab, err := Compile([]Rule{{Filter: "#", Stream: "s", Key: key}})
		if err != nil {
			var errs *Errors
			if !errors.As(err, &errs) || len(*errs) != 1 || (*errs)[0].Field != "key" || !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("Compile(key %q) = %v, want one key error", key, err)
			}
			return
		}
		m := Message{Topic: topic, ClientID: client, Payload: payload}
		res, ok := tab.Route(m)
		if !ok && (topic == "" || topic[0] != '$') {
			t.Fatalf("# did not match %q", topic)
		}
		if !ok {
			return
		}
		if res.Reject != "" {
			if !strings.HasPrefix(res.Reject, "route 0 (#): partition key template ") || res.PartitionKey != "" || res.Data != nil {
				t.Fatalf("key %q: Reject %q, key %q, data %q", key, res.Reject, res.PartitionKey, res.Data)
			}
			return
		}
		k := res.PartitionKey
		if n := utf8.RuneCountInString(k); n < 1 || n > MaxKeyRunes || !utf8.ValidString(k) {
			t.Fatalf("key %q rendered %q: %d runes, valid UTF-8 %v", key, k, n, utf8.ValidString(k))
		}
		if len(payload) > 0 && &res.Data[0] != &payload[0] {
			t.Fatalf("Data is not the payload")
		}
	})
}

// refField is {json.path} computed with encoding/json, for a payload that
// is valid JSON: walk objects by name (the last duplicate wins, as in a
// map), then render a string as its text, null as "", anything else as
// compact JSON.
func refField(payload []byte, path []string) string {
	raw := json.RawMessage(payload)
	for _, name := range path {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil || obj == nil {
			return ""
		}
		v, ok := obj[name]
		if !ok {
			return ""
		}
		raw = v
	}
	var s string
	switch {
	case string(raw) == "null":
		return ""
	case json.Unmarshal(raw, &s) == nil:
		return s
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		panic(err)
	}
	return b.String()
}

func FuzzJSONScan(f *testing.F) {
	for _, d := range jsonDocs {
		if len(d) < 1000 {
			f.Add([]byte(d), "a")
		}
	}
	for _, c := range keyCases {
		if strings.HasPrefix(c.key, "{json.") && len(c.payload) < 1000 {
			f.Add([]byte(c.payload), strings.TrimSuffix(strings.TrimPrefix(c.key, "{json."), "}"))
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte, path string) {
		valid := json.Valid(payload) && utf8.Valid(payload)
		if got := validJSON(payload); got != valid {
			t.Fatalf("validJSON(%q) = %v, encoding/json and utf8 say %v", payload, got, valid)
		}
		if strings.ContainsAny(path, "{}") || path == "" {
			return
		}
		tmpl, err := parseTemplate("{json." + path + "}")
		if err != nil {
			return
		}
		sc := jsonScan{paths: tmpl.paths}
		if sc.scan(payload) != valid {
			t.Fatalf("scan with paths disagrees on validity of %q", payload)
		}
		got := tmpl.key(&Message{Payload: payload}, &sc, valid)
		want := ""
		if valid {
			want = finishKey(refField(payload, strings.Split(path, ".")))
		}
		if got != want {
			t.Fatalf("{json.%s} of %q = %q, encoding/json says %q", path, payload, got, want)
		}
	})
}

func FuzzEnvelope(f *testing.F) {
	for _, c := range envelopeCases {
		f.Add(c.msg.Topic, c.msg.ClientID, c.msg.QoS, c.msg.Retain, c.msg.Received.UnixNano(), c.msg.Payload)
	}
	for _, d := range jsonDocs {
		if len(d) < 1000 {
			f.Add("t", "c", byte(1), false, int64(0), []byte(d))
		}
	}
	f.Fuzz(checkEnvelope)
}

// checkEnvelope is FuzzEnvelope's body: the envelope is valid UTF-8 JSON
// that decodes back to the message.
func checkEnvelope(t *testing.T, topic, client string, qos byte, retain bool, nanos int64, payload []byte) {
	m := Message{Topic: topic, ClientID: client, QoS: qos, Retain: retain, Payload: payload, Received: time.Unix(0, nanos)}
	isJSON := validJSON(payload)
	env := appendEnvelope(nil, &m, isJSON)
	if !json.Valid(env) || !utf8.Valid(env) {
		t.Fatalf("envelope of %+v is not valid JSON: %s", m, env)
	}
	if n := envelopeSize(&m, isJSON); len(env) > n {
		t.Fatalf("envelope is %d bytes, estimate %d", len(env), n)
	}
	var got struct {
		Topic    *string         `json:"topic"`
		ClientID *string         `json:"client_id"`
		QoS      *byte           `json:"qos"`
		Retain   *bool           `json:"retain"`
		Received *time.Time      `json:"received"`
		Payload  json.RawMessage `json:"payload"`
		B64      *string         `json:"payload_base64"`
	}
	if err := json.Unmarshal(env, &got); err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	if got.Topic == nil || got.ClientID == nil || got.QoS == nil || got.Retain == nil || got.Received == nil {
		t.Fatalf("a field is missing: %s", env)
	}
	if *got.Topic != toValidUTF8(topic) || *got.ClientID != toValidUTF8(client) {
		t.Fatalf("topic %q, client %q came back as %q, %q", topic, client, *got.Topic, *got.ClientID)
	}
	if *got.QoS != qos || *got.Retain != retain || !got.Received.Equal(m.Received) {
		t.Fatalf("qos/retain/received %d %v %v came back as %d %v %v", qos, retain, m.Received, *got.QoS, *got.Retain, *got.Received)
	}
	if isJSON {
		if got.B64 != nil || !bytes.Equal(got.Payload, trimJSONSpace(payload)) {
			t.Fatalf("JSON payload %q came back as %q (base64 %v)", payload, got.Payload, got.B64)
		}
	} else {
		if got.Payload != nil || got.B64 == nil {
			t.Fatalf("non-JSON payload %q: %s", payload, env)
		}
		if b, err := base64.StdEncoding.DecodeString(*got.B64); err != nil || !bytes.Equal(b, payload) {
			t.Fatalf("base64 payload %q came back as %q, %v", payload, b, err)
		}
	}
}
