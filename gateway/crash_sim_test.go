package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
)

// sim runs firmware-sim (under the test's emulator, if any).
func sim(ctx context.Context, args ...string) *exec.Cmd {
	name := simPath
	if emu := os.Getenv("TRIBUTARY_TEST_EXEC"); emu != "" {
		name, args = emu, append([]string{simPath}, args...)
	}
	return exec.CommandContext(ctx, name, args...)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// records returns how many records the stream holds (0 if unreachable).
func records(base, stream string) int64 {
	c := &api.Client{Base: base, HTTP: &http.Client{Timeout: 5 * time.Second}}
	s, err := c.DescribeStream(context.Background(), stream)
	if err != nil {
		return 0
	}
	return s.Records
}

// killDuringSim runs firmware-sim devices against mqttURL while SIGKILLing
// and restarting the gateway (start) each time the stream has grown by
// step records, then checks with "firmware-sim verify --acked" that every
// acknowledged message is stored, in per-device order. A bridged gateway
// stores what mosquitto acknowledged only once it has caught up, so the
// verification is retried until it passes or a minute has gone by.
func killDuringSim(t *testing.T, start func() *child, mqttURL string, kills int, step int64) {
	t.Helper()
	report := filepath.Join(t.TempDir(), "run.json")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := start()
	devices := sim(ctx, "devices", "--broker", mqttURL, "--count", "20", "--rate", "0", "--qos", "1",
		"--duration", "60s", "--report", report, "--quiet", "--run-id", "kill9")
	devices.Stdout, devices.Stderr = os.Stderr, os.Stderr
	if err := devices.Start(); err != nil {
		t.Fatal(err)
	}
	simDone := make(chan error, 1)
	go func() { simDone <- devices.Wait() }()
	for k := range kills {
		target := records(c.base, "telemetry") + step
		for records(c.base, "telemetry") < target {
			select {
			case err := <-simDone:
				t.Fatalf("firmware-sim ended before kill %d: %v", k, err)
			case <-time.After(20 * time.Millisecond):
			}
		}
		c.cmd.Process.Signal(syscall.SIGKILL)
		<-c.done
		t.Logf("kill %d at %d+ records", k, target)
		c = start()
	}
	devices.Process.Signal(syscall.SIGINT) // end the run early: it reports what was acknowledged
	if err := <-simDone; err != nil {
		t.Logf("firmware-sim devices: %v", err)
	}
	defer func() { c.cmd.Process.Signal(syscall.SIGTERM); <-c.done }()
	var out []byte
	var err error
	verified := func() bool {
		out, err = sim(ctx, "verify", "--acked", report, "--gateway", c.base, "--stream", "telemetry").CombinedOutput()
		return err == nil
	}
	if !verified() { // a bridged gateway may still be catching up
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("last firmware-sim verify: %v\n%s", err, out)
			}
		})
		mqtttest.Eventually(t, time.Minute, "firmware-sim verify to pass", verified)
	}
	t.Logf("verify:\n%s", lastLines(string(out), 6))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Embedded broker: devices reconnect to the restarted gateway on the same
// port; every PUBACKed message is stored.
func TestKill9FirmwareSimEmbedded(t *testing.T) {
	dataDir := t.TempDir()
	mqtt := freePort(t)
	kills := 3
	if testing.Short() {
		kills = 1
	}
	killDuringSim(t, func() *child { return startChild(t, dataDir, "--mqtt", mqtt) }, "tcp://"+mqtt, kills, 300)
}

// Bridge: devices publish to mosquitto; the gateway holds a persistent
// session there. Every message mosquitto acknowledged ends up stored,
// although the gateway is killed while bridging.
func TestKill9FirmwareSimBridge(t *testing.T) {
	mosq := mqtttest.StartMosquitto(t).Addr
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gateway.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`mqtt:
  listen: ""
  bridge:
    url: tcp://%s
    client_id: tributary-kill9
    topics: ["devices/#"]
    max_reconnect_interval: 1s
`, mosq)), 0o600)
	dataDir := filepath.Join(dir, "data")
	kills := 3
	if testing.Short() {
		kills = 1
	}
	killDuringSim(t, func() *child { return startChild(t, dataDir, "-c", cfg) }, "tcp://"+mosq, kills, 300)
}
