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
	cfgFile := filepath.Join(t.TempDir(), "gateway.yaml")
	os.WriteFile(cfgFile, fmt.Appendf(nil, `
mqtt:
  listen: ""
deliveries:
  - name: cloud
    streams: [telemetry]
    buffering: {size: 2KiB, interval: 20ms}
    retry: {min: 10ms, max: 200ms}
    http: {url: %q}
`, ep.URL), 0o644)

	rounds := 3
	if testing.Short() {
		rounds = 2
	}
	var acked []string
	next := 0
	for round := range rounds {
		c := startChild(t, dataDir, "-c", cfgFile)
		client := &api.Client{Base: c.base, HTTP: &http.Client{Timeout: time.Minute}}
		for range 20 {
			recs := make([]api.PutRecord, 25)
			for i := range recs {
				recs[i] = api.PutRecord{PartitionKey: fmt.Sprint("dev", (next+i)%6), Data: fmt.Appendf(nil, "dev%d:%06d", (next+i)%6, next+i)}
			}
			res, err := client.PutRecords(context.Background(), "telemetry", recs)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			for i, r := range res.Records {
				if r.Error == "" {
					acked = append(acked, string(recs[i].Data))
				}
			}
			next += len(recs)
		}
		// Kill while the delivery is under way: some of this round's
		// records are at the endpoint, not all confirmed.
		before := requests()
		mqtttest.Eventually(t, 30*time.Second, "deliveries under way", func() bool { return requests() > before })
		c.cmd.Process.Signal(syscall.SIGKILL)
		<-c.done
	}
	c := startChild(t, dataDir, "-c", cfgFile)
	defer func() { c.cmd.Process.Signal(syscall.SIGTERM); <-c.done }()
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
