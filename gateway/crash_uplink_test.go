package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
)

// firehoseEndpoint receives Firehose HTTP endpoint deliveries and
// remembers, per record, the request ids it came in.
type firehoseEndpoint struct {
	mu       sync.Mutex
	requests int
	byRecord map[string][]string // data → request ids
	order    []string            // data in arrival order (first arrivals)
}

func (f *firehoseEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RequestID string `json:"requestId"`
		Records   []struct {
			Data []byte `json:"data"`
		} `json:"records"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	f.mu.Lock()
	f.requests++
	for _, x := range req.Records {
		d := string(x.Data)
		if len(f.byRecord[d]) == 0 {
			f.order = append(f.order, d)
		}
		f.byRecord[d] = append(f.byRecord[d], req.RequestID)
	}
	f.mu.Unlock()
	fmt.Fprintf(w, `{"requestId":%q,"timestamp":%d}`, req.RequestID, time.Now().UnixMilli())
}

func (f *firehoseEndpoint) received() (requests, distinct int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, len(f.byRecord)
}

// TestKill9DuringDelivery kills the gateway with SIGKILL while it appends
// records and delivers them to an HTTP endpoint, several times. In the end
// every acknowledged record arrived, in order per partition key, and a
// record that arrived more than once came each time in a request with the
// same request id: every duplicate is recognisable.
func TestKill9DuringDelivery(t *testing.T) {
	ep := &firehoseEndpoint{byRecord: map[string][]string{}}
	srv := httptest.NewServer(ep)
	defer srv.Close()
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
`, srv.URL), 0o644)

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
		before, _ := ep.received()
		mqtttest.Eventually(t, 30*time.Second, "deliveries under way", func() bool { r, _ := ep.received(); return r > before })
		c.cmd.Process.Signal(syscall.SIGKILL)
		<-c.done
	}
	c := startChild(t, dataDir, "-c", cfgFile)
	defer func() { c.cmd.Process.Signal(syscall.SIGTERM); <-c.done }()
	mqtttest.Eventually(t, 60*time.Second, "every acknowledged record delivered", func() bool {
		_, n := ep.received()
		return n >= len(acked)
	})

	ep.mu.Lock()
	defer ep.mu.Unlock()
	for _, a := range acked {
		if len(ep.byRecord[a]) == 0 {
			t.Fatalf("acknowledged record %s never delivered", a)
		}
	}
	last := map[string]string{}
	for _, d := range ep.order {
		key := d[:4]
		if d < last[key] {
			t.Fatalf("%s: %s delivered after %s", key, d, last[key])
		}
		last[key] = d
	}
	dups := 0
	for d, ids := range ep.byRecord {
		for _, id := range ids[1:] {
			if id != ids[0] {
				t.Fatalf("record %s came in requests %v: a duplicate the endpoint cannot recognise", d, ids)
			}
			dups++
		}
	}
	t.Logf("%d records acknowledged, %d requests, %d recognisable duplicates", len(acked), ep.requests, dups)
}
