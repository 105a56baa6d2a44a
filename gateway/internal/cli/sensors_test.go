package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/ingest/sensor"
	"github.com/tributary-edge/tributary/ingest/sensor/sensortest"
)

// On a machine without I2C (this one, CI), a configured sensor reports
// "bus not found" and retries; the gateway serves everything else.
func TestE2ESensorsWithoutABus(t *testing.T) {
	srv := startGateway(t, func(c *config.Config) {
		c.Sensors = []config.Sensor{{Name: "greenhouse", Driver: "bme280", Stream: "climate", Bus: "/dev/i2c-9"}}
	})
	var list api.SensorList
	mqtttest.Eventually(t, 10*time.Second, "the error reported", func() bool {
		out := mustCLI(t, srv, "", "sensors", "ls", "-o", "json")
		return json.Unmarshal([]byte(out), &list) == nil && len(list.Sensors) == 1 && list.Sensors[0].Errors > 0
	})
	if s := list.Sensors[0]; s.State != "failing" || !strings.Contains(s.LastError, `bus not found: i2c bus "/dev/i2c-9"`) {
		t.Errorf("sensor %+v", s)
	}
	out := mustCLI(t, srv, "", "sensors", "ls")
	for _, want := range []string{"NAME", "greenhouse", "bme280", "climate", "failing", "bus not found"} {
		if !strings.Contains(out, want) {
			t.Errorf("sensors ls lacks %q:\n%s", want, out)
		}
	}
	if out := mustCLI(t, srv, "", "status"); !strings.Contains(out, "sensors (1)") || !strings.Contains(out, "greenhouse") {
		t.Errorf("status lacks the sensor:\n%s", out)
	}
	// the rest of the gateway runs: its stream exists, puts work
	mustCLI(t, srv, "", "put", "telemetry", "--key", "d1", `{"t":1}`)
	if out := mustCLI(t, srv, "", "streams", "ls"); !strings.Contains(out, "climate") {
		t.Errorf("the sensor's stream was not created:\n%s", out)
	}
}

func TestSensorsProbe(t *testing.T) {
	op := sensortest.NewOpener()
	op.AddI2C("/dev/i2c-1", sensortest.NewBME280(0x77, 0x60, sensortest.CaptureCalibration, sensortest.CaptureData))
	probeOpener = func() sensor.Opener { return op }
	t.Cleanup(func() { probeOpener = sensor.HostOpener })

	code, out, errOut := runMain(t, "", "sensors", "probe", "--bus", "/dev/i2c-1")
	if code != 0 || !strings.Contains(out, "1 device(s) answered on /dev/i2c-1") || !strings.Contains(out, "0x77") || !strings.Contains(out, "BME280") {
		t.Errorf("probe: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runMain(t, "", "sensors", "probe", "--bus", "/dev/i2c-1", "-o", "json")
	if code != 0 || !strings.Contains(out, `"0x77"`) {
		t.Errorf("probe -o json: %d %s", code, out)
	}
	code, _, errOut = runMain(t, "", "sensors", "probe", "--bus", "/dev/i2c-4")
	if code != exitFailure || !strings.Contains(errOut, "bus not found") || !strings.Contains(errOut, "/dev/i2c-4") {
		t.Errorf("a missing bus: %d %s", code, errOut)
	}
	if code, _, _ := runMain(t, "", "sensors", "nope"); code != exitUsage {
		t.Errorf("unknown subcommand: exit %d", code)
	}
}
