package brokertest

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// Message is one message a Recorder received.
type Message struct {
	Topic    string
	Payload  []byte
	Received time.Time
}

// Recorder is a subscriber that keeps every message it receives.
type Recorder struct {
	mu   sync.Mutex
	msgs []Message
	cl   mqtt.Client
}

var recorderSeq atomic.Int64

// Subscribe connects a QoS 1 subscriber to filter on broker url and waits
// for its SUBACK. It disconnects when the test ends.
func Subscribe(t testing.TB, url, filter string) *Recorder {
	t.Helper()
	r := &Recorder{}
	id := "rec-" + strconv.FormatInt(recorderSeq.Add(1), 10) + "-" + strconv.Itoa(os.Getpid())
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(id).
		SetCleanSession(true).SetAutoReconnect(false).SetOrderMatters(true).SetProtocolVersion(4)
	r.cl = mqtt.NewClient(o)
	if tok := r.cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("recorder connect: %v", tok.Error())
	}
	t.Cleanup(func() { r.cl.Disconnect(100) })
	tok := r.cl.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) {
		r.mu.Lock()
		r.msgs = append(r.msgs, Message{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), Received: time.Now()})
		r.mu.Unlock()
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("recorder subscribe: %v", tok.Error())
	}
	return r
}

// Messages returns a copy of what was received so far, in order.
func (r *Recorder) Messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.msgs...)
}

// WaitFor polls until at least n messages arrived or d passed, and
// returns what arrived.
func (r *Recorder) WaitFor(n int, d time.Duration) []Message {
	deadline := time.Now().Add(d)
	for {
		msgs := r.Messages()
		if len(msgs) >= n || time.Now().After(deadline) {
			return msgs
		}
		time.Sleep(5 * time.Millisecond)
	}
}
