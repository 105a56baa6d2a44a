package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/firmware-sim/internal/device"
	"github.com/tributary-edge/tributary/firmware-sim/internal/stats"
	"github.com/tributary-edge/tributary/firmware-sim/internal/verify"
)

func sampleRun() (device.Config, device.FleetResult) {
	c := device.Config{Broker: "tcp://127.0.0.1:1883", Count: 2, Rate: 2, Profile: "meter", QoS: 1, Duration: 10 * time.Second,
		Topic: "devices/{id}/telemetry", IDPrefix: "sim-", RunID: "abcd1234", Seed: 9,
		Faults: device.Faults{Duplicate: 0.01, Storm: 5 * time.Second}}
	var counters stats.Counters
	counters.Sent.Add(23)
	counters.Acked.Add(21)
	counters.Duplicates.Add(1)
	counters.AddError(stats.ErrTimeout)
	counters.AddError(stats.ErrDisconnect)
	var h stats.Histogram
	for i := 1; i <= 20; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	res := device.FleetResult{Started: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Elapsed: 10 * time.Second,
		Counters: counters.Snapshot(), Latency: h.Snapshot(), Devices: make([]device.Result, 2)}
	for i := range res.Devices {
		d := &res.Devices[i]
		d.ID, d.Topic, d.Sent, d.Acked, d.LastSeq = device.DeviceID("sim-", i+1, 2), "devices/x/telemetry", 11, 10, 11
		d.AckedSeqs.AddRange(1, 10)
		d.Skew = 1500 * time.Millisecond
	}
	res.Devices[1].AckedSeqs.Add(11)
	res.Devices[1].DuplicatedSeqs.Add(4)
	return c, res
}

func TestBuildMarshalReadRoundTrip(t *testing.T) {
	c, res := sampleRun()
	r := Build(c, res, "v1")
	if r.AckedSeqs != 21 || r.Errors != 2 || r.ErrorsByKind["timeout"] != 1 || r.MsgsPerS != 2.1 || r.Latency == nil || r.Latency.Count != 20 {
		t.Fatalf("built %+v", r)
	}
	if r.Faults != "duplicate=0.01,reconnect=storm:5s" {
		t.Fatalf("faults %q", r.Faults)
	}
	r.Verify = &verify.Result{Stream: "telemetry", Missing: 1, Problems: []verify.DeviceResult{{ID: "sim-0001", MissingCount: 1}}}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Fatalf("invalid JSON:\n%s", b)
	}
	for _, want := range []string{
		"\n    {\"id\":\"sim-0001\",",
		`"acked_seqs":[[1,10]]`,
		`"acked_seqs":[[1,11]],"duplicated_seqs":[[4,4]]`,
		`"skew_ms":1500`,
		"\n  \"verify\": {\n    \"stream\": \"telemetry\",",
		"\n      {\"id\":\"sim-0001\",\"acked\":0",
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("report lacks %q:\n%s", want, b)
		}
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := r.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	e := back.Expect()
	if e.RunID != "abcd1234" || e.QoS != 1 || len(e.Devices) != 2 || e.Devices[1].Acked.String() != "1-11" ||
		e.Devices[1].LastSeq != 11 || e.Devices[1].Duplicated.String() != "4" || e.Devices[0].Duplicated != nil {
		t.Fatalf("expect %+v", e)
	}
	if back.Verify == nil || back.Verify.Missing != 1 || len(back.Verify.Problems) != 1 {
		t.Fatalf("verify section %+v", back.Verify)
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"tool":"x","run_id":"r"}`, `{"tool":"firmware-sim"}`,
		`{"tool":"firmware-sim","run_id":"r","device_results":[{"acked_seqs":[[1,2]]}]}`,
		`{"tool":"firmware-sim","run_id":"r","device_results":[{"id":"a","acked_seqs":[[2,1]]}]}`} {
		if _, err := Parse([]byte(in)); !errors.Is(err, ErrNotAReport) {
			t.Errorf("Parse(%s) = %v", in, err)
		}
	}
	r, err := Parse([]byte(`{"tool":"firmware-sim","run_id":"r","device_results":[{"id":"a"}]}`))
	if err != nil || r.DeviceResults[0].AckedSeqs == nil || r.DeviceResults[0].AckedSeqs.Len() != 0 {
		t.Fatalf("a device without acked_seqs: %v %+v", err, r)
	}
}

func TestWriteText(t *testing.T) {
	c, res := sampleRun()
	r := Build(c, res, "v1")
	var b strings.Builder
	r.WriteText(&b)
	for _, want := range []string{
		"firmware-sim run abcd1234: 2 meter devices -> tcp://127.0.0.1:1883, QoS 1, 2 msg/s each",
		"acked        21  (21 distinct sequenced messages)",
		"errors       2  (timeout 1, disconnect 1)",
		"injected     malformed 0, oversize 0, duplicate 1, bursts 0, reconnects 0",
		"throughput   2.1 msgs/s",
		"latency      p50 10.0ms",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		420 * time.Microsecond:  "0.42ms",
		6500 * time.Microsecond: "6.5ms",
		123 * time.Millisecond:  "123ms",
		1250 * time.Millisecond: "1.25s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestLiveLine(t *testing.T) {
	var c stats.Counters
	var h stats.Histogram
	l := &Live{Devices: 500, QoS: 1}
	t0 := time.Unix(0, 0)
	l.Line(t0, c.Snapshot(), h.Snapshot())
	c.Sent.Add(2500)
	c.Acked.Add(2480)
	c.Connected.Add(500)
	c.AddError(stats.ErrPublish)
	for i := 0; i < 100; i++ {
		h.Record(1800 * time.Microsecond)
	}
	got := l.Line(t0.Add(time.Second), c.Snapshot(), h.Snapshot())
	if want := "sent 2500  acked 2480  errors 1  rate 2480/s  p50 1.8ms  p99 1.8ms  connected 500/500"; got != want {
		t.Fatalf("line\n%q, want\n%q", got, want)
	}
	got = l.Line(t0.Add(2*time.Second), c.Snapshot(), h.Snapshot())
	if !strings.Contains(got, "rate 0/s  p50 -  p99 -") {
		t.Fatalf("an idle second: %q", got)
	}
}

func FuzzParse(f *testing.F) {
	c, res := sampleRun()
	r := Build(c, res, "v1")
	b, _ := r.Marshal()
	f.Add(b)
	f.Add([]byte(`{"tool":"firmware-sim","run_id":"r","device_results":[{"id":"a"}]}`))
	f.Add([]byte(`{"tool":"firmware-sim","run_id":"r","device_results":[{"id":"a","acked_seqs":[[5,9],[1,6]]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrNotAReport) {
				t.Fatalf("error %v does not wrap ErrNotAReport", err)
			}
			return
		}
		e := r.Expect()
		for _, d := range e.Devices {
			if d.ID == "" || d.Acked == nil {
				t.Fatalf("bad expectation %+v", d)
			}
		}
		if _, err := r.Marshal(); err != nil {
			t.Fatalf("Marshal of a parsed report: %v", err)
		}
	})
}
