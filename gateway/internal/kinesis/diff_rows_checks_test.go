package kinesis

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Rows of the differential table (see TestDifferential in diff_test.go):
// diffRows puts the table together; this file holds its constants and the
// rows about framing and check order, SigV4 structure, member types, base64
// blobs and member constraints. The rows about operations are in
// diff_rows_ops_test.go.

// ---- the table ----

const (
	diffNameRe   = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
	diffHashRe   = `Member must satisfy regular expression pattern: 0|([1-9]\d{0,38})`
	diffNotNull  = "failed to satisfy constraint: Member must not be null"
	diffMemberPR = "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310"
	diffMaxHash  = "340282366920938463463374607431768211455"
	diffPow128   = "340282366920938463463374607431768211456"
	diff3End0    = "113427455640312821154458202477256070484"
	diff3Start1  = "113427455640312821154458202477256070485"
	diff3Start2  = "226854911280625642308916404954512140970"
	diffHalf     = "170141183460469231731687303715884105728" // 2^127: shard 1's start of 2
	diffBadTags  = "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @."
	diffIllegal  = " because some tags contained illegal characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@'."
	diffIterEnum = "Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]"
	diffEitherSN = "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified "
)

// diffRows is the whole table, in order: diffRowsChecks, then diffRowsOps
// (a row's index names its streams, diff%03d-…).
func diffRows() []diffRow {
	return append(diffRowsChecks(), diffRowsOps()...)
}

