package kinesis

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// CBOR requests as the Java SDKs send them (kinesis.md §1.2): Jackson's
// CBORGenerator, driven by SdkCborGenerator, writes objects and arrays as
// indefinite-length items (0xBF … 0xFF, 0x9F … 0xFF), blobs as byte
// strings, numbers as the smallest integer, and timestamps as tag 1
// followed by integer epoch milliseconds (date.getTime()).

// cborObj is a Java-style CBOR object: alternating keys and values, kept
// in order, written as an indefinite-length map.
type cborObj []any

// cborArr is a Java-style CBOR array, written with indefinite length.
type cborArr []any

// cborMillis is a timestamp as the Java SDK writes it: tag 1 + epoch ms.
func cborMillis(t time.Time) cbor.Tag {
	return cbor.Tag{Number: 1, Content: t.UnixMilli()}
}

// cborJava encodes v the way the Java SDK's generator does.
func cborJava(t testing.TB, v any) []byte {
	t.Helper()
	switch x := v.(type) {
	case cborObj:
		if len(x)%2 != 0 {
			t.Fatalf("cborObj with an odd number of items: %v", x)
		}
		b := []byte{0xBF}
		for _, e := range x {
			b = append(b, cborJava(t, e)...)
		}
		return append(b, 0xFF)
	case cborArr:
		b := []byte{0x9F}
		for _, e := range x {
			b = append(b, cborJava(t, e)...)
		}
		return append(b, 0xFF)
	}
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatalf("cbor.Marshal(%v): %v", v, err)
	}
	return b
}

// cborCall sends a CBOR request and checks the answer is CBOR too.
func (e *env) cborCall(op string, body []byte) rawResponse {
	e.t.Helper()
	r := e.raw("POST", "Kinesis_20131202."+op, contentCBOR, body, false)
	if ct := r.header.Get("Content-Type"); ct != contentCBOR {
		e.t.Errorf("%s: response Content-Type %q, want %q (body %x)", op, ct, contentCBOR, r.body)
	}
	return r
}

// cborOK sends a CBOR request that must succeed and decodes the answer
// into out (which may be nil for void operations).
func (e *env) cborOK(op string, in cborObj, out any) {
	e.t.Helper()
	r := e.cborCall(op, cborJava(e.t, in))
	if r.status != http.StatusOK {
		e.t.Fatalf("%s: status %d, body %s", op, r.status, cborDiag(r.body))
	}
	if out == nil {
		return
	}
	if err := cbor.Unmarshal(r.body, out); err != nil {
		e.t.Fatalf("%s: response is not CBOR for %T: %v (%x)", op, out, err, r.body)
	}
}

// cborError decodes a CBOR error answer, checking its status and type.
func cborError(t *testing.T, what string, r rawResponse, status int, typ string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d (body %s)", what, r.status, status, cborDiag(r.body))
	}
	if ct := r.header.Get("Content-Type"); ct != contentCBOR {
		t.Errorf("%s: error Content-Type %q, want %q", what, ct, contentCBOR)
	}
	var m map[string]any
	if err := cbor.Unmarshal(r.body, &m); err != nil {
		t.Errorf("%s: error body is not a CBOR map: %v (%x)", what, err, r.body)
		return nil
	}
	if m["__type"] != typ {
		t.Errorf("%s: __type %v, want %s (body %v)", what, m["__type"], typ, m)
	}
	if got := r.header.Get("x-amzn-ErrorType"); got != typ {
		t.Errorf("%s: x-amzn-ErrorType %q, want %q", what, got, typ)
	}
	return m
}

// cborDiag renders CBOR in diagnostic notation for messages.
func cborDiag(b []byte) string {
	if len(b) == 0 {
		return "(empty)"
	}
	s, err := cbor.Diagnose(b)
	if err != nil {
		return "0x" + base64.StdEncoding.EncodeToString(b)
	}
	return s
}

// cborMajor returns the major type of the first item of raw.
func cborMajor(raw []byte) int {
	if len(raw) == 0 {
		return -1
	}
	return int(raw[0] >> 5)
}

