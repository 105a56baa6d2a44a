package kinesis

import (
	"unicode/utf8"

	"github.com/tributary-edge/tributary/spool"
)

// The PutRecords fast path. Decoding a JSON request into a generic tree
// and checking it member by member (schema.go) gives Coral's exact error
// texts, but costs more than storing the records. A well-formed PutRecords
// — the bulk of a gateway's traffic — is decoded straight into records
// here instead, in one pass over the body; anything this path is not sure
// about (a wrong type, a null, an escape, a constraint broken, an unknown
// or repeated member) falls back to the full path, which then answers with
// the exact error. FuzzPutRecordsFastPath checks that whatever this path
// accepts, the full path accepts with the same records.

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

// decodeFastPutRecords decodes and checks a PutRecords body in one pass,
// without the generic tree. in holds StreamName and StreamARN as the full
// path would. It takes only the plain shape SDKs send: the members
// StreamName, StreamARN and Records, each at most once, records of Data,
// PartitionKey and ExplicitHashKey, strings without escapes; anything
// else (unknown or repeated members, escapes, nulls, other types) is left
// to the full path.
func decodeFastPutRecords(body []byte) (in map[string]any, recs []spool.Record, ok bool) {
	p := fastParser{b: body}
	var name, arn []byte
	var haveName, haveARN, haveRecords bool
	if !p.byte('{') {
		return nil, nil, false
	}
	for first := true; ; first = false {
		if p.byte('}') {
			break
		}
		if !first && !p.byte(',') {
			return nil, nil, false
		}
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return nil, nil, false
		}
		switch string(key) {
		case "StreamName":
			if haveName {
				return nil, nil, false
			}
			name, haveName = p.str()
		case "StreamARN":
			if haveARN {
				return nil, nil, false
			}
			arn, haveARN = p.str()
		case "Records":
			if haveRecords {
				return nil, nil, false
			}
			recs, haveRecords = p.records()
		default:
			return nil, nil, false
		}
		if p.failed {
			return nil, nil, false
		}
	}
	p.space()
	if p.failed || p.i != len(p.b) || !haveRecords || !haveName && !haveARN {
		return nil, nil, false
	}
	in = map[string]any{}
	if haveName {
		if s := string(name); passes(s, streamNameChecks) {
			in["StreamName"] = s
		} else {
			return nil, nil, false
		}
	}
	if haveARN {
		if s := string(arn); passes(s, streamARNChecks) {
			in["StreamARN"] = s
		} else {
			return nil, nil, false
		}
	}
	return in, recs, true
}

// fastParser reads the plain JSON decodeFastPutRecords accepts.
type fastParser struct {
	b      []byte
	i      int
	failed bool
}

func (p *fastParser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

// byte consumes c (after white space) if it is next.
func (p *fastParser) byte(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes, of valid UTF-8 and no control
// characters; the result aliases the body.
func (p *fastParser) str() ([]byte, bool) {
	if !p.byte('"') {
		p.failed = true
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if !utf8.Valid(s) {
				p.failed = true
				return nil, false
			}
			return s, true
		case c == '\\' || c < 0x20:
			p.failed = true
			return nil, false
		}
		p.i++
	}
	p.failed = true
	return nil, false
}

// records reads the Records array: 1 to 500 valid entries.
func (p *fastParser) records() ([]spool.Record, bool) {
	if !p.byte('[') {
		p.failed = true
		return nil, false
	}
	recs := make([]spool.Record, 0, 16)
	for first := true; ; first = false {
		if p.byte(']') {
			break
		}
		if !first && !p.byte(',') || len(recs) == 500 {
			p.failed = true
			return nil, false
		}
		r, ok := p.record()
		if !ok {
			p.failed = true
			return nil, false
		}
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		p.failed = true
		return nil, false
	}
	return recs, true
}

// record reads one entry and checks it as the schema would.
func (p *fastParser) record() (spool.Record, bool) {
	var r spool.Record
	var data, key, hash []byte
	var haveData, haveKey, haveHash bool
	if !p.byte('{') {
		return r, false
	}
	for first := true; ; first = false {
		if p.byte('}') {
			break
		}
		if !first && !p.byte(',') {
			return r, false
		}
		k, ok := p.str()
		if !ok || !p.byte(':') {
			return r, false
		}
		var v []byte
		if v, ok = p.str(); !ok {
			return r, false
		}
		switch string(k) {
		case "Data":
			if haveData {
				return r, false
			}
			data, haveData = v, true
		case "PartitionKey":
			if haveKey {
				return r, false
			}
			key, haveKey = v, true
		case "ExplicitHashKey":
			if haveHash {
				return r, false
			}
			hash, haveHash = v, true
		default:
			return r, false
		}
	}
	if !haveData || !haveKey {
		return r, false
	}
	r.PartitionKey = string(key)
	if n := length(r.PartitionKey); n < 1 || n > 256 {
		return r, false
	}
	var err *apiError
	if r.Data, err = decodeBase64Bytes(data); err != nil || len(r.Data) > 1<<20 {
		return r, false
	}
	if haveHash {
		r.ExplicitHashKey = string(hash)
		if hashKeyCheck.failure(r.ExplicitHashKey, kString) != "" {
			return r, false
		}
	}
	return r, true
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
