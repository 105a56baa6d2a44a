package sensor_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/sensor"
	"github.com/tributary-edge/tributary/ingest/sensor/sensortest"
)

// TestHostOpenerBusNotFound runs the real Opener: on a machine without the
// bus (CI, a laptop) it must fail fast with the sentinel, naming the bus
// and what exists.
func TestHostOpenerBusNotFound(t *testing.T) {
	if _, err := os.Stat("/dev/i2c-7"); err == nil {
		t.Skip("this machine has /dev/i2c-7")
	}
	op := sensor.HostOpener()
	began := time.Now()
	_, err := op.OpenI2C("/dev/i2c-7")
	if !errors.Is(err, sensor.ErrBusNotFound) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
	if !strings.Contains(err.Error(), `"/dev/i2c-7"`) || !strings.Contains(err.Error(), "available: ") {
		t.Fatalf("message %q", err)
	}
	if m, _ := filepath.Glob("/sys/bus/w1/devices/w1_bus_master*"); len(m) == 0 {
		if _, err := op.OpenOneWire("OneWire9"); !errors.Is(err, sensor.ErrBusNotFound) || !strings.Contains(err.Error(), "OneWire9") {
			t.Fatalf("1-wire: %v", err)
		}
	}
	if _, err := op.OpenGPIO("NO_SUCH_PIN_42"); !errors.Is(err, sensor.ErrPinNotFound) || !strings.Contains(err.Error(), "NO_SUCH_PIN_42") {
		t.Fatalf("gpio: %v", err)
	}
	if _, err := sensor.Probe(op, "/dev/i2c-7"); !errors.Is(err, sensor.ErrBusNotFound) {
		t.Fatalf("probe: %v", err)
	}
}

// TestSourceOnMachineWithoutBus: configured sensors report the missing bus
// and keep retrying with backoff; nothing panics, Close is prompt.
func TestSourceOnMachineWithoutBus(t *testing.T) {
	if _, err := os.Stat("/dev/i2c-7"); err == nil {
		t.Skip("this machine has /dev/i2c-7")
	}
	clock := sensortest.NewClock(t0)
	src := start(t, []sensor.Config{
		{Name: "greenhouse", Driver: "bme280", Stream: "env", Bus: "/dev/i2c-7"},
		{Name: "door", Driver: "gpio", Stream: "events", Pin: "NO_SUCH_PIN_42"},
	}, &appender{}, sensor.Options{Opener: sensor.HostOpener(), Clock: clock})
	if !clock.RunUntil(func() bool { return statusOf(src, "greenhouse").Errors >= 3 && statusOf(src, "door").Errors >= 3 }, runFor) {
		t.Fatalf("not retrying: %+v", src.Status())
	}
	st := statusOf(src, "greenhouse")
	if st.State != sensor.StateFailing || !strings.Contains(st.LastError, "bus not found") || !strings.Contains(st.LastError, "/dev/i2c-7") {
		t.Fatalf("status %+v", st)
	}
}
