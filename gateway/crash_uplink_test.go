package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/uplink/uplinktest"
)

// TestKill9DuringDelivery kills the gateway with SIGKILL while it appends
// records and delivers them to an HTTP endpoint, several times. In the end
// every acknowledged record arrived, in order per partition key, and a
// record that arrived more than once came each time in a request with the
// same request id: every duplicate is recognisable.
func TestKill9DuringDelivery(t *testing.T) {
	ep := uplinktest.Start(t)
	requests := func() int { r, _ := ep.Snapshot(); return len(r) }
	dataDir := t.TempDir()
	cfgFile := deliveryConfig(t, ep.URL, "200ms")

	rounds := 3
	if testing.Short() {
		rounds = 2
	}
	var acked []string
	next := 0
	for range rounds {
		c := startChild(t, dataDir, "-c", cfgFile)
		acked = append(acked, putTelemetry(t, c, &next, 20)...)
		// Kill while the delivery is under way: some of this round's
		// records are at the endpoint, not all confirmed.
		before := requests()
		mqtttest.Eventually(t, 30*time.Second, "deliveries under way", func() bool { return requests() > before })
		c.cmd.Process.Signal(syscall.SIGKILL)
		<-c.done
	}
	c := startChild(t, dataDir, "-c", cfgFile)
	defer func() { c.cmd.Process.Signal(syscall.SIGTERM); <-c.done }()
	checkDelivered(t, ep, acked)
}

// TestKill9MidOutage runs the gateway through an outage of its
// destination: killed while retrying a refusing endpoint, restarted
// cleanly while it is still down, killed after an upload the endpoint
// took but never confirmed (between upload and checkpoint), and killed
// again while the endpoint fails every third request. When the endpoint
// is well, every acknowledged record arrives, in order per partition key,
// and every duplicate is recognisable by its request id.
func TestKill9MidOutage(t *testing.T) {
	ep := uplinktest.Start(t)
	requests := func() int { r, _ := ep.Snapshot(); return len(r) }
	dataDir := t.TempDir()
	cfgFile := deliveryConfig(t, ep.URL, "100ms")
	var acked []string
	next := 0
	round := func(stop syscall.Signal, setup func(), underWay func() bool) {
		setup()
		c := startChild(t, dataDir, "-c", cfgFile)
		acked = append(acked, putTelemetry(t, c, &next, 8)...)
		mqtttest.Eventually(t, 30*time.Second, "the delivery at work", underWay)
		c.cmd.Process.Signal(stop)
		<-c.done
	}
	var before int
	mark := func() { before = requests() }
	// down: answered 503
	round(syscall.SIGKILL, func() { ep.SetDown(true); mark() }, func() bool { return requests() > before+2 })
	round(syscall.SIGTERM, mark, func() bool { return requests() > before+2 })
	// up, but the answers never come: uploaded, not confirmed
	round(syscall.SIGKILL, func() { ep.SetDown(false); ep.SetStall(true); before = ep.Accepted() }, func() bool { return ep.Accepted() > before })
	// flaky: every third request fails
	round(syscall.SIGKILL, func() {
		ep.SetStall(false)
		ep.SetFail(func(n int, _ *http.Request) int {
			if n%3 == 0 {
				return 500
			}
			return 0
		})
		mark()
	}, func() bool { return requests() > before+3 })
	ep.SetFail(nil)
	c := startChild(t, dataDir, "-c", cfgFile)
	defer func() { c.cmd.Process.Signal(syscall.SIGTERM); <-c.done }()
	checkDelivered(t, ep, acked)
}

// deliveryConfig writes a config with one HTTP delivery of telemetry to
// url in small, fast batches, retried up to retryMax apart.
func deliveryConfig(t *testing.T, url, retryMax string) string {
	t.Helper()
	cfgFile := filepath.Join(t.TempDir(), "gateway.yaml")
	err := os.WriteFile(cfgFile, fmt.Appendf(nil, `
mqtt:
  listen: ""
deliveries:
  - name: cloud
    streams: [telemetry]
    buffering: {size: 2KiB, interval: 20ms}
    retry: {min: 10ms, max: %s}
    http: {url: %q}
`, retryMax, url), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return cfgFile
}

// putTelemetry appends batches of 25 records to telemetry through the
// admin API and returns the data of those acknowledged.
func putTelemetry(t *testing.T, c *child, next *int, batches int) []string {
	t.Helper()
	client := &api.Client{Base: c.base, HTTP: &http.Client{Timeout: time.Minute}}
	var acked []string
	for range batches {
		recs := make([]api.PutRecord, 25)
		for i := range recs {
			n := *next + i
			recs[i] = api.PutRecord{PartitionKey: fmt.Sprint("dev", n%6), Data: fmt.Appendf(nil, "dev%d:%06d", n%6, n)}
		}
		res, err := client.PutRecords(context.Background(), "telemetry", recs)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res.Records {
			if r.Error == "" {
				acked = append(acked, string(recs[i].Data))
			}
		}
		*next += len(recs)
	}
	return acked
}

// checkDelivered waits for every acknowledged record at the endpoint,
// then checks order per partition key and that every duplicate came in a
// request with the same request id (one the endpoint can recognise).
func checkDelivered(t *testing.T, ep *uplinktest.Endpoint, acked []string) {
	t.Helper()
	mqtttest.Eventually(t, 60*time.Second, "every acknowledged record delivered", func() bool {
		_, recs := ep.Snapshot()
		return len(distinct(recs)) >= len(acked)
	})
	// The request ids each record came in, and the records in order of
	// first arrival.
	reqs, recs := ep.Snapshot()
	byRecord := map[string][]string{}
	for _, r := range reqs {
		if r.Status == 200 {
			for _, d := range r.Data {
				byRecord[d] = append(byRecord[d], r.ID)
			}
		}
	}
	for _, a := range acked {
		if len(byRecord[a]) == 0 {
			t.Fatalf("acknowledged record %s never delivered", a)
		}
	}
	last := map[string]string{}
	for _, d := range distinct(recs) {
		key := d[:4]
		if d < last[key] {
			t.Fatalf("%s: %s delivered after %s", key, d, last[key])
		}
		last[key] = d
	}
	dups := 0
	for d, ids := range byRecord {
		for _, id := range ids[1:] {
			if id != ids[0] {
				t.Fatalf("record %s came in requests %v: a duplicate the endpoint cannot recognise", d, ids)
			}
			dups++
		}
	}
	t.Logf("%d records acknowledged, %d requests, %d recognisable duplicates", len(acked), len(reqs), dups)
}

// distinct returns recs without repeats, in order of first appearance.
func distinct(recs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range recs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}
