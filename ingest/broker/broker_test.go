package broker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"golang.org/x/crypto/bcrypt"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/ingest/route"
	"github.com/tributary-edge/tributary/spool"
)

type env struct {
	sp *spool.Spool
	b  *Broker
}

// start opens a spool with a "telemetry" stream and runs a broker on a
// free loopback port with the given routes (default: # -> telemetry by topic).
func start(t *testing.T, mutate func(*Options, *spool.Spool), rules ...route.Rule) *env {
	t.Helper()
	sp, err := spool.Open(spool.Options{Dir: t.TempDir(), MinFreeDisk: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := sp.CreateStream(spool.StreamConfig{Name: "telemetry", Shards: 4}); err != nil {
		t.Fatal(err)
	}
	if len(rules) == 0 {
		rules = []route.Rule{{Filter: "#", Stream: "telemetry", Key: "{topic}"}}
	}
	table, err := route.Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Listen: "127.0.0.1:0", AllowAnonymous: true, Routes: table, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if mutate != nil {
		mutate(&opts, sp)
	}
	b, err := New(opts, sp)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.Close()
		sp.Close()
	})
	return &env{sp: sp, b: b}
}

// records reads every record of a stream, all shards.
func records(t *testing.T, sp *spool.Spool, stream string) []spool.StoredRecord {
	t.Helper()
	info, err := sp.DescribeStream(stream)
	if err != nil {
		t.Fatal(err)
	}
	var out []spool.StoredRecord
	for _, sh := range info.Shards {
		cur, err := sp.Seek(stream, sh.ID, spool.StartPosition{Type: spool.TrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		for {
			res, err := sp.Read(cur, spool.ReadLimits{})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res.Records...)
			if len(res.Records) == 0 {
				break
			}
			cur = res.Next
		}
	}
	return out
}

func publish(t *testing.T, c paho.Client, topic string, qos byte, payload string) {
	t.Helper()
	tok := c.Publish(topic, qos, false, payload)
	if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// Every QoS 1 message acknowledged by the broker is in the stream, keyed
// by topic, in per-key order; subscribers still get every message.
func TestQoS1AckedMeansStored(t *testing.T) {
	e := start(t, nil)
	var mu sync.Mutex
	got := map[string][]string{}
	sub := mqtttest.Connect(t, e.b.Addr(), "subscriber", true)
	subscribed := sub.Subscribe("devices/#", 1, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		got[m.Topic()] = append(got[m.Topic()], string(m.Payload()))
		mu.Unlock()
	})
	if !subscribed.WaitTimeout(10*time.Second) || subscribed.Error() != nil {
		t.Fatal(subscribed.Error())
	}
	const devices, perDevice = 5, 200
	var wg sync.WaitGroup
	for d := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := mqtttest.Connect(t, e.b.Addr(), fmt.Sprintf("dev-%d", d), true)
			// many in flight at once: acks must still come back in order
			toks := make([]paho.Token, perDevice)
			for i := range perDevice {
				toks[i] = c.Publish(fmt.Sprintf("devices/%d/telemetry", d), 1, false, fmt.Sprintf(`{"seq":%d}`, i))
			}
			for i, tok := range toks {
				if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
					t.Errorf("device %d message %d: %v", d, i, tok.Error())
				}
			}
		}()
	}
	wg.Wait()
	recs := records(t, e.sp, "telemetry")
	if len(recs) != devices*perDevice {
		t.Fatalf("stored %d records, acknowledged %d", len(recs), devices*perDevice)
	}
	next := map[string]int{}
	for _, r := range recs {
		want := fmt.Sprintf(`{"seq":%d}`, next[r.PartitionKey])
		if string(r.Data) != want {
			t.Fatalf("key %s: got %s, want %s (order per key)", r.PartitionKey, r.Data, want)
		}
		next[r.PartitionKey]++
	}
	// subscribers: every message, in order per topic (wait until delivered)
	mqtttest.Eventually(t, 10*time.Second, "the subscriber to get every message", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, v := range got {
			n += len(v)
		}
		return n >= devices*perDevice
	})
	mu.Lock()
	defer mu.Unlock()
	for d := range devices {
		msgs := got[fmt.Sprintf("devices/%d/telemetry", d)]
		if len(msgs) != perDevice {
			t.Errorf("subscriber got %d messages for device %d, want %d", len(msgs), d, perDevice)
			continue
		}
		for i, m := range msgs {
			if m != fmt.Sprintf(`{"seq":%d}`, i) {
				t.Errorf("subscriber: device %d message %d = %s", d, i, m)
				break
			}
		}
	}
	if s := e.b.Stats(); s.Stored != devices*perDevice {
		t.Errorf("stats: %+v", s)
	}
}

