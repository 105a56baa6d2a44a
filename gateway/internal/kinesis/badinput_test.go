package kinesis

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// Bad input: each request is answered with the error kinesis.md §1.3 and
// the Kinesis model prescribe, and nothing else is disturbed: the same
// keep-alive connection goes on serving, and the data stored before is
// intact (no partial writes from refused requests).
//
// This file holds the shared harness (a hand-driven keep-alive connection
// and a stream re-read after every refusal) and the framing and decoding
// table; body and record size limits are in badinput_limits_test.go, and
// iterators, sequence numbers, resharding and deleting a stream under its
// readers in badinput_streams_test.go.

const badAuth = "AWS4-HMAC-SHA256 Credential=AKID/20150101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abcd"

// badConn is one HTTP/1.1 connection driven by hand, so a test knows its
// requests share it.
type badConn struct {
	t    *testing.T
	host string
	c    net.Conn
	br   *bufio.Reader
}

func badDial(t *testing.T, rawURL string) *badConn {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	w := &badConn{t: t, host: u.Host}
	w.redial()
	t.Cleanup(func() { w.c.Close() })
	return w
}

func (w *badConn) redial() {
	w.t.Helper()
	if w.c != nil {
		w.c.Close()
	}
	c, err := net.DialTimeout("tcp", w.host, 5*time.Second)
	if err != nil {
		w.t.Fatal(err)
	}
	w.c, w.br = c, bufio.NewReader(c)
}

// badRequest renders a POST with a Content-Length body.
func badRequest(host, method, target, ctype string, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s / HTTP/1.1\r\nHost: %s\r\n", method, host)
	if target != "" {
		fmt.Fprintf(&b, "X-Amz-Target: %s\r\n", target)
	}
	if ctype != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", ctype)
	}
	fmt.Fprintf(&b, "Authorization: %s\r\nX-Amz-Date: 20150101T000000Z\r\nContent-Length: %d\r\n\r\n", badAuth, len(body))
	b.Write(body)
	return b.Bytes()
}

// roundTrip writes raw bytes and reads one response within a bounded time.
func (w *badConn) roundTrip(raw []byte) (rawResponse, error) {
	w.c.SetDeadline(time.Now().Add(20 * time.Second))
	defer w.c.SetDeadline(time.Time{})
	if _, err := w.c.Write(raw); err != nil {
		return rawResponse{}, err
	}
	resp, err := http.ReadResponse(w.br, nil)
	if err != nil {
		return rawResponse{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return rawResponse{}, err
	}
	return rawResponse{resp.StatusCode, resp.Header, b}, nil
}

// do sends a request on the connection. A dropped connection (as after a
// handler panic) is reported and the connection re-opened.
func (w *badConn) do(what, method, target, ctype string, body []byte) (rawResponse, bool) {
	w.t.Helper()
	r, err := w.roundTrip(badRequest(w.host, method, target, ctype, body))
	if err != nil {
		w.t.Errorf("%s: no response, the connection broke: %v", what, err)
		w.redial()
		return r, false
	}
	return r, true
}

func (w *badConn) json(what, op string, in any) (rawResponse, bool) {
	w.t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.do(what, "POST", "Kinesis_20131202."+op, contentJSON, b)
}

// badJSONError decodes an error body {"__type", "message"|"Message"}.
func badJSONError(r rawResponse) (typ, msg string) {
	var m map[string]any
	json.Unmarshal(r.body, &m)
	typ, _ = m["__type"].(string)
	msg, _ = m["message"].(string)
	if msg == "" {
		msg, _ = m["Message"].(string)
	}
	return typ, msg
}

// badStream tracks what a single-shard stream must hold.
type badStream struct {
	t      *testing.T
	w      *badConn
	stream string
	want   []string
	n      int
}

// check puts a fresh record on the same connection and reads the whole
// shard back: every record put so far, nothing else, in order.
func (s *badStream) check(after string) {
	s.t.Helper()
	s.n++
	d := fmt.Sprintf("ok-%d", s.n)
	r, ok := s.w.json("PutRecord after "+after, "PutRecord", map[string]any{"StreamName": s.stream, "PartitionKey": "p", "Data": []byte(d)})
	if !ok {
		return
	}
	if r.status != http.StatusOK {
		s.t.Errorf("after %s: a valid PutRecord answered %d %s", after, r.status, r.body)
		return
	}
	if r.header.Get("Connection") == "close" {
		s.t.Errorf("after %s: a valid PutRecord closed the connection", after)
	}
	s.want = append(s.want, d)
	got, ok := s.read("after " + after)
	if ok && !slices.Equal(got, s.want) {
		s.t.Errorf("after %s: the stream holds\n %.500q\nwant\n %.500q", after, got, s.want)
		s.want = got // report each disturbance once
	}
}

func (s *badStream) read(what string) ([]string, bool) {
	s.t.Helper()
	r, ok := s.w.json(what, "GetShardIterator", map[string]any{"StreamName": s.stream, "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"})
	if !ok || r.status != http.StatusOK {
		s.t.Errorf("%s: GetShardIterator %d %s", what, r.status, r.body)
		return nil, false
	}
	var it struct{ ShardIterator string }
	json.Unmarshal(r.body, &it)
	r, ok = s.w.json(what, "GetRecords", map[string]any{"ShardIterator": it.ShardIterator})
	if !ok || r.status != http.StatusOK {
		s.t.Errorf("%s: GetRecords %d %s", what, r.status, r.body)
		return nil, false
	}
	var out struct{ Records []struct{ Data []byte } }
	if err := json.Unmarshal(r.body, &out); err != nil {
		s.t.Errorf("%s: GetRecords body: %v", what, err)
	}
	got := []string{}
	for _, rec := range out.Records {
		got = append(got, string(rec.Data))
	}
	return got, true
}

func badRecords(n, size int, key string) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"PartitionKey": key, "Data": bytes.Repeat([]byte{'x'}, size)}
	}
	return out
}

