package sensor_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/ingest/sensor"
	"github.com/tributary-edge/tributary/ingest/sensor/sensortest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// appended is one Append call that succeeded.
type appended struct {
	stream, key string
	data        []byte
}

// appender records appends; it fails the next `fail` calls with errFull.
type appender struct {
	mu   sync.Mutex
	recs []appended
	fail int
	errs int
}

var errFull = errors.New("spool full")

func (a *appender) Append(ctx context.Context, stream, key string, data []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail > 0 {
		a.fail--
		a.errs++
		return errFull
	}
	a.recs = append(a.recs, appended{stream, key, append([]byte(nil), data...)})
	return nil
}

func (a *appender) setFail(n int) {
	a.mu.Lock()
	a.fail = n
	a.mu.Unlock()
}

func (a *appender) all() []appended {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]appended(nil), a.recs...)
}

// bySensor returns the decoded records appended for one sensor.
func (a *appender) bySensor(t *testing.T, name string) []sensor.Record {
	t.Helper()
	var out []sensor.Record
	for _, r := range a.all() {
		if r.key != name {
			continue
		}
		var rec sensor.Record
		if err := json.Unmarshal(r.data, &rec); err != nil {
			t.Fatalf("record %s: %v", r.data, err)
		}
		out = append(out, rec)
	}
	return out
}

func (a *appender) count(name string) int {
	n := 0
	for _, r := range a.all() {
		if r.key == name {
			n++
		}
	}
	return n
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// start builds and starts a Source; Close runs at cleanup.
func start(t *testing.T, cfgs []sensor.Config, app sensor.Appender, opts sensor.Options) *sensor.Source {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	src, err := sensor.New(cfgs, app, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return src
}

func statusOf(src *sensor.Source, name string) sensor.Status {
	for _, st := range src.Status() {
		if st.Name == name {
			return st
		}
	}
	return sensor.Status{}
}

// eventually polls cond in real time; fake-clock tests use Clock.RunUntil.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	mqtttest.Eventually(t, 5*time.Second, what, cond)
}

func simBME(addr uint16) *sensortest.BME280 {
	return sensortest.NewBME280(addr, 0x60, sensortest.CaptureCalibration, sensortest.CaptureData)
}
