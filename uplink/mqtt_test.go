package uplink

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
)

// needMosquitto returns mosquitto's path. Without it the test is skipped,
// or fails when the CI environment variable is set (.ci/run installs it).
func needMosquitto(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"mosquitto", "/usr/sbin/mosquitto"} {
		if bin, err := exec.LookPath(p); err == nil {
			return bin
		}
	}
	const msg = "mosquitto is not installed (apt-get install -y mosquitto mosquitto-clients)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// noPahoLeak fails t if a paho goroutine outlives it: the sink's and
// the subscribers' connections are all closed by then (given a few
// seconds to wind down).
func noPahoLeak(t *testing.T) {
	t.Cleanup(func() {
		var leaked []string
		gone := func() bool {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			leaked = leaked[:0]
			for _, g := range strings.Split(string(buf), "\n\n") {
				if strings.Contains(g, "github.com/eclipse/paho.mqtt.golang") {
					leaked = append(leaked, g)
				}
			}
			return len(leaked) == 0
		}
		if !mqtttest.Within(5*time.Second, gone) {
			t.Errorf("paho goroutines left running:\n%s", strings.Join(leaked, "\n\n"))
		}
	})
}

// broker is mosquitto with a configuration of the test's own (TLS,
// persistence) on a free loopback port; stop and restart keep the port.
type broker struct {
	t    *testing.T
	bin  string
	conf string
	Addr string
	cmd  *exec.Cmd
}

func startBroker(t *testing.T, lines ...string) *broker {
	t.Helper()
	b := &broker{t: t, bin: needMosquitto(t), Addr: fmt.Sprintf("127.0.0.1:%d", mqtttest.FreePort(t))}
	b.conf = filepath.Join(t.TempDir(), "mosquitto.conf")
	// user root: when the tests run as root, mosquitto would otherwise
	// switch to the mosquitto user, who cannot read the test's files.
	body := fmt.Sprintf("listener %s 127.0.0.1\nuser root\nlog_dest stderr\nlog_type error\nmax_queued_messages 0\n%s\n",
		strings.TrimPrefix(b.Addr, "127.0.0.1:"), strings.Join(lines, "\n"))
	if err := os.WriteFile(b.conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	b.restart()
	t.Cleanup(b.kill)
	return b
}

// restart starts mosquitto (again) and waits until it listens.
func (b *broker) restart() {
	b.t.Helper()
	b.cmd = exec.Command(b.bin, "-c", b.conf)
	b.cmd.Stderr = testLog{b.t, "mosquitto"}
	if err := b.cmd.Start(); err != nil {
		b.t.Fatalf("start mosquitto: %v", err)
	}
	mqtttest.WaitListening(b.t, b.Addr)
}

// stop ends mosquitto as an init system would (SIGTERM), so it saves its
// persistence file.
func (b *broker) stop() {
	b.cmd.Process.Signal(syscall.SIGTERM)
	b.cmd.Wait()
}

func (b *broker) kill() {
	if b.cmd.ProcessState == nil {
		b.cmd.Process.Kill()
		b.cmd.Wait()
	}
}

// testLog is an io.Writer to t.Log, each line prefixed with who wrote it.
type testLog struct {
	t   *testing.T
	who string
}

func (l testLog) Write(p []byte) (int, error) {
	l.t.Logf("%s: %s", l.who, strings.TrimSpace(string(p)))
	return len(p), nil
}

// subscriber records what a paho client subscribed at QoS 1 receives, in
// order. With clean false its session outlives a broker restart (given
// persistence) and it reconnects by itself.
type subscriber struct {
	mu   sync.Mutex
	msgs []paho.Message
}

func subscribe(t *testing.T, url, filter string, tlsConf *tls.Config, clean bool) *subscriber {
	t.Helper()
	s := &subscriber{}
	record := func(_ paho.Client, m paho.Message) {
		s.mu.Lock()
		s.msgs = append(s.msgs, m)
		s.mu.Unlock()
	}
	o := paho.NewClientOptions().AddBroker(url).SetClientID("subscriber").SetCleanSession(clean).
		SetProtocolVersion(4).SetOrderMatters(true).SetDefaultPublishHandler(record).
		SetAutoReconnect(true).SetMaxReconnectInterval(50 * time.Millisecond).SetConnectTimeout(5 * time.Second)
	if tlsConf != nil {
		o.SetTLSConfig(tlsConf)
	}
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber: connect to %s: %v", url, tok.Error())
	}
	if tok := c.Subscribe(filter, 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber: subscribe %s: %v", filter, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(250) })
	return s
}

// data returns the payloads received so far (duplicates included).
func (s *subscriber) data() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = string(m.Payload())
	}
	return out
}

