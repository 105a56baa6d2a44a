package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-edge/tributary/spool"
)

// TestKill9UnderMQTTLoad: devices publish at QoS 1 to the embedded broker
// while the gateway is SIGKILLed, several times over one data directory.
// Every message the broker acknowledged (PUBACK) must be in the stream,
// in per-device order.
func TestKill9UnderMQTTLoad(t *testing.T) {
	rounds := 3
	if testing.Short() {
		rounds = 2
	}
	dataDir := t.TempDir()
	const devices = 8
	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		next  = map[int]int{}
	)
	for round := range rounds {
		c := startChild(t, dataDir)
		mqttAddr := c.mqtt
		killAt := 50 + rand.IntN(400)
		var ackedThisRound int
		killed := make(chan struct{})
		var once sync.Once
		kill := func() { once.Do(func() { c.cmd.Process.Signal(syscall.SIGKILL); close(killed) }) }
		var wg sync.WaitGroup
		for d := range devices {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := paho.NewClientOptions().AddBroker("tcp://" + mqttAddr).SetClientID(fmt.Sprintf("dev-%d", d)).
					SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(10 * time.Second)
				cl := paho.NewClient(o)
				if tok := cl.Connect(); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
					t.Errorf("round %d device %d: connect: %v", round, d, tok.Error())
					return
				}
				defer cl.Disconnect(0)
				topic := fmt.Sprintf("devices/dev-%d/telemetry", d)
				// keep several messages in flight
				type inflight struct {
					tok  paho.Token
					data string
				}
				var window []inflight
				for {
					select {
					case <-killed:
						return
					default:
					}
					mu.Lock()
					n := next[d]
					next[d]++
					mu.Unlock()
					data := fmt.Sprintf("dev-%d-%08d", d, n)
					window = append(window, inflight{cl.Publish(topic, 1, false, data), data})
					if len(window) < 8 {
						continue
					}
					w := window[0]
					window = window[1:]
					if !w.tok.WaitTimeout(20*time.Second) || w.tok.Error() != nil {
						return // the gateway died: not acknowledged
					}
					mu.Lock()
					acked[w.data] = true
					ackedThisRound++
					if ackedThisRound >= killAt {
						kill()
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		kill()
		<-c.done
		t.Logf("round %d: killed after %d acknowledged messages", round, ackedThisRound)
	}
	verifyMQTT(t, filepath.Join(dataDir, "spool"), acked)
}

// verifyMQTT checks that every acknowledged payload is stored and that each
// device's payloads appear in increasing order within its shard.
func verifyMQTT(t *testing.T, dir string, acked map[string]bool) {
	t.Helper()
	stored := map[string]bool{}
	last := map[string]int{} // shard/device -> number
	eachRecord(t, dir, func(shard string, r spool.StoredRecord) {
		d := string(r.Data)
		i := strings.LastIndexByte(d, '-')
		n, _ := strconv.Atoi(d[i+1:])
		k := shard + "/" + d[:i]
		if prev, ok := last[k]; ok && n < prev {
			t.Fatalf("%s: %s stored after number %d (order per device)", shard, d, prev)
		}
		last[k] = n
		stored[d] = true
	})
	missing := 0
	for d := range acked {
		if !stored[d] {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged message %s is not stored", d)
			}
		}
	}
	t.Logf("%d acknowledged messages, %d stored", len(acked), len(stored))
	if missing > 0 {
		t.Fatalf("%d acknowledged messages lost", missing)
	}
}
