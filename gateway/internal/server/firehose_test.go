package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/smithy-go"

	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/gateway/internal/kinesis/kinesistest"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/uplink/uplinktest"
)

// Firehose producers write to a delivery directly (Direct PUT): the
// records are spooled durably, then delivered like the rest.
func TestFirehoseDirectPut(t *testing.T) {
	ep := uplinktest.Start(t)
	g, _ := startGateway(t, func(cfg *config.Config) {
		d := config.DefaultDelivery("cloud", "telemetry")
		d.Buffering.Interval = config.Duration(10 * time.Millisecond)
		d.HTTP.URL = ep.URL
		cfg.Deliveries = []config.Delivery{d}
	})
	fh := firehose.New(firehose.Options{
		Region: "us-east-1", BaseEndpoint: aws.String("http://" + g.Addr()), RetryMaxAttempts: 1,
		HTTPClient: kinesistest.OwnBody{Client: &http.Client{Timeout: 30 * time.Second}},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}),
	})
	ctx := context.Background()
	one, err := fh.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("cloud"), Record: &types.Record{Data: []byte("one")}})
	if err != nil || aws.ToString(one.RecordId) == "" {
		t.Fatalf("PutRecord: %v %+v", err, one)
	}
	recs := make([]types.Record, 20)
	for i := range recs {
		recs[i] = types.Record{Data: fmt.Append(nil, "b", i)}
	}
	batch, err := fh.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("cloud"), Records: recs})
	if err != nil || aws.ToInt32(batch.FailedPutCount) != 0 || len(batch.RequestResponses) != 20 {
		t.Fatalf("PutRecordBatch: %v %+v", err, batch)
	}
	mqtttest.Eventually(t, 30*time.Second, "21 records at the endpoint", func() bool { return ep.Accepted() == 21 })

	list, err := fh.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{})
	if err != nil || len(list.DeliveryStreamNames) != 1 || list.DeliveryStreamNames[0] != "cloud" {
		t.Errorf("ListDeliveryStreams: %v %+v", err, list)
	}
	desc, err := fh.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("cloud")})
	if err != nil || desc.DeliveryStreamDescription.DeliveryStreamStatus != types.DeliveryStreamStatusActive ||
		aws.ToString(desc.DeliveryStreamDescription.DeliveryStreamARN) != "arn:aws:firehose:us-east-1:000000000000:deliverystream/cloud" {
		t.Errorf("DescribeDeliveryStream: %v %+v", err, desc)
	}
	var ae smithy.APIError
	if _, err := fh.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("nope"), Record: &types.Record{Data: []byte("x")}}); !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFoundException" {
		t.Errorf("unknown delivery: %v", err)
	}
	many := make([]types.Record, 501)
	for i := range many {
		many[i].Data = []byte("x")
	}
	if _, err := fh.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("cloud"), Records: many}); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("501 records: %v", err)
	}
	big := make([]byte, 1_024_001)
	if _, err := fh.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("cloud"), Record: &types.Record{Data: big}}); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("1,024,001-byte record: %v", err)
	}
}
