package kinesis

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

func TestConsumers(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client
	e.mustCreate("s", 1)
	arn := aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/s")
	reg, err := c.RegisterStreamConsumer(ctx, &awskinesis.RegisterStreamConsumerInput{StreamARN: arn, ConsumerName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	carn := *reg.Consumer.ConsumerARN
	if want := fmt.Sprintf("arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/app:%d", reg.Consumer.ConsumerCreationTimestamp.Unix()); carn != want {
		t.Errorf("consumer ARN %s, want %s", carn, want)
	}
	if _, err := c.RegisterStreamConsumer(ctx, &awskinesis.RegisterStreamConsumerInput{StreamARN: arn, ConsumerName: aws.String("app")}); apiCode(err) != errResourceInUse {
		t.Errorf("duplicate consumer: %v", err)
	}
	for i := range 3 {
		c.RegisterStreamConsumer(ctx, &awskinesis.RegisterStreamConsumerInput{StreamARN: arn, ConsumerName: aws.String(fmt.Sprint("b", i))})
	}
	d, err := c.DescribeStreamConsumer(ctx, &awskinesis.DescribeStreamConsumerInput{ConsumerARN: &carn})
	if err != nil || d.ConsumerDescription.ConsumerStatus != types.ConsumerStatusActive || *d.ConsumerDescription.StreamARN != *arn {
		t.Errorf("DescribeStreamConsumer by ARN: %v %+v", err, d)
	}
	if _, err := c.DescribeStreamConsumer(ctx, &awskinesis.DescribeStreamConsumerInput{StreamARN: arn, ConsumerName: aws.String("app")}); err != nil {
		t.Errorf("DescribeStreamConsumer by name: %v", err)
	}
	var names []string
	in := &awskinesis.ListStreamConsumersInput{StreamARN: arn, MaxResults: aws.Int32(3)}
	for {
		out, err := c.ListStreamConsumers(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range out.Consumers {
			names = append(names, *c.ConsumerName)
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if fmt.Sprint(names) != "[app b0 b1 b2]" {
		t.Errorf("ListStreamConsumers pages: %v", names)
	}
	sum, _ := c.DescribeStreamSummary(ctx, &awskinesis.DescribeStreamSummaryInput{StreamName: aws.String("s")})
	if *sum.StreamDescriptionSummary.ConsumerCount != 4 {
		t.Errorf("ConsumerCount %d", *sum.StreamDescriptionSummary.ConsumerCount)
	}
	// A stream with consumers is deleted only when asked to.
	if _, err := c.DeleteStream(ctx, &awskinesis.DeleteStreamInput{StreamName: aws.String("s")}); apiCode(err) != errResourceInUse {
		t.Errorf("delete with consumers: %v", err)
	}
	if _, err := c.DeregisterStreamConsumer(ctx, &awskinesis.DeregisterStreamConsumerInput{ConsumerARN: &carn}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeStreamConsumer(ctx, &awskinesis.DescribeStreamConsumerInput{ConsumerARN: &carn}); apiCode(err) != errResourceNotFound {
		t.Errorf("after deregister: %v", err)
	}
	if _, err := c.DeleteStream(ctx, &awskinesis.DeleteStreamInput{StreamName: aws.String("s"), EnforceConsumerDeletion: aws.Bool(true)}); err != nil {
		t.Errorf("delete with EnforceConsumerDeletion: %v", err)
	}
}

// subscribe opens a SubscribeToShard stream through the SDK's event
// stream reader.
func subscribe(t *testing.T, c *awskinesis.Client, carn, shard string, pos types.StartingPosition) *awskinesis.SubscribeToShardEventStream {
	t.Helper()
	// Subscriptions go over HTTP/2 (h2c), as KCL's do. Over HTTP/1.1 the Go
	// SDK races itself: smithy closes the request body once the response
	// headers arrive, and when that beats net/http's writeLoop finishing
	// the request, the transport tears the connection down mid-stream
	// (about 1 run in 30 on loopback, where the answer is immediate).
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	c = awskinesis.New(c.Options(), func(o *awskinesis.Options) { o.HTTPClient = &http.Client{Transport: tr} })
	out, err := c.SubscribeToShard(ctx, &awskinesis.SubscribeToShardInput{ConsumerARN: &carn, ShardId: &shard, StartingPosition: &pos})
	if err != nil {
		t.Fatalf("SubscribeToShard: %v", err)
	}
	t.Cleanup(func() { out.GetStream().Close() })
	return out.GetStream()
}

// nextEvent waits for the next SubscribeToShardEvent (with a deadline).
func nextEvent(t *testing.T, s *awskinesis.SubscribeToShardEventStream) *types.SubscribeToShardEvent {
	t.Helper()
	select {
	case ev, ok := <-s.Events():
		if !ok {
			t.Fatalf("event stream ended: %v", s.Err())
		}
		v, ok := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
		if !ok {
			t.Fatalf("unexpected event %T", ev)
		}
		return &v.Value
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20s")
	}
	return nil
}

func TestSubscribeToShard(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client
	e.mustCreate("s", 1)
	for i := range 3 {
		c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte(fmt.Sprint("old-", i))})
	}
	reg, err := c.RegisterStreamConsumer(ctx, &awskinesis.RegisterStreamConsumerInput{StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/s"), ConsumerName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	carn := *reg.Consumer.ConsumerARN
	s := subscribe(t, c, carn, "shardId-000000000000", types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon})
	ev := nextEvent(t, s)
	if len(ev.Records) != 3 || string(ev.Records[0].Data) != "old-0" || ev.ContinuationSequenceNumber == nil || *ev.ContinuationSequenceNumber != *ev.Records[2].SequenceNumber {
		t.Fatalf("first event: %d records, continuation %v", len(ev.Records), ev.ContinuationSequenceNumber)
	}
	// Same consumer and shard again within five seconds: ResourceInUse,
	// however the ARN is spelled.
	otherRegion := strings.Replace(carn, "us-east-1", "eu-west-1", 1)
	for _, arn := range []string{carn, otherRegion} {
		_, err = c.SubscribeToShard(ctx, &awskinesis.SubscribeToShardInput{ConsumerARN: &arn, ShardId: aws.String("shardId-000000000000"), StartingPosition: &types.StartingPosition{Type: types.ShardIteratorTypeLatest}})
		if apiCode(err) != errResourceInUse {
			t.Errorf("second subscription as %s: %v", arn, err)
		}
	}
	// New records are pushed.
	c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("new")})
	ev = nextEvent(t, s)
	if len(ev.Records) != 1 || string(ev.Records[0].Data) != "new" {
		t.Fatalf("pushed event: %+v", ev.Records)
	}
	// A split ends the shard: the last event has ChildShards and no
	// ContinuationSequenceNumber, then the stream ends.
	if _, err := c.SplitShard(ctx, &awskinesis.SplitShardInput{StreamName: aws.String("s"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("170141183460469231731687303715884105728")}); err != nil {
		t.Fatal(err)
	}
	ev = nextEvent(t, s)
	for len(ev.ChildShards) == 0 && ev.ContinuationSequenceNumber != nil { // a heartbeat may come first
		ev = nextEvent(t, s)
	}
	if ev.ContinuationSequenceNumber != nil || len(ev.ChildShards) != 2 {
		t.Fatalf("end of shard: continuation %v children %d", ev.ContinuationSequenceNumber, len(ev.ChildShards))
	}
	select {
	case _, ok := <-s.Events():
		if ok {
			t.Error("events after the end of the shard")
		}
	case <-time.After(20 * time.Second):
		t.Error("stream not closed after the end of the shard")
	}
	// Resuming from a continuation number with AFTER_SEQUENCE_NUMBER on a
	// child, past the grace period.
	e.clock.Advance(6 * time.Second)
	c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("a"), Data: []byte("child")})
	s2 := subscribe(t, c, carn, "shardId-000000000001", types.StartingPosition{Type: types.ShardIteratorTypeTrimHorizon})
	ev = nextEvent(t, s2)
	if len(ev.Records) != 1 || string(ev.Records[0].Data) != "child" {
		t.Fatalf("child subscription: %+v", ev.Records)
	}
	s3 := subscribe(t, c, carn, "shardId-000000000002", types.StartingPosition{Type: types.ShardIteratorTypeLatest})
	if ev := nextEvent(t, s3); len(ev.Records) != 0 || ev.ContinuationSequenceNumber == nil {
		t.Errorf("idle subscription's first event: %+v", ev)
	}
	// Deleting the stream ends subscriptions.
	c.DeregisterStreamConsumer(ctx, &awskinesis.DeregisterStreamConsumerInput{ConsumerARN: &carn})
	select {
	case <-s2.Events():
	case <-time.After(20 * time.Second):
		t.Error("subscription survived its consumer's deregistration")
	}
}
