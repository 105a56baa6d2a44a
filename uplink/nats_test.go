package uplink

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
)

// startNATS runs a JetStream server on loopback (port -1: a free one),
// storing in dir.
func startNATS(t *testing.T, port int, dir string, maxPayload int32) *server.Server {
	t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir,
		MaxPayload: maxPayload, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv
}

// natsStream connects a test client and creates stream S on t.>.
func natsStream(t *testing.T, url string, cfg jetstream.StreamConfig) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "" {
		if _, err := js.CreateStream(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
	}
	return js
}

var testStream = jetstream.StreamConfig{Name: "S", Subjects: []string{"t.>"}}

func newNATSSink(t *testing.T, url string, cfg NATSConfig) *NATSSink {
	t.Helper()
	cfg.URLs = []string{url}
	if cfg.Subject == "" {
		cfg.Subject = "t.{key}"
	}
	cfg.reconnectWait = 20 * time.Millisecond
	s, err := NewNATSSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// msgCount is how many messages stream S holds (-1 if it cannot tell).
func msgCount(js jetstream.JetStream) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "S")
	if err != nil {
		return -1
	}
	info, err := st.Info(ctx)
	if err != nil {
		return -1
	}
	return int(info.State.Msgs)
}

type natsMsg struct{ Subject, ID, Key, Data string }

// streamMsgs reads stream S in order.
func streamMsgs(t *testing.T, js jetstream.JetStream) []natsMsg {
	t.Helper()
	ctx := context.Background()
	n := msgCount(js)
	st, err := js.Stream(ctx, "S")
	if err != nil {
		t.Fatal(err)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []natsMsg
	for len(out) < n {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			out = append(out, natsMsg{Subject: m.Subject(), ID: m.Headers().Get(jetstream.MsgIDHeader),
				Key: m.Headers().Get(NATSPartitionKeyHeader), Data: string(m.Data())})
			if len(out) == n {
				break // the fetch would wait out its time for more
			}
		}
		if got == 0 {
			t.Fatalf("read %d of %d messages", len(out), n)
		}
	}
	return out
}

func natsData(msgs []natsMsg) []string {
	var d []string
	for _, m := range msgs {
		d = append(d, m.Data)
	}
	return d
}

func TestNATSDeliversEverythingInOrder(t *testing.T) {
	srv := startNATS(t, -1, t.TempDir(), 0)
	js := natsStream(t, srv.ClientURL(), testStream)
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 2})
	put(t, sp, "s", 0, 1500)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 4 << 10, Sink: newNATSSink(t, srv.ClientURL(), NATSConfig{})})
	put(t, sp, "s", 1500, 3000) // live data while the backlog drains
	mqtttest.Eventually(t, 30*time.Second, "3000 messages", func() bool { return msgCount(js) >= 3000 })
	mqtttest.Eventually(t, 10*time.Second, "status: 3000 delivered, connected", func() bool {
		s := d.Status()
		return s.Delivered == 3000 && s.State == "connected"
	})
	msgs := streamMsgs(t, js)
	if dups := checkOrder(t, natsData(msgs), 3000); dups != 0 {
		t.Errorf("%d duplicates without any failure", dups)
	}
	ids := map[string]bool{}
	for _, m := range msgs {
		key := m.Data[:strings.IndexByte(m.Data, ':')]
		if m.Key != key || m.Subject != "t."+key || !strings.HasPrefix(m.ID, "d/s/shardId-") || ids[m.ID] {
			t.Fatalf("message %+v", m)
		}
		ids[m.ID] = true
	}
}