func (s *subscriber) messages() []paho.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]paho.Message(nil), s.msgs...)
}

func (s *subscriber) distinct() int {
	seen := map[string]bool{}
	for _, d := range s.data() {
		seen[d] = true
	}
	return len(seen)
}

func newMQTTSink(t *testing.T, s *MQTTSink) *MQTTSink {
	t.Helper()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.NewTextHandler(testLog{t, "sink"}, nil))
	}
	t.Cleanup(func() { s.Close() }) // after the delivery stops: cleanups run last-in first-out
	return s
}

// Records from two shards arrive complete, in order per key, on topics
// rendered from the template, without duplicates when nothing failed.
func TestMQTTDeliversEverythingInOrder(t *testing.T) {
	needMosquitto(t)
	noPahoLeak(t)
	m := mqtttest.StartMosquitto(t)
	sub := subscribe(t, m.URL(), "t/#", nil, true)
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 2})
	put(t, sp, "s", 0, 1000)
	sink := newMQTTSink(t, &MQTTSink{Broker: m.URL(), Topic: "t/{delivery}/{stream}/{shard}/{key}"})
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 2 << 10, Sink: sink})
	put(t, sp, "s", 1000, 2000) // live data while the backlog drains
	mqtttest.Eventually(t, 10*time.Second, "2000 records", func() bool { return len(sub.data()) >= 2000 })
	if dups := checkOrder(t, sub.data(), 2000); dups != 0 {
		t.Errorf("%d duplicates without any failure", dups)
	}
	shardOf := map[string]string{}
	for _, msg := range sub.messages() {
		level := strings.Split(msg.Topic(), "/")
		key := string(msg.Payload())[:strings.IndexByte(string(msg.Payload()), ':')]
		if len(level) != 5 || level[0] != "t" || level[1] != "d" || level[2] != "s" || level[4] != key ||
			!strings.HasPrefix(level[3], "shardId-00000000000") || msg.Qos() != 1 || msg.Retained() {
			t.Fatalf("message %s on topic %q (qos %d, retained %v)", msg.Payload(), msg.Topic(), msg.Qos(), msg.Retained())
		}
		if sh, ok := shardOf[key]; ok && sh != level[3] {
			t.Fatalf("key %s on shards %s and %s", key, sh, level[3])
		}
		shardOf[key] = level[3]
	}
	mqtttest.Eventually(t, 5*time.Second, "status: 2000 delivered, connected", func() bool {
		s := d.Status()
		return s.Delivered == 2000 && s.State == "connected" && s.LastError == ""
	})
}

// Mutual TLS as AWS IoT Core asks for it: the broker requires a client
// certificate from its CA. With one, everything arrives; without one the
// delivery keeps retrying and says why.
func TestMQTTMutualTLS(t *testing.T) {
	noPahoLeak(t)
	pki := mqtttest.NewPKI(t)
	b := startBroker(t, "allow_anonymous true", "require_certificate true",
		"cafile "+pki.CAFile, "certfile "+pki.ServerCert, "keyfile "+pki.ServerKey)
	url := "ssl://" + b.Addr
	sub := subscribe(t, url, "t/#", pki.ClientTLS(t), true)
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 2})
	sp.CreateStream(spool.StreamConfig{Name: "s2", Shards: 1})
	put(t, sp, "s", 0, 300)
	put(t, sp, "s2", 0, 10)
	sink := newMQTTSink(t, &MQTTSink{Broker: "tls://" + b.Addr, Topic: "t/{stream}/{key}",
		CAFile: pki.CAFile, CertFile: pki.ClientCert, KeyFile: pki.ClientKey})
	start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: sink})
	mqtttest.Eventually(t, 10*time.Second, "300 records over mutual TLS", func() bool { return len(sub.data()) >= 300 })
	checkOrder(t, sub.data(), 300)

	noCert := newMQTTSink(t, &MQTTSink{Broker: url, Topic: "t/{stream}/{key}", CAFile: pki.CAFile})
	d := start(t, sp, Config{Name: "nocert", Streams: []string{"s2"}, Sink: noCert})
	mqtttest.Eventually(t, 10*time.Second, "the delivery without a client certificate retrying", func() bool {
		s := d.Status()
		return s.State == "retrying" && s.RetryAttempt >= 2
	})
	s := d.Status()
	t.Logf("last error: %s", s.LastError)
	if !strings.Contains(s.LastError, "mqtt: connect to "+url+` as "tributary-nocert-`) || !strings.Contains(s.LastError, "certificate") {
		t.Errorf("last error %q does not say the broker wants a certificate", s.LastError)
	}
	if n := len(sub.data()); n != 300 {
		t.Errorf("%d messages arrived, want the 300 of the delivery with a certificate", n)
	}
}

