package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/smithy-go"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/gateway/internal/kinesis/kinesistest"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/uplink/uplinktest"
)

func firehoseClient(g *Gateway) *firehose.Client {
	return firehose.New(firehose.Options{
		Region: "us-east-1", BaseEndpoint: aws.String("http://" + g.Addr()), RetryMaxAttempts: 1,
		HTTPClient: kinesistest.OwnBody{Client: &http.Client{Timeout: 30 * time.Second}},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}),
	})
}

func putBatch(t *testing.T, fh *firehose.Client, name string, from, to int) {
	t.Helper()
	var recs []types.Record
	for i := from; i < to; i++ {
		recs = append(recs, types.Record{Data: fmt.Appendf(nil, "r%03d", i)})
	}
	out, err := fh.PutRecordBatch(context.Background(), &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(name), Records: recs})
	if err != nil || aws.ToInt32(out.FailedPutCount) != 0 {
		t.Fatalf("PutRecordBatch: %v %+v", err, out)
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return fmt.Sprint(err)
}

// A delivery made with CreateDeliveryStream, the JSON a user wrote for
// AWS: Direct PUT works at once, the delivery survives a restart, an
// UpdateDestination moves it to another endpoint where it left off, and
// DeleteDeliveryStream removes it with its stream.
func TestFirehoseControlPlaneLifecycle(t *testing.T) {
	first, second := uplinktest.Start(t), uplinktest.Start(t)
	dir := t.TempDir()
	mutate := func(cfg *config.Config) { cfg.DataDir = dir }
	g, _ := startGateway(t, mutate)
	fh := firehoseClient(g)
	ctx := context.Background()
	_, err := fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String("edge"),
		DeliveryStreamType: types.DeliveryStreamTypeDirectPut,
		HttpEndpointDestinationConfiguration: &types.HttpEndpointDestinationConfiguration{
			EndpointConfiguration: &types.HttpEndpointConfiguration{Url: aws.String(first.URL), Name: aws.String("cloud"), AccessKey: aws.String("k1")},
			BufferingHints:        &types.HttpEndpointBufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
			RequestConfiguration: &types.HttpEndpointRequestConfiguration{ContentEncoding: types.ContentEncodingGzip,
				CommonAttributes: []types.HttpEndpointCommonAttribute{{AttributeName: aws.String("site"), AttributeValue: aws.String("shed")}}},
			RoleARN:         aws.String("arn:aws:iam::123456789012:role/firehose"),
			S3BackupMode:    types.HttpEndpointS3BackupModeFailedDataOnly,
			S3Configuration: &types.S3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::backup"), RoleARN: aws.String("arn:aws:iam::123456789012:role/firehose")},
		},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	putBatch(t, fh, "edge", 0, 10)
	mqtttest.Eventually(t, 30*time.Second, "10 records at the first endpoint", func() bool { return first.Accepted() == 10 })
	reqs, _ := first.Snapshot()
	if r := reqs[0]; r.AccessKey != "k1" || r.Encoding != "gzip" || !strings.Contains(r.Attributes, `"site":"shed"`) {
		t.Errorf("request %+v: the configuration was not applied", r)
	}

	// after a restart it is still there, and still works
	g.Close()
	g, _ = startGateway(t, mutate)
	fh = firehoseClient(g)
	desc, err := fh.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("edge")})
	if err != nil {
		t.Fatal(err)
	}
	d := desc.DeliveryStreamDescription
	if d.DeliveryStreamType != types.DeliveryStreamTypeDirectPut || aws.ToString(d.VersionId) != "1" || len(d.Destinations) != 1 ||
		d.Destinations[0].HttpEndpointDestinationDescription == nil ||
		aws.ToString(d.Destinations[0].HttpEndpointDestinationDescription.EndpointConfiguration.Url) != first.URL {
		t.Fatalf("after a restart: %+v", d)
	}
	putBatch(t, fh, "edge", 10, 20)
	// (a batch in flight at the restart may come again: count records once)
	mqtttest.Eventually(t, 30*time.Second, "20 records at the first endpoint", func() bool { return first.Distinct() == 20 })

	// a stale version is refused; the current one moves it
	update := &firehose.UpdateDestinationInput{
		DeliveryStreamName: aws.String("edge"), CurrentDeliveryStreamVersionId: aws.String("7"), DestinationId: d.Destinations[0].DestinationId,
		HttpEndpointDestinationUpdate: &types.HttpEndpointDestinationUpdate{EndpointConfiguration: &types.HttpEndpointConfiguration{Url: aws.String(second.URL)}},
	}
	if _, err := fh.UpdateDestination(ctx, update); apiCode(err) != "ConcurrentModificationException" {
		t.Errorf("stale version: %v", err)
	}
	update.CurrentDeliveryStreamVersionId = aws.String("1")
	if _, err := fh.UpdateDestination(ctx, update); err != nil {
		t.Fatal(err)
	}
	putBatch(t, fh, "edge", 20, 30)
	mqtttest.Eventually(t, 30*time.Second, "the next 10 at the second endpoint", func() bool { return second.Accepted() == 10 })
	reqs, _ = second.Snapshot()
	if r := reqs[0]; r.AccessKey != "k1" || r.Encoding != "gzip" {
		t.Errorf("an update of the URL alone kept the rest: %+v", r)
	}
	if first.Distinct() != 20 {
		t.Errorf("the first endpoint got %d records, want 20", first.Distinct())
	}
	desc, _ = fh.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("edge")})
	if v := aws.ToString(desc.DeliveryStreamDescription.VersionId); v != "2" {
		t.Errorf("version %s after an update, want 2", v)
	}

	if _, err := fh.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String("edge")}); err != nil {
		t.Fatal(err)
	}
	if _, err := fh.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("edge")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("describe after delete: %v", err)
	}
	if _, err := g.Spool().DescribeStream("firehose-edge"); err == nil {
		t.Errorf("the delivery's stream outlived it")
	}
	g.Close()
	g, _ = startGateway(t, mutate)
	if list, err := firehoseClient(g).ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{}); err != nil || len(list.DeliveryStreamNames) != 0 {
		t.Errorf("after delete and restart: %v %v", list.DeliveryStreamNames, err)
	}
}