// cborTimestampMillis checks that raw is tag 1 (0xC1) followed by an
// unsigned integer and returns that integer.
func cborTimestampMillis(t *testing.T, what string, raw cbor.RawMessage) int64 {
	t.Helper()
	if len(raw) < 2 || raw[0] != 0xC1 || cborMajor(raw[1:]) != 0 {
		t.Errorf("%s: want tag 1 + unsigned integer (0xC1 0x1b …), got %x (%s)", what, []byte(raw), cborDiag(raw))
		return 0
	}
	var tag cbor.Tag
	if err := cbor.Unmarshal(raw, &tag); err != nil {
		t.Errorf("%s: %v", what, err)
		return 0
	}
	ms, ok := tag.Content.(uint64)
	if !ok {
		t.Errorf("%s: tag content %T, want an integer", what, tag.Content)
	}
	return int64(ms)
}

type cborPutRecordOut struct {
	ShardId        string
	SequenceNumber string
	EncryptionType string
}

type cborRecordOut struct {
	SequenceNumber              string
	ApproximateArrivalTimestamp cbor.RawMessage
	Data                        cbor.RawMessage
	PartitionKey                string
}

type cborGetRecordsOut struct {
	Records            []cborRecordOut
	NextShardIterator  string
	MillisBehindLatest int64
}