func TestBadInputAnswersAndKeepsServing(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustCreate("bad", 1)
	w := badDial(t, e.url)
	s := &badStream{t: t, w: w, stream: "bad"}
	s.check("setup")

	otherKey, err := New(nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, it := e.call("GetShardIterator", map[string]any{"StreamName": "bad", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"})
	goodIter := it["ShardIterator"].(string)
	forged := otherKey.sealIterator(mustOpen(t, e.h, goodIter).cur)

	const (
		pk   = `"PartitionKey":"p"`
		sn   = `"StreamName":"bad"`
		data = `"Data":"AA=="`
	)
	type bad struct {
		name   string
		method string // default POST
		target string // default Kinesis_20131202.<op>
		op     string
		ctype  string // default JSON 1.1; "-" for none
		body   []byte
		status int    // default 400
		typ    string // __type; "" when the body is not JSON
		msg    string // exact message, if set
		prefix string // message prefix, if set
	}
	js := func(s string) []byte { return []byte(s) }
	enc := func(v any) []byte { b, _ := json.Marshal(v); return b }
	cases := []bad{
		// Framing (kinesis.md §1.3 check order).
		{name: "GET", method: "GET", op: "PutRecord", body: js(`{` + sn + `}`), status: 403},
		{name: "empty body", op: "PutRecord", body: nil, typ: errSerialization},
		{name: "empty body, unknown operation", op: "Nope", body: nil, typ: errUnknownOperation},
		{name: "no Content-Type", op: "PutRecord", ctype: "-", body: js(`{` + sn + `}`), status: 404},
		{name: "missing target header", target: "-", body: js(`{` + sn + `,` + pk + `,` + data + `}`), typ: errUnknownOperation},
		{name: "missing target header, empty body", target: "-", body: nil, typ: errUnknownOperation},
		{name: "unknown operation", op: "PutRecordz", body: js(`{` + sn + `}`), typ: errUnknownOperation},
		{name: "operation in the wrong case", op: "putRecord", body: js(`{` + sn + `}`), typ: errUnknownOperation},
		{name: "another service's target", target: "DynamoDB_20120810.PutItem", body: js(`{` + sn + `}`), typ: errUnknownOperation},
		{name: "target without an operation", target: "Kinesis_20131202", body: js(`{` + sn + `}`), typ: errUnknownOperation},
		// Malformed JSON: SerializationException without a message.
		{name: "truncated JSON", op: "PutRecord", body: js(`{` + sn + `,`), typ: errSerialization},
		{name: "JSON with trailing garbage", op: "PutRecord", body: js(`{` + sn + `,` + pk + `,` + data + `}}`), typ: errSerialization},
		{name: "JSON array", op: "PutRecord", body: js(`[{` + sn + `,` + pk + `,` + data + `}]`), typ: errSerialization},
		{name: "JSON string", op: "PutRecord", body: js(`"bad"`), typ: errSerialization},
		{name: "JSON null", op: "PutRecord", body: js(`null`), typ: errSerialization},
		{name: "single-quoted JSON", op: "PutRecord", body: js(`{'StreamName':'bad'}`), typ: errSerialization},
		// Wrong member types: SerializationException with Coral's Message.
		{name: "number as a string", op: "PutRecord", body: js(`{` + sn + `,"PartitionKey":5,` + data + `}`), typ: errSerialization,
			msg: "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"},
		{name: "boolean as a string", op: "PutRecord", body: js(`{"StreamName":true,` + pk + `,` + data + `}`), typ: errSerialization,
			msg: "class java.lang.Boolean can not be converted to an String"},
		{name: "object as a string", op: "PutRecord", body: js(`{"StreamName":{},` + pk + `,` + data + `}`), typ: errSerialization,
			msg: "Start of structure or map found where not expected."},
		{name: "list as a string", op: "PutRecord", body: js(`{"StreamName":[],` + pk + `,` + data + `}`), typ: errSerialization,
			msg: "Start of list found where not expected"},
		{name: "string as an integer", op: "GetRecords", body: js(`{"ShardIterator":"` + goodIter + `","Limit":"10"}`), typ: errSerialization,
			msg: "class java.lang.String can not be converted to an Integer"},
		{name: "boolean as an integer", op: "GetRecords", body: js(`{"ShardIterator":"` + goodIter + `","Limit":true}`), typ: errSerialization,
			msg: "class java.lang.Boolean can not be converted to an Integer"},
		{name: "number as a blob", op: "PutRecord", body: js(`{` + sn + `,` + pk + `,"Data":5}`), typ: errSerialization,
			msg: "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob"},
		{name: "boolean as a blob", op: "PutRecord", body: js(`{` + sn + `,` + pk + `,"Data":false}`), typ: errSerialization,
			msg: "class java.lang.Boolean can not be converted to a Blob"},
		{name: "object as a list", op: "PutRecords", body: js(`{` + sn + `,"Records":{}}`), typ: errSerialization,
			msg: "Start of structure or map found where not expected."},
		{name: "string as a list", op: "PutRecords", body: js(`{` + sn + `,"Records":"x"}`), typ: errSerialization,
			msg: "Expected list or null"},
		{name: "number as a list member structure", op: "PutRecords", body: js(`{` + sn + `,"Records":[5]}`), typ: errSerialization,
			msg: "Expected null"},
		{name: "string as a boolean (would delete the stream)", op: "DeleteStream", body: js(`{` + sn + `,"EnforceConsumerDeletion":"yes"}`), typ: errSerialization,
			msg: "'YES' can not be converted to an Boolean"},
		// Bad base64 (kinesalite's REMOTE-recorded messages).
		{name: "base64 of length 3", op: "PutRecord", body: js(`{` + sn + `,` + pk + `,"Data":"abc"}`), typ: errSerialization,
			msg: "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3"},
		{name: "base64 with a bad character", op: "PutRecord", body: js(`{` + sn + `,` + pk + `,"Data":"ab!d"}`), typ: errSerialization,
			msg: "'ab!d' can not be converted to a Blob: Invalid Base64 character: '!'"},
		{name: "URL-safe base64", op: "PutRecord", body: js(`{` + sn + `,` + pk + `,"Data":"-_-_"}`), typ: errSerialization,
			msg: "'-_-_' can not be converted to a Blob: Invalid Base64 character: '-'"},
		{name: "base64 with padding inside", op: "PutRecord", body: js(`{` + sn + `,` + pk + `,"Data":"AA==AA=="}`), typ: errSerialization,
			msg: "'AA==AA==' can not be converted to a Blob: Invalid Base64 character: '='"},
		{name: "base64 with non-zero padding bits", op: "PutRecord", body: js(`{` + sn + `,` + pk + `,"Data":"AB=="}`), typ: errSerialization,
			msg: "'AB==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"},
		{name: "base64 bad in the 2nd of 3 records", op: "PutRecords", body: js(`{` + sn + `,"Records":[{` + pk + `,` + data + `},{` + pk + `,"Data":"a"},{` + pk + `,` + data + `}]}`),
			typ: errSerialization, prefix: "'a' can not be converted to a Blob"},
		// Constraints.
		{name: "a null PutRecords entry", op: "PutRecords", body: js(`{` + sn + `,"Records":[{` + pk + `,` + data + `},null]}`), typ: "400"},
		{name: "no records", op: "PutRecords", body: js(`{` + sn + `,"Records":[]}`), typ: errValidation,
			msg: "1 validation error detected: Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{name: "501 records", op: "PutRecords", body: enc(map[string]any{"StreamName": "bad", "Records": badRecords(501, 1, "p")}), typ: errValidation,
			prefix: "1 validation error detected: Value '[com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310, ", msg: ""},
		{name: "5 MiB + 1 of data and keys", op: "PutRecords",
			body: enc(map[string]any{"StreamName": "bad", "Records": append(badRecords(5, 1<<20-1, "k"), map[string]any{"PartitionKey": "k", "Data": []byte{}})}),
			typ:  errInvalidArgument, msg: "Records size exceeds 5 MB limit"},
		{name: "PutRecord data over 1 MiB", op: "PutRecord", body: enc(map[string]any{"StreamName": "bad", "PartitionKey": "p", "Data": make([]byte, 1<<20+1)}),
			typ: errValidation, msg: "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'data' failed to satisfy constraint: Member must have length less than or equal to 1048576"},
		{name: "PutRecords data over 1 MiB", op: "PutRecords", body: enc(map[string]any{"StreamName": "bad", "Records": append(badRecords(1, 1, "p"), badRecords(1, 1<<20+1, "p")...)}),
			typ: errValidation, msg: "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'records.2.member.data' failed to satisfy constraint: Member must have length less than or equal to 1048576"},
		{name: "PutRecord data + key over 1 MiB", op: "PutRecord", body: enc(map[string]any{"StreamName": "bad", "PartitionKey": "p", "Data": make([]byte, 1<<20)}),
			typ: errInvalidArgument},
		{name: "empty partition key", op: "PutRecord", body: js(`{` + sn + `,"PartitionKey":"",` + data + `}`), typ: errValidation,
			msg: "1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{name: "257-character partition key", op: "PutRecord", body: enc(map[string]any{"StreamName": "bad", "PartitionKey": strings.Repeat("k", 257), "Data": []byte("x")}),
			typ: errValidation, prefix: "1 validation error detected: Value '" + strings.Repeat("k", 257) + "' at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{name: "hash key 2^128", op: "PutRecord", body: js(`{` + sn + `,` + pk + `,` + data + `,"ExplicitHashKey":"340282366920938463463374607431768211456"}`), typ: errInvalidArgument,
			msg: "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was 340282366920938463463374607431768211456"},
		{name: "hash key 2^128 in a batch", op: "PutRecords", body: js(`{` + sn + `,"Records":[{` + pk + `,` + data + `},{` + pk + `,` + data + `,"ExplicitHashKey":"340282366920938463463374607431768211456"}]}`),
			typ: errInvalidArgument, prefix: "Invalid ExplicitHashKey."},
		{name: "negative hash key", op: "PutRecord", body: js(`{` + sn + `,` + pk + `,` + data + `,"ExplicitHashKey":"-1"}`), typ: errValidation,
			msg: "1 validation error detected: Value '-1' at 'explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"},
		{name: "unknown stream", op: "PutRecord", body: js(`{"StreamName":"nope",` + pk + `,` + data + `}`), typ: errResourceNotFound,
			msg: "Stream nope under account 000000000000 not found."},
		{name: "bad stream name", op: "PutRecord", body: js(`{"StreamName":"b a d",` + pk + `,` + data + `}`), typ: errValidation,
			msg: "1 validation error detected: Value 'b a d' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
		// GetRecords Limit out of range.
		{name: "Limit 0", op: "GetRecords", body: js(`{"ShardIterator":"` + goodIter + `","Limit":0}`), typ: errValidation,
			msg: "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{name: "Limit 10001", op: "GetRecords", body: js(`{"ShardIterator":"` + goodIter + `","Limit":10001}`), typ: errValidation,
			msg: "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"},
		{name: "Limit -1", op: "GetRecords", body: js(`{"ShardIterator":"` + goodIter + `","Limit":-1}`), typ: errValidation,
			msg: "1 validation error detected: Value '-1' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{name: "ListStreams Limit 0", op: "ListStreams", body: js(`{"Limit":0}`), typ: errValidation,
			msg: "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{name: "ListStreams Limit 10001", op: "ListStreams", body: js(`{"Limit":10001}`), typ: errValidation,
			msg: "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"},
		// Invalid iterators.
		{name: "garbage iterator", op: "GetRecords", body: js(`{"ShardIterator":"not-an-iterator"}`), typ: errInvalidArgument, msg: "Invalid ShardIterator."},
		{name: "truncated iterator", op: "GetRecords", body: js(`{"ShardIterator":"` + goodIter[:len(goodIter)-8] + `"}`), typ: errInvalidArgument, msg: "Invalid ShardIterator."},
		{name: "iterator of another key", op: "GetRecords", body: js(`{"ShardIterator":"` + forged + `"}`), typ: errInvalidArgument, msg: "Invalid ShardIterator."},
		{name: "kinesalite-style iterator (00×7 01 + AES blob)", op: "GetRecords",
			body: enc(map[string]any{"ShardIterator": base64.StdEncoding.EncodeToString(append([]byte{0, 0, 0, 0, 0, 0, 0, 1}, bytes.Repeat([]byte{0x5A, 0xC3}, 120)...))}),
			typ:  errInvalidArgument, msg: "Invalid ShardIterator."},
		{name: "empty iterator", op: "GetRecords", body: js(`{"ShardIterator":""}`), typ: errValidation,
			msg: "1 validation error detected: Value '' at 'shardIterator' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{name: "513-character iterator", op: "GetRecords", body: js(`{"ShardIterator":"` + strings.Repeat("A", 513) + `"}`), typ: errValidation,
			prefix: "1 validation error detected: Value '" + strings.Repeat("A", 513) + "' at 'shardIterator' failed to satisfy constraint: Member must have length less than or equal to 512"},
		{name: "missing iterator", op: "GetRecords", body: js(`{"Limit":1}`), typ: errValidation,
			msg: "1 validation error detected: Value null at 'shardIterator' failed to satisfy constraint: Member must not be null"},
	}
	for _, c := range cases {
		method, target, ctype := c.method, c.target, c.ctype
		if method == "" {
			method = "POST"
		}
		switch target {
		case "":
			target = "Kinesis_20131202." + c.op
		case "-":
			target = ""
		}
		switch ctype {
		case "":
			ctype = contentJSON
		case "-":
			ctype = ""
		}
		status := c.status
		if status == 0 {
			status = http.StatusBadRequest
		}
		r, ok := w.do(c.name, method, target, ctype, c.body)
		if ok {
			typ, msg := badJSONError(r)
			switch {
			case r.status != status:
				t.Errorf("%s: status %d, want %d (%.300s)", c.name, r.status, status, r.body)
			case c.typ == "400": // any client error with a JSON body
				if typ != errValidation && typ != errSerialization && typ != errInvalidArgument {
					t.Errorf("%s: __type %q (%s), want a client error", c.name, typ, r.body)
				}
			case c.typ != "" && typ != c.typ:
				t.Errorf("%s: __type %q, want %q (%.300s)", c.name, typ, c.typ, r.body)
			case c.msg != "" && msg != c.msg:
				t.Errorf("%s: message\n %q\nwant\n %q", c.name, msg, c.msg)
			case c.prefix != "" && !strings.HasPrefix(msg, c.prefix):
				t.Errorf("%s: message %.300q, want prefix %.300q", c.name, msg, c.prefix)
			}
			if r.status == status && c.typ != "" && c.typ != "400" && r.header.Get("x-amzn-ErrorType") != c.typ {
				t.Errorf("%s: x-amzn-ErrorType %q", c.name, r.header.Get("x-amzn-ErrorType"))
			}
			if r.header.Get("Connection") == "close" {
				t.Errorf("%s: the connection was closed after a %d", c.name, r.status)
				w.redial()
			}
		}
		s.check(c.name)
	}
}

func mustOpen(t *testing.T, h *Handler, s string) iterator {
	t.Helper()
	it, e := h.openIterator(s)
	if e != nil {
		t.Fatalf("openIterator: %v", e)
	}
	return it
}