// The broker goes away mid-delivery and comes back on the same port:
// every record arrives (some twice), first occurrences in order per key.
// mosquitto keeps the subscriber's session across its restart
// (persistence), so what it acknowledged before stopping is not lost on
// the subscriber's side either.
func TestMQTTBrokerOutage(t *testing.T) {
	noPahoLeak(t)
	b := startBroker(t, "allow_anonymous true", "persistence true", "persistence_location "+t.TempDir()+"/")
	sub := subscribe(t, "tcp://"+b.Addr, "t/#", nil, false)
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 2})
	put(t, sp, "s", 0, 3000)
	sink := newMQTTSink(t, &MQTTSink{Broker: "tcp://" + b.Addr, Topic: "t/{key}", MaxInflight: 16, Timeout: 2 * time.Second})
	// ~9-byte records at 10 KiB/s: after the first second's burst the
	// backlog takes about two seconds, so the outage lands in the middle.
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 1 << 10, Bandwidth: 10 << 10, Sink: sink})
	mqtttest.Eventually(t, 10*time.Second, "1300 records before the outage", func() bool { return len(sub.data()) >= 1300 })
	b.stop()
	if n := sub.distinct(); n >= 3000 {
		t.Fatalf("all %d records arrived before the outage; it tested nothing", n)
	}
	mqtttest.Eventually(t, 10*time.Second, "retrying while the broker is down", func() bool { return d.Status().State == "retrying" })
	put(t, sp, "s", 3000, 4000)
	b.restart()
	mqtttest.Eventually(t, 10*time.Second, "4000 distinct records after the restart", func() bool { return sub.distinct() >= 4000 })
	dups := checkOrder(t, sub.data(), 4000)
	t.Logf("%d duplicates; last error during the outage: %s", dups, d.Status().LastError)
	mqtttest.Eventually(t, 5*time.Second, "connected again", func() bool { return d.Status().State == "connected" })
}

// A record larger than max_payload goes to the error output with a reason
// naming its key and size; the rest of its batch and the batches after it
// arrive. A key that is no valid topic level is escaped, not refused.
func TestMQTTOversizedRecordGoesToTheErrorOutput(t *testing.T) {
	needMosquitto(t)
	noPahoLeak(t)
	m := mqtttest.StartMosquitto(t)
	sub := subscribe(t, m.URL(), "t/#", nil, true)
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	put(t, sp, "s", 0, 10)
	sp.Append(context.Background(), "s", []spool.Record{
		{PartitionKey: "big", Data: make([]byte, 2000)},
		{PartitionKey: "dev+1/#", Data: []byte("odd-key")},
	})
	put(t, sp, "s", 10, 20)
	sink := newMQTTSink(t, &MQTTSink{Broker: m.URL(), Topic: "t/{key}", MaxPayload: 1000})
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: sink})
	mqtttest.Eventually(t, 10*time.Second, "21 messages", func() bool { return len(sub.data()) >= 21 })
	put(t, sp, "s", 20, 30)
	mqtttest.Eventually(t, 10*time.Second, "31 messages", func() bool { return len(sub.data()) >= 31 })
	var normal []string
	for _, msg := range sub.messages() {
		switch string(msg.Payload()) {
		case "odd-key":
			if msg.Topic() != "t/dev%2B1%2F%23" {
				t.Errorf("key dev+1/# published on %q", msg.Topic())
			}
		default:
			normal = append(normal, string(msg.Payload()))
		}
	}
	if len(normal) != 30 {
		t.Fatalf("%d messages besides the odd key's, want 30", len(normal))
	}
	checkOrder(t, normal, 30)

	info, _ := sp.DescribeStream(sp.DeadLetterStream())
	if info.Records != 1 || sink.Refused() != 1 {
		t.Fatalf("%d dead letters, %d refused; want 1", info.Records, sink.Refused())
	}
	cur, _ := sp.Seek(sp.DeadLetterStream(), "shardId-000000000000", spool.StartPosition{Type: spool.TrimHorizon})
	res, _ := sp.Read(cur, spool.ReadLimits{MaxRecords: 1})
	var dl struct {
		Source, Reason string
		Key            string `json:"partition_key"`
		Data           []byte
		Attrs          map[string]string
	}
	if err := json.Unmarshal(res.Records[0].Data, &dl); err != nil {
		t.Fatal(err)
	}
	if dl.Source != "uplink:d:s" || dl.Key != "big" || len(dl.Data) != 2000 || dl.Attrs["batch"] == "" || dl.Attrs["sequence_number"] == "" ||
		!strings.HasPrefix(dl.Reason, ErrPermanent.Error()) || !strings.Contains(dl.Reason, `partition key "big" is 2000 bytes, more than max_payload (1000 bytes)`) {
		t.Errorf("dead letter %+v", dl)
	}
	if s := d.Status(); s.State != "connected" || s.RetryAttempt != 0 {
		t.Errorf("status %+v: the refusal was retried", s)
	}
}