func TestCBORDataPlane(t *testing.T) {
	e := newEnv(t, Config{})

	// CreateStream: a void operation answers 200 with an empty CBOR body.
	r := e.cborCall("CreateStream", cborJava(t, cborObj{"StreamName", "cb", "ShardCount", 2}))
	if r.status != http.StatusOK || len(r.body) != 0 {
		t.Fatalf("CreateStream: %d %s", r.status, cborDiag(r.body))
	}
	// A second create is a CBOR error map {__type, message}.
	r = e.cborCall("CreateStream", cborJava(t, cborObj{"StreamName", "cb", "ShardCount", 2}))
	m := cborError(t, "duplicate CreateStream", r, http.StatusBadRequest, errResourceInUse)
	if m["message"] != "Stream cb under account 000000000000 already exists." {
		t.Errorf("duplicate CreateStream message: %v", m)
	}

	var sum struct {
		StreamDescriptionSummary struct {
			StreamName              string
			OpenShardCount          int
			StreamCreationTimestamp cbor.RawMessage
		}
	}
	e.cborOK("DescribeStreamSummary", cborObj{"StreamName", "cb"}, &sum)
	created := cborTimestampMillis(t, "StreamCreationTimestamp", sum.StreamDescriptionSummary.StreamCreationTimestamp)
	if d := time.Since(time.UnixMilli(created)); d < -time.Minute || d > time.Minute {
		t.Errorf("StreamCreationTimestamp %d ms is not now (off by %v): not milliseconds?", created, d)
	}
	if sum.StreamDescriptionSummary.OpenShardCount != 2 {
		t.Errorf("DescribeStreamSummary: %+v", sum)
	}

	before := time.Now().Add(-time.Second)
	// PutRecord with a binary blob that is not valid UTF-8.
	payload := []byte{0x00, 0xFF, 0xC1, 0x80, 'j', 'a', 'v', 'a'}
	var pr cborPutRecordOut
	e.cborOK("PutRecord", cborObj{"StreamName", "cb", "Data", payload, "PartitionKey", "a"}, &pr)
	if pr.ShardId != "shardId-000000000000" || pr.SequenceNumber == "" || pr.EncryptionType != "NONE" {
		t.Fatalf("PutRecord: %+v", pr)
	}

	// PutRecords: records as an indefinite-length array of indefinite maps.
	var prs struct {
		FailedRecordCount int
		Records           []struct {
			SequenceNumber string
			ShardId        string
			ErrorCode      string
		}
	}
	e.cborOK("PutRecords", cborObj{"StreamName", "cb", "Records", cborArr{
		cborObj{"Data", []byte("second"), "PartitionKey", "a"},
		cborObj{"Data", []byte("x"), "PartitionKey", "a"},
		cborObj{"Data", []byte("third"), "PartitionKey", "foo", "ExplicitHashKey", "0"},
	}}, &prs)
	if prs.FailedRecordCount != 0 || len(prs.Records) != 3 {
		t.Fatalf("PutRecords: %+v", prs)
	}
	for i, rec := range prs.Records {
		if rec.ShardId != "shardId-000000000000" || rec.SequenceNumber == "" || rec.ErrorCode != "" {
			t.Errorf("PutRecords[%d]: %+v", i, rec)
		}
	}
	after := time.Now().Add(time.Second)

	// GetShardIterator TRIM_HORIZON, then GetRecords.
	var it struct{ ShardIterator string }
	e.cborOK("GetShardIterator", cborObj{"StreamName", "cb", "ShardId", "shardId-000000000000", "ShardIteratorType", "TRIM_HORIZON"}, &it)
	if it.ShardIterator == "" {
		t.Fatal("no ShardIterator")
	}
	var gr cborGetRecordsOut
	e.cborOK("GetRecords", cborObj{"ShardIterator", it.ShardIterator, "Limit", 100}, &gr)
	want := [][]byte{payload, []byte("second"), []byte("x"), []byte("third")}
	if len(gr.Records) != len(want) {
		t.Fatalf("GetRecords: %d records, want %d", len(gr.Records), len(want))
	}
	for i, rec := range gr.Records {
		// Data must be a CBOR byte string (major type 2), never base64 text.
		if cborMajor(rec.Data) != 2 {
			t.Errorf("record %d: Data has CBOR major type %d, want 2 (byte string): %s", i, cborMajor(rec.Data), cborDiag(rec.Data))
		}
		var data []byte
		if err := cbor.Unmarshal(rec.Data, &data); err != nil || !bytes.Equal(data, want[i]) {
			t.Errorf("record %d: Data %q (%v), want %q", i, data, err, want[i])
		}
		ms := cborTimestampMillis(t, "ApproximateArrivalTimestamp", rec.ApproximateArrivalTimestamp)
		if ms < before.UnixMilli() || ms > after.UnixMilli() {
			t.Errorf("record %d: ApproximateArrivalTimestamp %d not in [%d, %d]: not epoch milliseconds?", i, ms, before.UnixMilli(), after.UnixMilli())
		}
	}
	if gr.Records[0].SequenceNumber != pr.SequenceNumber || gr.Records[0].PartitionKey != "a" || gr.Records[3].PartitionKey != "foo" {
		t.Errorf("GetRecords: %+v", gr.Records)
	}
	if gr.NextShardIterator == "" {
		t.Error("GetRecords: no NextShardIterator")
	}

	// AT_TIMESTAMP with a tag-1 millisecond timestamp, as Java sends it:
	// a time before the first put starts at the first record …
	var at struct{ ShardIterator string }
	r = e.cborCall("GetShardIterator", cborJava(t, cborObj{"StreamName", "cb", "ShardId", "shardId-000000000000",
		"ShardIteratorType", "AT_TIMESTAMP", "Timestamp", cborMillis(before)}))
	if r.status != http.StatusOK {
		t.Errorf("AT_TIMESTAMP with tag 1 + %d ms: status %d, %s", before.UnixMilli(), r.status, cborDiag(r.body))
	} else if err := cbor.Unmarshal(r.body, &at); err != nil {
		t.Fatal(err)
	} else {
		var g cborGetRecordsOut
		e.cborOK("GetRecords", cborObj{"ShardIterator", at.ShardIterator, "Limit", 1}, &g)
		if len(g.Records) != 1 || g.Records[0].SequenceNumber != pr.SequenceNumber {
			t.Errorf("AT_TIMESTAMP(before puts): %+v, want the first record", g.Records)
		}
	}
	// … and a time after the last put gives no records.
	r = e.cborCall("GetShardIterator", cborJava(t, cborObj{"StreamName", "cb", "ShardId", "shardId-000000000000",
		"ShardIteratorType", "AT_TIMESTAMP", "Timestamp", cborMillis(time.Now())}))
	if r.status != http.StatusOK {
		t.Errorf("AT_TIMESTAMP with tag 1 + now ms: status %d, %s", r.status, cborDiag(r.body))
	}
	// A tag-1 time an hour ahead is refused as in the future (and the
	// message quotes the same milliseconds that were sent).
	future := time.Now().Add(time.Hour)
	r = e.cborCall("GetShardIterator", cborJava(t, cborObj{"StreamName", "cb", "ShardId", "shardId-000000000000",
		"ShardIteratorType", "AT_TIMESTAMP", "Timestamp", cborMillis(future)}))
	m = cborError(t, "AT_TIMESTAMP in the future", r, http.StatusBadRequest, errInvalidArgument)
	if msg, _ := m["message"].(string); !bytes.Contains([]byte(msg), []byte("timestampInMillis: "+strconv.FormatInt(future.UnixMilli(), 10)+",")) {
		t.Errorf("AT_TIMESTAMP in the future: message %q does not quote %d ms", msg, future.UnixMilli())
	}

	// Errors of the operations are CBOR maps with __type and message.
	r = e.cborCall("GetShardIterator", cborJava(t, cborObj{"StreamName", "nope", "ShardId", "shardId-000000000000", "ShardIteratorType", "LATEST"}))
	m = cborError(t, "unknown stream", r, http.StatusBadRequest, errResourceNotFound)
	if msg, _ := m["message"].(string); !strings.Contains(msg, "stream nope under account 000000000000") {
		t.Errorf("unknown stream: %v", m)
	}
	r = e.cborCall("GetRecords", cborJava(t, cborObj{"ShardIterator", "AAAAAAAAAAEbogus", "Limit", 1}))
	m = cborError(t, "invalid iterator", r, http.StatusBadRequest, errInvalidArgument)
	if m["message"] != "Invalid ShardIterator." {
		t.Errorf("invalid iterator: %v", m)
	}
	r = e.cborCall("GetRecords", cborJava(t, cborObj{"ShardIterator", it.ShardIterator, "Limit", 0}))
	m = cborError(t, "Limit 0", r, http.StatusBadRequest, errValidation)
	if m["message"] != "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1" {
		t.Errorf("Limit 0: %v", m)
	}
	// A blob over 1 MiB prints as a HeapByteBuffer, as for JSON.
	r = e.cborCall("PutRecord", cborJava(t, cborObj{"StreamName", "cb", "Data", make([]byte, 1<<20+1), "PartitionKey", "a"}))
	m = cborError(t, "oversized Data", r, http.StatusBadRequest, errValidation)
	if msg, _ := m["message"].(string); !bytes.Contains([]byte(msg), []byte("Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'data'")) {
		t.Errorf("oversized Data: %v", m)
	}
	// Definite-length maps (other CBOR encoders) are read as well.
	b, err := cbor.Marshal(map[string]any{"StreamName": "cb", "ShardId": "shardId-000000000000", "ShardIteratorType": "LATEST"})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.cborCall("GetShardIterator", b); r.status != http.StatusOK {
		t.Errorf("definite-length map: %d %s", r.status, cborDiag(r.body))
	}
}

