package kinesis

import (
	"encoding/json"
	"testing"
	"time"
)

// The hand-written encoders write exactly what encoding/json writes.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	now := ts(time.UnixMilli(1764150000123))
	cases := []jsonAppender{
		putRecordsOut{Records: []putRecordsEntry{}, EncryptionType: "NONE"},
		putRecordsOut{FailedRecordCount: 1, EncryptionType: "NONE", Records: []putRecordsEntry{
			{SequenceNumber: "100000000000000000000000000000001", ShardId: "shardId-000000000000"},
			{ErrorCode: errThroughput, ErrorMessage: `Rate exceeded for shard "x" <&> in stream s\n`},
		}},
		getRecordsOut{Records: []recordOut{}, NextShardIterator: "AAAAAAAAAAE+/=", MillisBehindLatest: 0},
		getRecordsOut{Records: []recordOut{
			{SequenceNumber: "1", ApproximateArrivalTimestamp: now, Data: []byte{0, 1, 2, 0xff}, PartitionKey: "日本\u2028\"k\"", EncryptionType: "NONE"},
			{SequenceNumber: "2", ApproximateArrivalTimestamp: now, Data: []byte{}, PartitionKey: "\x01"},
		}, MillisBehindLatest: 12, ChildShards: []childShardOut{{ShardId: "shardId-000000000001", ParentShards: []string{"shardId-000000000000"}, HashKeyRange: hashKeyRange{"0", "9"}}}},
	}
	for i, c := range cases {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.appendJSON(nil); string(got) != string(want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}
