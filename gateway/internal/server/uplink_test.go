package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/uplink/uplinktest"
)

// A configured delivery sends the stream to an HTTP endpoint; the admin
// API shows, pauses and resumes it; metrics count it.
func TestDeliveryThroughTheGateway(t *testing.T) {
	ep := uplinktest.Start(t)
	// distinct records: a batch in flight when the delivery is paused may
	// come again after Resume (at least once, with its request id)
	received := ep.Distinct

	g, c := startGateway(t, func(cfg *config.Config) {
		d := config.DefaultDelivery("cloud", "telemetry")
		d.HTTP.URL = ep.URL
		d.Buffering.Interval = config.Duration(10 * time.Millisecond)
		cfg.Deliveries = []config.Delivery{d}
	})
	ctx := context.Background()
	next := 0
	put := func(n int) {
		recs := make([]api.PutRecord, n)
		for i := range recs {
			recs[i] = api.PutRecord{PartitionKey: fmt.Sprint(i), Data: fmt.Append(nil, "r", next)}
			next++
		}
		if _, err := c.PutRecords(ctx, "telemetry", recs); err != nil {
			t.Fatal(err)
		}
	}
	put(100)
	mqtttest.Eventually(t, 30*time.Second, "100 records at the endpoint", func() bool { return received() == 100 })
	d, err := c.PauseDelivery(ctx, "cloud")
	if err != nil || d.State != "paused" {
		t.Fatalf("pause: %+v %v", d, err)
	}
	put(10)
	if received() != 100 {
		t.Fatal("records sent while paused")
	}
	if _, err := c.ResumeDelivery(ctx, "cloud"); err != nil {
		t.Fatal(err)
	}
	mqtttest.Eventually(t, 30*time.Second, "110 records", func() bool { return received() == 110 })
	mqtttest.Eventually(t, 10*time.Second, "status: 110 delivered", func() bool {
		l, err := c.ListDeliveries(ctx)
		return err == nil && len(l) == 1 && l[0].Delivered == 110 && l[0].State == "connected"
	})
	if _, err := c.DescribeDelivery(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "no delivery") {
		t.Errorf("unknown delivery: %v", err)
	}
	resp, err := http.Get("http://" + g.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`tributary_uplink_delivered_records_total{delivery="cloud"} 110`, `tributary_uplink_state{delivery="cloud",state="connected"} 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// An s3 delivery writes the stream into a bucket of an S3-compatible
// store (an in-process S3 server on loopback).
func TestS3DeliveryThroughTheGateway(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
	defer srv.Close()
	_, c := startGateway(t, func(cfg *config.Config) {
		d := config.DefaultDelivery("lake", "telemetry")
		d.Buffering.Interval = config.Duration(10 * time.Millisecond)
		d.S3.Bucket, d.S3.Endpoint, d.S3.PathStyle = "lake", srv.URL, true
		d.S3.AccessKeyID, d.S3.SecretKey = "AKID", "secret"
		d.S3.Format, d.S3.Compression = "lines", "gzip"
		cfg.Deliveries = []config.Delivery{d}
	})
	ctx := context.Background()
	recs := make([]api.PutRecord, 50)
	for i := range recs {
		recs[i] = api.PutRecord{PartitionKey: fmt.Sprint(i), Data: fmt.Append(nil, "r", i)}
	}
	if _, err := c.PutRecords(ctx, "telemetry", recs); err != nil {
		t.Fatal(err)
	}
	mqtttest.Eventually(t, 30*time.Second, "50 delivered to S3", func() bool {
		d, err := c.DescribeDelivery(ctx, "lake")
		return err == nil && d.Delivered == 50 && d.Destination == "s3 lake"
	})
}

// A kinesis delivery forwards a stream to another Tributary over its
// Kinesis API (a regional gateway), keeping partition keys.
func TestKinesisDeliveryToASecondTributary(t *testing.T) {
	regional, rc := startGateway(t, nil)
	ctx := context.Background()
	if _, err := rc.CreateStream(ctx, api.CreateStream{Name: "fleet", Shards: 2}); err != nil {
		t.Fatal(err)
	}
	_, c := startGateway(t, func(cfg *config.Config) {
		d := config.DefaultDelivery("regional", "telemetry")
		d.Buffering.Interval = config.Duration(10 * time.Millisecond)
		d.Kinesis.Stream, d.Kinesis.Endpoint = "fleet", "http://"+regional.Addr()
		cfg.Deliveries = []config.Delivery{d}
	})
	recs := make([]api.PutRecord, 1200) // more than one PutRecords call
	for i := range recs {
		recs[i] = api.PutRecord{PartitionKey: fmt.Sprint("dev-", i%9), Data: fmt.Appendf(nil, "%04d", i)}
	}
	if _, err := c.PutRecords(ctx, "telemetry", recs); err != nil {
		t.Fatal(err)
	}
	mqtttest.Eventually(t, 30*time.Second, "1200 records in the regional stream", func() bool {
		s, err := rc.DescribeStream(ctx, "fleet")
		return err == nil && s.Records == 1200
	})
	// Per device, the records arrived in order.
	last := map[string]string{}
	info, _ := regional.Spool().DescribeStream("fleet")
	for _, sh := range info.Shards {
		cur, _ := regional.Spool().Seek("fleet", sh.ID, spoolTrimHorizon)
		res, _ := regional.Spool().Read(cur, readAll)
		for _, r := range res.Records {
			if string(r.Data) < last[r.PartitionKey] {
				t.Fatalf("%s: %s after %s", r.PartitionKey, r.Data, last[r.PartitionKey])
			}
			last[r.PartitionKey] = string(r.Data)
		}
	}
	if len(last) != 9 {
		t.Errorf("%d partition keys arrived, want 9", len(last))
	}
}

// Against a throttling destination (Kinesis' 1,000 records/s per shard),
// the records PutRecords fails are resent until every one is stored, and
// none is stored twice.
func TestKinesisDeliveryResendsThrottledRecords(t *testing.T) {
	regional, rc := startGateway(t, func(cfg *config.Config) { cfg.Kinesis.ThroughputLimits = true })
	ctx := context.Background()
	if _, err := rc.CreateStream(ctx, api.CreateStream{Name: "fleet", Shards: 1}); err != nil {
		t.Fatal(err)
	}
	_, c := startGateway(t, func(cfg *config.Config) {
		d := config.DefaultDelivery("regional", "telemetry")
		d.Buffering.Interval = config.Duration(10 * time.Millisecond)
		d.Kinesis.Stream, d.Kinesis.Endpoint = "fleet", "http://"+regional.Addr()
		cfg.Deliveries = []config.Delivery{d}
	})
	recs := make([]api.PutRecord, 2500)
	for i := range recs {
		recs[i] = api.PutRecord{PartitionKey: fmt.Sprint(i), Data: fmt.Appendf(nil, "%04d", i)}
	}
	if _, err := c.PutRecords(ctx, "telemetry", recs); err != nil {
		t.Fatal(err)
	}
	mqtttest.Eventually(t, 60*time.Second, "2500 records in the regional stream", func() bool {
		s, err := rc.DescribeStream(ctx, "fleet")
		return err == nil && s.Records >= 2500
	})
	seen := map[string]bool{}
	cur, _ := regional.Spool().Seek("fleet", "shardId-000000000000", spoolTrimHorizon)
	res, _ := regional.Spool().Read(cur, readAll)
	for _, r := range res.Records {
		if seen[string(r.Data)] {
			t.Fatalf("%s stored twice", r.Data)
		}
		seen[string(r.Data)] = true
	}
	if len(seen) != 2500 {
		t.Errorf("%d distinct records, want 2500", len(seen))
	}
}
