package device

import (
	"context"
	"fmt"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-edge/tributary/firmware-sim/internal/profile"
	"github.com/tributary-edge/tributary/firmware-sim/internal/stats"
)

// These tests drive devices through the dialer seam with a fake
// connection whose PUBACKs the test controls, to pin down the publish
// loop's contracts exactly; fleet_test.go covers the same paths against
// a real broker.

// fakeToken completes when its done channel is closed.
type fakeToken struct {
	done chan struct{}
	err  error
}

func (t *fakeToken) Wait() bool { <-t.done; return true }
func (t *fakeToken) WaitTimeout(d time.Duration) bool {
	select {
	case <-t.done:
		return true
	case <-time.After(d):
		return false
	}
}
func (t *fakeToken) Done() <-chan struct{} { return t.done }
func (t *fakeToken) Error() error          { return t.err }

// publication is one Publish call seen by a fakeConn.
type publication struct {
	at      time.Time
	payload []byte
	tok     *fakeToken
}

// fakeConn records publishes; with autoAck their tokens complete at once.
type fakeConn struct {
	mu       sync.Mutex
	autoAck  bool
	pubs     []publication
	unacked  int // publishes whose token has not completed
	maxUnack int // the most unacked at any time
}

func (c *fakeConn) Publish(_ string, _ byte, _ bool, payload any) mqtt.Token {
	c.mu.Lock()
	defer c.mu.Unlock()
	tok := &fakeToken{done: make(chan struct{})}
	c.pubs = append(c.pubs, publication{at: time.Now(), payload: payload.([]byte), tok: tok})
	if c.autoAck {
		close(tok.done)
	} else {
		c.unacked++
		c.maxUnack = max(c.maxUnack, c.unacked)
	}
	return tok
}

func (c *fakeConn) Disconnect(uint) {}

// ackAll completes every pending token.
func (c *fakeConn) ackAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.pubs {
		select {
		case <-p.tok.done:
		default:
			close(p.tok.done)
			c.unacked--
		}
	}
}

func (c *fakeConn) publications() []publication {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]publication(nil), c.pubs...)
}

func fakeFleet(t *testing.T, c Config, fc *fakeConn) *Fleet {
	t.Helper()
	f, err := newFleet(c, func(ctx context.Context, id string, onLost func(conn)) (conn, error) { return fc, nil })
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func fakeConfig() Config {
	c := testConfig("tcp://fake:1883")
	c.Count = 1
	return c
}

func TestBenchmarkModeKeepsOneInFlight(t *testing.T) {
	t.Parallel()
	conn := &fakeConn{}
	c := fakeConfig()
	c.Rate, c.Messages = 0, 20
	f := fakeFleet(t, c, conn)
	done := make(chan FleetResult)
	go func() { done <- f.Run(context.Background()) }()
	for acked := 0; acked < 20; acked++ {
		mqtttest.Eventually(t, 10*time.Second, fmt.Sprintf("publish %d", acked+1), func() bool { return len(conn.publications()) > acked })
		if n := len(conn.publications()); n != acked+1 {
			t.Fatalf("%d publishes with %d acked: more than one in flight", n, acked)
		}
		conn.ackAll()
	}
	res := <-done
	if conn.maxUnack != 1 || res.Counters.Acked != 20 || res.Devices[0].AckedSeqs.String() != "1-20" {
		t.Fatalf("max unacked %d, acked %d (%s)", conn.maxUnack, res.Counters.Acked, res.Devices[0].AckedSeqs.String())
	}
}

func TestMaxInflightBoundsUnacked(t *testing.T) {
	t.Parallel()
	conn := &fakeConn{}
	c := fakeConfig()
	c.Rate, c.Messages, c.Duration = 1000, 0, 300*time.Millisecond
	c.MaxInflight, c.AckTimeout = 5, 100*time.Millisecond
	res := fakeFleet(t, c, conn).Run(context.Background())
	s := res.Counters
	if s.Sent < 10 || s.Sent > 5*4 || s.Errors[stats.ErrTimeout] != s.Sent || s.Acked != 0 || res.Devices[0].AckedSeqs.Len() != 0 {
		t.Fatalf("sent %d, acked %d, timeouts %d; want batches of 5 freed by the 100ms ack timeout", s.Sent, s.Acked, s.Errors[stats.ErrTimeout])
	}
	// publish i may go out only once publish i-5 timed out
	pubs := conn.publications()
	for i := 5; i < len(pubs); i++ {
		if d := pubs[i].at.Sub(pubs[i-5].at); d < 95*time.Millisecond {
			t.Fatalf("publish %d came %v after publish %d: more than 5 in flight", i+1, d, i-4)
		}
	}
}

func TestDoorFlapsAreSentBackToBack(t *testing.T) {
	t.Parallel()
	// find a seed whose door flaps within the first two messages
	var seed uint64
	for seed = 1; ; seed++ {
		g, _ := profile.New("door", profile.Options{DeviceID: "t-0001", RunID: "testrun", Seed: seed, Index: 1})
		if g.Next(time.Now()).Follow > 0 || g.Next(time.Now()).Follow > 0 {
			break
		}
	}
	conn := &fakeConn{autoAck: true}
	c := fakeConfig()
	c.Profile, c.Seed, c.Rate, c.Messages, c.Duration = "door", seed, 4, 0, 800*time.Millisecond
	res := fakeFleet(t, c, conn).Run(context.Background())
	pubs := conn.publications()
	back2back := 0
	for i := 1; i < len(pubs); i++ {
		if pubs[i].at.Sub(pubs[i-1].at) < 20*time.Millisecond {
			back2back++
		}
	}
	if back2back < 3 || uint64(len(pubs)) != res.Devices[0].LastSeq || res.Devices[0].AckedSeqs.Len() != res.Devices[0].LastSeq {
		t.Fatalf("%d publishes, %d back to back, last seq %d; want a flap of 3+ events", len(pubs), back2back, res.Devices[0].LastSeq)
	}
}
