package main

// BenchmarkMQTT measures MQTT ingest end to end with the real binaries
// (make bench): firmware-sim in benchmark mode (--rate 0: each device keeps
// one message in flight) against a gateway in fsync durability, for 1, 100
// and 1,000 devices at QoS 1 and 100 devices at QoS 0; the bridge through
// mosquitto; and mosquitto alone as the ceiling. Reported per case:
//
//	msgs/s        acknowledged messages per second (QoS 0: sent)
//	p50_ms p99_ms publish-to-PUBACK latency
//	gw_rss_MiB    the gateway's peak RSS (VmHWM) at the end of the case
//	stored/s      (bridge) records the gateway stored per second

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

type simReport struct {
	MsgsPerS float64 `json:"msgs_per_s"`
	Acked    int64   `json:"acked"`
	Sent     int64   `json:"sent"`
	Latency  *struct {
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
	} `json:"latency_ms"`
}

func runSim(b *testing.B, broker string, devices, qos int, dur time.Duration) simReport {
	b.Helper()
	report := filepath.Join(b.TempDir(), "r.json")
	ctx, cancel := context.WithTimeout(context.Background(), dur+2*time.Minute)
	defer cancel()
	cmd := sim(ctx, "devices", "--broker", broker, "--count", strconv.Itoa(devices), "--rate", "0",
		"--qos", strconv.Itoa(qos), "--duration", dur.String(), "--report", report, "--quiet")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("firmware-sim: %v\n%s", err, out)
	}
	var r simReport
	raw, err := os.ReadFile(report)
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		b.Fatal(err)
	}
	return r
}

func vmHWM(pid int) float64 { return procStatus(pid, "VmHWM:") }

// procStatus reads a kB field of /proc/pid/status, in MiB (0 if none).
func procStatus(pid int, field string) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseFloat(strings.Fields(v)[0], 64)
			return kb / 1024
		}
	}
	return 0
}

func report(b *testing.B, r simReport) {
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(r.MsgsPerS, "msgs/s")
	if r.Latency != nil {
		b.ReportMetric(r.Latency.P50, "p50_ms")
		b.ReportMetric(r.Latency.P99, "p99_ms")
	}
}

func BenchmarkMQTT(b *testing.B) {
	dur := 10 * time.Second
	if v := os.Getenv("TRIBUTARY_MQTT_BENCH"); v != "" {
		dur, _ = time.ParseDuration(v)
	}
	for _, tc := range []struct {
		name         string
		devices, qos int
	}{{"embedded/qos1/devices=1", 1, 1}, {"embedded/qos1/devices=100", 100, 1}, {"embedded/qos1/devices=1000", 1000, 1}, {"embedded/qos0/devices=100", 100, 0}} {
		b.Run(tc.name, func(b *testing.B) {
			c := startChildB(b, b.TempDir())
			r := runSim(b, "tcp://"+c.mqtt, tc.devices, tc.qos, dur)
			report(b, r)
			b.ReportMetric(vmHWM(c.cmd.Process.Pid), "gw_rss_MiB")
			c.cmd.Process.Signal(syscall.SIGTERM)
			<-c.done
		})
	}
	b.Run("mosquitto-alone/qos1/devices=100", func(b *testing.B) {
		report(b, runSim(b, mqtttest.StartMosquitto(b).URL(), 100, 1, dur))
	})
	b.Run("bridge/qos1/devices=100", func(b *testing.B) {
		mosq := mqtttest.StartMosquitto(b).Addr
		dir := b.TempDir()
		cfg := filepath.Join(dir, "gw.yaml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("mqtt:\n  listen: \"\"\n  bridge:\n    url: tcp://%s\n    client_id: bench\n    topics: [\"devices/#\"]\n", mosq)), 0o600)
		c := startChildB(b, filepath.Join(dir, "data"), "-c", cfg)
		start := records(c.base, "telemetry")
		t0 := time.Now()
		r := runSim(b, "tcp://"+mosq, 100, 1, dur)
		// the gateway's rate: records stored while the devices ran and
		// until it caught up
		mqtttest.Eventually(b, time.Minute, "the bridge to store what mosquitto acknowledged", func() bool {
			return records(c.base, "telemetry")-start >= r.Acked
		})
		stored := records(c.base, "telemetry") - start
		report(b, r)
		b.ReportMetric(float64(stored)/time.Since(t0).Seconds(), "stored/s")
		b.ReportMetric(vmHWM(c.cmd.Process.Pid), "gw_rss_MiB")
		c.cmd.Process.Signal(syscall.SIGTERM)
		<-c.done
	})
}
