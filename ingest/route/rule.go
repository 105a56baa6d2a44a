package route

import (
	"fmt"
	"strings"
	"time"
)

// Rule is one route as configured.
type Rule struct {
	Filter      string // MQTT topic filter: "devices/+/telemetry", "#", "a/b"; "$share/<group>/<filter>" is NOT valid here
	Stream      string // target stream name (1-128 of [a-zA-Z0-9_.-])
	Key         string // partition key template; "" means "{topic}"
	Envelope    bool   // store a JSON envelope instead of the raw payload
	MaxPayload  int    // bytes; 0 = no limit (the spool still limits records to 1 MiB)
	RequireJSON bool   // payload must be valid JSON
}

// Message is one received MQTT message.
type Message struct {
	Topic    string
	ClientID string
	QoS      byte
	Retain   bool
	Payload  []byte
	Received time.Time
}

// Result says what to store.
type Result struct {
	Rule         int    // index of the matching rule
	Stream       string // the matching rule's stream, also when rejected
	PartitionKey string // 1..256 characters of valid UTF-8; "" when rejected
	// Data is what to store: the payload itself (the same slice as
	// Message.Payload, not a copy: do not modify one while the other is in
	// use), or a newly allocated envelope. nil when rejected.
	Data []byte
	// Reject is non-empty when the message matched but must go to the
	// dead-letter stream instead (payload too large, not JSON, key template
	// resolved to nothing...); it says why, naming the rule, e.g.
	// `route 2 (devices/+/telemetry): payload is 300000 bytes, max_payload is 262144`.
	Reject string
}

// rule is a compiled Rule.
type rule struct {
	filter      filter
	stream      string
	key         *template
	envelope    bool
	maxPayload  int
	requireJSON bool
	name        string // "route 2 (devices/+/telemetry)", the Reject prefix
}

// compileRule checks r (rule index i) and appends a *RuleError per bad
// field to errs.
func compileRule(i int, r Rule, errs Errors) (rule, Errors) {
	bad := func(field, msg string, sentinel error) {
		errs = append(errs, &RuleError{Index: i, Field: field, Msg: msg, Err: sentinel})
	}
	if err := ValidFilter(r.Filter); err != nil {
		bad("filter", err.Error(), ErrInvalidFilter)
	} else if strings.HasPrefix(r.Filter, sharePrefix) {
		bad("filter", fmt.Sprintf("%v %s: a shared subscription cannot be a route; use the filter after $share/GROUP/",
			ErrInvalidFilter, quote(r.Filter)), ErrInvalidFilter)
	}
	if why := streamNameProblem(r.Stream); why != "" {
		bad("stream", fmt.Sprintf("%v %s: %s", ErrInvalidStream, quote(r.Stream), why), ErrInvalidStream)
	}
	src := r.Key
	if src == "" {
		src = defaultKey
	}
	tmpl, err := parseTemplate(src)
	if err != nil {
		bad("key", err.Error(), ErrInvalidKey)
	}
	if r.MaxPayload < 0 {
		bad("max_payload", fmt.Sprintf("must be 0 (no limit) or a positive number of bytes, got %d", r.MaxPayload), ErrInvalidMaxPayload)
	}
	return rule{
		filter:      compileFilter(r.Filter),
		stream:      r.Stream,
		key:         tmpl,
		envelope:    r.Envelope,
		maxPayload:  r.MaxPayload,
		requireJSON: r.RequireJSON,
		name:        fmt.Sprintf("route %d (%s)", i, r.Filter),
	}, errs
}

// streamNameProblem checks Kinesis' stream name rule (the spool's too):
// 1-128 of [a-zA-Z0-9_.-]. It says what is wrong, or "".
func streamNameProblem(s string) string {
	if len(s) == 0 || len(s) > 128 {
		return "must be 1 to 128 characters of [a-zA-Z0-9_.-]"
	}
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return fmt.Sprintf("%q at byte %d is not one of [a-zA-Z0-9_.-]", c, i)
		}
	}
	return ""
}

// route computes the result for m, which r's filter matched. Checks run
// in order, the first failure rejecting: size, then JSON, then the key.
// The payload is parsed at most once: by the key's scan if the template
// uses JSON fields, else by a validity check if RequireJSON or Envelope
// needs one, else not at all.
func (r *rule) route(i int, m *Message) Result {
	res := Result{Rule: i, Stream: r.stream}
	if r.maxPayload > 0 && len(m.Payload) > r.maxPayload {
		res.Reject = fmt.Sprintf("%s: payload is %d bytes, max_payload is %d", r.name, len(m.Payload), r.maxPayload)
		return res
	}
	var sc jsonScan
	isJSON := false
	switch {
	case r.key.usesJSON():
		sc.paths = r.key.paths
		isJSON = sc.scan(m.Payload)
	case r.requireJSON || r.envelope:
		isJSON = sc.scan(m.Payload)
	}
	if r.requireJSON && !isJSON {
		res.Reject = r.name + ": payload is not valid JSON"
		return res
	}
	key := r.key.key(m, &sc, isJSON)
	if key == "" {
		res.Reject = fmt.Sprintf("%s: partition key template %q resolved to an empty key", r.name, r.key.src)
		return res
	}
	res.PartitionKey = key
	if r.envelope {
		res.Data = appendEnvelope(make([]byte, 0, envelopeSize(m, isJSON)), m, isJSON)
	} else {
		res.Data = m.Payload
	}
	return res
}
