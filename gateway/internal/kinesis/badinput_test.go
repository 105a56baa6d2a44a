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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// Bad input: each request is answered with the error kinesis.md §1.3 and
// the Kinesis model prescribe, and nothing else is disturbed: the same
// keep-alive connection goes on serving, and the data stored before is
// intact (no partial writes from refused requests).

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
		{name: "another service's target", target: "Firehose_20150804.PutRecord", body: js(`{` + sn + `}`), typ: errUnknownOperation},
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

// A body over Config.MaxRequestBytes is answered 413 without being read
// whole: a client that announces a large Content-Length and stalls gets
// its answer at once, and a chunked body is cut off at the limit.
func TestBadInputBodyOverLimit(t *testing.T) {
	const limit = 64 << 10
	e := newEnv(t, Config{MaxRequestBytes: limit})
	e.mustCreate("lim", 1)
	w := badDial(t, e.url)
	s := &badStream{t: t, w: w, stream: "lim"}
	s.check("setup")

	head := func(extra string) []byte {
		return []byte("POST / HTTP/1.1\r\nHost: " + w.host + "\r\nX-Amz-Target: Kinesis_20131202.PutRecord\r\nContent-Type: " + contentJSON +
			"\r\nAuthorization: " + badAuth + "\r\nX-Amz-Date: 20150101T000000Z\r\n" + extra + "\r\n")
	}
	// expect413 sends the head and the first bytes of a body that never
	// completes, and waits (bounded) for the answer.
	expect413 := func(what string, raw []byte) {
		t.Helper()
		c, err := net.DialTimeout("tcp", w.host, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		c.SetDeadline(start.Add(5 * time.Second))
		if _, err := c.Write(raw); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Errorf("%s: no answer within 5s while the body stalls: %v", what, err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: status %d, want 413", what, resp.StatusCode)
		}
		t.Logf("%s: %d after %v", what, resp.StatusCode, time.Since(start).Round(time.Millisecond))
	}
	body := []byte(`{"StreamName":"lim","PartitionKey":"p","Data":"`)

	// Content-Length far over the limit, body stalled after a few bytes.
	expect413("Content-Length 10 MiB, stalled", append(head("Content-Length: 10485760\r\n"), body...))
	s.check("Content-Length 10 MiB")
	// Just over the limit: still answered at once, not after waiting to
	// read (or discard) the rest.
	expect413("Content-Length limit+1, stalled", append(head(fmt.Sprintf("Content-Length: %d\r\n", limit+1)), body...))
	s.check("Content-Length limit+1")
	// Over the limit with Expect: 100-continue: refused before the body.
	expect413("Content-Length 10 MiB with Expect: 100-continue", head("Content-Length: 10485760\r\nExpect: 100-continue\r\n"))
	s.check("Expect: 100-continue")

	// Chunked, no Content-Length: more than the limit in chunks, then the
	// body stalls (no last chunk). The limit is found while reading.
	var chunked bytes.Buffer
	chunked.Write(head("Transfer-Encoding: chunked\r\n"))
	fmt.Fprintf(&chunked, "%x\r\n%s\r\n", len(body), body)
	for sent := len(body); sent <= limit; sent += 4096 {
		fmt.Fprintf(&chunked, "%x\r\n%s\r\n", 4096, bytes.Repeat([]byte{'A'}, 4096))
	}
	expect413("chunked body over the limit, stalled", chunked.Bytes())
	s.check("chunked over the limit")

	// A body of exactly the limit is read and answered normally (JSON
	// padded with white space).
	valid := []byte(`{"StreamName":"lim","PartitionKey":"p","Data":"` + base64.StdEncoding.EncodeToString([]byte("at-limit")) + `"}`)
	exact := append(valid, bytes.Repeat([]byte{' '}, limit-len(valid))...)
	r, ok := w.do("body of exactly the limit", "POST", "Kinesis_20131202.PutRecord", contentJSON, exact)
	if ok && r.status != http.StatusOK {
		t.Errorf("body of exactly the limit: %d %s", r.status, r.body)
	} else if ok {
		s.want = append(s.want, "at-limit")
	}
	s.check("body of exactly the limit")
	// One byte more is refused, with the whole body sent.
	r, ok = w.do("body of limit+1", "POST", "Kinesis_20131202.PutRecord", contentJSON, append(exact, ' '))
	if ok && r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("body of limit+1: %d %s", r.status, r.body)
	}
	w.redial() // the server may close after a 413
	s.check("body of limit+1")
}

