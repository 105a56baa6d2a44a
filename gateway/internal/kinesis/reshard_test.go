package kinesis

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// readShard reads a shard from TRIM_HORIZON to its end the way KCL does:
// until NextShardIterator is null, which must come with ChildShards
// (kinesis.md §3.6). It returns the data and the child shard ids.
func readShard(t *testing.T, c *awskinesis.Client, stream, shard string) ([]string, []string) {
	t.Helper()
	it, err := c.GetShardIterator(ctx, &awskinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: aws.String(shard), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatalf("GetShardIterator %s: %v", shard, err)
	}
	var data []string
	next := it.ShardIterator
	for range 100 {
		out, err := c.GetRecords(ctx, &awskinesis.GetRecordsInput{ShardIterator: next, Limit: aws.Int32(2)})
		if err != nil {
			t.Fatalf("GetRecords %s: %v", shard, err)
		}
		for _, r := range out.Records {
			data = append(data, string(r.Data))
		}
		if out.NextShardIterator == nil {
			if len(out.ChildShards) == 0 {
				t.Fatalf("%s: no NextShardIterator and no ChildShards (KCL would loop)", shard)
			}
			var kids []string
			for _, c := range out.ChildShards {
				kids = append(kids, *c.ShardId)
				if !slices.Contains(c.ParentShards, shard) {
					t.Errorf("child %s does not name parent %s: %v", *c.ShardId, shard, c.ParentShards)
				}
			}
			return data, kids
		}
		if len(out.ChildShards) != 0 {
			t.Fatalf("%s: ChildShards with a NextShardIterator", shard)
		}
		if len(out.Records) == 0 {
			return data, nil // open shard, caught up
		}
		next = out.NextShardIterator
	}
	t.Fatalf("%s: did not finish", shard)
	return nil, nil
}