func TestCBORBadInput(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustCreate("cb", 1)
	putOK := func(step string) {
		t.Helper()
		r := e.cborCall("PutRecord", cborJava(t, cborObj{"StreamName", "cb", "Data", []byte(step), "PartitionKey", "k"}))
		if r.status != http.StatusOK {
			t.Fatalf("after %s: valid PutRecord answered %d %s", step, r.status, cborDiag(r.body))
		}
	}
	var puts []string

	cases := []struct {
		name    string
		op      string
		body    []byte
		typ     string
		message string // the Message/message text, if checked
	}{
		{name: "truncated map", op: "PutRecord", body: []byte{0xBF, 0x6A, 'S', 't', 'r'}, typ: errSerialization},
		{name: "indefinite map without break", op: "PutRecord", body: bytes.TrimSuffix(cborJava(t, cborObj{"StreamName", "cb"}), []byte{0xFF}), typ: errSerialization},
		{name: "reserved additional info", op: "PutRecord", body: []byte{0x1C}, typ: errSerialization},
		{name: "break outside an item", op: "PutRecord", body: []byte{0xFF}, typ: errSerialization},
		{name: "trailing bytes", op: "PutRecord", body: append(cborJava(t, cborObj{"StreamName", "cb"}), 0x00), typ: errSerialization},
		{name: "top-level array", op: "PutRecord", body: cborJava(t, cborArr{"StreamName", "cb"}), typ: errSerialization},
		{name: "top-level text", op: "PutRecord", body: cborJava(t, "StreamName"), typ: errSerialization},
		{name: "invalid UTF-8 in a text key", op: "PutRecord", body: []byte{0xA1, 0x62, 0xFF, 0xFE, 0x01}, typ: errSerialization},
		{name: "map with an integer key", op: "PutRecord",
			body: []byte{0xBF, 0x01, 0x61, 'x', 0x6A, 'S', 't', 'r', 'e', 'a', 'm', 'N', 'a', 'm', 'e', 0x62, 'c', 'b', 0xFF}, typ: errSerialization},
		{name: "map with a map key", op: "DescribeStreamSummary",
			body: []byte{0xA2, 0xA0, 0x61, 'x', 0x6A, 'S', 't', 'r', 'e', 'a', 'm', 'N', 'a', 'm', 'e', 0x62, 'c', 'b'}, typ: errSerialization},
		{name: "nested map with an integer key", op: "PutRecords",
			body: cborJava(t, cborObj{"StreamName", "cb", "Records", cborArr{map[int]string{1: "x"}}}), typ: errSerialization},
		{name: "text string that is not base64 where a blob is expected", op: "PutRecord",
			body: cborJava(t, cborObj{"StreamName", "cb", "Data", "not base64!", "PartitionKey", "k"}), typ: errSerialization},
		{name: "integer where a blob is expected", op: "PutRecord",
			body: cborJava(t, cborObj{"StreamName", "cb", "Data", 7, "PartitionKey", "k"}), typ: errSerialization,
			message: "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob"},
		{name: "byte string where a string is expected", op: "PutRecord",
			body: cborJava(t, cborObj{"StreamName", []byte("cb"), "Data", []byte("x"), "PartitionKey", "k"}), typ: errSerialization},
		{name: "text where an integer is expected", op: "CreateStream",
			body: cborJava(t, cborObj{"StreamName", "cb2", "ShardCount", "2"}), typ: errSerialization,
			message: "class java.lang.String can not be converted to an Integer"},
		{name: "tag 1 with text content", op: "GetShardIterator",
			body: cborJava(t, cborObj{"StreamName", "cb", "ShardId", "0", "ShardIteratorType", "AT_TIMESTAMP", "Timestamp", cbor.Tag{Number: 1, Content: "yesterday"}}), typ: errSerialization},
		{name: "unknown operation", op: "PutRecordz", body: cborJava(t, cborObj{"StreamName", "cb"}), typ: errUnknownOperation},
	}
	for _, c := range cases {
		r := e.cborCall(c.op, c.body)
		m := cborError(t, c.name, r, http.StatusBadRequest, c.typ)
		if c.message != "" && m["Message"] != c.message && m["message"] != c.message {
			t.Errorf("%s: message %v, want %q", c.name, m, c.message)
		}
		putOK(c.name)
		puts = append(puts, c.name)
	}

	// A CBOR text string where a blob is expected is read as base64, as
	// kinesalite does (its CBOR path converts blobs to base64 text).
	r := e.cborCall("PutRecord", cborJava(t, cborObj{"StreamName", "cb", "Data", base64.StdEncoding.EncodeToString([]byte("as text")), "PartitionKey", "k"}))
	if r.status != http.StatusOK {
		t.Errorf("base64 text as Data: %d %s", r.status, cborDiag(r.body))
	} else {
		puts = append(puts, "as text")
	}

	// Nothing was stored by the refused requests, everything else was.
	var it struct{ ShardIterator string }
	e.cborOK("GetShardIterator", cborObj{"StreamName", "cb", "ShardId", "shardId-000000000000", "ShardIteratorType", "TRIM_HORIZON"}, &it)
	var gr cborGetRecordsOut
	e.cborOK("GetRecords", cborObj{"ShardIterator", it.ShardIterator}, &gr)
	var got []string
	for _, rec := range gr.Records {
		var d []byte
		cbor.Unmarshal(rec.Data, &d)
		got = append(got, string(d))
	}
	if !slices.Equal(got, puts) {
		t.Errorf("stream after bad CBOR requests:\n got %q\nwant %q", got, puts)
	}
}