// diffRowsChecks is the first part of the table: framing and check order,
// SigV4 structure, member types, base64 blobs and constraints.
func diffRowsChecks() []diffRow {
	long129 := strings.Repeat("a", 129)
	long257 := strings.Repeat("k", 257)
	emoji129 := strings.Repeat("😀", 129) // 258 UTF-16 units
	var rows []diffRow
	add := func(r ...diffRow) { rows = append(rows, r...) }

	// ---- framing and check order (index.js) ----
	add(
		diffRow{name: "GET is 403 AccessDenied XML", method: http.MethodGet, op: "ListStreams",
			status: 403, typ: errAccessDenied, msg: "Unable to determine service/operation name to be authorized", same: true},
		diffRow{name: "PUT with a body is 403 AccessDenied XML", method: http.MethodPut, op: "ListStreams", body: "{}",
			status: 403, typ: errAccessDenied, msg: "Unable to determine service/operation name to be authorized", same: true},
		diffRow{name: "empty body with a valid target", op: "ListStreams", status: 400, typ: errSerialization},
		diffRow{name: "empty body with an unknown operation", op: "ListStreamz", status: 400, typ: errUnknownOperation},
		diffRow{name: "empty body, no target, no content type (CBOR answer)", target: diffNone, ctype: diffNone,
			status: 400, typ: errUnknownOperation},
		diffRow{name: "empty body, valid target, text/plain (CBOR answer)", op: "ListStreams", ctype: "text/plain",
			status: 400, typ: errSerialization},
		diffRow{name: "missing X-Amz-Target", target: diffNone, body: "{}", status: 400, typ: errUnknownOperation},
		diffRow{name: "text/plain with a target is 404 XML", op: "ListStreams", ctype: "text/plain", body: "{}",
			status: 404, typ: errUnknownOperation, same: true},
		diffRow{name: "text/plain without a target is 403 XML", target: diffNone, ctype: "text/plain", body: "{}",
			status: 403, typ: errAccessDenied, msg: "Unable to determine service/operation name to be authorized", same: true},
		diffRow{name: "no content type with a target is 404 XML", op: "ListStreams", ctype: diffNone, body: "{}",
			status: 404, typ: errUnknownOperation, same: true},
		diffRow{name: "x-amz-json-1.0 is 404 XML", op: "ListStreams", ctype: "application/x-amz-json-1.0", body: "{}",
			status: 404, typ: errUnknownOperation, same: true},
		diffRow{name: "application/json valid JSON (Coral answer)", op: "ListStreams", ctype: "application/json", body: "{}",
			status: 404, typ: "com.amazon.coral.service#UnknownOperationException", same: true},
		diffRow{name: "application/json without a target (Coral answer)", target: diffNone, ctype: "application/json", body: "{}",
			status: 404, typ: "com.amazon.coral.service#UnknownOperationException", same: true},
		diffRow{name: "application/json malformed JSON (Coral answer)", op: "ListStreams", ctype: "application/json", body: "hello",
			status: 400, typ: "com.amazon.coral.service#SerializationException", same: true},
		diffRow{name: "malformed JSON", op: "ListStreams", body: `{"Limit":`, status: 400, typ: errSerialization},
		diffRow{name: "JSON with trailing garbage", op: "ListStreams", body: `{} x`, status: 400, typ: errSerialization},
		diffRow{name: "JSON null body", op: "ListStreams", body: `null`, status: 400, typ: errSerialization},
		diffRow{name: "JSON string body", op: "ListStreams", body: `"x"`, status: 400, typ: errSerialization},
		// kinesalite's `typeof data != 'object'` lets an array through (arrays
		// are objects in JavaScript), so it answers a ValidationException for
		// the missing members; that is a JavaScript artefact, not a recorded
		// AWS answer. Coral fails a body that is not one object in the
		// serialization layer, which is what we answer.
		diffRow{name: "JSON array body", op: "DescribeStream", body: `[]`, status: 400, typ: errSerialization,
			mode: diffOursOnly, why: "kinesalite accepts a JSON array as the request object (JavaScript typeof); not AWS-recorded"},
		diffRow{name: "unknown operation", op: "DescribeStreams", body: "{}", status: 400, typ: errUnknownOperation},
		diffRow{name: "unknown service version", target: "Kinesis_20131201.ListStreams", body: "{}", status: 400, typ: errUnknownOperation},
		diffRow{name: "unknown operation is answered before auth", op: "DescribeStreams", body: "{}", auth: diffNoAuth,
			status: 400, typ: errUnknownOperation},
		diffRow{name: "content type with a charset parameter", op: "ListStreams", ctype: contentJSON + "; charset=utf-8", body: "{}",
			status: 200, extra: []string{"StreamSummaries", "NextToken"}},
	)

	// ---- SigV4 structure (index.js "THEN check auth") ----
	add(
		diffRow{name: "missing Authorization", op: "ListStreams", body: "{}", auth: diffNoAuth,
			status: 400, typ: errMissingAuthToken, msg: "Missing Authentication Token"},
		diffRow{name: "auth is checked before member types", op: "DescribeStream", body: `{"StreamName":true}`, auth: diffNoAuth,
			status: 400, typ: errMissingAuthToken, msg: "Missing Authentication Token"},
		diffRow{name: "Authorization X without a date", op: "ListStreams", body: "{}", auth: "X", noDate: true,
			status: 400, typ: errIncompleteSignature,
			msg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=X"},
		diffRow{name: "Authorization missing Credential", op: "ListStreams", body: "{}",
			auth:   "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abcd",
			status: 400, typ: errIncompleteSignature,
			msg: "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abcd"},
		diffRow{name: "Authorization missing Signature", op: "ListStreams", body: "{}",
			auth:   "AWS4-HMAC-SHA256 Credential=AKID/20150101/us-east-1/kinesis/aws4_request, SignedHeaders=host",
			status: 400, typ: errIncompleteSignature,
			msg: "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKID/20150101/us-east-1/kinesis/aws4_request, SignedHeaders=host"},
		diffRow{name: "Authorization missing SignedHeaders", op: "ListStreams", body: "{}",
			auth:   "AWS4-HMAC-SHA256 Credential=AKID/20150101/us-east-1/kinesis/aws4_request, Signature=abcd",
			status: 400, typ: errIncompleteSignature,
			msg: "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKID/20150101/us-east-1/kinesis/aws4_request, Signature=abcd"},
		diffRow{name: "Authorization with comma-only separators", op: "ListStreams", body: "{}",
			auth: "AWS4- Signature=b,Credential=a", status: 400, typ: errIncompleteSignature,
			msg: "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4- Signature=b,Credential=a"},
		diffRow{name: "Authorization without X-Amz-Date or Date", op: "ListStreams", body: "{}", auth: diffSigHeader, noDate: true,
			status: 400, typ: errIncompleteSignature,
			msg: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + diffSigHeader},
		diffRow{name: "both header and query auth", op: "ListStreams", body: "{}", query: "X-Amz-Algorithm=AWS4-HMAC-SHA256",
			status: 400, typ: errInvalidSignature,
			msg: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."},
		diffRow{name: "both header and an empty X-Amz-Algorithm query", op: "ListStreams", body: "{}", query: "X-Amz-Algorithm",
			status: 400, typ: errInvalidSignature,
			msg: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."},
		diffRow{name: "query auth missing parts", op: "ListStreams", body: "{}", auth: diffNoAuth,
			query:  "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a&X-Amz-Date=d",
			status: 400, typ: errIncompleteSignature,
			msg: "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."},
		diffRow{name: "query auth with an empty X-Amz-Algorithm", op: "ListStreams", body: "{}", auth: diffNoAuth, query: "X-Amz-Algorithm",
			status: 400, typ: errIncompleteSignature,
			msg: "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Credential'. " +
				"AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. " +
				"AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."},
		diffRow{name: "query params without X-Amz-Algorithm", op: "ListStreams", body: "{}", auth: diffNoAuth,
			query:  "X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&X-Amz-Date=d",
			status: 400, typ: errMissingAuthToken, msg: "Missing Authentication Token"},
		diffRow{name: "complete query auth", op: "ListStreams", body: "{}", auth: diffNoAuth,
			query:  "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=host&X-Amz-Date=d",
			status: 200, extra: []string{"StreamSummaries", "NextToken"}},
	)

	// ---- member types (validations/index.js checkTypes) ----
	ser := func(name, op, body, msg string) diffRow {
		return diffRow{name: name, op: op, body: body, status: 400, typ: errSerialization, msg: msg}
	}
	add(
		ser("String given a boolean", "DescribeStream", `{"StreamName":true}`, "class java.lang.Boolean can not be converted to an String"),
		ser("String given a number", "DescribeStream", `{"StreamName":12}`, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"),
		ser("String given a list", "DescribeStream", `{"StreamName":["a"]}`, "Start of list found where not expected"),
		ser("String given a map", "DescribeStream", `{"StreamName":{}}`, "Start of structure or map found where not expected."),
		ser("Integer given a string", "DescribeStream", `{"StreamName":"a","Limit":"10"}`, "class java.lang.String can not be converted to an Integer"),
		ser("Integer given a boolean", "DescribeStream", `{"StreamName":"a","Limit":false}`, "class java.lang.Boolean can not be converted to an Integer"),
		ser("Integer given a list", "DescribeStream", `{"StreamName":"a","Limit":[]}`, "Start of list found where not expected"),
		ser("Integer given a map", "DescribeStream", `{"StreamName":"a","Limit":{}}`, "Start of structure or map found where not expected."),
		ser("Blob given a boolean", "PutRecord", `{"StreamName":"a","PartitionKey":"a","Data":true}`, "class java.lang.Boolean can not be converted to a Blob"),
		ser("Blob given a number", "PutRecord", `{"StreamName":"a","PartitionKey":"a","Data":12}`, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob"),
		ser("Blob given a list", "PutRecord", `{"StreamName":"a","PartitionKey":"a","Data":[]}`, "Start of list found where not expected"),
		ser("Blob given a map", "PutRecord", `{"StreamName":"a","PartitionKey":"a","Data":{}}`, "Start of structure or map found where not expected."),
		ser("List given a string", "PutRecords", `{"StreamName":"a","Records":"abc"}`, "Expected list or null"),
		ser("List given a number", "PutRecords", `{"StreamName":"a","Records":5}`, "Expected list or null"),
		ser("List given a boolean", "PutRecords", `{"StreamName":"a","Records":true}`, "Expected list or null"),
		ser("List given a map", "PutRecords", `{"StreamName":"a","Records":{}}`, "Start of structure or map found where not expected."),
		ser("List member String given a number", "RemoveTagsFromStream", `{"StreamName":"a","TagKeys":[1]}`, "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"),
		ser("Map given a string", "AddTagsToStream", `{"StreamName":"a","Tags":"x"}`, "Expected map or null"),
		ser("Map given a number", "AddTagsToStream", `{"StreamName":"a","Tags":1}`, "Expected map or null"),
		ser("Map given a list", "AddTagsToStream", `{"StreamName":"a","Tags":[]}`, "Start of list found where not expected"),
		ser("Map value String given a boolean", "AddTagsToStream", `{"StreamName":"a","Tags":{"a":true}}`, "class java.lang.Boolean can not be converted to an String"),
		ser("Structure given a string", "PutRecords", `{"StreamName":"a","Records":["x"]}`, "Expected null"),
		ser("Structure given a number", "PutRecords", `{"StreamName":"a","Records":[1]}`, "Expected null"),
		ser("Structure given a list", "PutRecords", `{"StreamName":"a","Records":[[]]}`, "Start of list found where not expected"),
		ser("Structure member Blob given a number", "PutRecords", `{"StreamName":"a","Records":[{"PartitionKey":"a","Data":1}]}`,
			"class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob"),
		ser("Timestamp given a string", "GetShardIterator", `{"StreamName":"a","ShardId":"0","ShardIteratorType":"AT_TIMESTAMP","Timestamp":"2015"}`,
			"class java.lang.String can not be converted to milliseconds since epoch"),
		ser("Timestamp given a boolean", "GetShardIterator", `{"StreamName":"a","ShardId":"0","ShardIteratorType":"AT_TIMESTAMP","Timestamp":true}`,
			"class java.lang.Boolean can not be converted to milliseconds since epoch"),
		ser("first type error in member order wins", "PutRecord", `{"Data":true,"PartitionKey":1,"StreamName":"a"}`,
			"class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"),
		ser("type errors come before constraint errors", "PutRecord", `{"StreamName":"a b","PartitionKey":"","Data":true}`,
			"class java.lang.Boolean can not be converted to a Blob"),
		// kinesalite 3.3.3 models no Boolean member at all (it drops
		// DeleteStream's EnforceConsumerDeletion as unknown), so only ours
		// is checked, against the Boolean text kinesalite's checkTypes
		// records for Coral.
		diffRow{name: "Boolean given a string", op: "DeleteStream", body: `{"StreamName":"{missing}","EnforceConsumerDeletion":"yes"}`,
			status: 400, typ: errSerialization, msg: "'YES' can not be converted to an Boolean",
			mode: diffOursOnly, why: "kinesalite has no Boolean member (no EnforceConsumerDeletion)"},
		diffRow{name: "Boolean given a number", op: "DeleteStream", body: `{"StreamName":"{missing}","EnforceConsumerDeletion":1}`,
			status: 400, typ: errSerialization, msg: "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an Boolean",
			mode: diffOursOnly, why: "kinesalite has no Boolean member (no EnforceConsumerDeletion)"},
		diffRow{name: "unknown members are ignored", op: "DescribeStream", body: `{"StreamName":"{missing}","Foo":[1]}`,
			status: 400, typ: errResourceNotFound, msg: "Stream {missing} under account " + diffAcct + " not found."},
		diffRow{name: "null members are dropped", op: "DescribeStream", body: `{"StreamName":null}`,
			status: 400, typ: errValidation, msg: "1 validation error detected: Value null at 'streamName' " + diffNotNull},
	)

	// ---- base64 blobs ----
	add(
		ser("base64 length not a multiple of 4", "PutRecord", `{"StreamName":"a","PartitionKey":"a","Data":"abc"}`,
			"'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3"),
		ser("base64 invalid character", "PutRecord", `{"StreamName":"a","PartitionKey":"a","Data":"ab!d"}`,
			"'ab!d' can not be converted to a Blob: Invalid Base64 character: '!'"),
		ser("base64 URL-safe alphabet", "PutRecord", `{"StreamName":"a","PartitionKey":"a","Data":"ab-_"}`,
			"'ab-_' can not be converted to a Blob: Invalid Base64 character: '-'"),
		ser("base64 padding inside", "PutRecord", `{"StreamName":"a","PartitionKey":"a","Data":"a=bc"}`,
			"'a=bc' can not be converted to a Blob: Invalid Base64 character: '='"),
		ser("base64 bad last character", "PutRecord", `{"StreamName":"a","PartitionKey":"a","Data":"YR=="}`,
			"'YR==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"),
		ser("base64 all padding", "PutRecord", `{"StreamName":"a","PartitionKey":"a","Data":"===="}`,
			"'====' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"),
		ser("base64 error inside PutRecords", "PutRecords", `{"StreamName":"a","Records":[{"PartitionKey":"a","Data":"YQ=="},{"PartitionKey":"a","Data":"abcde"}]}`,
			"'abcde' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
	)

	// ---- constraints (validations/*.js, checkValidations) ----
	val := func(name, op, body, msg string) diffRow {
		return diffRow{name: name, op: op, body: body, status: 400, typ: errValidation, msg: msg}
	}
	one := "1 validation error detected: "
	add(
		val("stream name pattern", "DescribeStream", `{"StreamName":"a b"}`,
			one+"Value 'a b' at 'streamName' failed to satisfy constraint: "+diffNameRe),
		val("stream name longer than 128", "DescribeStream", `{"StreamName":"`+long129+`"}`,
			one+"Value '"+long129+"' at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 128"),
		val("empty stream name", "DescribeStream", `{"StreamName":""}`,
			"2 validation errors detected: Value '' at 'streamName' failed to satisfy constraint: "+diffNameRe+
				"; Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1"),
		val("missing StreamName", "DescribeStream", `{}`, one+"Value null at 'streamName' "+diffNotNull),
		val("PutRecord with nothing", "PutRecord", `{}`,
			"3 validation errors detected: Value null at 'partitionKey' "+diffNotNull+"; Value null at 'data' "+diffNotNull+
				"; Value null at 'streamName' "+diffNotNull),
		val("ShardCount 0", "CreateStream", `{"StreamName":"{missing}","ShardCount":0}`,
			one+"Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1"),
		val("ShardCount 100001", "CreateStream", `{"StreamName":"{missing}","ShardCount":100001}`,
			one+"Value '100001' at 'shardCount' failed to satisfy constraint: Member must have value less than or equal to 100000"),
		val("DescribeStream Limit 0", "DescribeStream", `{"StreamName":"{missing}","Limit":0}`,
			one+"Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"),
		val("DescribeStream Limit 0.9 is floored", "DescribeStream", `{"StreamName":"{missing}","Limit":0.9}`,
			one+"Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"),
		val("ListStreams Limit 10001", "ListStreams", `{"Limit":10001}`,
			one+"Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"),
		val("Integer beyond int32 is clamped", "ListStreams", `{"Limit":99999999999}`,
			one+"Value '2147483647' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"),
		val("GetRecords Limit 0", "GetRecords", `{"ShardIterator":"x","Limit":0}`,
			one+"Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"),
		val("GetRecords empty iterator", "GetRecords", `{"ShardIterator":""}`,
			one+"Value '' at 'shardIterator' failed to satisfy constraint: Member must have length greater than or equal to 1"),
		val("PutRecords with 0 records", "PutRecords", `{"StreamName":"{missing}","Records":[]}`,
			one+"Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1"),
		diffRow{name: "PutRecords with 501 records", op: "PutRecords", status: 400, typ: errValidation,
			bodyFn: func(p *diffPeer) []byte {
				recs := make([]map[string]string, 501)
				for i := range recs {
					recs[i] = map[string]string{"PartitionKey": "a", "Data": ""}
				}
				b, _ := json.Marshal(map[string]any{"StreamName": p.vars["{missing}"], "Records": recs})
				return b
			},
			msg: one + "Value '[" + strings.Repeat(diffMemberPR+", ", 500) + diffMemberPR +
				"]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500"},
		val("PartitionKey empty", "PutRecord", `{"StreamName":"{missing}","PartitionKey":"","Data":""}`,
			one+"Value '' at 'partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1"),
		val("PartitionKey 257 chars", "PutRecord", `{"StreamName":"{missing}","PartitionKey":"`+long257+`","Data":""}`,
			one+"Value '"+long257+"' at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256"),
		val("PartitionKey length counts UTF-16 units", "PutRecord", `{"StreamName":"{missing}","PartitionKey":"`+emoji129+`","Data":""}`,
			one+"Value '"+emoji129+"' at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256"),
		val("ExplicitHashKey not a number", "PutRecord", `{"StreamName":"{missing}","PartitionKey":"a","Data":"","ExplicitHashKey":"abc"}`,
			one+"Value 'abc' at 'explicitHashKey' failed to satisfy constraint: "+diffHashRe),
		// kinesalite anchors patterns as RegExp('^' + p + '$'), which for
		// "0|([1-9]\d{0,38})" anchors only "^0", so it accepts "01"; Coral
		// matches the whole value (kinesalite's own REMOTE rows show "" and
		// "x" refused), so only ours is checked.
		diffRow{name: "ExplicitHashKey with a leading zero", op: "PutRecord",
			body:   `{"StreamName":"{missing}","PartitionKey":"a","Data":"","ExplicitHashKey":"01"}`,
			status: 400, typ: errValidation, msg: one + "Value '01' at 'explicitHashKey' failed to satisfy constraint: " + diffHashRe,
			mode: diffOursOnly, why: "kinesalite's regex anchoring bug accepts 01"},
		val("ExplicitHashKey of 40 digits", "PutRecord", `{"StreamName":"{missing}","PartitionKey":"a","Data":"","ExplicitHashKey":"1`+strings.Repeat("0", 39)+`"}`,
			one+"Value '1"+strings.Repeat("0", 39)+"' at 'explicitHashKey' failed to satisfy constraint: "+diffHashRe),
		diffRow{name: "Data over 1 MiB", op: "PutRecord", status: 400, typ: errValidation,
			bodyFn: func(p *diffPeer) []byte {
				b, _ := json.Marshal(map[string]any{"StreamName": p.vars["{missing}"], "PartitionKey": "a",
					"Data": base64.StdEncoding.EncodeToString(make([]byte, 1<<20+1))})
				return b
			},
			msg: one + "Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'data' failed to satisfy constraint: Member must have length less than or equal to 1048576"},
		val("several errors in member order", "PutRecord", `{"StreamName":"a b","PartitionKey":"","ExplicitHashKey":"x","SequenceNumberForOrdering":"y"}`,
			"5 validation errors detected: "+
				"Value 'y' at 'sequenceNumberForOrdering' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128}); "+
				"Value '' at 'partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1; "+
				"Value 'x' at 'explicitHashKey' failed to satisfy constraint: "+diffHashRe+"; "+
				"Value null at 'data' "+diffNotNull+"; "+
				"Value 'a b' at 'streamName' failed to satisfy constraint: "+diffNameRe),
		val("nested paths in PutRecords", "PutRecords", `{"StreamName":"{missing}","Records":[{"PartitionKey":"","Data":""},{"Data":"","ExplicitHashKey":"x"}]}`,
			"3 validation errors detected: "+
				"Value '' at 'records.1.member.partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1; "+
				"Value null at 'records.2.member.partitionKey' "+diffNotNull+"; "+
				"Value 'x' at 'records.2.member.explicitHashKey' failed to satisfy constraint: "+diffHashRe),
		diffRow{name: "more than 10 errors are capped at 10", op: "PutRecords", status: 400, typ: errValidation,
			bodyFn: func(p *diffPeer) []byte {
				recs := make([]map[string]string, 12)
				for i := range recs {
					recs[i] = map[string]string{"PartitionKey": ""}
				}
				b, _ := json.Marshal(map[string]any{"StreamName": "a b", "Records": recs})
				return b
			},
			msg: func() string {
				var errs []string
				for i := 1; len(errs) < 10; i++ {
					errs = append(errs,
						fmt.Sprintf("Value '' at 'records.%d.member.partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1", i),
						fmt.Sprintf("Value null at 'records.%d.member.data' %s", i, diffNotNull))
				}
				return "10 validation errors detected: " + strings.Join(errs, "; ")
			}()},
		val("GetShardIterator with nothing", "GetShardIterator", `{}`,
			"3 validation errors detected: Value null at 'shardId' "+diffNotNull+"; Value null at 'shardIteratorType' "+diffNotNull+
				"; Value null at 'streamName' "+diffNotNull),
		val("ShardIteratorType enum", "GetShardIterator", `{"StreamName":"{missing}","ShardId":"0","ShardIteratorType":"FOO"}`,
			one+"Value 'FOO' at 'shardIteratorType' failed to satisfy constraint: "+diffIterEnum),
		val("StartingSequenceNumber pattern", "GetShardIterator", `{"StreamName":"{missing}","ShardId":"0","ShardIteratorType":"AT_SEQUENCE_NUMBER","StartingSequenceNumber":"abc"}`,
			one+"Value 'abc' at 'startingSequenceNumber' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})"),
		val("ShardId longer than 128", "GetShardIterator", `{"StreamName":"{missing}","ShardId":"`+long129+`","ShardIteratorType":"LATEST"}`,
			one+"Value '"+long129+"' at 'shardId' failed to satisfy constraint: Member must have length less than or equal to 128"),
		val("SplitShard with nothing", "SplitShard", `{}`,
			"3 validation errors detected: Value null at 'newStartingHashKey' "+diffNotNull+"; Value null at 'streamName' "+diffNotNull+
				"; Value null at 'shardToSplit' "+diffNotNull),
		val("AddTagsToStream with nothing", "AddTagsToStream", `{}`,
			"2 validation errors detected: Value null at 'tags' "+diffNotNull+"; Value null at 'streamName' "+diffNotNull),
		val("Tags empty", "AddTagsToStream", `{"StreamName":"{missing}","Tags":{}}`,
			one+"Value '{}' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1"),
		val("tag key longer than 128", "AddTagsToStream", `{"StreamName":"{missing}","Tags":{"`+long129+`":"v"}}`,
			one+"Value '{"+long129+"=v}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]"),
		val("tag value longer than 256", "AddTagsToStream", `{"StreamName":"{missing}","Tags":{"k":"`+long257+`"}}`,
			one+"Value '{k="+long257+"}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]"),
		val("TagKeys empty", "RemoveTagsFromStream", `{"StreamName":"{missing}","TagKeys":[]}`,
			one+"Value '[]' at 'tagKeys' failed to satisfy constraint: Member must have length greater than or equal to 1"),
		val("TagKeys with an empty key", "RemoveTagsFromStream", `{"StreamName":"{missing}","TagKeys":[""]}`,
			one+"Value '[]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]"),
		val("RetentionPeriodHours 0", "IncreaseStreamRetentionPeriod", `{"StreamName":"{missing}","RetentionPeriodHours":0}`,
			one+"Value '0' at 'retentionPeriodHours' failed to satisfy constraint: Member must have value greater than or equal to 1"),
		val("ListShards NextToken empty", "ListShards", `{"NextToken":""}`,
			one+"Value '' at 'nextToken' failed to satisfy constraint: Member must have length greater than or equal to 1"),
		val("ListShards MaxResults 0", "ListShards", `{"StreamName":"{missing}","MaxResults":0}`,
			one+"Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"),
		val("ListStreams ExclusiveStartStreamName pattern", "ListStreams", `{"ExclusiveStartStreamName":"a b"}`,
			one+"Value 'a b' at 'exclusiveStartStreamName' failed to satisfy constraint: "+diffNameRe),
		val("ListTagsForStream Limit 0", "ListTagsForStream", `{"StreamName":"{missing}","Limit":0}`,
			one+"Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"),
		// kinesis.md §2/§3.9: AWS's current model allows 8760 h; kinesalite
		// pins the old 168 h, so both refuse 8761 with different bounds.
		diffRow{name: "RetentionPeriodHours 8761", op: "IncreaseStreamRetentionPeriod", body: `{"StreamName":"{missing}","RetentionPeriodHours":8761}`,
			status: 400, typ: errValidation, mode: diffTypeOnly, why: "retention upper bound 8760 h (kinesalite 168 h)"},
		diffRow{name: "ListTagsForStream Limit 51", op: "ListTagsForStream", body: `{"StreamName":"{missing}","Limit":51}`,
			status: 400, typ: errValidation, mode: diffTypeOnly, why: "ListTagsForStream Limit max 50 (kinesalite 10)"},
	)
	return rows
}
