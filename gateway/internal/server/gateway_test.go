package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/dgraph-io/ristretto/v2.(*defaultPolicy[...]).processItems"),
		goleak.IgnoreAnyFunction("github.com/dgraph-io/ristretto/v2.(*Cache[...]).processItems"),
		goleak.IgnoreAnyFunction("github.com/dgraph-io/badger/v4/y.(*WaterMark).process"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("internal/poll.runtime_pollWait"),
	)
}

// startGateway runs a gateway on a random loopback port over a temp dir.
func startGateway(t *testing.T, mutate func(*config.Config)) (*Gateway, *api.Client) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.MQTT.Listen = "127.0.0.1:0"
	cfg.Spool.MinFreeDisk = 0
	if mutate != nil {
		mutate(cfg)
	}
	g, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return g, &api.Client{Base: "http://" + g.Addr(), HTTP: &http.Client{Timeout: 30 * time.Second}}
}

func TestDefaultsCreateTelemetry(t *testing.T) {
	_, c := startGateway(t, nil)
	ctx := context.Background()
	s, err := c.DescribeStream(ctx, "telemetry")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Shards) != 4 || s.Retention != "24h0m0s" || s.WhenFull != "reject_new" {
		t.Errorf("telemetry = %+v", s)
	}
	h, err := c.Health(ctx)
	if err != nil || h.Status != "ok" || h.Durability != "fsync" || h.Streams != 2 {
		t.Errorf("health = %+v, %v", h, err)
	}
}