// KinesisStreamAsSource to S3: a local stream delivered as gzip objects
// to the S3 service of uplink.s3, described back as Firehose describes it.
func TestFirehoseControlPlaneS3FromAStream(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
	defer srv.Close()
	g, c := startGateway(t, func(cfg *config.Config) {
		cfg.Uplink.S3 = config.UplinkS3{Endpoint: srv.URL, Region: "us-east-1", PathStyle: true, AccessKeyID: "AKID", SecretKey: "secret"}
	})
	fh := firehoseClient(g)
	ctx := context.Background()
	_, err := fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String("lake"),
		DeliveryStreamType: types.DeliveryStreamTypeKinesisStreamAsSource,
		KinesisStreamSourceConfiguration: &types.KinesisStreamSourceConfiguration{
			KinesisStreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/telemetry"),
			RoleARN:          aws.String("arn:aws:iam::000000000000:role/r"),
		},
		ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{
			BucketARN: aws.String("arn:aws:s3:::lake"), RoleARN: aws.String("arn:aws:iam::000000000000:role/r"),
			Prefix:            aws.String("t/!{timestamp:yyyy}/"),
			ErrorOutputPrefix: aws.String("err/!{firehose:error-output-type}/"),
			BufferingHints:    &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
			CompressionFormat: types.CompressionFormatGzip,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]api.PutRecord, 30)
	for i := range recs {
		recs[i] = api.PutRecord{PartitionKey: fmt.Sprint(i), Data: fmt.Append(nil, "r", i)}
	}
	if _, err := c.PutRecords(ctx, "telemetry", recs); err != nil {
		t.Fatal(err)
	}
	mqtttest.Eventually(t, 30*time.Second, "30 delivered to S3", func() bool {
		d, err := c.DescribeDelivery(ctx, "lake")
		return err == nil && d.Delivered == 30 && d.Destination == "s3 lake"
	})
	desc, err := fh.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("lake")})
	if err != nil {
		t.Fatal(err)
	}
	d := desc.DeliveryStreamDescription
	s3d := d.Destinations[0].ExtendedS3DestinationDescription
	if d.DeliveryStreamType != types.DeliveryStreamTypeKinesisStreamAsSource || d.Source == nil ||
		!strings.HasSuffix(aws.ToString(d.Source.KinesisStreamSourceDescription.KinesisStreamARN), ":stream/telemetry") ||
		s3d == nil || aws.ToString(s3d.BucketARN) != "arn:aws:s3:::lake" || s3d.CompressionFormat != types.CompressionFormatGzip ||
		aws.ToString(s3d.Prefix) != "t/!{timestamp:yyyy}/" {
		t.Errorf("description: %+v / %+v", d, s3d)
	}
	// Firehose's record format conversion to Parquet (the schema inferred:
	// a Glue table cannot be read on the edge)
	_, err = fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String("lake-parquet"),
		ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{
			BucketARN: aws.String("arn:aws:s3:::lake"), RoleARN: aws.String("arn:aws:iam::000000000000:role/r"),
			BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(64), IntervalInSeconds: aws.Int32(0)},
			DataFormatConversionConfiguration: &types.DataFormatConversionConfiguration{Enabled: aws.Bool(true),
				SchemaConfiguration:       &types.SchemaConfiguration{DatabaseName: aws.String("db"), TableName: aws.String("t")},
				OutputFormatConfiguration: &types.OutputFormatConfiguration{Serializer: &types.Serializer{ParquetSerDe: &types.ParquetSerDe{}}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	putBatch(t, fh, "lake-parquet", 0, 5) // not JSON: the error output
	var jsonRecs []types.Record
	for i := range 20 {
		jsonRecs = append(jsonRecs, types.Record{Data: fmt.Appendf(nil, `{"device":"d%d","temp":%d}`, i%3, 20+i)})
	}
	if _, err := fh.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("lake-parquet"), Records: jsonRecs}); err != nil {
		t.Fatal(err)
	}
	mqtttest.Eventually(t, 30*time.Second, "25 records through the parquet delivery", func() bool {
		d, err := c.DescribeDelivery(ctx, "lake-parquet")
		return err == nil && d.Delivered == 25
	})
	desc, _ = fh.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("lake-parquet")})
	if conv := desc.DeliveryStreamDescription.Destinations[0].ExtendedS3DestinationDescription.DataFormatConversionConfiguration; conv == nil || !aws.ToBool(conv.Enabled) || conv.OutputFormatConfiguration.Serializer.ParquetSerDe == nil {
		t.Errorf("parquet conversion not described: %+v", conv)
	}
	// Direct PUT into a stream-sourced delivery is refused, as on AWS
	_, err = fh.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("lake"), Record: &types.Record{Data: []byte("x")}})
	if apiCode(err) != "InvalidArgumentException" {
		t.Errorf("PutRecord to a KinesisStreamAsSource delivery: %v", err)
	}
}