// At QoS 0 with the retain flag: messages go out without PUBACKs, and a
// subscriber that comes later gets each topic's last record.
func TestMQTTAtMostOnceRetained(t *testing.T) {
	needMosquitto(t)
	noPahoLeak(t)
	m := mqtttest.StartMosquitto(t)
	live := subscribe(t, m.URL(), "t/#", nil, true)
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	put(t, sp, "s", 0, 50)
	sink := newMQTTSink(t, &MQTTSink{Broker: m.URL(), Topic: "t/{key}", AtMostOnce: true, Retain: true})
	start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: sink})
	mqtttest.Eventually(t, 10*time.Second, "50 records", func() bool { return len(live.data()) >= 50 })
	checkOrder(t, live.data(), 50)
	for _, msg := range live.messages() {
		if msg.Qos() != 0 {
			t.Fatalf("%s arrived at QoS %d", msg.Payload(), msg.Qos())
		}
	}
	late := mqtttest.Connect(t, m.Addr, "late", true)
	var mu sync.Mutex
	retained := map[string]string{}
	late.Subscribe("t/#", 1, func(_ paho.Client, msg paho.Message) {
		mu.Lock()
		retained[msg.Topic()] = string(msg.Payload())
		mu.Unlock()
	}).Wait()
	mqtttest.Eventually(t, 5*time.Second, "7 retained messages", func() bool { mu.Lock(); defer mu.Unlock(); return len(retained) == 7 })
	for k := range 7 {
		last := 49 - (49-k)%7
		if got, want := retained[fmt.Sprint("t/k", k)], fmt.Sprintf("k%d:%06d", k, last); got != want {
			t.Errorf("retained on t/k%d: %q, want %q", k, got, want)
		}
	}
}

func TestMQTTTopicLevels(t *testing.T) {
	b := &Batch{Delivery: "d", Stream: "s.1", ShardID: "shardId-000000000002"}
	tmpl, err := parseTopicTemplate("$aws/rules/r/{delivery}/{stream}/{shard}/{key}/{key}")
	if err != nil {
		t.Fatal(err)
	}
	bound := tmpl.bind(b)
	for key, want := range map[string]string{
		"plain-key_1.x":  "plain-key_1.x",
		"a/b":            "a%2Fb",
		"+#%":            "%2B%23%25",
		"nul\x00tab\t":   "nul%00tab%09",
		"ünïcode ✓":      "ünïcode ✓",
		"c1\u0085\ufffe": "c1%C2%85%EF%BF%BE",
		"bad\xff":        "bad%FF",
		"":               "",
	} {
		if got := bound.render(key); got != "$aws/rules/r/d/s.1/shardId-000000000002/"+want+"/"+want {
			t.Errorf("key %q: topic %q", key, got)
		}
	}
}

