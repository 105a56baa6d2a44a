package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
)

// BenchmarkAnomalyLatency measures use case 3 end to end (make bench): a
// reading published over MQTT (QoS 1, acknowledged once stored) to the
// alert on alerts/{device} from the anomaly app, received by a
// subscriber. Reports p50 and p99 in milliseconds (the issue asks for
// within 100 ms). Durability fsync, the default.
func BenchmarkAnomalyLatency(b *testing.B) {
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.MQTT.Listen = "127.0.0.1:0"
	cfg.Spool.MinFreeDisk = 0
	cfg.Apps = []config.App{{Name: "anomaly", From: "latest", SQL: `SELECT device, temp, n FROM telemetry
WHERE temp > 40 OR ABS(temp - LAG(temp) OVER (PARTITION BY device)) > 5
EMIT TO MQTT 'alerts/{device}'`}}
	g, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	// alerts by reading number, with the time each came
	got := make(chan [2]int64, 1024)
	sub := mqtttest.Connect(b, g.MQTTAddr(), "dashboard", true)
	sub.Subscribe("alerts/#", 1, func(_ paho.Client, m paho.Message) {
		var a struct{ N int64 }
		json.Unmarshal(m.Payload(), &a)
		select {
		case got <- [2]int64{a.N, time.Now().UnixNano()}:
		default:
		}
	}).Wait()
	dev := mqtttest.Connect(b, g.MQTTAddr(), "freezer", true)
	const n = 200
	var lat []time.Duration
	for i := range n {
		// 20, 21, 20, 21 …: no alert; every 10th reading 50: an alert for
		// it (over 40) and one for the next (a jump back down)
		temp := 20 + i%2
		if i%10 == 9 {
			temp = 50
		}
		sent := time.Now().UnixNano()
		dev.Publish("freezer-1", 1, false, fmt.Sprintf(`{"device":"freezer-1","temp":%d,"n":%d}`, temp, i)).Wait()
		if temp != 50 {
			continue
		}
		for {
			select {
			case a := <-got:
				if a[0] != int64(i) {
					continue // the jump back down of the reading before
				}
				lat = append(lat, time.Duration(a[1]-sent))
			case <-time.After(10 * time.Second):
				b.Fatal("no alert")
			}
			break
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}
