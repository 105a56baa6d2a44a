package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/ingest/sensor/sensortest"
)

// Sensors through the gateway: a (simulated) BME280 on one bus fills its
// stream with readings while a sensor on a bus that does not exist
// reports "bus not found", retries, and stops nothing; status and metrics
// show both.
func TestSensorsThroughTheGateway(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.MQTT.Listen = "127.0.0.1:0"
	cfg.Spool.MinFreeDisk = 0
	cfg.Sensors = []config.Sensor{
		{Name: "greenhouse", Driver: "bme280", Stream: "sensors", Bus: "/dev/i2c-1", Interval: config.Duration(100 * time.Millisecond)},
		{Name: "shed", Driver: "bmp280", Stream: "sensors", Bus: "/dev/i2c-9", Address: 0x77},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	op := sensortest.NewOpener()
	op.AddI2C("/dev/i2c-1", sensortest.NewBME280(0x76, 0x60, sensortest.CaptureCalibration, sensortest.CaptureData))
	g.SetSensorOpener(op)
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	c := &api.Client{Base: "http://" + g.Addr(), HTTP: &http.Client{Timeout: 30 * time.Second}}
	ctx := context.Background()

	var recs []string
	mqtttest.Eventually(t, 10*time.Second, "two readings stored", func() bool {
		cur, err := g.Spool().Seek("sensors", "shardId-000000000000", spoolTrimHorizon)
		if err != nil {
			return false
		}
		res, err := g.Spool().Read(cur, readAll)
		if err != nil {
			return false
		}
		recs = recs[:0]
		for _, r := range res.Records {
			if r.PartitionKey != "greenhouse" {
				t.Fatalf("a record keyed %q", r.PartitionKey)
			}
			recs = append(recs, string(r.Data))
		}
		return len(recs) >= 2
	})
	var rec map[string]any
	if err := json.Unmarshal([]byte(recs[0]), &rec); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"temperature_c", "pressure_hpa", "humidity_pct"} {
		if _, ok := rec[f].(float64); !ok {
			t.Errorf("record %s: no number %s", recs[0], f)
		}
	}
	if rec["sensor"] != "greenhouse" || rec["driver"] != "bme280" {
		t.Errorf("record %s", recs[0])
	}
	if ts, _ := rec["time"].(string); ts == "" {
		t.Errorf("record %s: no time", recs[0])
	} else if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
		t.Errorf("record time %q: %v", ts, err)
	}

	var list []api.Sensor
	mqtttest.Eventually(t, 10*time.Second, "the missing bus reported", func() bool {
		list, err = c.ListSensors(ctx)
		return err == nil && len(list) == 2 && list[1].Errors > 0
	})
	byName := map[string]api.Sensor{}
	for _, s := range list {
		byName[s.Name] = s
	}
	if s := byName["greenhouse"]; s.State != "ok" || s.Readings < 2 || s.Appended < 2 || len(s.LastReading) == 0 {
		t.Errorf("greenhouse: %+v", s)
	}
	if s := byName["shed"]; s.State != "failing" || !strings.Contains(s.LastError, "bus not found") || !strings.Contains(s.LastError, "/dev/i2c-9") {
		t.Errorf("shed: %+v", s)
	}
	resp, err := http.Get("http://" + g.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	for _, want := range []string{`tributary_sensor_up{driver="bme280",sensor="greenhouse"} 1`, `tributary_sensor_up{driver="bmp280",sensor="shed"} 0`, `tributary_sensor_errors_total{driver="bmp280",sensor="shed"}`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
