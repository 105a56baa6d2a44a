package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
)

// An app from the config: readings published over MQTT to the embedded
// broker are stored in telemetry, the app's alerts come back on
// alerts/{device} to a subscriber, and the roll-up app's windows land in
// their stream.
func TestAppsThroughTheGateway(t *testing.T) {
	g, c := startGateway(t, func(cfg *config.Config) {
		cfg.Apps = []config.App{{Name: "anomaly", From: "latest", SQL: `SELECT device, temp FROM telemetry
WHERE temp > 40 OR ABS(temp - LAG(temp) OVER (PARTITION BY device)) > 5
EMIT TO MQTT 'alerts/{device}'`}}
	})
	ctx := context.Background()
	var mu sync.Mutex
	var alerts []string
	sub := mqtttest.Connect(t, g.MQTTAddr(), "dashboard", true)
	if tok := sub.Subscribe("alerts/#", 1, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		alerts = append(alerts, m.Topic()+" "+string(m.Payload()))
		mu.Unlock()
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	mqtttest.Eventually(t, 10*time.Second, "the app reading", func() bool {
		a, err := c.DescribeApp(ctx, "anomaly")
		return err == nil && a.State == "running"
	})
	dev := mqtttest.Connect(t, g.MQTTAddr(), "freezer-1", true)
	for _, temp := range []int{20, 22, 29, 45} {
		if tok := dev.Publish("freezer-1", 1, false, fmt.Sprintf(`{"device":"freezer-1","temp":%d}`, temp)); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	mqtttest.Eventually(t, 10*time.Second, "two alerts", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(alerts) == 2
	})
	mu.Lock()
	if alerts[0] != `alerts/freezer-1 {"device":"freezer-1","temp":29}` || alerts[1] != `alerts/freezer-1 {"device":"freezer-1","temp":45}` {
		t.Errorf("alerts %q", alerts)
	}
	mu.Unlock()
	a, _ := c.DescribeApp(ctx, "anomaly")
	if a.RecordsIn != 4 || a.Published != 2 || a.Origin != "config" || a.Source != "telemetry" {
		t.Errorf("describe: %+v", a)
	}
}

// Apps made through the API: created (its output stream too), kept
// across a restart, stopped, started, deleted; bad SQL refused with a
// caret; an ad-hoc query streams results.
func TestAppsAPI(t *testing.T) {
	dir := t.TempDir()
	mutate := func(cfg *config.Config) { cfg.DataDir = dir }
	g, c := startGateway(t, mutate)
	ctx := context.Background()
	put := func(c *api.Client, from, to int) {
		recs := make([]api.PutRecord, 0, to-from)
		for i := from; i < to; i++ {
			recs = append(recs, api.PutRecord{PartitionKey: fmt.Sprint("d", i%3), Data: fmt.Appendf(nil, `{"device":"d%d","temp":%d}`, i%3, i)})
		}
		if _, err := c.PutRecords(ctx, "telemetry", recs); err != nil {
			t.Fatal(err)
		}
	}
	put(c, 0, 30)
	_, err := c.CreateApp(ctx, api.CreateApp{Name: "hot", From: "trim_horizon", SQL: "INSERT INTO hot SELECT device, temp FROM telemetry WHERE temp >= 20"})
	if err != nil {
		t.Fatal(err)
	}
	mqtttest.Eventually(t, 10*time.Second, "10 hot records", func() bool {
		s, err := c.DescribeStream(ctx, "hot")
		return err == nil && s.Records == 10
	})
	var apiErr *api.APIError
	_, err = c.CreateApp(ctx, api.CreateApp{Name: "bad", SQL: "SELECT temp FROM telemetry WHRE temp > 1"})
	if !errors.As(err, &apiErr) || apiErr.Code != api.CodeInvalidSQL || !strings.Contains(apiErr.Message, "column 28") || !strings.Contains(apiErr.Message, "^") {
		t.Errorf("bad SQL: %v", err)
	}
	if _, err := c.CreateApp(ctx, api.CreateApp{Name: "hot", SQL: "SELECT * FROM telemetry"}); !errors.As(err, &apiErr) || apiErr.Code != api.CodeAppExists {
		t.Errorf("a second app named hot: %v", err)
	}
	if _, err := c.CreateApp(ctx, api.CreateApp{Name: "ghost", SQL: "SELECT * FROM nope"}); !errors.As(err, &apiErr) || !strings.Contains(apiErr.Message, "stream nope does not exist") {
		t.Errorf("an unknown stream: %v", err)
	}

	// after a restart it goes on from its checkpoint: nothing twice
	g.Close()
	g, c = startGateway(t, mutate)
	put(c, 30, 60)
	mqtttest.Eventually(t, 10*time.Second, "40 hot records", func() bool {
		s, err := c.DescribeStream(ctx, "hot")
		return err == nil && s.Records == 40
	})
	if a, err := c.StopApp(ctx, "hot"); err != nil || a.State != "stopped" {
		t.Errorf("stop: %+v %v", a, err)
	}
	put(c, 60, 63)
	if a, err := c.StartApp(ctx, "hot"); err != nil || a.State != "running" {
		t.Errorf("start: %+v %v", a, err)
	}
	mqtttest.Eventually(t, 10*time.Second, "43 hot records", func() bool {
		s, err := c.DescribeStream(ctx, "hot")
		return err == nil && s.Records == 43
	})

	// an ad-hoc query over history
	qctx, cancel := context.WithCancel(ctx)
	var rows []string
	err = c.Query(qctx, api.CreateApp{SQL: "SELECT device, temp * 10 AS t10 FROM telemetry WHERE device = 'd1'", From: "trim_horizon"}, func(m json.RawMessage) error {
		rows = append(rows, string(m))
		if len(rows) == 21 {
			cancel()
		}
		return nil
	})
	if len(rows) != 21 || rows[0] != `{"device":"d1","t10":10}` {
		t.Errorf("ad-hoc: %d rows, first %v (%v)", len(rows), rows[:min(1, len(rows))], err)
	}

	if err := c.DeleteApp(ctx, "hot"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeApp(ctx, "hot"); !errors.As(err, &apiErr) || apiErr.Code != api.CodeAppNotFound {
		t.Errorf("after delete: %v", err)
	}
	g.Close()
	_, c = startGateway(t, mutate)
	if l, err := c.ListApps(ctx); err != nil || len(l) != 0 {
		t.Errorf("after delete and restart: %v %v", l, err)
	}
}

// A table join through the gateway: device metadata in a stream of its
// own, read from its start, enriches the telemetry.
func TestAppTableJoin(t *testing.T) {
	g, c := startGateway(t, nil)
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, api.CreateStream{Name: "devices", Shards: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRecords(ctx, "devices", []api.PutRecord{{PartitionKey: "f1", Data: []byte(`{"id":"f1","site":"shop"}`)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateApp(ctx, api.CreateApp{Name: "enrich", SQL: "INSERT INTO enriched SELECT t.device, t.temp, devices.site AS site FROM telemetry AS t JOIN TABLE devices ON t.device = devices.id"}); err != nil {
		t.Fatal(err)
	}
	mqtttest.Eventually(t, 10*time.Second, "the table loaded", func() bool {
		a, err := c.DescribeApp(ctx, "enrich")
		return err == nil && a.StateSize == 1
	})
	if _, err := c.PutRecords(ctx, "telemetry", []api.PutRecord{{PartitionKey: "f1", Data: []byte(`{"device":"f1","temp":3}`)}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	mqtttest.Eventually(t, 10*time.Second, "an enriched record", func() bool {
		cur, err := g.Spool().Seek("enriched", "shardId-000000000000", spoolTrimHorizon)
		if err != nil {
			return false
		}
		res, err := g.Spool().Read(cur, readAll)
		if err != nil {
			return false
		}
		got = got[:0]
		for _, r := range res.Records {
			got = append(got, string(r.Data))
		}
		return len(got) == 1
	})
	if got[0] != `{"device":"f1","temp":3,"site":"shop"}` {
		t.Errorf("enriched %s", got[0])
	}
}

// A join of two streams through the gateway, with LATE INTO: the late
// stream is created like the output stream, and a payment too late for
// the join lands there as it was put.
func TestAppStreamJoinLateInto(t *testing.T) {
	g, c := startGateway(t, nil)
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, api.CreateStream{Name: "payments", Shards: 1}); err != nil {
		t.Fatal(err)
	}
	const sql = `INSERT INTO paid SELECT t.device, p.amount FROM telemetry AS t EVENT TIME t.ts LATE INTO late_payments
		JOIN payments AS p EVENT TIME p.ts ON t.device = p.device WITHIN 1m`
	if _, err := c.CreateApp(ctx, api.CreateApp{Name: "pay", SQL: sql}); err != nil {
		t.Fatal(err)
	}
	if !g.streamExists("late_payments") || !g.streamExists("paid") {
		t.Fatalf("the output and late streams were not created")
	}
	put := func(stream, data string) {
		t.Helper()
		if _, err := c.PutRecords(ctx, stream, []api.PutRecord{{PartitionKey: "d", Data: []byte(data)}}); err != nil {
			t.Fatal(err)
		}
	}
	put("telemetry", `{"device":"d","ts":"2026-11-26T12:00:00Z"}`)
	read := func(stream string) []string {
		cur, err := g.Spool().Seek(stream, "shardId-000000000000", spoolTrimHorizon)
		if err != nil {
			return nil
		}
		res, err := g.Spool().Read(cur, readAll)
		if err != nil {
			return nil
		}
		var out []string
		for _, r := range res.Records {
			out = append(out, string(r.Data))
		}
		return out
	}
	mqtttest.Eventually(t, 10*time.Second, "the order read", func() bool {
		a, err := c.DescribeApp(ctx, "pay")
		return err == nil && a.RecordsIn == 1
	})
	put("payments", `{"device":"d","amount":7,"ts":"2026-11-26T12:00:30Z"}`)
	mqtttest.Eventually(t, 10*time.Second, "a joined record", func() bool { return len(read("paid")) == 1 })
	late := `{"device":"d","amount":1,"ts":"2026-11-26T11:00:00Z"}`
	put("payments", late)
	mqtttest.Eventually(t, 10*time.Second, "the late payment kept", func() bool { return len(read("late_payments")) == 1 })
	if got := read("paid"); got[0] != `{"device":"d","amount":7}` {
		t.Errorf("joined %s", got[0])
	}
	if got := read("late_payments"); got[0] != late {
		t.Errorf("late stream holds %s", got[0])
	}
	a, err := c.DescribeApp(ctx, "pay")
	if err != nil || a.Late != 1 {
		t.Errorf("described %+v, %v: want 1 late", a, err)
	}
}
