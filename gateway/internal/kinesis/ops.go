package kinesis

// The request shapes of every operation (botocore's kinesis 2013-12-02
// model; member order and constraint order as Coral checks them, recorded
// by kinesalite's validations/*.js). Where kinesalite pins an old limit
// (retention ≤ 168 h, 10 tags) the current AWS model wins.

const (
	namePattern = `[a-zA-Z0-9_.-]+`
	arnPattern  = `arn:aws.*:kinesis:.*:\d{12}:stream/\S+`
	hashPattern = `0|([1-9]\d{0,38})`
	seqPattern  = `0|([1-9]\d{0,128})`
)

func streamNameField() field {
	return field{name: "StreamName", kind: kString, notNullUnless: "StreamARN",
		checks: []check{notNull(), regex(namePattern), minLen(1), maxLen(128)}}
}

func optStreamName() field {
	return field{name: "StreamName", kind: kString, checks: []check{regex(namePattern), minLen(1), maxLen(128)}}
}

func streamARNField(required bool) field {
	f := field{name: "StreamARN", kind: kString, checks: []check{regex(arnPattern), minLen(1), maxLen(2048)}}
	if required {
		f.checks = append([]check{notNull()}, f.checks...)
	}
	return f
}

func shardIDField(name string, required bool) field {
	f := field{name: name, kind: kString, checks: []check{regex(namePattern), minLen(1), maxLen(128)}}
	if required {
		f.checks = append([]check{notNull()}, f.checks...)
	}
	return f
}

func intField(name string, required bool, lo, hi int64) field {
	f := field{name: name, kind: kInteger, checks: []check{minVal(lo), maxVal(hi)}}
	if required {
		f.checks = append([]check{notNull()}, f.checks...)
	}
	return f
}

func tagsField(required bool) field {
	f := field{name: "Tags", kind: kMap, elem: &field{kind: kString},
		checks: []check{minLen(1), maxLen(200), childKeyLens(1, 128), childValueLens(0, 256)}}
	if required {
		f.checks = append([]check{notNull()}, f.checks...)
	}
	return f
}

func consumerNameField(required bool) field {
	f := field{name: "ConsumerName", kind: kString, checks: []check{regex(namePattern), minLen(1), maxLen(128)}}
	if required {
		f.checks = append([]check{notNull()}, f.checks...)
	}
	return f
}

func consumerARNField(required bool) field {
	f := field{name: "ConsumerARN", kind: kString,
		checks: []check{regex(`^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+`), minLen(1), maxLen(2048)}}
	if required {
		f.checks = append([]check{notNull()}, f.checks...)
	}
	return f
}

func retentionFields() []field {
	return []field{intField("RetentionPeriodHours", true, 1, 8760), streamNameField(), streamARNField(false)}
}

var shardLevelMetrics = []string{"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
	"WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds", "ALL"}

func monitoringFields() []field {
	return []field{streamNameField(), streamARNField(false),
		{name: "ShardLevelMetrics", kind: kList, elem: &field{kind: kString, checks: []check{enum(shardLevelMetrics...)}},
			checks: []check{notNull(), minLen(1), maxLen(7)}}}
}

func streamModeField(required bool) field {
	f := field{name: "StreamModeDetails", kind: kStruct, fields: []field{
		{name: "StreamMode", kind: kString, checks: []check{notNull(), enum("PROVISIONED", "ON_DEMAND")}},
	}}
	if required {
		f.checks = []check{notNull()}
	}
	return f
}

var iteratorTypes = []string{"AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER", "TRIM_HORIZON"}

