package sensor_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/tributary-edge/tributary/ingest/sensor"
	"github.com/tributary-edge/tributary/ingest/sensor/sensortest"
)

func ms(f float64) time.Time { return t0.Add(time.Duration(f * float64(time.Millisecond))) }

// bouncy is a contact closing with bounces at 0 ms, opening with bounces at
// 100 ms, a 3 ms glitch at 200 ms, and a clean close at 300 ms.
func bouncy() []sensortest.Change {
	return []sensortest.Change{
		{At: ms(0), Level: gpio.High}, {At: ms(1), Level: gpio.Low}, {At: ms(2), Level: gpio.High},
		{At: ms(100), Level: gpio.Low}, {At: ms(100.5), Level: gpio.High}, {At: ms(101), Level: gpio.Low},
		{At: ms(200), Level: gpio.High}, {At: ms(203), Level: gpio.Low},
		{At: ms(300), Level: gpio.High},
	}
}

type event struct {
	at    time.Time
	level int
	edge  string
	count int64
}

func runPin(t *testing.T, cfg sensor.Config, script []sensortest.Change, want int) ([]event, *sensortest.Pin, *sensor.Source, *appender) {
	t.Helper()
	clock := sensortest.NewClock(t0)
	pin := sensortest.NewPin("GPIO17", clock, gpio.Low)
	pin.Push(script...)
	op := sensortest.NewOpener()
	op.AddPin("GPIO17", pin)
	app := &appender{}
	src := start(t, []sensor.Config{cfg}, app, sensor.Options{Opener: op, Clock: clock})
	if !clock.RunUntil(func() bool { return app.count(cfg.Name) >= want && pin.Remaining() == 0 }, runFor) {
		t.Fatalf("got %d events, want %d", app.count(cfg.Name), want)
	}
	// Let any pending debounce window close, then stop.
	clock.Advance(time.Second)
	_ = src.Close()
	var out []event
	for _, r := range app.bySensor(t, cfg.Name) {
		if r.Level == nil || r.Pin != "GPIO17" || r.Driver != "gpio" {
			t.Fatalf("record %+v", r)
		}
		out = append(out, event{r.Time, *r.Level, r.Edge, r.Count})
	}
	return out, pin, src, app
}

func checkEvents(t *testing.T, got, want []event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events %+v\nwant %+v", got, want)
	}
	for i := range want {
		if !got[i].at.Equal(want[i].at) || got[i].level != want[i].level || got[i].edge != want[i].edge || got[i].count != want[i].count {
			t.Fatalf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestGPIODebounceBothEdges(t *testing.T) {
	cfg := sensor.Config{Name: "door", Driver: "gpio", Stream: "events", Pin: "GPIO17", Debounce: 10 * time.Millisecond, Pull: "up"}
	got, pin, _, app := runPin(t, cfg, bouncy(), 3)
	// One event per real change, stamped with the first edge of its burst;
	// bounces and the 3 ms glitch are dropped.
	checkEvents(t, got, []event{
		{ms(0), 1, "rising", 1},
		{ms(100), 0, "falling", 2},
		{ms(300), 1, "rising", 3},
	})
	want := `{"sensor":"door","driver":"gpio","time":"2026-03-01T12:00:00Z","pin":"GPIO17","level":1,"edge":"rising","count":1}`
	if s := string(app.all()[0].data); s != want {
		t.Fatalf("record\n got %s\nwant %s", s, want)
	}
	if pin.Pull() != gpio.PullUp {
		t.Fatalf("pull %v", pin.Pull())
	}
}

func TestGPIOEdgeFilters(t *testing.T) {
	cfg := sensor.Config{Name: "pir", Driver: "gpio", Stream: "events", Pin: "GPIO17", Debounce: 10 * time.Millisecond, Edge: "rising"}
	got, _, _, _ := runPin(t, cfg, bouncy(), 2)
	checkEvents(t, got, []event{{ms(0), 1, "rising", 1}, {ms(300), 1, "rising", 2}})

	cfg.Edge = "falling"
	got, _, _, _ = runPin(t, cfg, bouncy(), 1)
	checkEvents(t, got, []event{{ms(100), 0, "falling", 1}})
}

func TestGPIONoDebounce(t *testing.T) {
	cfg := sensor.Config{Name: "raw", Driver: "gpio", Stream: "events", Pin: "GPIO17"}
	got, _, _, _ := runPin(t, cfg, bouncy(), 9)
	var want []event
	for i, c := range bouncy() {
		lv, edge := 0, "falling"
		if c.Level == gpio.High {
			lv, edge = 1, "rising"
		}
		want = append(want, event{c.At, lv, edge, int64(i + 1)})
	}
	checkEvents(t, got, want)
}

// TestGPIOMissedEdge: a level change without an edge is found by the
// periodic re-read and reported at the time it was found.
func TestGPIOMissedEdge(t *testing.T) {
	clock := sensortest.NewClock(t0)
	pin := sensortest.NewPin("GPIO5", clock, gpio.Low)
	op := sensortest.NewOpener()
	op.AddPin("GPIO5", pin)
	app := &appender{}
	start(t, []sensor.Config{{Name: "btn", Driver: "gpio", Stream: "e", Pin: "GPIO5"}}, app,
		sensor.Options{Opener: op, Clock: clock, EdgePoll: time.Second})
	if !clock.WaitTimers(1, runFor) {
		t.Fatal("not polling")
	}
	pin.SetLevelSilently(gpio.High)
	if !clock.RunUntil(func() bool { return app.count("btn") == 1 }, runFor) {
		t.Fatal("missed edge not detected")
	}
	r := app.bySensor(t, "btn")[0]
	if *r.Level != 1 || r.Edge != "rising" || !r.Time.Equal(t0.Add(time.Second)) {
		t.Fatalf("record %+v", r)
	}
}

func TestGPIOPinErrorsRetried(t *testing.T) {
	clock := sensortest.NewClock(t0)
	pin := sensortest.NewPin("GPIO27", clock, gpio.Low)
	pin.InErr = errors.New("device or resource busy")
	op := sensortest.NewOpener()
	op.AddPin("GPIO27", pin)
	app := &appender{}
	src := start(t, []sensor.Config{
		{Name: "busy", Driver: "gpio", Stream: "e", Pin: "GPIO27"},
		{Name: "missing", Driver: "gpio", Stream: "e", Pin: "GPIO99"},
	}, app, sensor.Options{Opener: op, Clock: clock})
	if !clock.RunUntil(func() bool { return statusOf(src, "busy").Errors >= 3 && statusOf(src, "missing").Errors >= 3 }, runFor) {
		t.Fatalf("errors not retried: %+v", src.Status())
	}
	if st := statusOf(src, "missing"); !strings.Contains(st.LastError, "pin not found") || !strings.Contains(st.LastError, "GPIO99") {
		t.Fatalf("missing: %+v", st)
	}
	if st := statusOf(src, "busy"); !strings.Contains(st.LastError, "busy") || pin.Ins() < 3 {
		t.Fatalf("busy: %+v (In called %d times)", st, pin.Ins())
	}
}