func TestMQTTValidate(t *testing.T) {
	for _, tc := range []struct {
		sink *MQTTSink
		want string // "" for valid
	}{
		{&MQTTSink{Broker: "tcp://127.0.0.1:1883"}, ""},
		{&MQTTSink{Broker: "wss://iot.example/mqtt", CAFile: "ca.pem", CertFile: "c.pem", KeyFile: "c.key", Topic: "dt/{stream}/{key}"}, ""},
		{&MQTTSink{Broker: "127.0.0.1:1883"}, "broker:"},
		{&MQTTSink{Broker: "http://x:80"}, `scheme "http"`},
		{&MQTTSink{Broker: "tcp://x:1883", CAFile: "ca.pem"}, "is not a TLS URL"},
		{&MQTTSink{Broker: "ssl://x:8883", CertFile: "c.pem"}, "cert_file and key_file must be set together"},
		{&MQTTSink{Broker: "tcp://x:1883", Topic: "a/+/b"}, "topic: \"a/+/b\" contains the wildcard '+'"},
		{&MQTTSink{Broker: "tcp://x:1883", Topic: "a/#"}, "wildcard '#'"},
		{&MQTTSink{Broker: "tcp://x:1883", Topic: "a/\x00"}, "U+0000"},
		{&MQTTSink{Broker: "tcp://x:1883", Topic: "a/{partition_key}"}, `"{partition_key}" is not a placeholder`},
		{&MQTTSink{Broker: "tcp://x:1883", Topic: "a/{key"}, `"{key" is not a placeholder`},
		{&MQTTSink{Broker: "tcp://x:1883", Topic: "long/{key}", MaxTopic: 4}, "topic: is 5 bytes"},
		{&MQTTSink{Broker: "tcp://x:1883", MaxInflight: 70000}, "max_inflight: 70000"},
		{&MQTTSink{Broker: "tcp://x:1883", MaxPayload: -1}, "max_payload: -1"},
		{&MQTTSink{Broker: "tcp://x:1883", Password: "p"}, "password: needs a username"},
	} {
		err := tc.sink.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.sink, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v, want %q", tc.sink, err, tc.want)
		}
	}
}

// wholeShard returns a batch of every record in a one-shard stream's
// shard, as the delivery would cut it.
func wholeShard(t *testing.T, sp *spool.Spool, stream string) *Batch {
	t.Helper()
	cur, err := sp.Seek(stream, "shardId-000000000000", spool.StartPosition{Type: spool.TrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sp.Read(cur, spool.ReadLimits{})
	if err != nil || len(res.Records) == 0 {
		t.Fatalf("read %s: %v (%d records)", stream, err, len(res.Records))
	}
	b := &Batch{Delivery: "d", Stream: stream, ShardID: "shardId-000000000000", Start: cur, sp: sp,
		First: res.Records[0].Seq, Last: res.Records[len(res.Records)-1].Seq, Records: len(res.Records)}
	return b
}

// A sink that cannot connect says so, and one that is closed refuses to
// send; neither loses anything (the delivery retries).
func TestMQTTSendAfterClose(t *testing.T) {
	noPahoLeak(t)
	s := &MQTTSink{Broker: fmt.Sprintf("tcp://127.0.0.1:%d", mqtttest.FreePort(t)), Timeout: time.Second}
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	put(t, sp, "s", 0, 3)
	b := wholeShard(t, sp, "s")
	err := s.Send(context.Background(), b)
	if err == nil || !strings.Contains(err.Error(), "mqtt: connect to tcp://127.0.0.1:") || errors.Is(err, ErrPermanent) {
		t.Errorf("send to nowhere: %v", err)
	}
	s.Close()
	s.Close()
	if err := s.Send(context.Background(), b); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("send after close: %v", err)
	}
}

// A broker that accepts the connection but never acknowledges a publish
// fails the Send after Timeout (retried, not refused), and the next Send
// starts a new connection rather than trusting the old one.
func TestMQTTNoPUBACK(t *testing.T) {
	noPahoLeak(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	conns := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
			go func() {
				// CONNECT in, CONNACK (accepted) out (MQTT 3.1.1 §3.2),
				// then read and ignore everything.
				var hdr [1]byte
				if _, err := c.Read(hdr[:]); err != nil {
					return
				}
				c.Write([]byte{0x20, 0x02, 0x00, 0x00})
				io.Copy(io.Discard, c)
			}()
		}
	}()
	t.Cleanup(func() {
		for {
			select {
			case c := <-conns:
				c.Close()
			default:
				return
			}
		}
	})
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	put(t, sp, "s", 0, 5)
	s := newMQTTSink(t, &MQTTSink{Broker: "tcp://" + ln.Addr().String(), Timeout: 300 * time.Millisecond})
	for i := range 2 {
		began := time.Now()
		err := s.Send(context.Background(), wholeShard(t, sp, "s"))
		if err == nil || !strings.Contains(err.Error(), "no PUBACK within 300ms") || errors.Is(err, ErrPermanent) {
			t.Fatalf("send %d: %v", i, err)
		}
		if took := time.Since(began); took > 5*time.Second {
			t.Errorf("send %d took %s", i, took)
		}
	}
	if n := len(conns); n != 2 {
		t.Errorf("%d connections for two sends, want 2 (a new one after the failure)", n)
	}
}
