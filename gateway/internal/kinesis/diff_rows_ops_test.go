package kinesis

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// Rows of the differential table (see TestDifferential in diff_test.go)
// about operations: missing resources, successes compared by shape, and the
// errors of GetShardIterator/GetRecords, PutRecord(s), SplitShard and
// MergeShards, retention, tags and ListShards, the documented deviations in
// what we accept, and CBOR.

// diffRowsOps is the second part of the table; diffRows appends it after
// diffRowsChecks.
func diffRowsOps() []diffRow {
	var rows []diffRow
	add := func(r ...diffRow) { rows = append(rows, r...) }
	one := "1 validation error detected: " // as in diffRowsChecks; the CBOR rows use it

	// ---- resources (actions/*.js, db/index.js) ----
	notFound := "Stream {missing} under account " + diffAcct + " not found."
	nf := func(op, body string) diffRow {
		return diffRow{name: op + " on a missing stream", op: op, body: body, status: 400, typ: errResourceNotFound, msg: notFound}
	}
	add(
		diffRow{name: "CreateStream", op: "CreateStream", body: `{"StreamName":"{missing}","ShardCount":2}`, status: 200},
		diffRow{name: "CreateStream duplicate", streams: []int{1}, op: "CreateStream", body: `{"StreamName":"{s0}","ShardCount":1}`,
			status: 400, typ: errResourceInUse, msg: "Stream {s0} under account " + diffAcct + " already exists."},
		nf("DescribeStream", `{"StreamName":"{missing}"}`),
		nf("DescribeStreamSummary", `{"StreamName":"{missing}"}`),
		nf("PutRecord", `{"StreamName":"{missing}","PartitionKey":"a","Data":""}`),
		nf("PutRecords", `{"StreamName":"{missing}","Records":[{"PartitionKey":"a","Data":""}]}`),
		nf("DeleteStream", `{"StreamName":"{missing}"}`),
		nf("ListShards", `{"StreamName":"{missing}"}`),
		nf("AddTagsToStream", `{"StreamName":"{missing}","Tags":{"a":"b"}}`),
		nf("RemoveTagsFromStream", `{"StreamName":"{missing}","TagKeys":["a"]}`),
		nf("ListTagsForStream", `{"StreamName":"{missing}"}`),
		nf("IncreaseStreamRetentionPeriod", `{"StreamName":"{missing}","RetentionPeriodHours":48}`),
		nf("DecreaseStreamRetentionPeriod", `{"StreamName":"{missing}","RetentionPeriodHours":24}`),
		nf("SplitShard", `{"StreamName":"{missing}","ShardToSplit":"shardId-000000000000","NewStartingHashKey":"2"}`),
		nf("MergeShards", `{"StreamName":"{missing}","ShardToMerge":"shardId-000000000000","AdjacentShardToMerge":"shardId-000000000001"}`),
		// kinesalite test/getShardIterator.js (AWS-recorded): a missing stream
		// is reported as a missing shard.
		diffRow{name: "GetShardIterator on a missing stream", op: "GetShardIterator",
			body:   `{"StreamName":"{missing}","ShardId":"shardId-000000000000","ShardIteratorType":"LATEST"}`,
			status: 400, typ: errResourceNotFound, msg: "Shard shardId-000000000000 in stream {missing} under account " + diffAcct + " does not exist"},
		diffRow{name: "DeleteStream", streams: []int{1}, op: "DeleteStream", body: `{"StreamName":"{s0}"}`, status: 200},
	)

	// ---- successes compared by shape ----
	descExtra := []string{"StreamModeDetails"} // AWS model members kinesalite omits
	add(
		diffRow{name: "ListStreams", op: "ListStreams", body: `{}`, status: 200, extra: []string{"StreamSummaries", "NextToken"}},
		diffRow{name: "DescribeStream hash ranges (3 shards)", streams: []int{3}, op: "DescribeStream", body: `{"StreamName":"{s0}"}`,
			status: 200, check: func(t *testing.T, _, _ *diffPeer, o, k diffAnswer) {
				od, _ := o.body["StreamDescription"].(map[string]any)
				kd, _ := k.body["StreamDescription"].(map[string]any)
				diffKeys(t, "StreamDescription", od, kd, descExtra)
				diffSameShards(t, "DescribeStream", od["Shards"], kd["Shards"])
				for _, f := range []string{"StreamName", "StreamARN", "StreamStatus", "RetentionPeriodHours", "HasMoreShards", "EncryptionType", "EnhancedMonitoring"} {
					if !reflect.DeepEqual(od[f], kd[f]) {
						t.Errorf("StreamDescription.%s: ours %v, kinesalite %v", f, od[f], kd[f])
					}
				}
			}},
		diffRow{name: "DescribeStream hash ranges (5 shards)", streams: []int{5}, op: "DescribeStream", body: `{"StreamName":"{s0}"}`,
			status: 200, check: func(t *testing.T, _, _ *diffPeer, o, k diffAnswer) {
				od, _ := o.body["StreamDescription"].(map[string]any)
				kd, _ := k.body["StreamDescription"].(map[string]any)
				diffSameShards(t, "DescribeStream", od["Shards"], kd["Shards"])
			}},
		diffRow{name: "DescribeStreamSummary", streams: []int{2}, op: "DescribeStreamSummary", body: `{"StreamName":"{s0}"}`,
			status: 200, check: func(t *testing.T, _, _ *diffPeer, o, k diffAnswer) {
				od, _ := o.body["StreamDescriptionSummary"].(map[string]any)
				kd, _ := k.body["StreamDescriptionSummary"].(map[string]any)
				diffKeys(t, "StreamDescriptionSummary", od, kd, []string{"StreamModeDetails", "MaxRecordSizeInKiB"})
				for _, f := range []string{"StreamName", "StreamARN", "StreamStatus", "RetentionPeriodHours", "OpenShardCount", "ConsumerCount"} {
					if !reflect.DeepEqual(od[f], kd[f]) {
						t.Errorf("StreamDescriptionSummary.%s: ours %v, kinesalite %v", f, od[f], kd[f])
					}
				}
			}},
		diffRow{name: "ListShards", streams: []int{3}, op: "ListShards", body: `{"StreamName":"{s0}"}`, status: 200, extra: []string{"NextToken"},
			check: func(t *testing.T, _, _ *diffPeer, o, k diffAnswer) {
				diffSameShards(t, "ListShards", o.body["Shards"], k.body["Shards"])
			}},
		diffRow{name: "ListShards ExclusiveStartShardId", streams: []int{3}, op: "ListShards",
			body: `{"StreamName":"{s0}","ExclusiveStartShardId":"shardId-000000000000"}`, status: 200, extra: []string{"NextToken"},
			check: func(t *testing.T, _, _ *diffPeer, o, k diffAnswer) {
				diffSameShards(t, "ListShards", o.body["Shards"], k.body["Shards"])
			}},
		diffRow{name: "PutRecord routes foo to shard 2 of 3", streams: []int{3}, op: "PutRecord",
			body: `{"StreamName":"{s0}","PartitionKey":"foo","Data":"aGVsbG8="}`, status: 200, extra: []string{"EncryptionType"},
			check: diffSameField("ShardId")},
		diffRow{name: "PutRecord routes 日本 to shard 0 of 3", streams: []int{3}, op: "PutRecord",
			body: `{"StreamName":"{s0}","PartitionKey":"日本","Data":""}`, status: 200, extra: []string{"EncryptionType"},
			check: diffSameField("ShardId")},
		diffRow{name: "PutRecord ExplicitHashKey at a shard start", streams: []int{3}, op: "PutRecord",
			body: `{"StreamName":"{s0}","PartitionKey":"a","Data":"","ExplicitHashKey":"` + diff3Start1 + `"}`, status: 200,
			extra: []string{"EncryptionType"}, check: diffSameField("ShardId")},
		diffRow{name: "PutRecord ExplicitHashKey 2^128-1", streams: []int{3}, op: "PutRecord",
			body: `{"StreamName":"{s0}","PartitionKey":"a","Data":"","ExplicitHashKey":"` + diffMaxHash + `"}`, status: 200,
			extra: []string{"EncryptionType"}, check: diffSameField("ShardId")},
		diffRow{name: "PutRecords routing", streams: []int{3}, op: "PutRecords",
			body: `{"StreamName":"{s0}","Records":[{"PartitionKey":"a","Data":""},{"PartitionKey":"foo","Data":"YQ=="},` +
				`{"PartitionKey":"日本","Data":""},{"PartitionKey":"x","Data":"","ExplicitHashKey":"` + diff3Start2 + `"}]}`,
			status: 200, extra: []string{"EncryptionType"},
			check: func(t *testing.T, _, _ *diffPeer, o, k diffAnswer) {
				diffSameField("FailedRecordCount")(t, nil, nil, o, k)
				or, _ := o.body["Records"].([]any)
				kr, _ := k.body["Records"].([]any)
				if len(or) != len(kr) {
					t.Fatalf("Records: ours %d, kinesalite %d", len(or), len(kr))
				}
				for i := range or {
					om, _ := or[i].(map[string]any)
					km, _ := kr[i].(map[string]any)
					diffKeys(t, fmt.Sprintf("Records[%d]", i), om, km, nil)
					if om["ShardId"] != km["ShardId"] {
						t.Errorf("Records[%d].ShardId: ours %v, kinesalite %v", i, om["ShardId"], km["ShardId"])
					}
				}
			}},
		diffRow{name: "GetShardIterator TRIM_HORIZON", streams: []int{2}, op: "GetShardIterator",
			body: `{"StreamName":"{s0}","ShardId":"shardId-000000000001","ShardIteratorType":"TRIM_HORIZON"}`, status: 200},
		diffRow{name: "GetShardIterator LATEST with a bare shard index", streams: []int{2}, op: "GetShardIterator",
			body: `{"StreamName":"{s0}","ShardId":"1","ShardIteratorType":"LATEST"}`, status: 200},
		diffRow{name: "GetShardIterator AT_SEQUENCE_NUMBER", streams: []int{2}, op: "GetShardIterator",
			setup:  diffPutTo(map[string]any{"StreamName": "{s0}", "PartitionKey": "a", "Data": "", "ExplicitHashKey": diffHalf}),
			body:   `{"StreamName":"{s0}","ShardId":"shardId-000000000001","ShardIteratorType":"AT_SEQUENCE_NUMBER","StartingSequenceNumber":"{seq}"}`,
			status: 200},
		diffRow{name: "GetShardIterator AFTER_SEQUENCE_NUMBER", streams: []int{2}, op: "GetShardIterator",
			setup:  diffPutTo(map[string]any{"StreamName": "{s0}", "PartitionKey": "a", "Data": "", "ExplicitHashKey": diffHalf}),
			body:   `{"StreamName":"{s0}","ShardId":"shardId-000000000001","ShardIteratorType":"AFTER_SEQUENCE_NUMBER","StartingSequenceNumber":"{seq}"}`,
			status: 200},
		// kinesalite never answers AT_TIMESTAMP on an empty shard (its lazy
		// head() has no callback for no items), so a record is put first.
		diffRow{name: "GetShardIterator AT_TIMESTAMP in the past", streams: []int{1}, op: "GetShardIterator",
			setup:  diffPutTo(map[string]any{"StreamName": "{s0}", "PartitionKey": "a", "Data": "YQ=="}),
			body:   `{"StreamName":"{s0}","ShardId":"shardId-000000000000","ShardIteratorType":"AT_TIMESTAMP","Timestamp":1}`,
			status: 200},
		diffRow{name: "GetRecords", streams: []int{1}, op: "GetRecords",
			setup: diffSteps(diffPutTo(map[string]any{"StreamName": "{s0}", "PartitionKey": "pk", "Data": "aGVsbG8="}),
				diffIterator("shardId-000000000000", "TRIM_HORIZON")),
			body: `{"ShardIterator":"{it}"}`, status: 200,
			check: func(t *testing.T, _, _ *diffPeer, o, k diffAnswer) {
				or, _ := o.body["Records"].([]any)
				kr, _ := k.body["Records"].([]any)
				if len(or) != 1 || len(kr) != 1 {
					t.Fatalf("Records: ours %d, kinesalite %d, want 1", len(or), len(kr))
				}
				om, _ := or[0].(map[string]any)
				km, _ := kr[0].(map[string]any)
				diffKeys(t, "Records[0]", om, km, []string{"EncryptionType"})
				for _, f := range []string{"Data", "PartitionKey"} {
					if om[f] != km[f] {
						t.Errorf("Records[0].%s: ours %v, kinesalite %v", f, om[f], km[f])
					}
				}
			}},
		diffRow{name: "AddTagsToStream then ListTagsForStream", streams: []int{1}, op: "AddTagsToStream",
			body:   `{"StreamName":"{s0}","Tags":{"a":"a","ü0 _.":"a","/=+-@":"a","b":"ü0 _./=+-@","c":""}}`,
			status: 200,
			check: func(t *testing.T, op, kp *diffPeer, _, _ diffAnswer) {
				o := op.mustCall(t, "ListTagsForStream", map[string]any{"StreamName": op.vars["{s0}"]})
				k := kp.mustCall(t, "ListTagsForStream", map[string]any{"StreamName": kp.vars["{s0}"]})
				diffKeys(t, "ListTagsForStream", o.body, k.body, nil)
				if !reflect.DeepEqual(o.body, k.body) {
					t.Errorf("ListTagsForStream: ours %v, kinesalite %v", o.body, k.body)
				}
			}},
		diffRow{name: "IncreaseStreamRetentionPeriod", streams: []int{1}, op: "IncreaseStreamRetentionPeriod",
			body: `{"StreamName":"{s0}","RetentionPeriodHours":48}`, status: 200,
			check: func(t *testing.T, op, kp *diffPeer, _, _ diffAnswer) {
				od := op.waitActive(t, op.vars["{s0}"], nil)
				kd := kp.waitActive(t, kp.vars["{s0}"], nil)
				if od["RetentionPeriodHours"] != kd["RetentionPeriodHours"] {
					t.Errorf("RetentionPeriodHours: ours %v, kinesalite %v", od["RetentionPeriodHours"], kd["RetentionPeriodHours"])
				}
			}},
		diffRow{name: "SplitShard", streams: []int{1}, op: "SplitShard",
			body:   `{"StreamName":"{s0}","ShardToSplit":"shardId-000000000000","NewStartingHashKey":"` + diffHalf + `"}`,
			status: 200, check: diffDescribeAfter(3)},
		diffRow{name: "SplitShard at the minimum hash", streams: []int{1}, op: "SplitShard",
			body:   `{"StreamName":"{s0}","ShardToSplit":"shardId-000000000000","NewStartingHashKey":"2"}`,
			status: 200, check: diffDescribeAfter(3)},
		diffRow{name: "MergeShards", streams: []int{3}, op: "MergeShards",
			body:   `{"StreamName":"{s0}","ShardToMerge":"shardId-000000000001","AdjacentShardToMerge":"shardId-000000000002"}`,
			status: 200, check: diffDescribeAfter(4)},
	)

	// ---- GetShardIterator / GetRecords errors (actions/getShardIterator.js, getRecords.js) ----
	gsi := func(name, body, msg string, typ string) diffRow {
		return diffRow{name: name, streams: []int{2}, op: "GetShardIterator", body: body, status: 400, typ: typ, msg: msg}
	}
	add(
		gsi("unknown shard", `{"StreamName":"{s0}","ShardId":"shardId-000000000005","ShardIteratorType":"LATEST"}`,
			"Shard shardId-000000000005 in stream {s0} under account "+diffAcct+" does not exist", errResourceNotFound),
		// AWS-recorded (kinesalite test/getShardIterator.js "known stream and
		// raw shard ID does not exist"): the id is echoed normalised.
		gsi("unknown shard given as shardId-5", `{"StreamName":"{s0}","ShardId":"shardId-5","ShardIteratorType":"LATEST"}`,
			"Shard shardId-000000000005 in stream {s0} under account "+diffAcct+" does not exist", errResourceNotFound),
		// AWS-recorded ("string shard ID"): an id with no number.
		gsi("shard id with no number", `{"StreamName":"{s0}","ShardId":"ABKLFD8","ShardIteratorType":"LATEST"}`,
			"Could not find shard ABKLFD8 in stream {s0} under account "+diffAcct+".", errResourceNotFound),
		// AWS-recorded ("shard ID too big"): beyond int32 is no shard id.
		gsi("shard index beyond int32", `{"StreamName":"{s0}","ShardId":"2147483648","ShardIteratorType":"LATEST"}`,
			"Could not find shard 2147483648 in stream {s0} under account "+diffAcct+".", errResourceNotFound),
		// AWS-recorded ("unknown stream and string shard ID"): the shard id
		// is resolved before the stream is looked up.
		diffRow{name: "shard id with no number on a missing stream", op: "GetShardIterator",
			body:   `{"StreamName":"{missing}","ShardId":"ABKLFD8","ShardIteratorType":"LATEST"}`,
			status: 400, typ: errResourceNotFound, msg: "Could not find shard ABKLFD8 in stream {missing} under account " + diffAcct + "."},
		// AWS-recorded ("should work with random shard ID with hyphen"): any
		// prefix before the hyphen is accepted.
		diffRow{name: "shard id with another prefix", streams: []int{2}, op: "GetShardIterator",
			body: `{"StreamName":"{s0}","ShardId":"foo-1","ShardIteratorType":"LATEST"}`, status: 200},
		gsi("TRIM_HORIZON with StartingSequenceNumber", `{"StreamName":"{s0}","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON","StartingSequenceNumber":"5"}`,
			diffEitherSN+"TRIM_HORIZON and also a StartingSequenceNumber.", errInvalidArgument),
		gsi("LATEST with StartingSequenceNumber", `{"StreamName":"{s0}","ShardId":"shardId-000000000000","ShardIteratorType":"LATEST","StartingSequenceNumber":"5"}`,
			diffEitherSN+"LATEST and also a StartingSequenceNumber.", errInvalidArgument),
		gsi("AT_SEQUENCE_NUMBER without StartingSequenceNumber", `{"StreamName":"{s0}","ShardId":"shardId-000000000000","ShardIteratorType":"AT_SEQUENCE_NUMBER"}`,
			diffEitherSN+"AT_SEQUENCE_NUMBER and no StartingSequenceNumber.", errInvalidArgument),
		gsi("AFTER_SEQUENCE_NUMBER without StartingSequenceNumber", `{"StreamName":"{s0}","ShardId":"shardId-000000000000","ShardIteratorType":"AFTER_SEQUENCE_NUMBER"}`,
			diffEitherSN+"AFTER_SEQUENCE_NUMBER and no StartingSequenceNumber.", errInvalidArgument),
		gsi("unparsable sequence number", `{"StreamName":"{s0}","ShardId":"shardId-000000000000","ShardIteratorType":"AT_SEQUENCE_NUMBER","StartingSequenceNumber":"1`+strings.Repeat("0", 44)+`"}`,
			"StartingSequenceNumber 1"+strings.Repeat("0", 44)+" used in GetShardIterator on shard shardId-000000000000 in stream {s0} under account "+diffAcct+" is invalid.",
			errInvalidArgument),
		diffRow{name: "sequence number from another shard", streams: []int{2}, op: "GetShardIterator",
			setup:  diffPutTo(map[string]any{"StreamName": "{s0}", "PartitionKey": "a", "Data": "", "ExplicitHashKey": diffHalf}),
			body:   `{"StreamName":"{s0}","ShardId":"shardId-000000000000","ShardIteratorType":"AT_SEQUENCE_NUMBER","StartingSequenceNumber":"{seq}"}`,
			status: 400, typ: errInvalidArgument,
			msg: "Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was used in a call to a shard with shardId-000000000000"},
		gsi("AT_TIMESTAMP without Timestamp", `{"StreamName":"{s0}","ShardId":"shardId-000000000000","ShardIteratorType":"AT_TIMESTAMP"}`,
			"Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.", errInvalidArgument),
		diffRow{name: "AT_TIMESTAMP in the future", streams: []int{1}, op: "GetShardIterator",
			body:   `{"StreamName":"{s0}","ShardId":"shardId-000000000000","ShardIteratorType":"AT_TIMESTAMP","Timestamp":4102444800.5}`,
			status: 400, typ: errInvalidArgument,
			msg:  "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: 4102444800500, currentTimestampInMillis: NOW",
			norm: func(s string) string { return diffNowRe.ReplaceAllString(s, "currentTimestampInMillis: NOW") }},
		diffRow{name: "GetRecords with a garbage iterator", op: "GetRecords", body: `{"ShardIterator":"garbage"}`,
			status: 400, typ: errInvalidArgument, msg: "Invalid ShardIterator."},
		diffRow{name: "GetRecords with an AWS-looking garbage iterator", op: "GetRecords",
			body:   `{"ShardIterator":"AAAAAAAAAAE` + strings.Repeat("Q", 221) + `"}`,
			status: 400, typ: errInvalidArgument, msg: "Invalid ShardIterator."},
	)

	// ---- PutRecord(s) errors ----
	add(
		diffRow{name: "PutRecord ExplicitHashKey 2^128", streams: []int{1}, op: "PutRecord",
			body:   `{"StreamName":"{s0}","PartitionKey":"a","Data":"","ExplicitHashKey":"` + diffPow128 + `"}`,
			status: 400, typ: errInvalidArgument,
			msg: "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was " + diffPow128},
		diffRow{name: "PutRecords ExplicitHashKey 2^128", streams: []int{1}, op: "PutRecords",
			body:   `{"StreamName":"{s0}","Records":[{"PartitionKey":"a","Data":""},{"PartitionKey":"a","Data":"","ExplicitHashKey":"` + diffPow128 + `"}]}`,
			status: 400, typ: errInvalidArgument,
			msg: "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was " + diffPow128},
	)

	// ---- SplitShard / MergeShards errors (actions/splitShard.js, mergeShards.js) ----
	notAdj := " in stream {s0} under account " + diffAcct + " are not an adjacent pair of shards eligible for merging"
	splitRange := func(key, shard, start, end string) string {
		return "NewStartingHashKey " + key + " used in SplitShard() on shard " + shard + " in stream {s0} under account " + diffAcct +
			" is not both greater than one plus the shard's StartingHashKey " + start + " and less than the shard's EndingHashKey " + end + "."
	}
	closed := func(shard string) string {
		return "Shard " + shard + " in stream {s0} under account " + diffAcct + " has already been merged or split, and thus is not eligible for merging or splitting."
	}
	add(
		diffRow{name: "SplitShard key too small", streams: []int{3}, op: "SplitShard",
			body:   `{"StreamName":"{s0}","ShardToSplit":"shardId-000000000000","NewStartingHashKey":"1"}`,
			status: 400, typ: errInvalidArgument, msg: splitRange("1", "shardId-000000000000", "0", diff3End0)},
		diffRow{name: "SplitShard key at the shard end", streams: []int{3}, op: "SplitShard",
			body:   `{"StreamName":"{s0}","ShardToSplit":"shardId-000000000000","NewStartingHashKey":"` + diff3End0 + `"}`,
			status: 400, typ: errInvalidArgument, msg: splitRange(diff3End0, "shardId-000000000000", "0", diff3End0)},
		diffRow{name: "SplitShard key far beyond the shard", streams: []int{3}, op: "SplitShard",
			body:   `{"StreamName":"{s0}","ShardToSplit":"shardId-000000000002","NewStartingHashKey":"999999999999999999999999999999999999999"}`,
			status: 400, typ: errInvalidArgument, msg: splitRange("999999999999999999999999999999999999999", "shardId-000000000002", diff3Start2, diffMaxHash)},
		diffRow{name: "SplitShard unknown shard", streams: []int{1}, op: "SplitShard",
			body:   `{"StreamName":"{s0}","ShardToSplit":"shardId-000000000005","NewStartingHashKey":"2"}`,
			status: 400, typ: errResourceNotFound, msg: "Could not find shard shardId-000000000005 in stream {s0} under account " + diffAcct + "."},
		// AWS-recorded (kinesalite test/splitShard.js "known stream and raw
		// shard ID does not exist").
		diffRow{name: "SplitShard unknown shard given as shardId-5", streams: []int{1}, op: "SplitShard",
			body:   `{"StreamName":"{s0}","ShardToSplit":"shardId-5","NewStartingHashKey":"2"}`,
			status: 400, typ: errResourceNotFound, msg: "Could not find shard shardId-000000000005 in stream {s0} under account " + diffAcct + "."},
		diffRow{name: "SplitShard shard id with no number", streams: []int{1}, op: "SplitShard",
			body:   `{"StreamName":"{s0}","ShardToSplit":"ABKLFD8","NewStartingHashKey":"2"}`,
			status: 400, typ: errResourceNotFound, msg: "Could not find shard ABKLFD8 in stream {s0} under account " + diffAcct + "."},
		// AWS-recorded (test/splitShard.js "unknown stream and string shard
		// ID", "…shard ID just small enough"): an unparsable shard id is
		// refused before the stream is looked up; a parsable one after.
		diffRow{name: "SplitShard shard id with no number on a missing stream", op: "SplitShard",
			body:   `{"StreamName":"{missing}","ShardToSplit":"ABKLFD8","NewStartingHashKey":"2"}`,
			status: 400, typ: errResourceNotFound, msg: "Could not find shard ABKLFD8 in stream {missing} under account " + diffAcct + "."},
		diffRow{name: "SplitShard large shard index on a missing stream", op: "SplitShard",
			body:   `{"StreamName":"{missing}","ShardToSplit":"2147483647","NewStartingHashKey":"2"}`,
			status: 400, typ: errResourceNotFound, msg: notFound},
		diffRow{name: "MergeShards shard id with no number on a missing stream", op: "MergeShards",
			body:   `{"StreamName":"{missing}","ShardToMerge":"shardId-000000000000","AdjacentShardToMerge":"ABKLFD8"}`,
			status: 400, typ: errResourceNotFound, msg: "Could not find shard ABKLFD8 in stream {missing} under account " + diffAcct + "."},
		// AWS-recorded (kinesalite test/splitShard.js "should work with
		// minimum hash" splits randomName()+'-0'): any prefix before the
		// last hyphen is accepted.
		diffRow{name: "SplitShard shard id with another prefix", streams: []int{1}, op: "SplitShard",
			body:   `{"StreamName":"{s0}","ShardToSplit":"foo-0","NewStartingHashKey":"2"}`,
			status: 200, check: diffDescribeAfter(3)},
		diffRow{name: "MergeShards unknown shard", streams: []int{2}, op: "MergeShards",
			body:   `{"StreamName":"{s0}","ShardToMerge":"shardId-000000000000","AdjacentShardToMerge":"shardId-000000000007"}`,
			status: 400, typ: errResourceNotFound, msg: "Could not find shard shardId-000000000007 in stream {s0} under account " + diffAcct + "."},
		diffRow{name: "MergeShards unknown shard given as shardId-5", streams: []int{2}, op: "MergeShards",
			body:   `{"StreamName":"{s0}","ShardToMerge":"shardId-5","AdjacentShardToMerge":"shardId-000000000001"}`,
			status: 400, typ: errResourceNotFound, msg: "Could not find shard shardId-000000000005 in stream {s0} under account " + diffAcct + "."},
		diffRow{name: "MergeShards non-adjacent shards", streams: []int{3}, op: "MergeShards",
			body:   `{"StreamName":"{s0}","ShardToMerge":"shardId-000000000000","AdjacentShardToMerge":"shardId-000000000002"}`,
			status: 400, typ: errInvalidArgument, msg: "Shards shardId-000000000000 and shardId-000000000002" + notAdj},
		// AWS-recorded (kinesalite test/mergeShards.js "adjacency is
		// inverted"): ShardToMerge must be the lower range.
		diffRow{name: "MergeShards inverted adjacency", streams: []int{3}, op: "MergeShards",
			body:   `{"StreamName":"{s0}","ShardToMerge":"shardId-000000000001","AdjacentShardToMerge":"shardId-000000000000"}`,
			status: 400, typ: errInvalidArgument, msg: "Shards shardId-000000000001 and shardId-000000000000" + notAdj},
		diffRow{name: "MergeShards shard ids with another prefix", streams: []int{3}, op: "MergeShards",
			body:   `{"StreamName":"{s0}","ShardToMerge":"foo-0","AdjacentShardToMerge":"bar-1"}`,
			status: 200, check: diffDescribeAfter(4)},
		// kinesis.md §3.11 / kinesalite#109: AWS refuses to reshard a closed
		// shard; kinesalite wrongly allows it. Only ours is asserted.
		diffRow{name: "SplitShard of a closed shard", streams: []int{1}, op: "SplitShard",
			setup: diffSteps(diffSetupCall("SplitShard", map[string]any{"StreamName": "{s0}", "ShardToSplit": "shardId-000000000000", "NewStartingHashKey": diffHalf}),
				diffWaitShards(3)),
			body:   `{"StreamName":"{s0}","ShardToSplit":"shardId-000000000000","NewStartingHashKey":"2"}`,
			status: 400, typ: errInvalidArgument, msg: closed("shardId-000000000000"),
			mode: diffOursOnly, why: "kinesalite allows resharding a closed shard (kinesalite#109, kinesis.md §3.11)"},
		diffRow{name: "MergeShards of closed shards", streams: []int{2}, op: "MergeShards",
			setup: diffSteps(diffSetupCall("MergeShards", map[string]any{"StreamName": "{s0}", "ShardToMerge": "shardId-000000000000", "AdjacentShardToMerge": "shardId-000000000001"}),
				diffWaitShards(3)),
			body:   `{"StreamName":"{s0}","ShardToMerge":"shardId-000000000000","AdjacentShardToMerge":"shardId-000000000001"}`,
			status: 400, typ: errInvalidArgument, msg: closed("shardId-000000000000"),
			mode: diffOursOnly, why: "kinesalite allows resharding a closed shard (kinesalite#109, kinesis.md §3.11)"},
	)

	// ---- retention (actions/increase|decreaseStreamRetentionPeriod.js) ----
	add(
		diffRow{name: "increase below the current retention", streams: []int{1}, op: "IncreaseStreamRetentionPeriod",
			setup:  diffSetupCall("IncreaseStreamRetentionPeriod", map[string]any{"StreamName": "{s0}", "RetentionPeriodHours": 48}),
			body:   `{"StreamName":"{s0}","RetentionPeriodHours":36}`,
			status: 400, typ: errInvalidArgument,
			msg: "Requested retention period (36 hours) for stream {s0} can not be shorter than existing retention period (48 hours). Use DecreaseRetentionPeriod API."},
		diffRow{name: "decrease above the current retention", streams: []int{1}, op: "DecreaseStreamRetentionPeriod",
			body:   `{"StreamName":"{s0}","RetentionPeriodHours":48}`,
			status: 400, typ: errInvalidArgument,
			msg: "Requested retention period (48 hours) for stream {s0} can not be longer than existing retention period (24 hours). Use IncreaseRetentionPeriod API."},
		diffRow{name: "increase below 24 hours", streams: []int{1}, op: "IncreaseStreamRetentionPeriod",
			body: `{"StreamName":"{s0}","RetentionPeriodHours":12}`, status: 400, typ: errInvalidArgument,
			msg: "Minimum allowed retention period is 24 hours. Requested retention period (12 hours) is too short."},
		diffRow{name: "decrease below 24 hours", streams: []int{1}, op: "DecreaseStreamRetentionPeriod",
			body: `{"StreamName":"{s0}","RetentionPeriodHours":1}`, status: 400, typ: errInvalidArgument,
			msg: "Minimum allowed retention period is 24 hours. Requested retention period (1 hours) is too short."},
		// kinesis.md §3.9: 24–8760 h on AWS; kinesalite's model stops at 168.
		diffRow{name: "increase to 169 hours", streams: []int{1}, op: "IncreaseStreamRetentionPeriod",
			body: `{"StreamName":"{s0}","RetentionPeriodHours":169}`, status: 200,
			mode: diffOursOnly, why: "retention upper bound 8760 h (kinesalite 168 h)",
			check: func(t *testing.T, op, _ *diffPeer, _, _ diffAnswer) {
				if d := op.waitActive(t, op.vars["{s0}"], nil); d["RetentionPeriodHours"] != 169.0 {
					t.Errorf("ours: RetentionPeriodHours %v after increasing to 169", d["RetentionPeriodHours"])
				}
			}},
	)

	// ---- tags (actions/addTagsToStream.js, removeTagsFromStream.js) ----
	add(
		diffRow{name: "tag key with ;", streams: []int{1}, op: "AddTagsToStream", body: `{"StreamName":"{s0}","Tags":{"abc;def":"1"}}`,
			status: 400, typ: errInvalidArgument, msg: diffBadTags},
		diffRow{name: "tag value with ,", streams: []int{1}, op: "AddTagsToStream", body: `{"StreamName":"{s0}","Tags":{"a":"abc,def"}}`,
			status: 400, typ: errInvalidArgument, msg: diffBadTags},
		diffRow{name: "tag key with a tab", streams: []int{1}, op: "AddTagsToStream", body: `{"StreamName":"{s0}","Tags":{"abc\tdef":"1"}}`,
			status: 400, typ: errInvalidArgument, msg: diffBadTags},
		diffRow{name: "tag key with %", streams: []int{1}, op: "AddTagsToStream", body: `{"StreamName":"{s0}","Tags":{"abc%def":"1"}}`,
			status: 400, typ: errInvalidArgument, msg: "Failed to add tags to stream {s0} under account " + diffAcct + diffIllegal},
		diffRow{name: "tag value with %", streams: []int{1}, op: "AddTagsToStream", body: `{"StreamName":"{s0}","Tags":{"a":"abc%def"}}`,
			status: 400, typ: errInvalidArgument, msg: "Failed to add tags to stream {s0} under account " + diffAcct + diffIllegal},
		diffRow{name: "remove tag key with ;", streams: []int{1}, op: "RemoveTagsFromStream", body: `{"StreamName":"{s0}","TagKeys":["abc;def"]}`,
			status: 400, typ: errInvalidArgument, msg: diffBadTags},
		diffRow{name: "remove tag key with %", streams: []int{1}, op: "RemoveTagsFromStream", body: `{"StreamName":"{s0}","TagKeys":["abc%def"]}`,
			status: 400, typ: errInvalidArgument, msg: "Failed to remove tags from stream {s0} under account " + diffAcct + diffIllegal},
		// kinesis.md §2: 50 tags per stream on AWS (Tags map ≤ 200 per call);
		// kinesalite's model stops at 10.
		diffRow{name: "eleven tags", streams: []int{1}, op: "AddTagsToStream",
			body:   `{"StreamName":"{s0}","Tags":{"a":"","b":"","c":"","d":"","e":"","f":"","g":"","h":"","i":"","j":"","k":""}}`,
			status: 200, mode: diffOursOnly, why: "tag limit 50 per stream (kinesalite 10)",
			check: func(t *testing.T, op, _ *diffPeer, _, _ diffAnswer) {
				a := op.mustCall(t, "ListTagsForStream", map[string]any{"StreamName": op.vars["{s0}"]})
				if tags, _ := a.body["Tags"].([]any); len(tags) != 11 {
					t.Errorf("ours: %d tags after adding 11: %s", len(tags), a.raw)
				}
			}},
	)

	// ---- ListShards (actions/listShards.js) ----
	add(
		diffRow{name: "ListShards with neither NextToken nor StreamName", op: "ListShards", body: `{}`,
			status: 400, typ: errInvalidArgument, msg: "Either NextToken or StreamName should be provided."},
		diffRow{name: "ListShards with both NextToken and StreamName", streams: []int{1}, op: "ListShards", body: `{"StreamName":"{s0}","NextToken":"abc"}`,
			status: 400, typ: errInvalidArgument, msg: "NextToken and StreamName cannot be provided together."},
	)

	// ---- documented deviations in what we accept ----
	add(
		// kinesis.md §2 "Modes": AWS creates 4 shards without ShardCount.
		diffRow{name: "CreateStream without ShardCount", op: "CreateStream", body: `{"StreamName":"{missing}"}`, status: 200,
			mode: diffOursOnly, why: "ShardCount optional, default 4 (kinesalite requires it)",
			// The 4 shards must have the ranges kinesalite gives ShardCount 4.
			check: func(t *testing.T, op, kp *diffPeer, _, _ diffAnswer) {
				name := op.vars["{missing}"]
				kp.createStream(t, name, 4)
				od := op.waitActive(t, name, nil)
				kd := kp.waitActive(t, name, nil)
				diffSameShards(t, "default shard count", od["Shards"], kd["Shards"])
			}},
		// kinesis.md §2: StreamARN may replace StreamName; kinesalite drops it.
		diffRow{name: "DescribeStream by StreamARN only", streams: []int{1}, op: "DescribeStream",
			body:   `{"StreamARN":"arn:aws:kinesis:us-east-1:` + diffAcct + `:stream/{s0}"}`,
			status: 200, mode: diffOursOnly, why: "StreamARN accepted in place of StreamName (kinesalite has no StreamARN input)",
			check: func(t *testing.T, _, kp *diffPeer, oa, _ diffAnswer) {
				od, _ := oa.body["StreamDescription"].(map[string]any)
				kd := kp.waitActive(t, kp.vars["{s0}"], nil)
				diffSameShards(t, "DescribeStream by ARN", od["Shards"], kd["Shards"])
				if od["StreamName"] != kd["StreamName"] {
					t.Errorf("StreamName: ours %v, kinesalite %v", od["StreamName"], kd["StreamName"])
				}
			}},
	)

	// ---- CBOR (index.js decodes with cbor, answers in CBOR) ----
	add(
		diffRow{name: "CBOR DescribeStream on a missing stream", op: "DescribeStream", ctype: contentCBOR,
			bodyFn: func(p *diffPeer) []byte { return diffCBORBody(map[string]any{"StreamName": p.vars["{missing}"]}) },
			status: 400, typ: errResourceNotFound, msg: notFound},
		diffRow{name: "CBOR malformed body", op: "DescribeStream", ctype: contentCBOR,
			bodyFn: func(*diffPeer) []byte { return []byte{0xff, 0xff} }, status: 400, typ: errSerialization},
		diffRow{name: "CBOR body that is not a map", op: "DescribeStream", ctype: contentCBOR,
			bodyFn: func(*diffPeer) []byte { return []byte{0x01} }, status: 400, typ: errSerialization},
		diffRow{name: "CBOR String given an integer", op: "DescribeStream", ctype: contentCBOR,
			bodyFn: func(*diffPeer) []byte { return diffCBORBody(map[string]any{"StreamName": 12}) },
			status: 400, typ: errSerialization, msg: "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"},
		diffRow{name: "CBOR validation error", op: "DescribeStream", ctype: contentCBOR,
			bodyFn: func(*diffPeer) []byte { return diffCBORBody(map[string]any{"StreamName": "a b"}) },
			status: 400, typ: errValidation, msg: one + "Value 'a b' at 'streamName' failed to satisfy constraint: " + diffNameRe},
		diffRow{name: "CBOR PutRecord with a byte-string blob", streams: []int{3}, op: "PutRecord", ctype: contentCBOR,
			bodyFn: func(p *diffPeer) []byte {
				return diffCBORBody(map[string]any{"StreamName": p.vars["{s0}"], "PartitionKey": "foo", "Data": []byte("hello")})
			},
			status: 200, extra: []string{"EncryptionType"}, check: diffSameField("ShardId")},
	)
	return rows
}

var diffNowRe = regexp.MustCompile(`currentTimestampInMillis: \d+`)
