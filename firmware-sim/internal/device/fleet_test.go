package device

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tributary-edge/tributary/firmware-sim/internal/brokertest"
	"github.com/tributary-edge/tributary/firmware-sim/internal/profile"
	"github.com/tributary-edge/tributary/firmware-sim/internal/stats"
)

// These tests run fleets against a real mosquitto on a random loopback
// port, with a subscriber that records what the broker routed.

func testConfig(broker string) Config {
	return Config{
		Broker: broker, Count: 3, Profile: "thermostat", QoS: 1, Messages: 50,
		Topic: "devices/{id}/telemetry", IDPrefix: "t-", RunID: "testrun", Seed: 1,
		AckTimeout: 3 * time.Second, ConnectTimeout: 2 * time.Second,
		BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
	}
}

// TestMain checks that no test leaves a goroutine behind (per test checks
// would see the goroutines of the tests running in parallel).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// runFleet runs a fleet of c under a time limit.
func runFleet(t *testing.T, ctx context.Context, c Config) FleetResult {
	t.Helper()
	f, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return runIt(t, ctx, f)
}

func runIt(t *testing.T, ctx context.Context, f *Fleet) FleetResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	res := f.Run(ctx)
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatal("fleet ran into the test's time limit")
	}
	if res.Counters.Connected != 0 {
		t.Errorf("%d devices still connected after Run", res.Counters.Connected)
	}
	return res
}

// delivered groups the recorder's sim messages by device, keeping their
// sequence numbers in arrival order, and counts the other payloads.
type delivered struct {
	seqs      map[string][]uint64
	headers   map[string][]profile.Header
	invalid   int // not JSON
	oversize  int
	malformed []string
}

func collect(t *testing.T, msgs []brokertest.Message) delivered {
	t.Helper()
	d := delivered{seqs: map[string][]uint64{}, headers: map[string][]profile.Header{}}
	for _, m := range msgs {
		if len(m.Payload) == profile.OversizeBytes {
			d.oversize++
			continue
		}
		if !json.Valid(m.Payload) {
			d.invalid++
			continue
		}
		h, err := profile.ParseHeader(m.Payload)
		if err != nil {
			t.Fatalf("valid JSON that is not a sim message: %s", m.Payload)
		}
		if want := "devices/" + h.DeviceID + "/telemetry"; m.Topic != want {
			t.Fatalf("message of %s on topic %q, want %q", h.DeviceID, m.Topic, want)
		}
		d.seqs[h.DeviceID] = append(d.seqs[h.DeviceID], h.Seq)
		d.headers[h.DeviceID] = append(d.headers[h.DeviceID], h)
	}
	return d
}

// missingAcked returns the first acked sequence number of a device that
// is not in d, or "" when every acked one is there.
func missingAcked(res FleetResult, d delivered) string {
	for _, dev := range res.Devices {
		seen := map[uint64]bool{}
		for _, s := range d.seqs[dev.ID] {
			seen[s] = true
		}
		for _, r := range dev.AckedSeqs.Ranges() {
			for s := r.First; s <= r.Last; s++ {
				if !seen[s] {
					return fmt.Sprintf("%s seq %d", dev.ID, s)
				}
			}
		}
	}
	return ""
}

// waitAckedDelivered polls rec until every acked sequence number of res
// arrived (at most 5s) and returns what arrived.
func waitAckedDelivered(t *testing.T, rec *brokertest.Recorder, res FleetResult) delivered {
	t.Helper()
	var d delivered
	mqtttest.Eventually(t, 5*time.Second, "the subscriber to get every acked message", func() bool {
		d = collect(t, rec.Messages())
		return missingAcked(res, d) == ""
	})
	return d
}

// checkAckedDelivered checks that every acked sequence number reached the
// subscriber, and that each device's new sequence numbers arrived in
// increasing order (a repeat is a duplicate, not disorder).
func checkAckedDelivered(t *testing.T, res FleetResult, d delivered) {
	t.Helper()
	if miss := missingAcked(res, d); miss != "" {
		t.Fatalf("%s was acked but the subscriber never got it", miss)
	}
	for _, dev := range res.Devices {
		seen := map[uint64]bool{}
		var last uint64
		for _, s := range d.seqs[dev.ID] {
			if seen[s] {
				continue
			}
			if s < last {
				t.Errorf("%s: seq %d arrived after %d", dev.ID, s, last)
			}
			seen[s], last = true, s
		}
	}
}

