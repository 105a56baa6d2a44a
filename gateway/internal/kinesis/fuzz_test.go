package kinesis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/tributary-edge/tributary/spool"
)

// fuzzTime is a timestamp in a seed request: epoch seconds with a
// millisecond fraction in JSON, tag 1 + integer milliseconds in CBOR.
type fuzzTime time.Time

// fuzzSeedRequests are valid requests of the tests, one or more per
// operation. Blobs are []byte (base64 in JSON, byte strings in CBOR).
func fuzzSeedRequests() []map[string]any {
	t0 := fuzzTime(time.UnixMilli(1459799926480))
	arn := "arn:aws:kinesis:us-east-1:000000000000:stream/s"
	carn := arn + "/consumer/c:1459799926"
	return []map[string]any{
		{"StreamName": "s", "ShardCount": 2},
		{"StreamName": "od", "StreamModeDetails": map[string]any{"StreamMode": "ON_DEMAND"}, "Tags": map[string]any{"site": "shed", "tier": ""}, "MaxRecordSizeInKiB": 2048},
		{"StreamName": "s", "EnforceConsumerDeletion": true},
		{"StreamName": "s", "Limit": 2, "ExclusiveStartShardId": "shardId-000000000000"},
		{"StreamARN": arn},
		{"Limit": 1, "ExclusiveStartStreamName": "a", "NextToken": "tok"},
		{"StreamName": "s", "MaxResults": 10, "ShardFilter": map[string]any{"Type": "AT_TIMESTAMP", "Timestamp": t0}},
		{"NextToken": "tok", "StreamCreationTimestamp": t0},
		{"StreamName": "s", "PartitionKey": "a", "Data": []byte("first"), "ExplicitHashKey": "0", "SequenceNumberForOrdering": "100000000000000000000000000000001"},
		{"StreamName": "s", "Records": []any{
			map[string]any{"PartitionKey": "a", "Data": []byte("one")},
			map[string]any{"PartitionKey": "foo", "Data": []byte{}, "ExplicitHashKey": "340282366920938463463374607431768211455"},
		}},
		{"StreamName": "s", "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": "100000000000000000000000000000001"},
		{"StreamName": "s", "ShardId": "0", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": t0},
		{"ShardIterator": "AAAAAAAAAAEBAAAAAQAAAAAAAAAAAAAAAgAAAaIXVmaRBWVtcHR5YJ5VjO2yKBBpSzLcbDoOoA==", "Limit": 10000, "StreamARN": arn},
		{"StreamName": "s", "RetentionPeriodHours": 48},
		{"StreamName": "s", "ShardToSplit": "shardId-000000000000", "NewStartingHashKey": "170141183460469231731687303715884105728"},
		{"StreamName": "s", "ShardToMerge": "shardId-000000000000", "AdjacentShardToMerge": "shardId-000000000001"},
		{"StreamName": "s", "TargetShardCount": 4, "ScalingType": "UNIFORM_SCALING"},
		{"StreamARN": arn, "StreamModeDetails": map[string]any{"StreamMode": "PROVISIONED"}},
		{"StreamARN": arn, "ConsumerName": "c", "Tags": map[string]any{"k": "v"}},
		{"ConsumerARN": carn},
		{"StreamARN": arn, "MaxResults": 5, "NextToken": "tok", "StreamCreationTimestamp": t0},
		{"ConsumerARN": carn, "ShardId": "shardId-000000000000", "StartingPosition": map[string]any{"Type": "AT_TIMESTAMP", "Timestamp": t0, "SequenceNumber": "0"}},
		{"StreamName": "s", "Tags": map[string]any{"owner": "ops"}},
		{"StreamName": "s", "TagKeys": []any{"owner", "site"}},
		{"StreamName": "s", "Limit": 1, "ExclusiveStartTagKey": "site"},
		{"StreamName": "s", "ShardLevelMetrics": []any{"IncomingBytes", "ALL"}},
		{},
	}
}

// fuzzJSONTree and fuzzCBORTree turn a seed into what each encoder takes.
func fuzzJSONTree(v any) any {
	switch x := v.(type) {
	case fuzzTime:
		return json.Number(timestampJSON(time.Time(x)))
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = fuzzJSONTree(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fuzzJSONTree(e)
		}
		return out
	}
	return v
}

func timestampJSON(t time.Time) string {
	b, _ := timestamp(t).MarshalJSON()
	return string(b)
}

func fuzzCBORTree(v any) any {
	switch x := v.(type) {
	case fuzzTime:
		return cborMillis(time.Time(x))
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = fuzzCBORTree(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fuzzCBORTree(e)
		}
		return out
	}
	return v
}

// fuzzSeedBodies returns every seed as JSON and as CBOR.
func fuzzSeedBodies(tb testing.TB) [][]byte {
	var out [][]byte
	for _, req := range fuzzSeedRequests() {
		j, err := json.Marshal(fuzzJSONTree(req))
		if err != nil {
			tb.Fatal(err)
		}
		c, err := cbor.Marshal(fuzzCBORTree(req))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, j, c)
	}
	// A few malformed ones from the bad-input tests.
	return append(out,
		[]byte(`[]`), []byte(`{"Data":"AB=="}`), []byte(`{"StreamName":{}}`), []byte(`{"Limit":"10"}`),
		[]byte{0xBF, 0x01, 0x61, 'x', 0xFF}, []byte{0xA1, 0x69, 'T', 'i', 'm', 'e', 's', 't', 'a', 'm', 'p', 0xC1, 0xFB, 0x7F, 0xF8, 0, 0, 0, 0, 0, 0},
	)
}