func TestStreamLifecycleOverAPI(t *testing.T) {
	_, c := startGateway(t, func(cfg *config.Config) { cfg.Streams = nil })
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, api.CreateStream{Name: "orders", Shards: 2, Retention: "2h", MaxBytes: 1 << 20, WhenFull: "drop_oldest"}); err != nil {
		t.Fatal(err)
	}
	var apiErr *api.APIError
	if _, err := c.CreateStream(ctx, api.CreateStream{Name: "orders"}); !errors.As(err, &apiErr) || apiErr.Code != api.CodeStreamExists || apiErr.Status != 409 {
		t.Errorf("duplicate create: %v", err)
	}
	if _, err := c.CreateStream(ctx, api.CreateStream{Name: "bad name"}); !errors.As(err, &apiErr) || apiErr.Code != api.CodeInvalidArgument || !strings.Contains(apiErr.Message, `"bad name"`) {
		t.Errorf("bad name: %v", err)
	}
	if _, err := c.CreateStream(ctx, api.CreateStream{Name: "x", Retention: "forever"}); !errors.As(err, &apiErr) || apiErr.Code != api.CodeInvalidArgument {
		t.Errorf("bad retention: %v", err)
	}
	list, err := c.ListStreams(ctx)
	if err != nil || len(list) != 2 || list[1].Name != "orders" || list[1].OpenShards != 2 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	n := 3
	s, err := c.UpdateStream(ctx, "orders", api.UpdateStream{Shards: &n})
	if err != nil || s.OpenShards != 3 || len(s.Shards) != 7 { // 2→3: two splits, one merge
		t.Fatalf("reshard = %+v, %v", s, err)
	}
	if err := c.DeleteStream(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeStream(ctx, "orders"); !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Errorf("describe deleted: %v", err)
	}
	resp, err := http.Post(c.Base+"/api/v1/streams", "application/json", strings.NewReader(`{"name":"y","shardz":2}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "shardz") {
		t.Errorf("unknown field: %d %s", resp.StatusCode, body)
	}
}

func TestPutAndTail(t *testing.T) {
	_, c := startGateway(t, nil)
	ctx := context.Background()
	var recs []api.PutRecord
	for i := range 50 {
		recs = append(recs, api.PutRecord{PartitionKey: fmt.Sprintf("dev-%d", i%7), Data: fmt.Appendf(nil, "m%02d", i)})
	}
	recs = append(recs, api.PutRecord{PartitionKey: "", Data: []byte("bad")})
	res, err := c.PutRecords(ctx, "telemetry", recs)
	if err != nil {
		t.Fatal(err)
	}
	if res.FailedCount != 1 || res.Records[50].ErrorCode != api.CodeInvalidArgument || !strings.Contains(res.Records[50].Error, "records[50]") {
		t.Fatalf("put result: failed=%d last=%+v", res.FailedCount, res.Records[50])
	}
	var got []api.Record
	if err := c.Tail(ctx, "telemetry", api.TailOptions{}, func(r api.Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 {
		t.Fatalf("tail returned %d records, want 50", len(got))
	}
	// per key, order is kept
	last := map[string]string{}
	for _, r := range got {
		if prev, ok := last[r.PartitionKey]; ok && string(r.Data) < prev {
			t.Errorf("key %s out of order: %s after %s", r.PartitionKey, r.Data, prev)
		}
		last[r.PartitionKey] = string(r.Data)
	}
	// from a sequence number: that shard only, from there on
	var one []api.Record
	if err := c.Tail(ctx, "telemetry", api.TailOptions{From: res.Records[10].SequenceNumber}, func(r api.Record) error { one = append(one, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(one) == 0 || one[0].SequenceNumber != res.Records[10].SequenceNumber {
		t.Errorf("tail from seq: %+v", one)
	}
	for _, r := range one {
		if r.ShardID != res.Records[10].ShardID {
			t.Errorf("tail from seq read %s", r.ShardID)
		}
	}
	// limit
	n := 0
	c.Tail(ctx, "telemetry", api.TailOptions{Limit: 5}, func(api.Record) error { n++; return nil })
	if n != 5 {
		t.Errorf("limit 5 gave %d", n)
	}
	// bad starts are errors before any data
	var apiErr *api.APIError
	if err := c.Tail(ctx, "telemetry", api.TailOptions{From: "yesterday"}, func(api.Record) error { return nil }); !errors.As(err, &apiErr) || apiErr.Status != 400 {
		t.Errorf("bad from: %v", err)
	}
	if err := c.Tail(ctx, "nope", api.TailOptions{}, func(api.Record) error { return nil }); !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Errorf("unknown stream: %v", err)
	}
	if _, err := c.PutRecords(ctx, "nope", recs[:1]); !errors.As(err, &apiErr) || apiErr.Code != api.CodeStreamNotFound {
		t.Errorf("put to unknown stream: %v", err)
	}
}

func TestTailFollowAcrossReshard(t *testing.T) {
	_, c := startGateway(t, func(cfg *config.Config) { cfg.Streams[0].Shards = 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan api.Record, 100)
	tailDone := make(chan error, 1)
	go func() {
		tailDone <- c.Tail(ctx, "telemetry", api.TailOptions{From: "trim_horizon", Follow: true}, func(r api.Record) error { got <- r; return nil })
	}()
	put := func(data string) {
		t.Helper()
		if _, err := c.PutRecords(ctx, "telemetry", []api.PutRecord{{PartitionKey: "k", Data: []byte(data)}}); err != nil {
			t.Fatal(err)
		}
	}
	next := func() string {
		t.Helper()
		select {
		case r := <-got:
			return string(r.Data)
		case <-ctx.Done():
			t.Fatal("timed out waiting for a followed record")
		}
		return ""
	}
	put("before")
	if d := next(); d != "before" {
		t.Fatalf("got %q", d)
	}
	two := 2
	if _, err := c.UpdateStream(ctx, "telemetry", api.UpdateStream{Shards: &two}); err != nil {
		t.Fatal(err)
	}
	put("after")
	if d := next(); d != "after" {
		t.Fatalf("after reshard got %q", d)
	}
	cancel()
	<-tailDone
}

func TestMetricsAndHealth(t *testing.T) {
	_, c := startGateway(t, nil)
	ctx := context.Background()
	if _, err := c.PutRecords(ctx, "telemetry", []api.PutRecord{{PartitionKey: "k", Data: []byte("hello")}}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(c.Base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`tributary_spool_appended_records_total{stream="telemetry"} 1`,
		`tributary_spool_appended_bytes_total{stream="telemetry"} 5`,
		`tributary_spool_append_duration_seconds_count{stream="telemetry"} 1`,
		`tributary_spool_stream_records{stream="telemetry"} 1`,
		`tributary_spool_stream_bytes{stream="telemetry"}`,
		`tributary_spool_db_bytes{part="vlog"}`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestCloseEndsFollowersAndKeepsData(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.MQTT.Listen = "127.0.0.1:0"
	cfg.Spool.MinFreeDisk = 0
	g, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := &api.Client{Base: "http://" + g.Addr()}
	ctx := context.Background()
	res, err := c.PutRecords(ctx, "telemetry", []api.PutRecord{{PartitionKey: "k", Data: []byte("kept")}})
	if err != nil {
		t.Fatal(err)
	}
	following := make(chan error, 1)
	go func() {
		following <- c.Tail(ctx, "telemetry", api.TailOptions{From: "latest", Follow: true}, func(api.Record) error { return nil })
	}()
	// wait until the follower is connected: /metrics is served by the same server,
	// and a Close while connecting is also fine, so no sleep is needed
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-following:
	case <-time.After(20 * time.Second):
		t.Fatal("follower not ended by Close")
	}
	// reopen: the acknowledged record is there
	g2, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := g2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer g2.Close()
	cur, err := g2.Spool().Seek("telemetry", res.Records[0].ShardID, spoolAt(res.Records[0].SequenceNumber))
	if err != nil {
		t.Fatal(err)
	}
	r, err := g2.Spool().Read(cur, readAll)
	if err != nil || len(r.Records) != 1 || string(r.Records[0].Data) != "kept" {
		t.Errorf("after restart: %+v, %v", r.Records, err)
	}
}

func TestTailStartsAndErrors(t *testing.T) {
	_, c := startGateway(t, func(cfg *config.Config) { cfg.Streams[0].Shards = 1 })
	ctx := context.Background()
	put := func(d string) {
		if _, err := c.PutRecords(ctx, "telemetry", []api.PutRecord{{PartitionKey: "k", Data: []byte(d)}}); err != nil {
			t.Fatal(err)
		}
	}
	put("old")
	two := 2
	if _, err := c.UpdateStream(ctx, "telemetry", api.UpdateStream{Shards: &two}); err != nil {
		t.Fatal(err)
	}
	put("child-old")
	// LATEST on a resharded stream: nothing already stored, in parents or children
	var got []string
	done := make(chan error, 1)
	tctx, cancel := context.WithCancel(ctx)
	go func() {
		done <- c.Tail(tctx, "telemetry", api.TailOptions{From: "latest", Follow: true}, func(r api.Record) error {
			got = append(got, string(r.Data))
			cancel()
			return nil
		})
	}()
	// the follower is registered once the stream's shards wait; appending
	// until it reports is safe: only "new" may ever arrive
	for i := 0; ; i++ {
		select {
		case <-done:
			if len(got) != 1 || got[0] != "new" {
				t.Fatalf("tail from latest got %q", got)
			}
			goto future
		case <-time.After(20 * time.Millisecond):
			put("new")
		}
		if i > 500 {
			t.Fatal("follower never saw a new record")
		}
	}
future:
	// a start in the future is refused before any data is sent
	var apiErr *api.APIError
	err := c.Tail(ctx, "telemetry", api.TailOptions{From: "2099-01-01T00:00:00Z"}, func(api.Record) error { return nil })
	if !errors.As(err, &apiErr) || apiErr.Status != 400 {
		t.Errorf("future start: %v", err)
	}
	// deleting a followed stream ends the follow with a StreamNotFound line
	if _, err := c.CreateStream(ctx, api.CreateStream{Name: "tmp", Shards: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRecords(ctx, "tmp", []api.PutRecord{{PartitionKey: "k", Data: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	following := make(chan struct{})
	follow := make(chan error, 1)
	go func() {
		follow <- c.Tail(ctx, "tmp", api.TailOptions{Follow: true}, func(api.Record) error { close(following); return nil })
	}()
	<-following // the follower is connected and has read the stream
	if err := c.DeleteStream(ctx, "tmp"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-follow:
		if !errors.As(err, &apiErr) || apiErr.Code != api.CodeStreamNotFound {
			t.Errorf("follow of a deleted stream ended with %v, want StreamNotFound", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("follow of a deleted stream did not end")
	}
}

// A Start that fails late (its HTTP address is taken) stops what it had
// started and closes the spool and the video store: a gateway on the same
// data directory starts next.
func TestStartFailureReleasesEverything(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = busy.Addr().String()
	cfg.MQTT.Listen = "127.0.0.1:0"
	cfg.Spool.MinFreeDisk = 0
	cfg.Video.ICEAddr, cfg.Video.MinFreeDisk = "127.0.0.1:0", 0
	cfg.Video.Streams = []config.VideoStream{config.DefaultVideoStream("cam")}
	g, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "http.addr") {
		t.Fatalf("Start on a busy address: %v", err)
	}
	cfg.HTTP.Addr = "127.0.0.1:0"
	g2, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := g2.Start(context.Background()); err != nil {
		t.Fatalf("a second Start on the same data: %v", err)
	}
	if err := g2.Close(); err != nil {
		t.Fatal(err)
	}
}