func TestBenchmarkModeQoS1(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	rec := brokertest.Subscribe(t, b.URL, "devices/#")
	c := testConfig(b.URL)
	c.Count, c.Messages = 5, 200
	res := runFleet(t, context.Background(), c)

	if s := res.Counters; s.Sent != 1000 || s.Acked != 1000 || s.TotalErrors() != 0 || s.Connects != 5 {
		t.Fatalf("counters %+v", s)
	}
	if res.Latency.N != 1000 || res.Latency.Quantile(0.5) <= 0 || res.Latency.Quantile(0.99) > 2*time.Second {
		t.Fatalf("latency: n=%d p50=%v p99=%v", res.Latency.N, res.Latency.Quantile(0.5), res.Latency.Quantile(0.99))
	}
	for i, dev := range res.Devices {
		if want := fmt.Sprintf("t-%04d", i+1); dev.ID != want {
			t.Fatalf("device %d is %q, want %q", i, dev.ID, want)
		}
		if dev.AckedSeqs.String() != "1-200" || dev.LastSeq != 200 || dev.Sent != 200 {
			t.Fatalf("%s: acked %s, last %d, sent %d", dev.ID, dev.AckedSeqs.String(), dev.LastSeq, dev.Sent)
		}
	}
	d := collect(t, rec.WaitFor(1000, 5*time.Second))
	if len(d.seqs) != 5 || d.invalid != 0 {
		t.Fatalf("subscriber saw %d devices, %d invalid payloads", len(d.seqs), d.invalid)
	}
	for id, seqs := range d.seqs {
		if len(seqs) != 200 || seqs[0] != 1 || seqs[199] != 200 {
			t.Fatalf("%s: subscriber got %d messages", id, len(seqs))
		}
	}
	checkAckedDelivered(t, res, d)
}

func TestRateAndDuration(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	c := testConfig(b.URL)
	c.Count, c.Rate, c.Messages, c.Duration = 4, 20, 0, time.Second
	res := runFleet(t, context.Background(), c)
	if res.Elapsed < time.Second || res.Elapsed > 4*time.Second {
		t.Fatalf("elapsed %v for a 1s run", res.Elapsed)
	}
	for _, dev := range res.Devices {
		if dev.Sent < 12 || dev.Sent > 30 || dev.Acked != dev.Sent || dev.AckedSeqs.Len() != uint64(dev.Sent) {
			t.Fatalf("%s at 20 msg/s for 1s: sent %d acked %d (%s)", dev.ID, dev.Sent, dev.Acked, dev.AckedSeqs.String())
		}
	}
}

func TestQoS0(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	rec := brokertest.Subscribe(t, b.URL, "devices/#")
	c := testConfig(b.URL)
	c.QoS = 0
	res := runFleet(t, context.Background(), c)
	if s := res.Counters; s.Sent != 150 || s.TotalErrors() != 0 {
		t.Fatalf("counters %+v", s)
	}
	if res.Latency.N != 0 {
		t.Fatalf("QoS 0 has no PUBACK, yet %d latencies", res.Latency.N)
	}
	for _, dev := range res.Devices {
		if dev.AckedSeqs.Len() != 0 || dev.LastSeq != 50 {
			t.Fatalf("%s: QoS 0 acked seqs %s, last %d", dev.ID, dev.AckedSeqs.String(), dev.LastSeq)
		}
	}
	if n := len(rec.WaitFor(150, 5*time.Second)); n != 150 {
		t.Fatalf("subscriber got %d of 150 QoS 0 messages on loopback", n)
	}
}

func TestPayloadFaultsReachTheBroker(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	rec := brokertest.Subscribe(t, b.URL, "devices/#")
	c := testConfig(b.URL)
	c.Count, c.Messages, c.Seed = 4, 100, 7
	c.Faults = Faults{Malformed: 0.1, Oversize: 0.02, Duplicate: 0.1}
	res := runFleet(t, context.Background(), c)
	s := res.Counters
	if s.Malformed == 0 || s.Oversize == 0 || s.Duplicates == 0 {
		t.Fatalf("faults did not strike: %+v", s)
	}
	if want := 400 + s.Malformed + s.Oversize + s.Duplicates; s.Sent != want || s.Acked != want {
		t.Fatalf("sent %d acked %d, want %d", s.Sent, s.Acked, want)
	}
	d := collect(t, rec.WaitFor(int(s.Sent), 5*time.Second))
	if int64(d.invalid) != s.Malformed || int64(d.oversize) != s.Oversize {
		t.Fatalf("subscriber: %d invalid, %d oversize; sent %d malformed, %d oversize", d.invalid, d.oversize, s.Malformed, s.Oversize)
	}
	var dups int64
	for _, dev := range res.Devices {
		if dev.AckedSeqs.String() != "1-100" {
			t.Fatalf("%s acked %s", dev.ID, dev.AckedSeqs.String())
		}
		got := d.seqs[dev.ID]
		dups += int64(len(got) - 100)
		for i := 1; i < len(got); i++ {
			if got[i] == got[i-1] && !dev.DuplicatedSeqs.Contains(got[i]) {
				t.Fatalf("%s: seq %d twice but not a duplicate fault", dev.ID, got[i])
			}
		}
	}
	if dups != s.Duplicates {
		t.Fatalf("subscriber saw %d duplicates, fleet sent %d", dups, s.Duplicates)
	}
	checkAckedDelivered(t, res, d)

	// The same seed draws the same faults.
	again := runFleet(t, context.Background(), c)
	if a := again.Counters; a.Malformed != s.Malformed || a.Oversize != s.Oversize || a.Duplicates != s.Duplicates {
		t.Fatalf("same seed, different faults: %+v then %+v", s, a)
	}
}

