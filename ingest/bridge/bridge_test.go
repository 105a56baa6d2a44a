package bridge

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/ingest/route"
	"github.com/tributary-edge/tributary/spool"
)

func openSpool(t *testing.T, dir string) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(spool.Options{Dir: dir, MinFreeDisk: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func newBridge(t *testing.T, url string, sp *spool.Spool) *Bridge {
	t.Helper()
	table, err := route.Compile([]route.Rule{{Filter: "devices/+/telemetry", Stream: "telemetry", Key: "{topic.1}"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{URL: url, ClientID: "tributary-test", Topics: []string{"devices/#"}, Routes: table, Window: 16,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, sp)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	return b
}

// stored returns the data of every record in telemetry, by key, in order.
func stored(t *testing.T, sp *spool.Spool) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	info, _ := sp.DescribeStream("telemetry")
	for _, sh := range info.Shards {
		cur, _ := sp.Seek("telemetry", sh.ID, spool.StartPosition{Type: spool.TrimHorizon})
		for {
			res, err := sp.Read(cur, spool.ReadLimits{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Records {
				out[r.PartitionKey] = append(out[r.PartitionKey], string(r.Data))
			}
			if len(res.Records) == 0 {
				break
			}
			cur = res.Next
		}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	mqtttest.Eventually(t, time.Minute, what, cond)
}

// The bridge stores what mosquitto delivers and acknowledges it only then;
// while the bridge is away, mosquitto keeps the persistent session's
// messages and delivers them when it comes back.
func TestBridgePersistentSession(t *testing.T) {
	m := mqtttest.StartMosquitto(t)
	dir := t.TempDir()
	sp := openSpool(t, dir)
	if err := sp.CreateStream(spool.StreamConfig{Name: "telemetry", Shards: 2}); err != nil {
		t.Fatal(err)
	}
	b := newBridge(t, m.URL(), sp)
	pub := mqtttest.Connect(t, m.Addr, "publisher", true)
	// the subscription is in place once a probe comes through
	waitFor(t, "the bridge's subscription", func() bool {
		pub.Publish("devices/probe/telemetry", 1, false, "probe").WaitTimeout(5 * time.Second)
		return len(stored(t, sp)["probe"]) > 0
	})
	send := func(from, to int) {
		for i := from; i < to; i++ {
			tok := pub.Publish(fmt.Sprintf("devices/d%d/telemetry", i%3), 1, false, fmt.Sprintf("%05d", i))
			if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
				t.Fatalf("publish %d: %v", i, tok.Error())
			}
		}
	}
	count := func() int {
		n := 0
		for k, v := range stored(t, sp) {
			if k != "probe" {
				n += len(v)
			}
		}
		return n
	}
	send(0, 300)
	waitFor(t, "300 records", func() bool { return count() >= 300 })
	b.Close()
	send(300, 600) // queued by mosquitto for the session
	b = newBridge(t, m.URL(), sp)
	defer b.Close()
	waitFor(t, "600 records", func() bool { return count() >= 600 })
	for key, data := range stored(t, sp) {
		if key == "probe" {
			continue
		}
		for i := 1; i < len(data); i++ {
			if data[i] <= data[i-1] {
				t.Fatalf("key %s out of order or duplicated: %s after %s", key, data[i], data[i-1])
			}
		}
	}
	if n := count(); n != 600 {
		t.Errorf("stored %d, want 600", n)
	}
	if s := b.Stats(); !s.Connected || s.Stored == 0 {
		t.Errorf("stats: %+v", s)
	}
}