func TestBadInputExpiredIterators(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustCreate("exp", 1)
	w := badDial(t, e.url)
	s := &badStream{t: t, w: w, stream: "exp"}
	s.check("setup")

	_, it := e.call("GetShardIterator", map[string]any{"StreamName": "exp", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"})
	first := it["ShardIterator"].(string)
	_, gr := e.call("GetRecords", map[string]any{"ShardIterator": first})
	next, _ := gr["NextShardIterator"].(string)
	if next == "" {
		t.Fatalf("GetRecords: %v", gr)
	}

	e.clock.Advance(299 * time.Second)
	if st, out := e.call("GetRecords", map[string]any{"ShardIterator": first}); st != http.StatusOK {
		t.Errorf("iterator 299 s old: %d %v", st, out)
	}
	e.clock.Advance(2 * time.Second)
	for _, old := range []string{first, next} {
		r, ok := w.json("expired iterator", "GetRecords", map[string]any{"ShardIterator": old})
		if !ok {
			continue
		}
		typ, msg := badJSONError(r)
		if r.status != http.StatusBadRequest || typ != errExpiredIterator ||
			!strings.HasPrefix(msg, "Iterator expired. The iterator was created at time ") ||
			!strings.HasSuffix(msg, "which is further in the future than the tolerated delay of 300000 milliseconds.") {
			t.Errorf("expired iterator: %d %s", r.status, r.body)
		}
		s.check("expired iterator")
	}
}

func TestBadInputIteratorOfRecreatedStream(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustCreate("dr", 1)
	for _, d := range []string{"old-1", "old-2"} {
		if st, out := e.call("PutRecord", map[string]any{"StreamName": "dr", "PartitionKey": "p", "Data": []byte(d)}); st != http.StatusOK {
			t.Fatalf("PutRecord: %d %v", st, out)
		}
	}
	iter := func(typ string) string {
		_, out := e.call("GetShardIterator", map[string]any{"StreamName": "dr", "ShardId": "shardId-000000000000", "ShardIteratorType": typ})
		return out["ShardIterator"].(string)
	}
	th, latest := iter("TRIM_HORIZON"), iter("LATEST")
	_, gr := e.call("GetRecords", map[string]any{"ShardIterator": th, "Limit": 1})
	mid, _ := gr["NextShardIterator"].(string)
	iters := map[string]string{"TRIM_HORIZON": th, "LATEST": latest, "NextShardIterator": mid}

	if _, err := e.client.DeleteStream(ctx, &awskinesis.DeleteStreamInput{StreamName: aws.String("dr")}); err != nil {
		t.Fatal(err)
	}
	// Re-create the name (a delete may take a moment to finish).
	badPoll(t, 10*time.Second, "re-creating dr", func() bool {
		_, err := e.client.CreateStream(ctx, &awskinesis.CreateStreamInput{StreamName: aws.String("dr"), ShardCount: aws.Int32(1)})
		if err != nil && apiCode(err) != errResourceInUse {
			t.Fatalf("CreateStream dr again: %v", err)
		}
		return err == nil
	})
	for i := range 5 {
		if st, out := e.call("PutRecord", map[string]any{"StreamName": "dr", "PartitionKey": "p", "Data": []byte(fmt.Sprint("new-", i))}); st != http.StatusOK {
			t.Fatalf("PutRecord: %d %v", st, out)
		}
	}
	for name, it := range iters {
		st, out := e.call("GetRecords", map[string]any{"ShardIterator": it})
		typ, _ := out["__type"].(string)
		if st == http.StatusOK {
			t.Errorf("%s iterator of the deleted stream read the re-created stream: %v", name, out["Records"])
		} else if st != http.StatusBadRequest || (typ != errResourceNotFound && typ != errInvalidArgument) {
			t.Errorf("%s iterator of the deleted stream: %d %v, want ResourceNotFound or InvalidArgument", name, st, out)
		}
	}
	// The new stream reads from its own start.
	_, gr = e.call("GetRecords", map[string]any{"ShardIterator": iter("TRIM_HORIZON")})
	if recs, _ := gr["Records"].([]any); len(recs) != 5 {
		t.Errorf("re-created stream: %d records, want 5", len(recs))
	}
}

func TestBadInputSequenceNumberOfAnotherStream(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustCreate("sa", 1)
	e.mustCreate("sb", 2)
	put := func(stream, key, d string) string {
		t.Helper()
		st, out := e.call("PutRecord", map[string]any{"StreamName": stream, "PartitionKey": key, "Data": []byte(d)})
		if st != http.StatusOK {
			t.Fatalf("PutRecord: %d %v", st, out)
		}
		return out["SequenceNumber"].(string)
	}
	put("sa", "a", "sa-1")
	var sbShard0 []string
	for i := range 5 {
		sbShard0 = append(sbShard0, put("sb", "a", fmt.Sprint("sb-", i))) // "a" → shard 0 of 2
	}
	sbShard1 := put("sb", "foo", "sb-foo") // "foo" → shard 1 of 2

	cases := []struct {
		name, typ, seq, status, prefix string
	}{
		{"another stream's sequence number past this shard's end", "AT_SEQUENCE_NUMBER", sbShard0[4], errInvalidArgument, ""},
		{"the same, AFTER_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", sbShard0[4], errInvalidArgument, ""},
		{"another stream's sequence number of another shard index", "AT_SEQUENCE_NUMBER", sbShard1, errInvalidArgument,
			"Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was used in a call to a shard with shardId-000000000000"},
		{"an AWS-format sequence number", "AT_SEQUENCE_NUMBER", "49590338271490256608559692538361571095921575989136588898", errInvalidArgument,
			"StartingSequenceNumber 49590338271490256608559692538361571095921575989136588898 used in GetShardIterator on shard shardId-000000000000 in stream sa under account 000000000000 is invalid"},
		{"130 digits", "AT_SEQUENCE_NUMBER", "1" + strings.Repeat("0", 129), errValidation, "1 validation error detected: Value '1"},
		{"leading zero", "AT_SEQUENCE_NUMBER", "0" + sbShard0[0], errValidation, "1 validation error detected: Value '0"},
	}
	for _, c := range cases {
		st, out := e.call("GetShardIterator", map[string]any{"StreamName": "sa", "ShardId": "shardId-000000000000", "ShardIteratorType": c.typ, "StartingSequenceNumber": c.seq})
		typ, _ := out["__type"].(string)
		msg, _ := out["message"].(string)
		if st != http.StatusBadRequest || typ != c.status || !strings.HasPrefix(msg, c.prefix) {
			t.Errorf("%s: %d %v, want %s %q…", c.name, st, out, c.status, c.prefix)
		}
	}
	// sa's shard 1 does not exist.
	st, out := e.call("GetShardIterator", map[string]any{"StreamName": "sa", "ShardId": "shardId-000000000001", "ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": sbShard1})
	if st != http.StatusBadRequest || out["__type"] != errResourceNotFound {
		t.Errorf("sequence number on a shard the stream lacks: %d %v", st, out)
	}
	// sa is untouched.
	_, it := e.call("GetShardIterator", map[string]any{"StreamName": "sa", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"})
	_, gr := e.call("GetRecords", map[string]any{"ShardIterator": it["ShardIterator"]})
	if recs, _ := gr["Records"].([]any); len(recs) != 1 {
		t.Errorf("sa after the refused iterators: %v", gr)
	}
}

// badPoll polls cond until it holds or the timeout passes.
func badPoll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

// badPost is a goroutine-safe JSON call that reports problems as errors.
func badPost(hc *http.Client, base, op string, in any) (int, map[string]any, error) {
	b, _ := json.Marshal(in)
	req, err := http.NewRequest("POST", base+"/", bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	req.Header.Set("Content-Type", contentJSON)
	req.Header.Set("Authorization", badAuth)
	req.Header.Set("X-Amz-Date", "20150101T000000Z")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	var out map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &out); err != nil {
			return resp.StatusCode, nil, fmt.Errorf("%s: body %.200q is not JSON", op, body)
		}
	}
	return resp.StatusCode, out, nil
}

// Readers (and a writer) loop while the stream is deleted under them:
// every answer is records or ResourceNotFound, never a 500 or a broken
// connection, and the gateway carries on.
func TestBadInputDeleteWhileReading(t *testing.T) {
	e := newEnv(t, Config{})
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	for round := range 3 {
		const shards = 4
		e.mustCreate("cd", shards)
		recs := make([]map[string]any, 400)
		for i := range recs {
			recs[i] = map[string]any{"PartitionKey": fmt.Sprint("k", i), "Data": bytes.Repeat([]byte{byte(i)}, 100+i)}
		}
		if st, out := e.call("PutRecords", map[string]any{"StreamName": "cd", "Records": recs}); st != http.StatusOK || out["FailedRecordCount"] != 0.0 {
			t.Fatalf("PutRecords: %d %v", st, out)
		}

		var (
			errs     = make(chan error, 100)
			reads    atomic.Int64
			wg       sync.WaitGroup
			notFound = func(st int, out map[string]any) bool {
				return st == http.StatusBadRequest && out["__type"] == errResourceNotFound
			}
		)
		report := func(err error) {
			select {
			case errs <- err:
			default:
			}
		}
		for g := range 2 * shards {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, out, err := badPost(hc, e.url, "GetShardIterator", map[string]any{"StreamName": "cd", "ShardId": fmt.Sprint("shardId-", g%shards), "ShardIteratorType": "TRIM_HORIZON"})
				if err != nil || st != http.StatusOK {
					report(fmt.Errorf("round %d reader %d: GetShardIterator %d %v %v", round, g, st, out, err))
					return
				}
				it := out["ShardIterator"].(string)
				for range 100000 {
					st, out, err := badPost(hc, e.url, "GetRecords", map[string]any{"ShardIterator": it, "Limit": 7})
					switch {
					case err != nil:
						report(fmt.Errorf("round %d reader %d: GetRecords: %v", round, g, err))
						return
					case notFound(st, out):
						return
					case st != http.StatusOK:
						report(fmt.Errorf("round %d reader %d: GetRecords answered %d %v", round, g, st, out))
						return
					}
					reads.Add(1)
					next, _ := out["NextShardIterator"].(string)
					if next == "" {
						report(fmt.Errorf("round %d reader %d: no NextShardIterator on an open shard: %v", round, g, out))
						return
					}
					it = next
				}
				report(fmt.Errorf("round %d reader %d: the deleted stream was never reported gone", round, g))
			}()
		}
		wg.Add(1)
		go func() { // a writer too
			defer wg.Done()
			for i := range 100000 {
				st, out, err := badPost(hc, e.url, "PutRecord", map[string]any{"StreamName": "cd", "PartitionKey": fmt.Sprint("w", i), "Data": []byte("w")})
				switch {
				case err != nil:
					report(fmt.Errorf("round %d writer: %v", round, err))
					return
				case notFound(st, out):
					return
				case st != http.StatusOK:
					report(fmt.Errorf("round %d writer: PutRecord answered %d %v", round, st, out))
					return
				}
			}
		}()

		badPoll(t, 10*time.Second, "readers to get going", func() bool { return reads.Load() >= 4*shards })
		if _, err := e.client.DeleteStream(ctx, &awskinesis.DeleteStreamInput{StreamName: aws.String("cd")}); err != nil {
			t.Fatalf("round %d: DeleteStream: %v", round, err)
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: readers still running 20s after the delete", round)
		}
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		// Wait for the name to be free again before the next round.
		badPoll(t, 10*time.Second, "cd to be gone", func() bool {
			_, err := e.client.DescribeStreamSummary(ctx, &awskinesis.DescribeStreamSummaryInput{StreamName: aws.String("cd")})
			return apiCode(err) == errResourceNotFound
		})
	}

	// The gateway carries on.
	e.mustCreate("after", 1)
	if _, err := e.client.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("after"), PartitionKey: aws.String("k"), Data: []byte("still here")}); err != nil {
		t.Fatal(err)
	}
	it, err := e.client.GetShardIterator(ctx, &awskinesis.GetShardIteratorInput{StreamName: aws.String("after"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	gr, err := e.client.GetRecords(ctx, &awskinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(gr.Records) != 1 || string(gr.Records[0].Data) != "still here" {
		t.Errorf("after the deletes: %v %+v", err, gr)
	}
}

func TestBadInputReshard(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client
	const (
		half   = "170141183460469231731687303715884105728" // 2^127
		halfM1 = "170141183460469231731687303715884105727"
		halfP1 = "170141183460469231731687303715884105729"
		top    = "340282366920938463463374607431768211455" // 2^128-1
		over   = "340282366920938463463374607431768211456" // 2^128
	)
	e.mustCreate("sp", 2)
	w := badDial(t, e.url)
	// Data in both shards, checked after every refused call.
	for _, k := range []string{"a", "foo"} {
		if _, err := c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("sp"), PartitionKey: aws.String(k), Data: []byte("before-" + k)}); err != nil {
			t.Fatal(err)
		}
	}
	intact := func(after string) {
		t.Helper()
		var got []string
		for _, sh := range []string{"shardId-000000000000", "shardId-000000000001"} {
			_, it := e.call("GetShardIterator", map[string]any{"StreamName": "sp", "ShardId": sh, "ShardIteratorType": "TRIM_HORIZON"})
			_, gr := e.call("GetRecords", map[string]any{"ShardIterator": it["ShardIterator"]})
			recs, _ := gr["Records"].([]any)
			for _, r := range recs {
				d, _ := base64.StdEncoding.DecodeString(r.(map[string]any)["Data"].(string))
				got = append(got, string(d))
			}
		}
		if !slices.Equal(got, []string{"before-a", "before-foo"}) {
			t.Errorf("after %s: stream holds %q", after, got)
		}
		d, err := c.DescribeStreamSummary(ctx, &awskinesis.DescribeStreamSummaryInput{StreamName: aws.String("sp")})
		if err != nil || *d.StreamDescriptionSummary.OpenShardCount != 2 {
			t.Errorf("after %s: %v, open shards %v", after, err, d)
		}
	}
	splitMsg := func(key, shard, start, end string) string {
		return "NewStartingHashKey " + key + " used in SplitShard() on shard " + shard + " in stream sp under account 000000000000 is not both greater than one plus the shard's StartingHashKey " +
			start + " and less than the shard's EndingHashKey " + end + "."
	}
	splits := []struct {
		name, shard, key, typ, msg string
	}{
		{"at the start", "shardId-000000000000", "0", errInvalidArgument, splitMsg("0", "shardId-000000000000", "0", halfM1)},
		{"at start+1", "shardId-000000000000", "1", errInvalidArgument, splitMsg("1", "shardId-000000000000", "0", halfM1)},
		{"at the end", "shardId-000000000000", halfM1, errInvalidArgument, splitMsg(halfM1, "shardId-000000000000", "0", halfM1)},
		{"past the end (next shard's start)", "shardId-000000000000", half, errInvalidArgument, splitMsg(half, "shardId-000000000000", "0", halfM1)},
		{"at the 2nd shard's start", "shardId-000000000001", half, errInvalidArgument, splitMsg(half, "shardId-000000000001", half, top)},
		{"at the 2nd shard's start+1", "shardId-000000000001", halfP1, errInvalidArgument, splitMsg(halfP1, "shardId-000000000001", half, top)},
		{"at 2^128-1", "shardId-000000000001", top, errInvalidArgument, splitMsg(top, "shardId-000000000001", half, top)},
		{"at 2^128", "shardId-000000000001", over, errInvalidArgument, splitMsg(over, "shardId-000000000001", half, top)},
		{"at 10^39-1", "shardId-000000000001", strings.Repeat("9", 39), errInvalidArgument, splitMsg(strings.Repeat("9", 39), "shardId-000000000001", half, top)},
		{"at 10^39 (40 digits)", "shardId-000000000001", "1" + strings.Repeat("0", 39), errValidation,
			"1 validation error detected: Value '1" + strings.Repeat("0", 39) + "' at 'newStartingHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"},
		{"negative", "shardId-000000000001", "-1", errValidation,
			"1 validation error detected: Value '-1' at 'newStartingHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"},
		{"hexadecimal", "shardId-000000000001", "0x10", errValidation,
			"1 validation error detected: Value '0x10' at 'newStartingHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"},
		{"an unknown shard", "shardId-000000000009", "5", errResourceNotFound, "Could not find shard shardId-000000000009 in stream sp under account 000000000000."},
	}
	for _, s := range splits {
		r, ok := w.json("split "+s.name, "SplitShard", map[string]any{"StreamName": "sp", "ShardToSplit": s.shard, "NewStartingHashKey": s.key})
		if ok {
			typ, msg := badJSONError(r)
			if r.status != http.StatusBadRequest || typ != s.typ || msg != s.msg {
				t.Errorf("split %s: %d %s\nwant %s %q", s.name, r.status, r.body, s.typ, s.msg)
			}
		}
		intact("split " + s.name)
	}
	// The narrowest valid split: start+2.
	if _, err := c.SplitShard(ctx, &awskinesis.SplitShardInput{StreamName: aws.String("sp"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("2")}); err != nil {
		t.Errorf("split at start+2: %v", err)
	}
	// Its child [0, 1] cannot be split at all.
	if _, err := c.SplitShard(ctx, &awskinesis.SplitShardInput{StreamName: aws.String("sp"), ShardToSplit: aws.String("shardId-000000000002"), NewStartingHashKey: aws.String("1")}); apiCode(err) != errInvalidArgument {
		t.Errorf("split of a two-key shard: %v", err)
	}

	// Merges.
	e.mustCreate("mg", 3)
	merge := func(a, b string) error {
		_, err := c.MergeShards(ctx, &awskinesis.MergeShardsInput{StreamName: aws.String("mg"), ShardToMerge: aws.String(a), AdjacentShardToMerge: aws.String(b)})
		return err
	}
	notAdjacent := func(a, b string) string {
		return "Shards " + a + " and " + b + " in stream mg under account 000000000000 are not an adjacent pair of shards eligible for merging"
	}
	closed := func(s string) string {
		return "Shard " + s + " in stream mg under account 000000000000 has already been merged or split, and thus is not eligible for merging or splitting."
	}
	const s0, s1, s2, s3, s4 = "shardId-000000000000", "shardId-000000000001", "shardId-000000000002", "shardId-000000000003", "shardId-000000000004"
	for _, m := range []struct{ a, b, typ, msg string }{
		{s0, s2, errInvalidArgument, notAdjacent(s0, s2)},
		{s2, s0, errInvalidArgument, notAdjacent(s2, s0)},
		{s0, s0, errInvalidArgument, notAdjacent(s0, s0)},
		// Adjacent but the wrong way round: ShardToMerge must be the lower
		// (kinesalite mergeShards.js: End(A)+1 == Start(B); kinesis.md §3.11).
		{s1, s0, errInvalidArgument, notAdjacent(s1, s0)},
		{s2, s1, errInvalidArgument, notAdjacent(s2, s1)},
		{s0, "shardId-000000000009", errResourceNotFound, "Could not find shard shardId-000000000009 in stream mg under account 000000000000."},
	} {
		if err := merge(m.a, m.b); apiCode(err) != m.typ || apiMessage(err) != m.msg {
			t.Errorf("merge %s + %s: %v\nwant %s %q", m.a, m.b, err, m.typ, m.msg)
		}
	}
	if err := merge(s1, s2); err != nil {
		t.Fatalf("merge %s + %s: %v", s1, s2, err)
	}
	d, err := c.ListShards(ctx, &awskinesis.ListShardsInput{StreamName: aws.String("mg")})
	if err != nil || len(d.Shards) != 4 || *d.Shards[3].ShardId != s3 || *d.Shards[3].ParentShardId != s1 || *d.Shards[3].AdjacentParentShardId != s2 ||
		*d.Shards[3].HashKeyRange.StartingHashKey != *d.Shards[1].HashKeyRange.StartingHashKey || *d.Shards[3].HashKeyRange.EndingHashKey != top {
		t.Errorf("after merging %s + %s: %v %+v", s1, s2, err, d)
	}
	// The parents are closed now.
	for _, m := range []struct{ a, b, bad string }{{s1, s0, s1}, {s0, s1, s1}, {s2, s3, s2}, {s3, s2, s2}} {
		if err := merge(m.a, m.b); apiCode(err) != errInvalidArgument || apiMessage(err) != closed(m.bad) {
			t.Errorf("merge %s + %s with %s closed: %v", m.a, m.b, m.bad, err)
		}
	}
	_, err = c.SplitShard(ctx, &awskinesis.SplitShardInput{StreamName: aws.String("mg"), ShardToSplit: aws.String(s1), NewStartingHashKey: aws.String(top[:38])})
	if apiCode(err) != errInvalidArgument || apiMessage(err) != closed(s1) {
		t.Errorf("split of merged shard %s: %v", s1, err)
	}
	// The open ones still merge.
	if err := merge(s0, s3); err != nil {
		t.Errorf("merge %s + %s: %v", s0, s3, err)
	}
	if err := merge(s4, s4); apiCode(err) != errInvalidArgument {
		t.Errorf("merge %s with itself: %v", s4, err)
	}
}

// PutRecords where one record's data plus key is over 1 MiB: only that
// record fails, the results keep request order, and the others are stored
// in request order.
func TestBadInputPutRecordsOneTooBig(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustCreate("one", 1)
	w := badDial(t, e.url)
	s := &badStream{t: t, w: w, stream: "one"}
	s.check("setup")

	recs := []map[string]any{
		{"PartitionKey": "p", "Data": []byte("r0")},
		{"PartitionKey": "p", "Data": []byte("r1")},
		{"PartitionKey": "kk", "Data": bytes.Repeat([]byte{'x'}, 1<<20-1)}, // 1 MiB + 1 with its key
		{"PartitionKey": "p", "Data": []byte("r3")},
		{"PartitionKey": "p", "Data": bytes.Repeat([]byte{'y'}, 1<<20-1)}, // exactly 1 MiB with its key: fine
		{"PartitionKey": "p", "Data": []byte("r5")},
	}
	r, ok := w.json("PutRecords with one record over 1 MiB", "PutRecords", map[string]any{"StreamName": "one", "Records": recs})
	if !ok {
		return
	}
	var out struct {
		FailedRecordCount *int
		Records           []struct {
			SequenceNumber, ShardId, ErrorCode, ErrorMessage *string
		}
	}
	if err := json.Unmarshal(r.body, &out); err != nil || r.status != http.StatusOK {
		t.Fatalf("PutRecords: %d %.300s", r.status, r.body)
	}
	if out.FailedRecordCount == nil || *out.FailedRecordCount != 1 || len(out.Records) != len(recs) {
		t.Fatalf("PutRecords: FailedRecordCount %v, %d results: %.500s", out.FailedRecordCount, len(out.Records), r.body)
	}
	var prev string
	for i, res := range out.Records {
		if i == 2 {
			if res.ErrorCode == nil || res.ErrorMessage == nil || res.SequenceNumber != nil || res.ShardId != nil {
				t.Errorf("result 2 (too big): %+v", res)
			} else if *res.ErrorCode != errInternalFailure && *res.ErrorCode != errThroughput {
				t.Errorf("result 2: ErrorCode %q, want one of PutRecords' per-record codes (kinesis.md §3.7)", *res.ErrorCode)
			}
			continue
		}
		if res.ErrorCode != nil || res.SequenceNumber == nil || *res.ShardId != "shardId-000000000000" {
			t.Errorf("result %d: %+v", i, res)
			continue
		}
		if prev != "" && !seqLess(prev, *res.SequenceNumber) {
			t.Errorf("result %d: sequence number %s not after %s", i, *res.SequenceNumber, prev)
		}
		prev = *res.SequenceNumber
	}
	got, _ := s.read("after PutRecords")
	want := append(slices.Clone(s.want), "r0", "r1", "r3", strings.Repeat("y", 1<<20-1), "r5")
	if !slices.Equal(got, want) {
		t.Errorf("stored after PutRecords: %d records, want %d", len(got), len(want))
	}
	s.want = want
	s.check("PutRecords with one record over 1 MiB")
}
