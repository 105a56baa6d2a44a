package kinesis

import (
	"encoding/json"
	"strings"

	"github.com/tributary-edge/tributary/spool"
)

// The PutRecords fast path. Decoding a JSON request into a generic tree
// and checking it member by member (schema.go) gives Coral's exact error
// texts, but costs more than storing the records. A well-formed PutRecords
// — the bulk of a gateway's traffic — is decoded straight into records
// here instead; anything this path is not sure about (a wrong type, a null,
// a constraint broken, an unusual spelling) falls back to the full path,
// which then answers with the exact error. Both paths accept the same
// requests.

type fastEntry struct {
	Data            *string `json:"Data"`
	PartitionKey    *string `json:"PartitionKey"`
	ExplicitHashKey *string `json:"ExplicitHashKey"`
}

type fastPutRecords struct {
	Records    []*fastEntry `json:"Records"`
	StreamName *string      `json:"StreamName"`
	StreamARN  *string      `json:"StreamARN"`
}

var (
	hashKeyCheck     = regex(hashPattern)
	streamNameChecks = streamNameField().checks
	streamARNChecks  = streamARNField(false).checks
)

// putFast stores records decoded by decodeFastPutRecords.
func (h *Handler) putFast(q *request, recs []spool.Record) (any, *apiError) {
	name, aerr := h.streamName(q)
	if aerr != nil {
		return nil, aerr
	}
	return h.storeRecords(q, name, recs)
}

// decodeFastPutRecords decodes and checks a PutRecords body without the
// generic tree. in holds StreamName and StreamARN as the full path would.
func decodeFastPutRecords(body []byte) (in map[string]any, recs []spool.Record, ok bool) {
	var req fastPutRecords
	// encoding/json matches member names case-insensitively; Coral does
	// not, so a body with a near-miss name ("data") takes the full path.
	if !jsonWithinLimits(body) || !exactKeys(body) || json.Unmarshal(body, &req) != nil || len(req.Records) < 1 || len(req.Records) > 500 {
		return nil, nil, false
	}
	in = map[string]any{}
	if req.StreamName != nil {
		if !passes(*req.StreamName, streamNameChecks) {
			return nil, nil, false
		}
		in["StreamName"] = *req.StreamName
	}
	if req.StreamARN != nil {
		if !passes(*req.StreamARN, streamARNChecks) {
			return nil, nil, false
		}
		in["StreamARN"] = *req.StreamARN
	}
	if req.StreamName == nil && req.StreamARN == nil {
		return nil, nil, false
	}
	recs = make([]spool.Record, len(req.Records))
	for i, e := range req.Records {
		if e == nil || e.Data == nil || e.PartitionKey == nil {
			return nil, nil, false
		}
		if n := length(*e.PartitionKey); n < 1 || n > 256 {
			return nil, nil, false
		}
		data, err := decodeBase64(*e.Data)
		if err != nil || len(data) > 1<<20 {
			return nil, nil, false
		}
		recs[i] = spool.Record{PartitionKey: *e.PartitionKey, Data: data}
		if e.ExplicitHashKey != nil {
			if hashKeyCheck.failure(*e.ExplicitHashKey, kString) != "" {
				return nil, nil, false
			}
			recs[i].ExplicitHashKey = *e.ExplicitHashKey
		}
	}
	return in, recs, true
}

var fastKeys = []string{"Records", "StreamName", "StreamARN", "Data", "PartitionKey", "ExplicitHashKey"}

// exactKeys reports whether every object key in a JSON text is free of
// escapes, is not a near miss of one of fastKeys (equal ignoring case but
// not exactly), and does not repeat one of fastKeys within its object
// (encoding/json would merge repeated members into one value, where the
// full path keeps the last). It assumes nothing about validity (Unmarshal
// checks that).
func exactKeys(b []byte) bool {
	type frame struct {
		obj  bool
		seen uint8 // fastKeys met in this object, one bit each
	}
	var stack []frame
	expectKey := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '{', '[':
			stack = append(stack, frame{obj: c == '{'})
			expectKey = c == '{'
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1].obj
		case '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					if expectKey {
						return false
					}
					j++
				}
				j++
			}
			if expectKey && len(stack) > 0 {
				key := string(b[i+1 : min(j, len(b))])
				top := &stack[len(stack)-1]
				for n, k := range fastKeys {
					if key == k {
						if top.seen&(1<<n) != 0 {
							return false
						}
						top.seen |= 1 << n
					} else if strings.EqualFold(key, k) {
						return false
					}
				}
				expectKey = false
			}
			i = j
		}
	}
	return true
}

// passes reports whether a string meets constraint checks (nulls aside).
func passes(s string, checks []check) bool {
	for _, c := range checks {
		if c.kind != cNotNull && c.failure(s, kString) != "" {
			return false
		}
	}
	return true
}