func TestReshardThenReadParentsThenChildren(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client
	e.mustCreate("s", 1)
	put := func(keys ...string) {
		for _, k := range keys {
			if _, err := c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String(k), Data: []byte(k)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	put("a", "foo", "b")

	// Split shard 0 at 2^127: "a" (MD5 0cc1…) goes left, "foo" (ac…) right.
	mid := "170141183460469231731687303715884105728"
	if _, err := c.SplitShard(ctx, &awskinesis.SplitShardInput{StreamName: aws.String("s"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String(mid)}); err != nil {
		t.Fatal(err)
	}
	put("a", "foo")
	if _, err := c.SplitShard(ctx, &awskinesis.SplitShardInput{StreamName: aws.String("s"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("5")}); apiCode(err) != errInvalidArgument ||
		!strings.Contains(apiMessage(err), "has already been merged or split") {
		t.Errorf("split of a closed shard: %v", err)
	}
	if _, err := c.SplitShard(ctx, &awskinesis.SplitShardInput{StreamName: aws.String("s"), ShardToSplit: aws.String("shardId-000000000001"), NewStartingHashKey: aws.String("1")}); apiCode(err) != errInvalidArgument ||
		!strings.HasPrefix(apiMessage(err), "NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000001 in stream s under account 000000000000 is not both greater than one plus the shard's StartingHashKey 0") {
		t.Errorf("split key at start+1: %v", err)
	}

	// Parent first: its records, then the children.
	data, kids := readShard(t, c, "s", "shardId-000000000000")
	if !slices.Equal(data, []string{"a", "foo", "b"}) || !slices.Equal(kids, []string{"shardId-000000000001", "shardId-000000000002"}) {
		t.Fatalf("parent: %v children %v", data, kids)
	}
	left, _ := readShard(t, c, "s", "shardId-000000000001")
	right, _ := readShard(t, c, "s", "shardId-000000000002")
	if !slices.Equal(left, []string{"a"}) || !slices.Equal(right, []string{"foo"}) {
		t.Fatalf("children: %v %v", left, right)
	}

	// Merge them back; non-adjacent or closed shards are refused.
	if _, err := c.MergeShards(ctx, &awskinesis.MergeShardsInput{StreamName: aws.String("s"), ShardToMerge: aws.String("shardId-000000000000"), AdjacentShardToMerge: aws.String("shardId-000000000001")}); apiCode(err) != errInvalidArgument {
		t.Errorf("merge with a closed shard: %v", err)
	}
	if _, err := c.MergeShards(ctx, &awskinesis.MergeShardsInput{StreamName: aws.String("s"), ShardToMerge: aws.String("shardId-000000000001"), AdjacentShardToMerge: aws.String("shardId-000000000009")}); apiCode(err) != errResourceNotFound {
		t.Errorf("merge with an unknown shard: %v", err)
	}
	if _, err := c.MergeShards(ctx, &awskinesis.MergeShardsInput{StreamName: aws.String("s"), ShardToMerge: aws.String("shardId-000000000001"), AdjacentShardToMerge: aws.String("shardId-000000000002")}); err != nil {
		t.Fatal(err)
	}
	put("a")
	d, _ := c.DescribeStream(ctx, &awskinesis.DescribeStreamInput{StreamName: aws.String("s")})
	merged := d.StreamDescription.Shards[3]
	if *merged.ShardId != "shardId-000000000003" || *merged.ParentShardId != "shardId-000000000001" || *merged.AdjacentParentShardId != "shardId-000000000002" ||
		*merged.HashKeyRange.StartingHashKey != "0" || *merged.HashKeyRange.EndingHashKey != "340282366920938463463374607431768211455" {
		t.Errorf("merge child: %+v", merged)
	}
	for _, s := range d.StreamDescription.Shards[:3] {
		if s.SequenceNumberRange.EndingSequenceNumber == nil {
			t.Errorf("%s should be closed", *s.ShardId)
		}
	}
	left, kids = readShard(t, c, "s", "shardId-000000000001")
	if !slices.Equal(left, []string{"a"}) || !slices.Equal(kids, []string{"shardId-000000000003"}) {
		t.Errorf("left after merge: %v %v", left, kids)
	}
	if got, _ := readShard(t, c, "s", "shardId-000000000003"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("merge child data: %v", got)
	}

	// ListShards filters.
	list := func(f *types.ShardFilter) []string {
		out, err := c.ListShards(ctx, &awskinesis.ListShardsInput{StreamName: aws.String("s"), ShardFilter: f})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range out.Shards {
			ids = append(ids, strings.TrimPrefix(*s.ShardId, "shardId-00000000000"))
		}
		return ids
	}
	if got := list(nil); !slices.Equal(got, []string{"0", "1", "2", "3"}) {
		t.Errorf("FROM_TRIM_HORIZON: %v", got)
	}
	if got := list(&types.ShardFilter{Type: types.ShardFilterTypeAtLatest}); !slices.Equal(got, []string{"3"}) {
		t.Errorf("AT_LATEST: %v", got)
	}
	if got := list(&types.ShardFilter{Type: types.ShardFilterTypeAtTrimHorizon}); !slices.Equal(got, []string{"0"}) {
		t.Errorf("AT_TRIM_HORIZON: %v", got)
	}
	if got := list(&types.ShardFilter{Type: types.ShardFilterTypeAfterShardId, ShardId: aws.String("shardId-000000000001")}); !slices.Equal(got, []string{"2", "3"}) {
		t.Errorf("AFTER_SHARD_ID: %v", got)
	}

	// ListShards pages with NextToken, which expires.
	var ids []string
	out, err := c.ListShards(ctx, &awskinesis.ListShardsInput{StreamName: aws.String("s"), MaxResults: aws.Int32(3)})
	for err == nil {
		for _, s := range out.Shards {
			ids = append(ids, *s.ShardId)
		}
		if out.NextToken == nil {
			break
		}
		tok := out.NextToken
		out, err = c.ListShards(ctx, &awskinesis.ListShardsInput{NextToken: tok, MaxResults: aws.Int32(3)})
		if err == nil && out.NextToken == nil {
			e.clock.Advance(301e9)
			_, err2 := c.ListShards(ctx, &awskinesis.ListShardsInput{NextToken: tok})
			if apiCode(err2) != errExpiredNextToken {
				t.Errorf("expired NextToken: %v", err2)
			}
		}
	}
	if err != nil || len(ids) != 4 {
		t.Errorf("ListShards pages: %v %v", ids, err)
	}
	if _, err := c.ListShards(ctx, &awskinesis.ListShardsInput{StreamName: aws.String("s"), NextToken: aws.String("x")}); apiCode(err) != errInvalidArgument ||
		apiMessage(err) != "NextToken and StreamName cannot be provided together." {
		t.Errorf("NextToken with StreamName: %v", err)
	}
}

func TestUpdateShardCount(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client
	e.mustCreate("s", 2)
	for i := range 20 {
		c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String(fmt.Sprint(i)), Data: []byte(fmt.Sprint(i))})
	}
	if _, err := c.UpdateShardCount(ctx, &awskinesis.UpdateShardCountInput{StreamName: aws.String("s"), TargetShardCount: aws.Int32(5), ScalingType: types.ScalingTypeUniformScaling}); apiCode(err) != errLimitExceeded {
		t.Errorf("more than double: %v", err)
	}
	out, err := c.UpdateShardCount(ctx, &awskinesis.UpdateShardCountInput{StreamName: aws.String("s"), TargetShardCount: aws.Int32(3), ScalingType: types.ScalingTypeUniformScaling})
	if err != nil || *out.CurrentShardCount != 2 || *out.TargetShardCount != 3 {
		t.Fatalf("UpdateShardCount: %v %+v", err, out)
	}
	d, _ := c.DescribeStream(ctx, &awskinesis.DescribeStreamInput{StreamName: aws.String("s")})
	open := 0
	for _, s := range d.StreamDescription.Shards {
		if s.SequenceNumberRange.EndingSequenceNumber == nil {
			open++
		}
		// Lineage as splits and merges: at most two parents, adjacent ones.
		if s.AdjacentParentShardId != nil && s.ParentShardId == nil {
			t.Errorf("%s: adjacent parent without parent", *s.ShardId)
		}
	}
	if open != 3 {
		t.Errorf("%d open shards after scaling to 3", open)
	}
	// KCL-style: read every shard, parents before children; all 20
	// records are found exactly once.
	seen := map[string]int{}
	done := map[string]bool{}
	var queue []string
	for _, s := range d.StreamDescription.Shards {
		if s.ParentShardId == nil {
			queue = append(queue, *s.ShardId)
		}
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if done[id] {
			continue
		}
		done[id] = true
		data, kids := readShard(t, c, "s", id)
		for _, v := range data {
			seen[v]++
		}
		queue = append(queue, kids...)
	}
	if len(seen) != 20 {
		t.Errorf("read %d distinct records, want 20", len(seen))
	}
	for v, n := range seen {
		if n != 1 {
			t.Errorf("record %s read %d times", v, n)
		}
	}
	// Ten scalings per rolling day.
	n := int32(3)
	for i := 1; i < scalingsPerDay; i++ {
		n = 5 - n // 3 → 2 → 3 …
		if _, err := c.UpdateShardCount(ctx, &awskinesis.UpdateShardCountInput{StreamName: aws.String("s"), TargetShardCount: aws.Int32(n), ScalingType: types.ScalingTypeUniformScaling}); err != nil {
			t.Fatalf("scaling %d: %v", i+1, err)
		}
	}
	if _, err := c.UpdateShardCount(ctx, &awskinesis.UpdateShardCountInput{StreamName: aws.String("s"), TargetShardCount: aws.Int32(5 - n), ScalingType: types.ScalingTypeUniformScaling}); apiCode(err) != errLimitExceeded {
		t.Errorf("eleventh scaling in a day: %v", err)
	}
}

// Two UpdateShardCount calls at once cannot both pass the ½×–2× check
// against the same starting count.
func TestConcurrentUpdateShardCount(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustCreate("s", 4)
	errs := make(chan error, 2)
	for _, n := range []int32{8, 2} {
		go func() {
			_, err := e.client.UpdateShardCount(ctx, &awskinesis.UpdateShardCountInput{StreamName: aws.String("s"), TargetShardCount: aws.Int32(n), ScalingType: types.ScalingTypeUniformScaling})
			errs <- err
		}()
	}
	failed := 0
	for range 2 {
		if err := <-errs; err != nil {
			if apiCode(err) != errLimitExceeded {
				t.Errorf("refusal: %v", err)
			}
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d of the two scalings failed, want exactly 1", failed)
	}
}