// schemas maps each operation to its request shape.
var schemas = map[string][]field{
	"AddTagsToStream": {tagsField(true), streamNameField(), streamARNField(false)},
	"CreateStream": {intField("ShardCount", false, 1, 100000), streamNameField(), streamModeField(false), tagsField(false),
		intField("MaxRecordSizeInKiB", false, 1024, 10240), intField("WarmThroughputMiBps", false, 0, 1<<31-1)},
	"DecreaseStreamRetentionPeriod": retentionFields(),
	"DeleteStream":                  {streamNameField(), streamARNField(false), {name: "EnforceConsumerDeletion", kind: kBoolean}},
	"DescribeLimits":                {},
	"DescribeStream": {intField("Limit", false, 1, 10000), shardIDField("ExclusiveStartShardId", false),
		streamNameField(), streamARNField(false)},
	"DescribeStreamConsumer":    {streamARNField(false), consumerNameField(false), consumerARNField(false)},
	"DescribeStreamSummary":     {streamNameField(), streamARNField(false)},
	"DeregisterStreamConsumer":  {streamARNField(false), consumerNameField(false), consumerARNField(false)},
	"DisableEnhancedMonitoring": monitoringFields(),
	"EnableEnhancedMonitoring":  monitoringFields(),
	"GetRecords": {intField("Limit", false, 1, 10000),
		{name: "ShardIterator", kind: kString, checks: []check{notNull(), minLen(1), maxLen(512)}}, streamARNField(false)},
	"GetShardIterator": {shardIDField("ShardId", true),
		{name: "ShardIteratorType", kind: kString, checks: []check{notNull(), enum(iteratorTypes...)}},
		{name: "StartingSequenceNumber", kind: kString, checks: []check{regex(seqPattern)}},
		streamNameField(), {name: "Timestamp", kind: kTimestamp}, streamARNField(false)},
	"IncreaseStreamRetentionPeriod": retentionFields(),
	"ListShards": {shardIDField("ExclusiveStartShardId", false), intField("MaxResults", false, 1, 10000),
		{name: "NextToken", kind: kString, checks: []check{minLen(1), maxLen(1048576)}},
		{name: "StreamCreationTimestamp", kind: kTimestamp}, optStreamName(),
		{name: "ShardFilter", kind: kStruct, fields: []field{
			{name: "Type", kind: kString, checks: []check{notNull(), enum("AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP")}},
			shardIDField("ShardId", false), {name: "Timestamp", kind: kTimestamp}}},
		streamARNField(false)},
	"ListStreamConsumers": {streamARNField(true), {name: "NextToken", kind: kString, checks: []check{minLen(1), maxLen(1048576)}},
		intField("MaxResults", false, 1, 10000), {name: "StreamCreationTimestamp", kind: kTimestamp}},
	"ListStreams": {intField("Limit", false, 1, 10000), optStreamNameAs("ExclusiveStartStreamName"),
		{name: "NextToken", kind: kString, checks: []check{minLen(1), maxLen(1048576)}}},
	"ListTagsForStream": {intField("Limit", false, 1, 50),
		{name: "ExclusiveStartTagKey", kind: kString, checks: []check{minLen(1), maxLen(128)}},
		streamNameField(), streamARNField(false)},
	"MergeShards": {shardIDField("ShardToMerge", true), shardIDField("AdjacentShardToMerge", true), streamNameField(), streamARNField(false)},
	"PutRecord": {{name: "SequenceNumberForOrdering", kind: kString, checks: []check{regex(seqPattern)}},
		{name: "PartitionKey", kind: kString, checks: []check{notNull(), minLen(1), maxLen(256)}},
		{name: "ExplicitHashKey", kind: kString, checks: []check{regex(hashPattern)}},
		{name: "Data", kind: kBlob, checks: []check{notNull(), maxLen(1048576)}},
		streamNameField(), streamARNField(false)},
	"PutRecords": {{name: "Records", kind: kList, checks: []check{notNull(), minLen(1), maxLen(500)},
		memberStr: "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310",
		elem: &field{kind: kStruct, fields: []field{
			{name: "PartitionKey", kind: kString, checks: []check{notNull(), minLen(1), maxLen(256)}},
			{name: "ExplicitHashKey", kind: kString, checks: []check{regex(hashPattern)}},
			{name: "Data", kind: kBlob, checks: []check{notNull(), maxLen(1048576)}},
		}}},
		streamNameField(), streamARNField(false)},
	"RegisterStreamConsumer": {streamARNField(true), consumerNameField(true), tagsField(false)},
	"RemoveTagsFromStream": {{name: "TagKeys", kind: kList, elem: &field{kind: kString},
		checks: []check{notNull(), minLen(1), maxLen(50), childLens(1, 128)}}, streamNameField(), streamARNField(false)},
	"SplitShard": {{name: "NewStartingHashKey", kind: kString, checks: []check{notNull(), regex(hashPattern)}},
		streamNameField(), shardIDField("ShardToSplit", true), streamARNField(false)},
	"SubscribeToShard": {consumerARNField(true), shardIDField("ShardId", true),
		{name: "StartingPosition", kind: kStruct, checks: []check{notNull()}, fields: []field{
			{name: "Type", kind: kString, checks: []check{notNull(), enum(iteratorTypes...)}},
			{name: "SequenceNumber", kind: kString, checks: []check{regex(seqPattern)}},
			{name: "Timestamp", kind: kTimestamp}}}},
	"UpdateShardCount": {streamNameField(), intField("TargetShardCount", true, 1, 100000),
		{name: "ScalingType", kind: kString, checks: []check{notNull(), enum("UNIFORM_SCALING")}}, streamARNField(false)},
	"UpdateStreamMode": {streamARNField(true), streamModeField(true)},
}

func optStreamNameAs(name string) field {
	f := optStreamName()
	f.name = name
	return f
}