// An empty Data blob (allowed: kinesis.md §5, LocalStack's AWS-recorded
// snapshots) must come back as an empty blob, never as null: Data is a
// required member of Record, and Java's unmarshallers hand null on to KCL.
func TestEmptyDataRoundTrip(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustCreate("empty", 1)
	if st, out := e.call("PutRecord", map[string]any{"StreamName": "empty", "PartitionKey": "k", "Data": ""}); st != http.StatusOK {
		t.Fatalf("PutRecord with empty Data: %d %v", st, out)
	}
	_, it := e.call("GetShardIterator", map[string]any{"StreamName": "empty", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"})

	// JSON: "Data": "".
	r := e.raw("POST", "Kinesis_20131202.GetRecords", contentJSON, []byte(`{"ShardIterator":"`+it["ShardIterator"].(string)+`"}`), false)
	if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(`"Data":""`)) {
		t.Errorf("JSON GetRecords of an empty record: %d %s, want \"Data\":\"\"", r.status, r.body)
	}
	// CBOR: a zero-length byte string (0x40).
	var gr cborGetRecordsOut
	e.cborOK("GetRecords", cborObj{"ShardIterator", it["ShardIterator"].(string)}, &gr)
	if len(gr.Records) != 1 || !bytes.Equal(gr.Records[0].Data, []byte{0x40}) {
		var diag []string
		for _, rec := range gr.Records {
			diag = append(diag, cborDiag(rec.Data))
		}
		t.Errorf("CBOR GetRecords of an empty record: Data %v, want h'' (0x40)", diag)
	}
}