// fuzzCheckErr checks an error of the decoding passes: an *apiError of
// one of the types those passes may answer, never an internal failure.
func fuzzCheckErr(t *testing.T, where string, e *apiError, allowed ...string) {
	t.Helper()
	if e.Type == "" {
		t.Fatalf("%s: error without a type: %#v", where, e)
	}
	if !slices.Contains(allowed, e.Type) {
		t.Fatalf("%s: error type %q (%s), want one of %v", where, e.Type, e.Message, allowed)
	}
	if e.status() != 400 {
		t.Fatalf("%s: %s with status %d, want 400", where, e.Type, e.status())
	}
	if e.Type == errValidation {
		n := strings.Count(e.Message, "; ") + 1
		if !strings.Contains(e.Message, " detected: ") || n > 10 {
			t.Fatalf("%s: ValidationException message %q", where, e.Message)
		}
	}
}

// fuzzShape checks that a request that passed both passes has the shape
// the operations rely on (schema.go: after both passes a member is a
// string, int64, bool, []byte, float64, []any or map[string]any, and the
// required members are present), so no operation can panic on it.
func fuzzShape(t *testing.T, where string, data map[string]any, fields []field) {
	t.Helper()
	known := map[string]bool{}
	for i := range fields {
		f := &fields[i]
		known[f.name] = true
		v, ok := data[f.name]
		if !ok || v == nil {
			if ok {
				t.Fatalf("%s.%s: nil kept after normalize", where, f.name)
			}
			required := slices.ContainsFunc(f.checks, func(c check) bool { return c.kind == cNotNull })
			if required && (f.notNullUnless == "" || data[f.notNullUnless] == nil) {
				t.Fatalf("%s.%s: required member missing, yet validation passed", where, f.name)
			}
			continue
		}
		fuzzValue(t, where+"."+f.name, v, f)
	}
	for k := range data {
		if !known[k] {
			t.Fatalf("%s: unknown member %q kept after normalize", where, k)
		}
	}
}

func fuzzValue(t *testing.T, where string, v any, f *field) {
	t.Helper()
	ok := false
	switch f.kind {
	case kString:
		_, ok = v.(string)
	case kInteger, kLong:
		_, ok = v.(int64)
	case kBoolean:
		_, ok = v.(bool)
	case kBlob:
		_, ok = v.([]byte)
	case kTimestamp:
		_, ok = v.(float64)
	case kList:
		var list []any
		if list, ok = v.([]any); ok {
			for i, e := range list {
				if e == nil {
					t.Fatalf("%s[%d]: null list member passed validation (an operation would get a nil %v)", where, i, f.elem.kind)
				}
				fuzzValue(t, fmt.Sprintf("%s[%d]", where, i), e, f.elem)
			}
		}
	case kMap:
		var m map[string]any
		if m, ok = v.(map[string]any); ok {
			for k, e := range m {
				if e == nil {
					t.Fatalf("%s[%q]: null map value passed validation", where, k)
				}
				fuzzValue(t, where+"["+k+"]", e, f.elem)
			}
		}
	case kStruct:
		var m map[string]any
		if m, ok = v.(map[string]any); ok {
			fuzzShape(t, where, m, f.fields)
		}
	}
	if !ok {
		t.Fatalf("%s: %T after normalize, want kind %v", where, v, f.kind)
	}
}

// FuzzDecodeRequest feeds arbitrary bodies, as JSON and as CBOR, through
// the decoding and both checking passes of every operation.
func FuzzDecodeRequest(f *testing.F) {
	for _, b := range fuzzSeedBodies(f) {
		f.Add(b)
	}
	ops := slices.Sorted(maps.Keys(schemas))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, isCBOR := range []bool{false, true} {
			kind := "JSON"
			if isCBOR {
				kind = "CBOR"
			}
			in, e := decodeBody(body, isCBOR)
			if e != nil {
				fuzzCheckErr(t, kind+" decodeBody", e, errSerialization)
				continue
			}
			if in == nil {
				t.Fatalf("%s decodeBody: nil map and no error", kind)
			}
			// What is accepted must be one well-formed item and nothing
			// more (AWS answers SerializationException otherwise).
			if !isCBOR && !json.Valid(body) {
				t.Fatalf("JSON decodeBody accepted a body that is not one JSON value: %q", body)
			}
			if isCBOR {
				if err := cbor.Wellformed(body); err != nil {
					t.Fatalf("CBOR decodeBody accepted a body that is not one well-formed CBOR item (%v): %x", err, body)
				}
			}
			for _, op := range ops {
				schema := schemas[op]
				where := kind + " " + op
				norm, e := normalize(in, schema)
				if e != nil {
					fuzzCheckErr(t, where+" normalize", e, errSerialization)
					continue
				}
				if e := validate(norm, schema); e != nil {
					fuzzCheckErr(t, where+" validate", e, errValidation)
					continue
				}
				fuzzShape(t, where, norm, schema)
			}
		}
	})
}