// A crash between a batch's sending and its checkpoint resends it, cut at
// the same point, and the batches after it too: JetStream drops them all
// by their message ids.
func TestNATSDropsTheResendAfterACrash(t *testing.T) {
	srv := startNATS(t, -1, t.TempDir(), 0)
	js := natsStream(t, srv.ClientURL(), testStream)
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 2})
	sink := newNATSSink(t, srv.ClientURL(), NATSConfig{})
	put(t, sp, "s", 0, 1000)
	cfg := Config{Name: "d", Streams: []string{"s"}, SizeHint: 1 << 10, Sink: sink}
	d := start(t, sp, cfg)
	mqtttest.Eventually(t, 30*time.Second, "1000 delivered", func() bool { return d.Status().Delivered == 1000 })
	d.Close()
	if n := msgCount(js); n != 1000 {
		t.Fatalf("%d messages", n)
	}

	// Per shard, the batches sent (from the message ids), oldest first.
	batches := map[string][]string{}
	for _, m := range streamMsgs(t, js) {
		batch := m.ID[:strings.LastIndexByte(m.ID, '/')]
		shard := strings.Split(batch, "/")[2]
		if l := batches[shard]; len(l) == 0 || l[len(l)-1] != batch {
			batches[shard] = append(l, batch)
		}
	}
	// Roll each shard back as if the gateway had crashed while its middle
	// batch was in flight: the checkpoint at the batch before, the
	// pending mark at the batch's end.
	resent := 0
	for shard, l := range batches {
		sort.Strings(l) // sequence numbers of one shard sort as strings
		k := len(l) / 2
		if k == 0 {
			t.Fatalf("shard %s: %d batches", shard, len(l))
		}
		last := func(id string) string { return id[strings.LastIndexByte(id, '-')+1:] }
		err := sp.SetCheckpoints(context.Background(),
			spool.Checkpoint{Consumer: "uplink:d", Stream: "s", ShardID: shard, SequenceNumber: last(l[k-1])},
			spool.Checkpoint{Consumer: "uplink-pending:d", Stream: "s", ShardID: shard, SequenceNumber: last(l[k])})
		if err != nil {
			t.Fatal(err)
		}
		info, _ := sp.DescribeStream("s")
		for _, sh := range info.Shards {
			if sh.ID == shard {
				from, _ := spool.ParseSeqNum(last(l[k-1]))
				to, _ := spool.ParseSeqNum(sh.LastSequence)
				resent += int(to.Counter - from.Counter)
			}
		}
	}
	d = start(t, sp, cfg)
	mqtttest.Eventually(t, 30*time.Second, fmt.Sprintf("%d resent and confirmed", resent), func() bool { return d.Status().Delivered == int64(resent) })
	if n := msgCount(js); n != 1000 {
		t.Errorf("%d messages after the resend, want 1000: duplicates not dropped", n)
	}
}

// The server stops mid-delivery and starts again on the same port and
// store: everything arrives, in order per key, and the resends are
// dropped.
func TestNATSOutage(t *testing.T) {
	dir := t.TempDir()
	srv := startNATS(t, -1, dir, 0)
	port := srv.Addr().(*net.TCPAddr).Port
	url := srv.ClientURL()
	js := natsStream(t, url, testStream)
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 2})
	put(t, sp, "s", 0, 1000)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 1 << 10, Sink: newNATSSink(t, url, NATSConfig{Timeout: 2 * time.Second})})
	mqtttest.Eventually(t, 30*time.Second, "some messages", func() bool { return msgCount(js) >= 100 })
	srv.Shutdown()
	srv.WaitForShutdown()
	put(t, sp, "s", 1000, 2000)
	mqtttest.Eventually(t, 10*time.Second, "retrying while the server is down", func() bool { return d.Status().State == "retrying" })

	startNATS(t, port, dir, 0)
	mqtttest.Eventually(t, 30*time.Second, "2000 messages", func() bool { return msgCount(js) >= 2000 })
	mqtttest.Eventually(t, 10*time.Second, "status: connected, 2000 delivered", func() bool {
		s := d.Status()
		return s.State == "connected" && s.Delivered >= 2000
	})
	if dups := checkOrder(t, natsData(streamMsgs(t, js)), 2000); dups != 0 {
		t.Errorf("%d duplicates kept", dups)
	}
}

// No stream for the subject is retried, saying so, until one is created.
func TestNATSWaitsForTheStream(t *testing.T) {
	srv := startNATS(t, -1, t.TempDir(), 0)
	js := natsStream(t, srv.ClientURL(), jetstream.StreamConfig{})
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	put(t, sp, "s", 0, 50)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: newNATSSink(t, srv.ClientURL(), NATSConfig{})})
	mqtttest.Eventually(t, 10*time.Second, "retrying: no stream", func() bool {
		s := d.Status()
		return s.State == "retrying" && strings.Contains(s.LastError, "no JetStream stream stores it")
	})
	if _, err := js.CreateStream(context.Background(), testStream); err != nil {
		t.Fatal(err)
	}
	mqtttest.Eventually(t, 10*time.Second, "50 messages", func() bool { return msgCount(js) == 50 })
	checkOrder(t, natsData(streamMsgs(t, js)), 50)
}

