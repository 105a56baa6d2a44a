package kinesis

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// These tests drive the API with the AWS SDK for Go v2, as users'
// producers and consumers do.

var ctx = context.Background()

func TestStreamControlPlane(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client
	e.mustCreate("s3", 3)
	_, err := c.CreateStream(ctx, &awskinesis.CreateStreamInput{StreamName: aws.String("s3"), ShardCount: aws.Int32(1)})
	if apiCode(err) != errResourceInUse || apiMessage(err) != "Stream s3 under account 000000000000 already exists." {
		t.Errorf("duplicate create: %v", err)
	}
	// ON_DEMAND without a shard count: 4 shards, as on AWS.
	if _, err := c.CreateStream(ctx, &awskinesis.CreateStreamInput{StreamName: aws.String("od"),
		StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}}); err != nil {
		t.Fatal(err)
	}

	d, err := c.DescribeStream(ctx, &awskinesis.DescribeStreamInput{StreamName: aws.String("s3")})
	if err != nil {
		t.Fatal(err)
	}
	sd := d.StreamDescription
	if sd.StreamStatus != types.StreamStatusActive || *sd.StreamARN != "arn:aws:kinesis:us-east-1:000000000000:stream/s3" ||
		*sd.RetentionPeriodHours != 24 || len(sd.Shards) != 3 || *sd.HasMoreShards || sd.StreamModeDetails.StreamMode != types.StreamModeProvisioned {
		t.Fatalf("DescribeStream: %+v", sd)
	}
	// kinesis.md §3.2: N=3 hash ranges, shard ids, starting sequence numbers.
	wantRanges := [][2]string{
		{"0", "113427455640312821154458202477256070484"},
		{"113427455640312821154458202477256070485", "226854911280625642308916404954512140969"},
		{"226854911280625642308916404954512140970", "340282366920938463463374607431768211455"},
	}
	for i, s := range sd.Shards {
		if *s.ShardId != fmt.Sprintf("shardId-%012d", i) || *s.HashKeyRange.StartingHashKey != wantRanges[i][0] ||
			*s.HashKeyRange.EndingHashKey != wantRanges[i][1] || s.SequenceNumberRange.EndingSequenceNumber != nil {
			t.Errorf("shard %d: %+v %+v", i, *s.ShardId, *s.HashKeyRange)
		}
	}
	// Paging through shards with Limit and ExclusiveStartShardId (the CLI's way).
	d, err = c.DescribeStream(ctx, &awskinesis.DescribeStreamInput{StreamName: aws.String("s3"), Limit: aws.Int32(2), ExclusiveStartShardId: aws.String("shardId-000000000000")})
	if err != nil || len(d.StreamDescription.Shards) != 2 || *d.StreamDescription.HasMoreShards || *d.StreamDescription.Shards[0].ShardId != "shardId-000000000001" {
		t.Errorf("DescribeStream page: %v %+v", err, d)
	}
	// StreamARN alone addresses a stream.
	sum, err := c.DescribeStreamSummary(ctx, &awskinesis.DescribeStreamSummaryInput{StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/od")})
	if err != nil || *sum.StreamDescriptionSummary.OpenShardCount != 4 || sum.StreamDescriptionSummary.StreamModeDetails.StreamMode != types.StreamModeOnDemand {
		t.Fatalf("DescribeStreamSummary by ARN: %v %+v", err, sum)
	}
	if _, err := c.DescribeStreamSummary(ctx, &awskinesis.DescribeStreamSummaryInput{StreamName: aws.String("s3"), StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/od")}); apiCode(err) != errInvalidArgument {
		t.Errorf("name and ARN disagree: %v", err)
	}

	// ListStreams pages with NextToken, which the CLI follows.
	var names []string
	in := &awskinesis.ListStreamsInput{Limit: aws.Int32(1)}
	for range 5 {
		out, err := c.ListStreams(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, out.StreamNames...)
		if len(out.StreamSummaries) != len(out.StreamNames) {
			t.Errorf("summaries %d != names %d", len(out.StreamSummaries), len(out.StreamNames))
		}
		if !*out.HasMoreStreams {
			if out.NextToken != nil {
				t.Error("NextToken without HasMoreStreams")
			}
			break
		}
		in = &awskinesis.ListStreamsInput{NextToken: out.NextToken, Limit: aws.Int32(1)}
	}
	if want := []string{"dead-letter", "od", "s3"}; !slices.Equal(names, want) {
		t.Errorf("ListStreams pages: %v, want %v", names, want)
	}

	// Tags.
	if _, err := c.AddTagsToStream(ctx, &awskinesis.AddTagsToStreamInput{StreamName: aws.String("s3"), Tags: map[string]string{"site": "shed", "owner": "ops", "tier": ""}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemoveTagsFromStream(ctx, &awskinesis.RemoveTagsFromStreamInput{StreamName: aws.String("s3"), TagKeys: []string{"owner"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForStream(ctx, &awskinesis.ListTagsForStreamInput{StreamName: aws.String("s3"), Limit: aws.Int32(1)})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "site" || !*tags.HasMoreTags {
		t.Errorf("ListTagsForStream: %v %+v", err, tags)
	}
	tags, _ = c.ListTagsForStream(ctx, &awskinesis.ListTagsForStreamInput{StreamName: aws.String("s3"), ExclusiveStartTagKey: aws.String("site")})
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "tier" || *tags.HasMoreTags {
		t.Errorf("ListTagsForStream after site: %+v", tags)
	}
	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprint("k", i)] = "v"
	}
	if _, err := c.AddTagsToStream(ctx, &awskinesis.AddTagsToStreamInput{StreamName: aws.String("s3"), Tags: many}); apiCode(err) != errInvalidArgument {
		t.Errorf("52 tags: %v", err)
	}
	if _, err := c.AddTagsToStream(ctx, &awskinesis.AddTagsToStreamInput{StreamName: aws.String("s3"), Tags: map[string]string{"a*b": "x"}}); apiCode(err) != errInvalidArgument {
		t.Errorf("bad tag characters: %v", err)
	}

	// Retention: direction and range are checked.
	if _, err := c.IncreaseStreamRetentionPeriod(ctx, &awskinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String("s3"), RetentionPeriodHours: aws.Int32(48)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DecreaseStreamRetentionPeriod(ctx, &awskinesis.DecreaseStreamRetentionPeriodInput{StreamName: aws.String("s3"), RetentionPeriodHours: aws.Int32(72)})
	if apiCode(err) != errInvalidArgument || !strings.Contains(apiMessage(err), "can not be longer than existing retention period (48 hours). Use IncreaseRetentionPeriod API.") {
		t.Errorf("decrease upwards: %v", err)
	}
	_, err = c.IncreaseStreamRetentionPeriod(ctx, &awskinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String("s3"), RetentionPeriodHours: aws.Int32(8761)})
	if apiCode(err) != errValidation {
		t.Errorf("8761 hours: %v", err)
	}
	if _, err := c.DecreaseStreamRetentionPeriod(ctx, &awskinesis.DecreaseStreamRetentionPeriodInput{StreamName: aws.String("s3"), RetentionPeriodHours: aws.Int32(24)}); err != nil {
		t.Fatal(err)
	}
	sum, _ = c.DescribeStreamSummary(ctx, &awskinesis.DescribeStreamSummaryInput{StreamName: aws.String("s3")})
	if *sum.StreamDescriptionSummary.RetentionPeriodHours != 24 {
		t.Errorf("retention after decrease: %d", *sum.StreamDescriptionSummary.RetentionPeriodHours)
	}

	// Enhanced monitoring is accepted and reported.
	mon, err := c.EnableEnhancedMonitoring(ctx, &awskinesis.EnableEnhancedMonitoringInput{StreamName: aws.String("s3"), ShardLevelMetrics: []types.MetricsName{types.MetricsNameIncomingBytes}})
	if err != nil || len(mon.DesiredShardLevelMetrics) != 1 || len(mon.CurrentShardLevelMetrics) != 0 {
		t.Errorf("EnableEnhancedMonitoring: %v %+v", err, mon)
	}
	if mon, err := c.DisableEnhancedMonitoring(ctx, &awskinesis.DisableEnhancedMonitoringInput{StreamName: aws.String("s3"), ShardLevelMetrics: []types.MetricsName{types.MetricsNameAll}}); err != nil || len(mon.DesiredShardLevelMetrics) != 0 {
		t.Errorf("DisableEnhancedMonitoring: %v %+v", err, mon)
	}

	lim, err := c.DescribeLimits(ctx, &awskinesis.DescribeLimitsInput{})
	if err != nil || *lim.ShardLimit != 500 || *lim.OpenShardCount != 8 || *lim.OnDemandStreamCount != 1 {
		t.Errorf("DescribeLimits: %v %+v", err, lim)
	}
	// The shard quota.
	_, err = c.CreateStream(ctx, &awskinesis.CreateStreamInput{StreamName: aws.String("huge"), ShardCount: aws.Int32(493)})
	if apiCode(err) != errLimitExceeded || !strings.HasPrefix(apiMessage(err), "This request would exceed the shard limit for the account 000000000000 in us-east-1. Current shard count for the account: 8. Limit: 500.") {
		t.Errorf("over the shard limit: %v", err)
	}

	// Stream mode can change.
	if _, err := c.UpdateStreamMode(ctx, &awskinesis.UpdateStreamModeInput{StreamARN: sd.StreamARN, StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SplitShard(ctx, &awskinesis.SplitShardInput{StreamName: aws.String("s3"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("100")}); apiCode(err) != errValidation {
		t.Errorf("split on an on-demand stream: %v", err)
	}

	if _, err := c.DeleteStream(ctx, &awskinesis.DeleteStreamInput{StreamName: aws.String("s3")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeStream(ctx, &awskinesis.DescribeStreamInput{StreamName: aws.String("s3")})
	if apiCode(err) != errResourceNotFound || apiMessage(err) != "Stream s3 under account 000000000000 not found." {
		t.Errorf("after delete: %v", err)
	}
	if _, err := c.DeleteStream(ctx, &awskinesis.DeleteStreamInput{StreamName: aws.String("dead-letter")}); apiCode(err) != errResourceInUse {
		t.Errorf("deleting the dead-letter stream: %v", err)
	}
}

func TestPutAndGetEveryIteratorType(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client
	e.mustCreate("s", 2)
	// kinesis.md §3.1: "a" → shard 0, "foo" → shard 1 of 2.
	pr, err := c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("a"), Data: []byte("first")})
	if err != nil || *pr.ShardId != "shardId-000000000000" {
		t.Fatalf("PutRecord a: %v %+v", err, pr)
	}
	pr2, err := c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("foo"), Data: []byte("x")})
	if err != nil || *pr2.ShardId != "shardId-000000000001" {
		t.Fatalf("PutRecord foo: %v %+v", err, pr2)
	}
	// ExplicitHashKey overrides the key's hash.
	pr3, err := c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("foo"), ExplicitHashKey: aws.String("0"), Data: []byte("second")})
	if err != nil || *pr3.ShardId != "shardId-000000000000" {
		t.Fatalf("PutRecord with ExplicitHashKey: %v %+v", err, pr3)
	}
	entries := make([]types.PutRecordsRequestEntry, 0, 10)
	for i := range 10 {
		entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String("a"), Data: []byte(fmt.Sprint("batch-", i))})
	}
	prs, err := c.PutRecords(ctx, &awskinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries})
	if err != nil || *prs.FailedRecordCount != 0 || len(prs.Records) != 10 {
		t.Fatalf("PutRecords: %v %+v", err, prs)
	}
	for i := 1; i < 10; i++ {
		if !seqLess(*prs.Records[i-1].SequenceNumber, *prs.Records[i].SequenceNumber) {
			t.Errorf("sequence numbers out of request order at %d", i)
		}
	}
	before := time.Now().Add(-time.Second)

	read := func(it *string, limit int32) ([]string, *awskinesis.GetRecordsOutput) {
		t.Helper()
		out, err := c.GetRecords(ctx, &awskinesis.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(limit)})
		if err != nil {
			t.Fatalf("GetRecords: %v", err)
		}
		var got []string
		for _, r := range out.Records {
			got = append(got, string(r.Data))
		}
		return got, out
	}
	iter := func(typ types.ShardIteratorType, seq *string, ts *time.Time) *string {
		t.Helper()
		out, err := c.GetShardIterator(ctx, &awskinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"),
			ShardIteratorType: typ, StartingSequenceNumber: seq, Timestamp: ts})
		if err != nil {
			t.Fatalf("GetShardIterator %s: %v", typ, err)
		}
		if !strings.HasPrefix(*out.ShardIterator, "AAAAAAAAAAE") || len(*out.ShardIterator) > 512 {
			t.Errorf("iterator %q", *out.ShardIterator)
		}
		return out.ShardIterator
	}

	got, out := read(iter(types.ShardIteratorTypeTrimHorizon, nil, nil), 3)
	if !slices.Equal(got, []string{"first", "second", "batch-0"}) || out.NextShardIterator == nil || out.ChildShards != nil {
		t.Fatalf("TRIM_HORIZON: %v", got)
	}
	got, out = read(out.NextShardIterator, 100)
	if len(got) != 9 || got[8] != "batch-9" || *out.MillisBehindLatest != 0 {
		t.Fatalf("next page: %v behind %d", got, *out.MillisBehindLatest)
	}
	// A fresh iterator from the tip sees only new records.
	latest := iter(types.ShardIteratorTypeLatest, nil, nil)
	if got, _ := read(latest, 10); len(got) != 0 {
		t.Fatalf("LATEST before new records: %v", got)
	}
	c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("a"), Data: []byte("late")})
	if got, _ := read(latest, 10); !slices.Equal(got, []string{"late"}) {
		t.Fatalf("LATEST: %v", got)
	}
	if got, _ := read(iter(types.ShardIteratorTypeAtSequenceNumber, pr3.SequenceNumber, nil), 2); !slices.Equal(got, []string{"second", "batch-0"}) {
		t.Errorf("AT_SEQUENCE_NUMBER: %v", got)
	}
	if got, _ := read(iter(types.ShardIteratorTypeAfterSequenceNumber, pr3.SequenceNumber, nil), 1); !slices.Equal(got, []string{"batch-0"}) {
		t.Errorf("AFTER_SEQUENCE_NUMBER: %v", got)
	}
	if got, _ := read(iter(types.ShardIteratorTypeAtTimestamp, nil, &before), 1); !slices.Equal(got, []string{"first"}) {
		t.Errorf("AT_TIMESTAMP: %v", got)
	}
	// Old iterators stay usable: reading one again gives the same records.
	th := iter(types.ShardIteratorTypeTrimHorizon, nil, nil)
	a, _ := read(th, 2)
	b, _ := read(th, 2)
	if !slices.Equal(a, b) {
		t.Errorf("re-reading an iterator: %v then %v", a, b)
	}

	// Sequence numbers from the other shard, or never issued, are refused.
	_, err = c.GetShardIterator(ctx, &awskinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"),
		ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: pr2.SequenceNumber})
	if apiCode(err) != errInvalidArgument || !strings.HasPrefix(apiMessage(err), "Invalid StartingSequenceNumber. It encodes shardId-000000000001") {
		t.Errorf("other shard's sequence number: %v", err)
	}
	_, err = c.GetShardIterator(ctx, &awskinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"),
		ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String("100000000000000000000000000999999")})
	if apiCode(err) != errInvalidArgument || !strings.HasSuffix(apiMessage(err), "did not come from this stream.") {
		t.Errorf("never-issued sequence number: %v", err)
	}
	_, err = c.GetShardIterator(ctx, &awskinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000009"), ShardIteratorType: types.ShardIteratorTypeLatest})
	if apiCode(err) != errResourceNotFound || apiMessage(err) != "Shard shardId-000000000009 in stream s under account 000000000000 does not exist" {
		t.Errorf("unknown shard: %v", err)
	}
	// Far enough ahead that milliseconds overflow int64: still the future
	// (the SDK cannot even encode it, so by hand).
	status, body := e.call("GetShardIterator", map[string]any{"StreamName": "s", "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": 1e17})
	if status != 400 || body["__type"] != errInvalidArgument {
		t.Errorf("timestamp 1e17: %d %v", status, body)
	}
	future := time.Now().Add(time.Hour)
	if _, err = c.GetShardIterator(ctx, &awskinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"),
		ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: &future}); apiCode(err) != errInvalidArgument {
		t.Errorf("future timestamp: %v", err)
	}

	// Iterators expire after five minutes.
	e.clock.Advance(5*time.Minute + time.Second)
	_, err = c.GetRecords(ctx, &awskinesis.GetRecordsInput{ShardIterator: th})
	if apiCode(err) != errExpiredIterator || !strings.Contains(apiMessage(err), "tolerated delay of 300000 milliseconds") {
		t.Errorf("expired iterator: %v", err)
	}
	// A tampered iterator is invalid.
	bad := []byte(*iter(types.ShardIteratorTypeTrimHorizon, nil, nil))
	bad[20] ^= 1
	if _, err = c.GetRecords(ctx, &awskinesis.GetRecordsInput{ShardIterator: aws.String(string(bad))}); apiCode(err) != errInvalidArgument || apiMessage(err) != "Invalid ShardIterator." {
		t.Errorf("tampered iterator: %v", err)
	}
	// An iterator used with another stream's ARN.
	e.mustCreate("other", 1)
	_, err = c.GetRecords(ctx, &awskinesis.GetRecordsInput{ShardIterator: iter(types.ShardIteratorTypeTrimHorizon, nil, nil), StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/other")})
	if apiCode(err) != errInvalidArgument {
		t.Errorf("iterator with another stream's ARN: %v", err)
	}
	// A deleted stream's iterator.
	it := iter(types.ShardIteratorTypeTrimHorizon, nil, nil)
	c.DeleteStream(ctx, &awskinesis.DeleteStreamInput{StreamName: aws.String("s")})
	if _, err = c.GetRecords(ctx, &awskinesis.GetRecordsInput{ShardIterator: it}); apiCode(err) != errResourceNotFound {
		t.Errorf("iterator of a deleted stream: %v", err)
	}
}

// seqLess compares decimal sequence numbers as big integers (never
// lexically, kinesis.md §3.3).
func seqLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func TestPutRecordsLimits(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client
	e.mustCreate("s", 1)
	put := func(recs []types.PutRecordsRequestEntry) error {
		_, err := c.PutRecords(ctx, &awskinesis.PutRecordsInput{StreamName: aws.String("s"), Records: recs})
		return err
	}
	n := func(count, size int) []types.PutRecordsRequestEntry {
		out := make([]types.PutRecordsRequestEntry, count)
		for i := range out {
			out[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String("k"), Data: bytes.Repeat([]byte{'x'}, size)}
		}
		return out
	}
	if err := put(n(501, 1)); apiCode(err) != errValidation || !strings.Contains(apiMessage(err), "Member must have length less than or equal to 500") {
		t.Errorf("501 records: %v", err)
	}
	// 5 MiB + 1 of data plus keys.
	recs := n(5, 1<<20-1)
	recs = append(recs, types.PutRecordsRequestEntry{PartitionKey: aws.String("k"), Data: []byte("xxxxxxx")})
	if err := put(recs); apiCode(err) != errInvalidArgument || apiMessage(err) != "Records size exceeds 5 MB limit" {
		t.Errorf("5 MiB + 1: %v", err)
	}
	if err := put(n(1, 1<<20+1)); apiCode(err) != errValidation || !strings.Contains(apiMessage(err), "at 'records.1.member.data' failed to satisfy constraint: Member must have length less than or equal to 1048576") {
		t.Errorf("oversized record: %v", err)
	}
	// Data + key over 1 MiB fails only that record.
	recs = n(2, 10)
	recs = append(recs, types.PutRecordsRequestEntry{PartitionKey: aws.String("kk"), Data: bytes.Repeat([]byte{'x'}, 1<<20-1)})
	out, err := c.PutRecords(ctx, &awskinesis.PutRecordsInput{StreamName: aws.String("s"), Records: recs})
	if err != nil || *out.FailedRecordCount != 1 || out.Records[2].ErrorCode == nil || out.Records[0].SequenceNumber == nil {
		t.Errorf("record with key over 1 MiB: %v %+v", err, out)
	}
	_, err = c.PutRecords(ctx, &awskinesis.PutRecordsInput{StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{
		{PartitionKey: aws.String("k"), Data: []byte("x"), ExplicitHashKey: aws.String("340282366920938463463374607431768211456")}}})
	if apiCode(err) != errInvalidArgument || !strings.HasPrefix(apiMessage(err), "Invalid ExplicitHashKey.") {
		t.Errorf("hash key 2^128: %v", err)
	}
	if _, err := c.PutRecords(ctx, &awskinesis.PutRecordsInput{StreamName: aws.String("nope"), Records: n(1, 1)}); apiCode(err) != errResourceNotFound {
		t.Errorf("unknown stream: %v", err)
	}
	// Unknown stream, and every record refused before the spool.
	tooBig := []types.PutRecordsRequestEntry{{PartitionKey: aws.String("kk"), Data: bytes.Repeat([]byte{'x'}, 1<<20-1)}}
	if _, err := c.PutRecords(ctx, &awskinesis.PutRecordsInput{StreamName: aws.String("nope"), Records: tooBig}); apiCode(err) != errResourceNotFound {
		t.Errorf("unknown stream, only an oversized record: %v", err)
	}
}
