package kinesis

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

func TestThroughputLimits(t *testing.T) {
	e := newEnv(t, Config{Throughput: true})
	e.clock.Freeze() // no allowance refills between calls unless advanced
	c := e.client
	e.mustCreate("s", 1)
	batch := make([]types.PutRecordsRequestEntry, 500)
	for i := range batch {
		batch[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String("k"), Data: []byte("x")}
	}
	failed := 0
	for range 3 {
		out, err := c.PutRecords(ctx, &awskinesis.PutRecordsInput{StreamName: aws.String("s"), Records: batch})
		if err != nil {
			t.Fatal(err)
		}
		failed += int(*out.FailedRecordCount)
		for _, r := range out.Records {
			if r.ErrorCode != nil && (*r.ErrorCode != errThroughput ||
				*r.ErrorMessage != "Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000.") {
				t.Fatalf("failed record: %s %s", *r.ErrorCode, *r.ErrorMessage)
			}
		}
	}
	// 1,000 records/s per shard.
	if failed != 500 {
		t.Errorf("%d of 1500 records failed, want 500", failed)
	}
	_, err := c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("x")})
	if apiCode(err) != errThroughput {
		t.Errorf("PutRecord over the limit: %v", err)
	}
	e.clock.Advance(time.Second)
	if _, err := c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("x")}); err != nil {
		t.Errorf("after a second: %v", err)
	}
	// 1 MiB/s: a 600 KiB record fits, a second one does not.
	big := bytes.Repeat([]byte("x"), 600<<10)
	if _, err := c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: big}); err != nil {
		t.Errorf("600 KiB: %v", err)
	}
	if _, err := c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: big}); apiCode(err) != errThroughput {
		t.Errorf("second 600 KiB in the same second: %v", err)
	}

	// Five GetRecords per second per shard.
	it, _ := c.GetShardIterator(ctx, &awskinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeLatest})
	var last error
	for range 6 {
		_, last = c.GetRecords(ctx, &awskinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	}
	if apiCode(last) != errThroughput || !strings.HasPrefix(apiMessage(last), "Rate exceeded for shard shardId-000000000000") {
		t.Errorf("sixth GetRecords in a second: %v", last)
	}
	e.clock.Advance(time.Second)
	if _, err := c.GetRecords(ctx, &awskinesis.GetRecordsInput{ShardIterator: it.ShardIterator}); err != nil {
		t.Errorf("GetRecords after a second: %v", err)
	}
}
