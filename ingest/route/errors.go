package route

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. ValidFilter, ValidTopic and Compile wrap them; callers
// decide with errors.Is.
var (
	// ErrInvalidFilter: a topic filter breaks the syntax of MQTT 3.1.1 §4.7
	// / MQTT 5 §4.7, or is a shared subscription ("$share/...").
	ErrInvalidFilter = errors.New("invalid topic filter")
	// ErrInvalidTopic: a topic name breaks the syntax of §4.7 (empty, too
	// long, not UTF-8, U+0000, or a wildcard character).
	ErrInvalidTopic = errors.New("invalid topic name")
	// ErrInvalidStream: a rule's stream name is not 1-128 of [a-zA-Z0-9_.-].
	ErrInvalidStream = errors.New("invalid stream name")
	// ErrInvalidKey: a rule's partition key template does not parse.
	ErrInvalidKey = errors.New("invalid partition key template")
	// ErrInvalidMaxPayload: a rule's MaxPayload is negative.
	ErrInvalidMaxPayload = errors.New("invalid max_payload")
)

// RuleError is one problem with one rule.
type RuleError struct {
	Index int    // the rule's index in the slice given to Compile
	Field string // "filter", "stream", "key" or "max_payload" (the config key)
	Msg   string // what is wrong, e.g. "unknown placeholder {jsn.x}"
	Err   error  // the sentinel: ErrInvalidFilter, ErrInvalidStream, ...
}

// Error returns "routes[2].key: unknown placeholder {jsn.x}".
func (e *RuleError) Error() string {
	return "routes[" + strconv.Itoa(e.Index) + "]." + e.Field + ": " + e.Msg
}

// Unwrap returns the sentinel.
func (e *RuleError) Unwrap() error { return e.Err }

// Errors is every problem Compile found, ordered by rule index and then by
// field (filter, stream, key, max_payload). Compile returns it as *Errors,
// never empty.
type Errors []*RuleError

// Error returns one line per problem.
func (e *Errors) Error() string {
	var b strings.Builder
	for i, re := range *e {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(re.Error())
	}
	return b.String()
}

// Unwrap returns the *RuleErrors, so errors.Is(err, ErrInvalidKey) and
// errors.As(err, &ruleErr) see each of them.
func (e *Errors) Unwrap() []error {
	out := make([]error, len(*e))
	for i, re := range *e {
		out[i] = re
	}
	return out
}