// Retained messages and QoS 0 still work; QoS 0 is stored best-effort.
func TestRetainedAndQoS0(t *testing.T) {
	e := start(t, nil)
	pub := mqtttest.Connect(t, e.b.Addr(), "pub", true)
	tok := pub.Publish("config/dev-1", 1, true, "setpoint=21")
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	got := make(chan string, 1)
	sub := mqtttest.Connect(t, e.b.Addr(), "late-subscriber", true)
	sub.Subscribe("config/#", 1, func(_ paho.Client, m paho.Message) { got <- string(m.Payload()) })
	select {
	case m := <-got:
		if m != "setpoint=21" {
			t.Errorf("retained = %q", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("retained message not delivered")
	}
	for i := range 50 {
		publish(t, pub, "qos0/x", 0, fmt.Sprint(i))
	}
	// QoS 0 is asynchronous: wait for the queue to drain into the spool
	mqtttest.Eventually(t, 10*time.Second, "the QoS 0 queue to drain", func() bool { return e.b.Stats().Stored >= 51 })
	if n := len(records(t, e.sp, "telemetry")); n != 51 {
		t.Errorf("stored %d records (1 retained QoS 1 + 50 QoS 0), want 51", n)
	}
}

// A payload that fails the route's check goes to the dead-letter stream
// with the reason, and is acknowledged.
func TestPayloadChecksDeadLetter(t *testing.T) {
	e := start(t, nil,
		route.Rule{Filter: "devices/+/telemetry", Stream: "telemetry", Key: "{topic.1}", RequireJSON: true, MaxPayload: 100},
		route.Rule{Filter: "devices/+/nowhere", Stream: "no-such-stream"},
	)
	c := mqtttest.Connect(t, e.b.Addr(), "dev-7", true)
	publish(t, c, "devices/7/telemetry", 1, `{"t":21.5}`)
	publish(t, c, "devices/7/telemetry", 1, `{not json`)
	publish(t, c, "devices/7/telemetry", 1, `{"pad":"`+strings.Repeat("x", 200)+`"}`)
	publish(t, c, "devices/7/nowhere", 1, `{"t":1}`)
	publish(t, c, "unrouted/topic", 1, `x`)
	if recs := records(t, e.sp, "telemetry"); len(recs) != 1 || recs[0].PartitionKey != "7" {
		t.Errorf("telemetry = %+v", recs)
	}
	dl := records(t, e.sp, "dead-letter")
	if len(dl) != 3 {
		t.Fatalf("dead letters: %d, want 3", len(dl))
	}
	for i, want := range []string{"not valid JSON", "max_payload", "stream not found"} {
		if !strings.Contains(string(dl[i].Data), want) {
			t.Errorf("dead letter %d does not say %q: %s", i, want, dl[i].Data)
		}
	}
	if s := e.b.Stats(); s.DeadLettered != 3 || s.Unrouted != 1 || s.Stored != 1 {
		t.Errorf("stats: %+v", s)
	}
}

// mosquittoPub publishes one message with Debian's mosquitto_pub and
// returns its debug output (which shows the PUBACK reason code).
func mosquittoPub(t *testing.T, addr string, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("mosquitto_pub")
	if err != nil {
		t.Skip("mosquitto_pub not installed (apt-get install mosquitto-clients)")
	}
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-h", host, "-p", port, "-d"}, args...)...)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// A full stream (reject_new) answers MQTT 5 clients with 0x97 (quota
// exceeded) and stores nothing; 3.1.1 clients get no acknowledgement.
func TestStreamFullQuotaExceeded(t *testing.T) {
	e := start(t, func(o *Options, sp *spool.Spool) {
		sp.CreateStream(spool.StreamConfig{Name: "tiny", Shards: 1, MaxBytes: 200})
	}, route.Rule{Filter: "#", Stream: "tiny"})
	c := mqtttest.Connect(t, e.b.Addr(), "v3", true)
	publish(t, c, "a", 1, strings.Repeat("x", 100)) // fits
	out := mosquittoPub(t, e.b.Addr(), "-V", "5", "-q", "1", "-t", "a", "-m", strings.Repeat("y", 150), "-i", "v5client")
	if !strings.Contains(out, "received PUBACK") || !strings.Contains(out, "RC:151") {
		t.Errorf("MQTT 5 PUBACK reason for a full stream: want RC:151 (0x97)\n%s", out)
	}
	out = mosquittoPub(t, e.b.Addr(), "-V", "5", "-q", "2", "-t", "a", "-m", strings.Repeat("y", 150), "-i", "v5qos2")
	if !strings.Contains(out, "received PUBREC") || !strings.Contains(out, "Quota exceeded") {
		t.Errorf("MQTT 5 QoS 2 refusal: want PUBREC with reason 0x97 (quota exceeded)\n%s", out)
	}
	tok := c.Publish("a", 1, false, strings.Repeat("z", 150))
	if tok.WaitTimeout(500 * time.Millisecond) {
		t.Errorf("MQTT 3.1.1 publish to a full stream was acknowledged: %v", tok.Error())
	}
	if n := len(records(t, e.sp, "tiny")); n != 1 {
		t.Errorf("tiny holds %d records, want 1", n)
	}
}

// Users need their password; a publish outside a user's ACL gets 0x87
// (MQTT 5) and nothing is stored.
func TestAuthAndACL(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	e := start(t, func(o *Options, _ *spool.Spool) {
		o.AllowAnonymous = false
		o.Users = []User{{Username: "dev", PasswordHash: string(hash), Publish: []string{"devices/dev/#"}, Subscribe: []string{"alerts/dev/#"}}}
	})
	out := mosquittoPub(t, e.b.Addr(), "-V", "5", "-q", "1", "-t", "devices/dev/t", "-m", "1", "-u", "dev", "-P", "wrong")
	if strings.Contains(out, "received PUBACK") {
		t.Errorf("connected with a wrong password:\n%s", out)
	}
	out = mosquittoPub(t, e.b.Addr(), "-V", "5", "-q", "1", "-t", "devices/dev/t", "-m", "ok", "-u", "dev", "-P", "s3cret")
	if !strings.Contains(out, "RC:0") && !strings.Contains(out, "received PUBACK (Mid: 1, RC:0)") {
		t.Errorf("allowed publish not acknowledged:\n%s", out)
	}
	out = mosquittoPub(t, e.b.Addr(), "-V", "5", "-q", "1", "-t", "devices/other/t", "-m", "no", "-u", "dev", "-P", "s3cret")
	if !strings.Contains(out, "RC:135") {
		t.Errorf("publish outside the ACL: want RC:135 (0x87)\n%s", out)
	}
	out = mosquittoPub(t, e.b.Addr(), "-V", "5", "-q", "1", "-t", "devices/dev/t", "-m", "anon")
	if strings.Contains(out, "received PUBACK") {
		t.Errorf("anonymous client connected:\n%s", out)
	}
	recs := records(t, e.sp, "telemetry")
	if len(recs) != 1 || string(recs[0].Data) != "ok" {
		t.Errorf("stored %+v, want only the allowed message", recs)
	}
}

// Hostile input never takes the broker down or disturbs other clients.
func TestHostileClients(t *testing.T) {
	e := start(t, nil)
	good := mqtttest.Connect(t, e.b.Addr(), "good", true)
	publish(t, good, "ok/1", 1, "before")
	raw := func(b []byte) {
		c, err := net.DialTimeout("tcp", e.b.Addr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Write(b)
		io.Copy(io.Discard, c) // until the broker closes it or the deadline
	}
	raw([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))                                   // not MQTT
	raw([]byte{0x10, 0xff, 0xff, 0xff, 0xff, 0x7f})                                    // malformed remaining length
	raw(append([]byte{0x10, 0x80, 0x80, 0x80, 0x01}, make([]byte, 64)...))             // CONNECT claiming 2 MiB
	raw([]byte{0x30, 0x05, 0x00, 0x03, 'a', 0xff, 'b'})                                // PUBLISH before CONNECT, invalid UTF-8
	raw(append([]byte{0x10, 0x0c, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 0}, 0x30)) // CONNECT then a truncated PUBLISH
	// wildcard publish and an oversized message from a connected client
	bad := mqtttest.Connect(t, e.b.Addr(), "bad", true)
	bad.Publish("a/#", 1, false, "x").WaitTimeout(time.Second)
	bad.Publish("big", 1, false, make([]byte, 2<<20)).WaitTimeout(2 * time.Second)
	// a flood of connects
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := paho.NewClientOptions().AddBroker("tcp://" + e.b.Addr()).SetClientID(fmt.Sprintf("flood-%d", i)).SetAutoReconnect(false)
			c := paho.NewClient(o)
			if tok := c.Connect(); tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
				c.Disconnect(0)
			}
		}()
	}
	wg.Wait()
	publish(t, good, "ok/1", 1, "after")
	var ok []string
	for _, r := range records(t, e.sp, "telemetry") {
		if r.PartitionKey == "ok/1" {
			ok = append(ok, string(r.Data))
		}
		if r.PartitionKey == "a/#" || len(r.Data) > 1<<20 {
			t.Errorf("stored a hostile message: key %q, %d bytes", r.PartitionKey, len(r.Data))
		}
	}
	if strings.Join(ok, ",") != "before,after" {
		t.Errorf("good client's messages: %v", ok)
	}
}

// QoS 2 runs its whole flow (PUBREC, PUBREL, PUBCOMP) and the message is
// stored once; MQTT 5 clients see the same.
func TestQoS2(t *testing.T) {
	e := start(t, nil)
	c := mqtttest.Connect(t, e.b.Addr(), "q2", true)
	for i := range 20 {
		publish(t, c, "q2/t", 2, fmt.Sprint(i))
	}
	out := mosquittoPub(t, e.b.Addr(), "-V", "5", "-q", "2", "-t", "q2/v5", "-m", "five", "-D", "publish", "user-property", "k", "v")
	if !strings.Contains(out, "received PUBCOMP") {
		t.Errorf("MQTT 5 QoS 2 flow incomplete:\n%s", out)
	}
	var got []string
	for _, r := range records(t, e.sp, "telemetry") {
		got = append(got, r.PartitionKey+"="+string(r.Data))
	}
	all := strings.Join(got, ",")
	if len(got) != 21 || !strings.Contains(all, "q2/t=0") || !strings.Contains(all, "q2/t=19") || !strings.Contains(all, "q2/v5=five") {
		t.Errorf("stored %v, want 20 q2/t messages and q2/v5 once", got)
	}
}