// What the edge cannot honour is refused with a clear
// InvalidArgumentException naming it; config-file deliveries cannot be
// changed through the API; names are unique.
func TestFirehoseControlPlaneRefusals(t *testing.T) {
	ep := uplinktest.Start(t)
	g, _ := startGateway(t, func(cfg *config.Config) {
		d := config.DefaultDelivery("from-config", "telemetry")
		d.HTTP.URL = ep.URL
		cfg.Deliveries = []config.Delivery{d}
	})
	fh := firehoseClient(g)
	ctx := context.Background()
	httpDest := func() *types.HttpEndpointDestinationConfiguration {
		return &types.HttpEndpointDestinationConfiguration{EndpointConfiguration: &types.HttpEndpointConfiguration{Url: aws.String(ep.URL)},
			S3Configuration: &types.S3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::b"), RoleARN: aws.String("arn:aws:iam::1:role/r")}}
	}
	s3Dest := func() *types.ExtendedS3DestinationConfiguration {
		return &types.ExtendedS3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::b"), RoleARN: aws.String("arn:aws:iam::1:role/r")}
	}
	lambda := httpDest()
	lambda.ProcessingConfiguration = &types.ProcessingConfiguration{Enabled: aws.Bool(true), Processors: []types.Processor{{Type: types.ProcessorTypeLambda}}}
	zip := s3Dest()
	zip.CompressionFormat = types.CompressionFormatZip
	orc := s3Dest()
	orc.DataFormatConversionConfiguration = &types.DataFormatConversionConfiguration{Enabled: aws.Bool(true),
		OutputFormatConfiguration: &types.OutputFormatConfiguration{Serializer: &types.Serializer{OrcSerDe: &types.OrcSerDe{}}}}
	for _, c := range []struct {
		name string
		in   firehose.CreateDeliveryStreamInput
		code string
		want string
	}{
		{"redshift", firehose.CreateDeliveryStreamInput{RedshiftDestinationConfiguration: &types.RedshiftDestinationConfiguration{
			ClusterJDBCURL: aws.String("jdbc:redshift://x"), CopyCommand: &types.CopyCommand{DataTableName: aws.String("t")}, RoleARN: aws.String("arn:aws:iam::1:role/r"),
			S3Configuration: &types.S3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::b"), RoleARN: aws.String("arn:aws:iam::1:role/r")}}},
			"InvalidArgumentException", "RedshiftDestinationConfiguration is not supported"},
		{"opensearch", firehose.CreateDeliveryStreamInput{AmazonopensearchserviceDestinationConfiguration: &types.AmazonopensearchserviceDestinationConfiguration{
			IndexName: aws.String("i"), RoleARN: aws.String("arn:aws:iam::1:role/r"),
			S3Configuration: &types.S3DestinationConfiguration{BucketARN: aws.String("arn:aws:s3:::b"), RoleARN: aws.String("arn:aws:iam::1:role/r")}}},
			"InvalidArgumentException", "AmazonopensearchserviceDestinationConfiguration is not supported"},
		{"lambda", firehose.CreateDeliveryStreamInput{HttpEndpointDestinationConfiguration: lambda}, "InvalidArgumentException", "Lambda"},
		{"zip", firehose.CreateDeliveryStreamInput{ExtendedS3DestinationConfiguration: zip}, "InvalidArgumentException", "CompressionFormat ZIP"},
		{"orc", firehose.CreateDeliveryStreamInput{ExtendedS3DestinationConfiguration: orc}, "InvalidArgumentException", "ORC"},
		{"two destinations", firehose.CreateDeliveryStreamInput{ExtendedS3DestinationConfiguration: s3Dest(), HttpEndpointDestinationConfiguration: httpDest()}, "InvalidArgumentException", "only one destination"},
		{"no destination", firehose.CreateDeliveryStreamInput{}, "InvalidArgumentException", "a destination is required"},
		{"source without config", firehose.CreateDeliveryStreamInput{DeliveryStreamType: types.DeliveryStreamTypeKinesisStreamAsSource, HttpEndpointDestinationConfiguration: httpDest()},
			"InvalidArgumentException", "KinesisStreamSourceConfiguration is required"},
		{"unknown source stream", firehose.CreateDeliveryStreamInput{DeliveryStreamType: types.DeliveryStreamTypeKinesisStreamAsSource,
			KinesisStreamSourceConfiguration:     &types.KinesisStreamSourceConfiguration{KinesisStreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/nope"), RoleARN: aws.String("arn:aws:iam::1:role/r")},
			HttpEndpointDestinationConfiguration: httpDest()}, "InvalidArgumentException", "stream nope does not exist"},
		{"bad bucket ARN", firehose.CreateDeliveryStreamInput{ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{BucketARN: aws.String("my-bucket"), RoleARN: aws.String("arn:aws:iam::1:role/r")}},
			"ValidationException", "bucketARN"},
		{"MSK source", firehose.CreateDeliveryStreamInput{DeliveryStreamType: types.DeliveryStreamTypeMSKAsSource, HttpEndpointDestinationConfiguration: httpDest()}, "InvalidArgumentException", "MSKAsSource is not supported"},
		{"taken by the config file", firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("from-config"), HttpEndpointDestinationConfiguration: httpDest()}, "ResourceInUseException", "already exists"},
	} {
		in := c.in
		if in.DeliveryStreamName == nil {
			in.DeliveryStreamName = aws.String("bad-" + strings.ReplaceAll(c.name, " ", "-"))
		}
		_, err := fh.CreateDeliveryStream(ctx, &in)
		if apiCode(err) != c.code || !strings.Contains(fmt.Sprint(err), c.want) {
			t.Errorf("%s: got %v, want %s containing %q", c.name, err, c.code, c.want)
		}
	}
	if _, err := fh.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String("from-config")}); apiCode(err) != "InvalidArgumentException" || !strings.Contains(err.Error(), "config file") {
		t.Errorf("delete a config-file delivery: %v", err)
	}
	if _, err := fh.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String("nope")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("delete an unknown delivery: %v", err)
	}
	list, err := fh.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{})
	if err != nil || fmt.Sprint(list.DeliveryStreamNames) != "[from-config]" {
		t.Errorf("refused creations left deliveries behind: %v %v", list.DeliveryStreamNames, err)
	}
}