// A message larger than the server's max_payload (refused alone, before
// it is published), or the stream's max_msg_size (refused by the server:
// its batch goes), goes to the error output; the rest of the stream
// arrives.
func TestNATSTooLargeGoesToTheErrorOutput(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxPayload int32
		maxMsgSize int32
		want       string
	}{
		{"server max payload", 32 << 10, 0, "more than the server's max payload (32768)"}, // refused before publishing
		{"stream max msg size", 0, 16 << 10, "message size exceeds maximum allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startNATS(t, -1, t.TempDir(), tc.maxPayload)
			sc := testStream
			sc.MaxMsgSize = tc.maxMsgSize
			js := natsStream(t, srv.ClientURL(), sc)
			sp := openSpool(t, t.TempDir())
			sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
			put(t, sp, "s", 0, 10)
			d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: newNATSSink(t, srv.ClientURL(), NATSConfig{})})
			mqtttest.Eventually(t, 10*time.Second, "10 messages", func() bool { return msgCount(js) == 10 })

			big := make([]byte, 40<<10)
			rand.NewChaCha8([32]byte{2}).Read(big)
			if _, err := sp.Append(context.Background(), "s", []spool.Record{{PartitionKey: "k3", Data: big}}); err != nil {
				t.Fatal(err)
			}
			mqtttest.Eventually(t, 10*time.Second, "the big record in the error output", func() bool { return d.Status().Failed == 1 })
			put(t, sp, "s", 10, 20)
			mqtttest.Eventually(t, 10*time.Second, "20 messages", func() bool { return msgCount(js) == 20 })
			checkOrder(t, natsData(streamMsgs(t, js)), 20)

			cur, _ := sp.Seek(sp.DeadLetterStream(), "shardId-000000000000", spool.StartPosition{Type: spool.TrimHorizon})
			res, _ := sp.Read(cur, spool.ReadLimits{})
			if len(res.Records) != 1 {
				t.Fatalf("%d dead letters, want 1", len(res.Records))
			}
			dl := string(res.Records[0].Data)
			for _, want := range []string{`"source":"uplink:d:s"`, tc.want} {
				if !strings.Contains(dl, want) {
					t.Errorf("dead letter lacks %q: %.300s", want, dl)
				}
			}
		})
	}
}

func TestNATSSubjects(t *testing.T) {
	for key, want := range map[string]string{
		"k1": "k1", "": "_", "a.b": "a_b", "a b\tc": "a_b_c", "*": "_", ">x": "_x", "temp/°C": "temp/°C", "bad\xffutf8": "bad_utf8",
	} {
		if got := SubjectToken(key); got != want {
			t.Errorf("SubjectToken(%q) = %q, want %q", key, got, want)
		}
	}
	s := &NATSSink{cfg: NATSConfig{Subject: "site.{key}.data"}}
	if got := s.subject("a.b"); got != "site.a_b.data" {
		t.Errorf("subject %q", got)
	}
	for _, cfg := range []NATSConfig{
		{Subject: "t.x"},
		{URLs: []string{"nats://127.0.0.1:4222"}},
		{URLs: []string{"nats://127.0.0.1:4222"}, Subject: "t.*"},
		{URLs: []string{"nats://127.0.0.1:4222"}, Subject: "t..x"},
		{URLs: []string{"nats://127.0.0.1:4222"}, Subject: "t.{key}>"},
		{URLs: []string{"nats://127.0.0.1:4222"}, Subject: "t x"},
		{URLs: []string{"nats://127.0.0.1:4222"}, Subject: "t", Token: "x", User: "u"},
		{URLs: []string{"nats://127.0.0.1:4222"}, Subject: "t", Password: "p"},
		{URLs: []string{"nats://a:1,nats://b:2"}, Subject: "t"},
	} {
		if _, err := NewNATSSink(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}