func TestBurst(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	c := testConfig(b.URL)
	c.Count, c.Rate, c.Messages, c.Duration = 2, 2, 0, 1200*time.Millisecond
	c.Faults = Faults{BurstEvery: 300 * time.Millisecond, BurstSize: 20}
	res := runFleet(t, context.Background(), c)
	if res.Counters.Bursts < 2*3 {
		t.Fatalf("%d bursts in 1.2s with bursts every ~300ms on 2 devices", res.Counters.Bursts)
	}
	for _, dev := range res.Devices {
		if dev.AckedSeqs.Len() < 60 || dev.Errors != 0 || dev.AckedSeqs.Len() != dev.LastSeq {
			t.Fatalf("%s: acked %s of %d, %d errors", dev.ID, dev.AckedSeqs.String(), dev.LastSeq, dev.Errors)
		}
	}
}

func TestReconnectStorm(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	rec := brokertest.Subscribe(t, b.URL, "devices/#")
	c := testConfig(b.URL)
	c.Count, c.Rate, c.Messages, c.Duration = 5, 50, 0, 1300*time.Millisecond
	c.Faults = Faults{Storm: 250 * time.Millisecond}
	res := runFleet(t, context.Background(), c)
	s := res.Counters
	if s.Reconnects < 5*3 {
		t.Fatalf("%d reconnects; want at least 3 storms over 5 devices", s.Reconnects)
	}
	for _, dev := range res.Devices {
		if dev.Connects < dev.Reconnects || dev.Connects > dev.Reconnects+1 {
			t.Fatalf("%s: %d connects after %d reconnects", dev.ID, dev.Connects, dev.Reconnects)
		}
		if dev.AckedSeqs.Len() < 30 {
			t.Fatalf("%s: only %d acked", dev.ID, dev.AckedSeqs.Len())
		}
	}
	if s.Errors[stats.ErrPublish] != 0 || s.Errors[stats.ErrTimeout] != 0 {
		t.Fatalf("errors besides the storm's own: %v", s.ErrorsByKind())
	}
	checkAckedDelivered(t, res, waitAckedDelivered(t, rec, res))
}

func TestReconnectProbability(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	c := testConfig(b.URL)
	c.Count, c.Rate, c.Messages, c.Duration = 2, 20, 0, 2200*time.Millisecond
	c.Faults = Faults{Reconnect: 1}
	res := runFleet(t, context.Background(), c)
	for _, dev := range res.Devices {
		if dev.Reconnects < 2 || dev.Connects != dev.Reconnects+1 {
			t.Fatalf("%s: %d reconnects, %d connects in 2.2s at probability 1/s", dev.ID, dev.Reconnects, dev.Connects)
		}
	}
}

func TestBrokerDownAtStartThenUp(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	b.Stop()
	c := testConfig(b.URL)
	c.Count, c.Messages = 3, 20
	f, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan FleetResult)
	go func() { done <- runIt(t, context.Background(), f) }()
	mqtttest.Eventually(t, 30*time.Second, "every device to fail to connect twice", func() bool {
		return f.Counters().Snapshot().Errors[stats.ErrConnect] >= 6 // backing off
	})
	b.Restart()
	res := <-done
	for _, dev := range res.Devices {
		if dev.AckedSeqs.String() != "1-20" || dev.Connects != 1 {
			t.Fatalf("%s: acked %s, %d connects", dev.ID, dev.AckedSeqs.String(), dev.Connects)
		}
	}
}