// The seeds themselves pass every check of the operation they were made
// for (and the harness holds for them without fuzzing).
func TestFuzzSeedsAreValidRequests(t *testing.T) {
	for _, req := range fuzzSeedRequests() {
		for _, isCBOR := range []bool{false, true} {
			var body []byte
			var err error
			if isCBOR {
				body, err = cbor.Marshal(fuzzCBORTree(req))
			} else {
				body, err = json.Marshal(fuzzJSONTree(req))
			}
			if err != nil {
				t.Fatal(err)
			}
			in, e := decodeBody(body, isCBOR)
			if e != nil {
				t.Fatalf("decodeBody(%s): %v", body, e)
			}
			passed := 0
			for _, schema := range schemas {
				if norm, e := normalize(in, schema); e == nil && validate(norm, schema) == nil {
					passed++
				}
			}
			if passed == 0 {
				t.Errorf("seed %v (CBOR %v) is valid for no operation", req, isCBOR)
			}
		}
	}
}

// FuzzIterator: openIterator never panics on any string and accepts only
// what sealIterator produced.
func FuzzIterator(f *testing.F) {
	key := bytes.Repeat([]byte{0x5A}, 32)
	t0 := time.UnixMilli(1_700_000_000_123)
	h, err := New(nil, Config{IteratorKey: key, Now: func() time.Time { return t0 }})
	if err != nil {
		f.Fatal(err)
	}
	cursors := []spool.Cursor{
		{Stream: "s", StreamID: 1, Shard: 0, Seq: 1},
		{Stream: "ab", StreamID: 2, Shard: 3, Seq: 0},
		{Stream: "s.t_u-v", StreamID: 77, Shard: 12, Seq: 1 << 40},
		{Stream: strings.Repeat("n", 128), StreamID: 1<<32 - 1, Shard: 1<<32 - 1, Seq: 1<<64 - 1},
	}
	for _, c := range cursors {
		f.Add(h.sealIterator(c))
	}
	f.Add("")
	f.Add("AAAAAAAAAAE=")
	f.Add("not an iterator")
	f.Add(strings.Repeat("A", 512))

	f.Fuzz(func(t *testing.T, s string) {
		it, e := h.openIterator(s)
		if e != nil {
			if e.Type != errInvalidArgument && e.Type != errExpiredIterator || e.Message == "" {
				t.Fatalf("openIterator(%q): %#v", s, e)
			}
			return
		}
		if !slices.Contains(cursors, it.cur) || !it.issued.Equal(t0) {
			t.Fatalf("openIterator(%q) accepted a cursor that was never sealed: %+v at %v", s, it.cur, it.issued)
		}
		// Exactly the string sealIterator gives, not an equivalent spelling.
		hAt, _ := New(nil, Config{IteratorKey: key, Now: func() time.Time { return it.issued }})
		if want := hAt.sealIterator(it.cur); s != want {
			t.Fatalf("openIterator accepted %q, which sealIterator never produced (it produces %q for that cursor)", s, want)
		}
	})
}

// What FuzzIterator checks, for spellings the fuzzer rarely reaches: an
// iterator is accepted only exactly as sealIterator wrote it. Base64
// decoders that skip CR/LF or ignore non-zero padding bits accept other
// strings for the same bytes.
func TestIteratorOnlySealedSpellings(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_123)
	h, err := New(nil, Config{IteratorKey: bytes.Repeat([]byte{0x5A}, 32), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"s", "ab"} {
		s := h.sealIterator(spool.Cursor{Stream: name, StreamID: 1, Shard: 2, Seq: 3})
		if _, e := h.openIterator(s); e != nil {
			t.Fatalf("sealed iterator refused: %v", e)
		}
		variants := map[string]string{
			"LF inside":  s[:12] + "\n" + s[12:],
			"CRLF after": s + "\r\n",
		}
		if strings.HasSuffix(s, "==") { // 4 unused bits in the last character
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
			b := []byte(s)
			b[len(b)-3] = alphabet[strings.IndexByte(alphabet, b[len(b)-3])|1]
			variants["non-zero padding bits"] = string(b)
		}
		for what, v := range variants {
			if v == s {
				continue
			}
			if _, e := h.openIterator(v); e == nil || e.Type != errInvalidArgument {
				t.Errorf("stream %q: iterator with %s (%q) accepted (%v); only %q was issued", name, what, v, e, s)
			}
		}
	}
}