func TestBrokerKilledMidRun(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	c := testConfig(b.URL)
	// Short backoff and room after the restart: under qemu a device deep in
	// its backoff could otherwise still be waiting when the run ends.
	c.Count, c.Rate, c.Messages, c.Duration = 3, 50, 0, 4*time.Second
	c.BackoffMax = 200 * time.Millisecond
	f, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan FleetResult)
	go func() { done <- runIt(t, context.Background(), f) }()
	mqtttest.Eventually(t, 30*time.Second, "30 acks", func() bool { return f.Counters().Acked.Load() >= 30 })
	b.Stop() // SIGKILL
	mqtttest.Eventually(t, 30*time.Second, "3 connect errors", func() bool { return f.Counters().Snapshot().Errors[stats.ErrConnect] >= 3 })
	killedAt := f.Counters().Acked.Load()
	b.Restart()
	res := <-done
	if res.Counters.Acked <= killedAt {
		t.Fatalf("nothing acked after the broker came back (%d before, %d after)", killedAt, res.Counters.Acked)
	}
	for _, dev := range res.Devices {
		if dev.Connects < 2 {
			t.Fatalf("%s connected %d times; want a reconnect after the kill", dev.ID, dev.Connects)
		}
		if uint64(dev.Acked) != dev.AckedSeqs.Len() || dev.AckedSeqs.Max() > dev.LastSeq {
			t.Fatalf("%s: acked %d, seqs %s, last %d", dev.ID, dev.Acked, dev.AckedSeqs.String(), dev.LastSeq)
		}
	}
}

func TestAckTimeoutWhenBrokerHangs(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	p := brokertest.NewProxy(t, b.Addr())
	c := testConfig(p.URL)
	c.Count, c.Rate, c.Messages, c.Duration = 1, 20, 0, time.Second
	c.AckTimeout = 300 * time.Millisecond
	f, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan FleetResult)
	go func() { done <- runIt(t, context.Background(), f) }()
	mqtttest.Eventually(t, 30*time.Second, "3 acks", func() bool { return f.Counters().Acked.Load() >= 3 })
	p.Freeze()
	res := <-done
	p.Thaw()
	if n := res.Counters.Errors[stats.ErrTimeout]; n == 0 || res.Counters.Acked+n != res.Counters.Sent {
		t.Fatalf("sent %d, acked %d, timeouts %d", res.Counters.Sent, res.Counters.Acked, n)
	}
	if res.Elapsed > time.Second+time.Second {
		t.Fatalf("a hung broker held the run for %v (ack timeout 300ms)", res.Elapsed)
	}
}

func TestSkewShiftsTimestamps(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	rec := brokertest.Subscribe(t, b.URL, "devices/#")
	c := testConfig(b.URL)
	c.Count, c.Messages = 6, 5
	c.Faults = Faults{Skew: time.Hour}
	res := runFleet(t, context.Background(), c)
	d := collect(t, rec.WaitFor(30, 5*time.Second))
	msgs := rec.Messages()
	recv := map[string]time.Time{}
	for _, m := range msgs {
		if h, err := profile.ParseHeader(m.Payload); err == nil {
			recv[h.DeviceID] = m.Received
		}
	}
	distinct := map[time.Duration]bool{}
	for _, dev := range res.Devices {
		if dev.Skew < -time.Hour || dev.Skew > time.Hour {
			t.Fatalf("%s: skew %v outside ±1h", dev.ID, dev.Skew)
		}
		distinct[dev.Skew] = true
		hs := d.headers[dev.ID]
		if len(hs) == 0 {
			t.Fatalf("%s: no messages", dev.ID)
		}
		off := hs[len(hs)-1].TS.Sub(recv[dev.ID])
		if diff := off - dev.Skew; diff < -2*time.Second || diff > 2*time.Second {
			t.Fatalf("%s: ts is %v off the receive time, skew is %v", dev.ID, off, dev.Skew)
		}
	}
	if len(distinct) < 5 {
		t.Fatalf("skews %v are not spread out", distinct)
	}
}

func TestCancelStopsARun(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	c := testConfig(b.URL)
	c.Rate, c.Messages, c.Duration = 10, 0, time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	res := runFleet(t, ctx, c)
	if res.Elapsed > 2*time.Second {
		t.Fatalf("Run took %v after its context was cancelled at 300ms", res.Elapsed)
	}
	if res.Counters.Sent == 0 || res.Counters.Acked != res.Counters.Sent {
		t.Fatalf("sent %d acked %d", res.Counters.Sent, res.Counters.Acked)
	}
}

func TestDoorProfileFlaps(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	c := testConfig(b.URL)
	c.Profile, c.Count, c.Rate, c.Messages, c.Duration = "door", 2, 40, 0, time.Second
	res := runFleet(t, context.Background(), c)
	var total uint64
	for _, dev := range res.Devices {
		total += dev.LastSeq
		if dev.AckedSeqs.Len() != dev.LastSeq {
			t.Fatalf("%s acked %s of %d", dev.ID, dev.AckedSeqs.String(), dev.LastSeq)
		}
	}
	if total < 60 {
		t.Fatalf("door devices sent %d messages in 1s at 40/s", total)
	}
}
