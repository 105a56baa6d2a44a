package uplink

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
)

// startKafka runs a one-broker fake cluster on loopback with topic "t".
func startKafka(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(4, "t")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func newKafkaSink(t *testing.T, cfg KafkaConfig) *KafkaSink {
	t.Helper()
	if cfg.Topic == "" {
		cfg.Topic = "t"
	}
	cfg.metadataMinAge = 50 * time.Millisecond
	s, err := NewKafkaSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type kafkaRecord struct {
	Key, Value, Batch, Seq string
	Partition              int32
	Null                   bool // a null value (a tombstone)
}

// kafkaConsumer reads topic "t" from its start, in the background.
type kafkaConsumer struct {
	mu   sync.Mutex
	recs []kafkaRecord
}

func consumeKafka(t *testing.T, brokers []string) *kafkaConsumer {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("t"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	kc := &kafkaConsumer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) {
				rec := kafkaRecord{Key: string(r.Key), Value: string(r.Value), Partition: r.Partition, Null: r.Value == nil}
				for _, h := range r.Headers {
					switch h.Key {
					case KafkaBatchHeader:
						rec.Batch = string(h.Value)
					case KafkaSeqHeader:
						rec.Seq = string(h.Value)
					}
				}
				kc.mu.Lock()
				kc.recs = append(kc.recs, rec)
				kc.mu.Unlock()
			})
		}
	}()
	t.Cleanup(func() { cancel(); <-done; cl.Close() })
	return kc
}

func (kc *kafkaConsumer) snapshot() []kafkaRecord {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	return append([]kafkaRecord(nil), kc.recs...)
}

func (kc *kafkaConsumer) values() []string {
	var v []string
	for _, r := range kc.snapshot() {
		v = append(v, r.Value)
	}
	return v
}

// distinct counts the distinct values.
func distinct(vs []string) int {
	seen := map[string]bool{}
	for _, v := range vs {
		seen[v] = true
	}
	return len(seen)
}

// checkKafkaIdentity asserts every record names its identity, that one
// identity always carries the same record, and returns how many distinct
// identities arrived: duplicates are only resends a consumer can drop.
func checkKafkaIdentity(t *testing.T, recs []kafkaRecord) int {
	t.Helper()
	byID := map[string]string{}
	for _, r := range recs {
		if !strings.HasPrefix(r.Batch, "d/s/shardId-") || len(r.Seq) != 33 {
			t.Fatalf("record %+v: identity headers missing", r)
		}
		seq, err := spool.ParseSeqNum(r.Seq)
		if err != nil || !strings.Contains(r.Batch, spool.ShardID(seq.Shard)) {
			t.Fatalf("record %+v: sequence number not of the batch's shard", r)
		}
		if !strings.HasPrefix(r.Value, r.Key+":") {
			t.Fatalf("record %+v: key not kept", r)
		}
		id := r.Batch + "/" + r.Seq
		if v, ok := byID[id]; ok && v != r.Value {
			t.Fatalf("identity %s carries %q and %q", id, v, r.Value)
		}
		byID[id] = r.Value
	}
	return len(byID)
}

func TestKafkaDeliversEverythingInOrder(t *testing.T) {
	c := startKafka(t)
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 2})
	sink := newKafkaSink(t, KafkaConfig{Brokers: c.ListenAddrs()})
	kc := consumeKafka(t, c.ListenAddrs())
	put(t, sp, "s", 0, 1500)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 4 << 10, Sink: sink})
	put(t, sp, "s", 1500, 3000) // live data while the backlog drains
	mqtttest.Eventually(t, 30*time.Second, "3000 records", func() bool { return len(kc.values()) >= 3000 })
	recs := kc.snapshot()
	if dups := checkOrder(t, kc.values(), 3000); dups != 0 {
		t.Errorf("%d duplicates without any failure", dups)
	}
	if n := checkKafkaIdentity(t, recs); n != 3000 {
		t.Errorf("%d identities for 3000 records", n)
	}
	partitions := map[string]int32{}
	for _, r := range recs {
		if p, ok := partitions[r.Key]; ok && p != r.Partition {
			t.Fatalf("key %s in partitions %d and %d", r.Key, p, r.Partition)
		}
		partitions[r.Key] = r.Partition
	}
	mqtttest.Eventually(t, 10*time.Second, "status: 3000 delivered, connected", func() bool {
		s := d.Status()
		return s.Delivered == 3000 && s.State == "connected" && s.Batches >= 3000*9/(4<<10)
	})
}

// The cluster is unreachable when the delivery starts, comes up, then
// drops connections mid-produce for a while: everything arrives, in order
// per key, and the only duplicates are resends carrying the same identity.
func TestKafkaOutage(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	port, _ := strconv.Atoi(addr[strings.LastIndexByte(addr, ':')+1:])

	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 2})
	sink := newKafkaSink(t, KafkaConfig{Brokers: []string{addr}, Timeout: 300 * time.Millisecond})
	put(t, sp, "s", 0, 500)
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, SizeHint: 2 << 10, Sink: sink})
	mqtttest.Eventually(t, 10*time.Second, "retrying while the cluster is unreachable", func() bool {
		s := d.Status()
		return s.State == "retrying" && strings.Contains(s.LastError, "no record acknowledged")
	})

	c := startKafka(t, kfake.Ports(port))
	kc := consumeKafka(t, c.ListenAddrs())
	mqtttest.Eventually(t, 20*time.Second, "the first 500 records", func() bool { return distinct(kc.values()) >= 500 })
	mqtttest.Eventually(t, 10*time.Second, "status connected", func() bool { return d.Status().State == "connected" })

	// Now the broker drops the connection on 10 produce requests, while
	// more records arrive.
	var dropped atomic.Int32
	c.ControlKey(kmsg.Produce.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		if dropped.Add(1) > 10 {
			c.DropControl()
			return nil, nil, false
		}
		c.KeepControl()
		return nil, errors.New("injected: connection dropped"), true
	})
	put(t, sp, "s", 500, 1000)
	mqtttest.Eventually(t, 30*time.Second, "1000 distinct records", func() bool { return distinct(kc.values()) >= 1000 })
	if dropped.Load() < 10 {
		t.Errorf("only %d produce requests dropped", dropped.Load())
	}
	checkOrder(t, kc.values(), 1000)
	if n := checkKafkaIdentity(t, kc.snapshot()); n != 1000 {
		t.Errorf("%d identities for 1000 records", n)
	}
	mqtttest.Eventually(t, 10*time.Second, "status: connected, 1000 delivered", func() bool {
		s := d.Status()
		return s.State == "connected" && s.Delivered >= 1000
	})
}

// A record larger than the topic accepts goes to the error output, with
// the reason; the stream's other records still arrive. The limit is met
// in the client (MaxMessageBytes set to the topic's) or, when it is not
// set, by the broker.
func TestKafkaTooLargeGoesToTheErrorOutput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int32
		why   string
	}{{"client limit", 64 << 10, "more than max_message_bytes (65536)"}, {"broker refuses", 0, "MESSAGE_TOO_LARGE"}} {
		t.Run(tc.name, func(t *testing.T) {
			c := startKafka(t, kfake.BrokerConfigs(map[string]string{"message.max.bytes": strconv.Itoa(64 << 10)}))
			sp := openSpool(t, t.TempDir())
			sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
			sink := newKafkaSink(t, KafkaConfig{Brokers: c.ListenAddrs(), MaxMessageBytes: tc.limit})
			kc := consumeKafka(t, c.ListenAddrs())
			put(t, sp, "s", 0, 10)
			d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: sink})
			mqtttest.Eventually(t, 10*time.Second, "10 records", func() bool { return len(kc.values()) == 10 })

			// Incompressible: the broker measures the compressed batch.
			big := make([]byte, 100<<10)
			rand.NewChaCha8([32]byte{1}).Read(big)
			big = append([]byte("k3:big:"), big...)
			if _, err := sp.Append(context.Background(), "s", []spool.Record{{PartitionKey: "k3", Data: big}}); err != nil {
				t.Fatal(err)
			}
			mqtttest.Eventually(t, 10*time.Second, "the big record in the error output", func() bool { return d.Status().Failed == 1 })
			put(t, sp, "s", 10, 20)
			mqtttest.Eventually(t, 10*time.Second, "20 records", func() bool { return distinct(kc.values()) == 20 })
			checkOrder(t, kc.values(), 20)

			cur, _ := sp.Seek(sp.DeadLetterStream(), "shardId-000000000000", spool.StartPosition{Type: spool.TrimHorizon})
			res, _ := sp.Read(cur, spool.ReadLimits{})
			if len(res.Records) != 1 {
				t.Fatalf("%d dead letters, want 1", len(res.Records))
			}
			dl := string(res.Records[0].Data)
			for _, want := range []string{`"source":"uplink:d:s"`, tc.why, `kafka topic`} {
				if !strings.Contains(dl, want) {
					t.Errorf("dead letter lacks %s: %.300s", want, dl)
				}
			}
		})
	}
}

// A record over max_message_bytes in the middle of a batch goes to the
// error output alone; the records around it are delivered, in order.
func TestKafkaTooLargeRecordAloneInItsBatch(t *testing.T) {
	c := startKafka(t)
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	sink := newKafkaSink(t, KafkaConfig{Brokers: c.ListenAddrs(), MaxMessageBytes: 64 << 10})
	kc := consumeKafka(t, c.ListenAddrs())
	var recs []spool.Record
	for i := range 11 {
		data := fmt.Appendf(nil, "k%d:%06d", i%7, i)
		if i == 5 {
			data = append(data, make([]byte, 100<<10)...)
		}
		recs = append(recs, spool.Record{PartitionKey: fmt.Sprint("k", i%7), Data: data})
	}
	if _, err := sp.Append(context.Background(), "s", recs); err != nil {
		t.Fatal(err)
	}
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: sink})
	mqtttest.Eventually(t, 10*time.Second, "10 delivered, 1 failed", func() bool {
		s := d.Status()
		return len(kc.values()) == 10 && s.Failed == 1 && s.Delivered == 10
	})
	for _, v := range kc.values() {
		if len(v) > 100 {
			t.Errorf("the oversized record was produced")
		}
	}
	if info, _ := sp.DescribeStream(sp.DeadLetterStream()); info.Shards[0].Records != 1 {
		t.Errorf("%d dead letters, want 1", info.Shards[0].Records)
	}
}

// A bandwidth cap that spaces the records further apart than the stall
// timeout is not a stall: the batch goes, whole, and nothing is skipped.
func TestKafkaPacedSlowerThanTheTimeout(t *testing.T) {
	c := startKafka(t)
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	sink := newKafkaSink(t, KafkaConfig{Brokers: c.ListenAddrs(), Timeout: 200 * time.Millisecond})
	kc := consumeKafka(t, c.ListenAddrs())
	put(t, sp, "s", 0, 6) // 9-byte records at 20 B/s after a 20-byte burst: ~2 s
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Bandwidth: 20, Sink: sink})
	mqtttest.Eventually(t, 20*time.Second, "6 records", func() bool { return distinct(kc.values()) == 6 })
	mqtttest.Eventually(t, 5*time.Second, "confirmed", func() bool { return d.Status().Delivered == 6 })
	if s := d.Status(); s.Lost != 0 {
		t.Errorf("%d records counted lost: the paced send was taken for a stall", s.Lost)
	}
}

// A record with no data is produced with an empty value, not a null one:
// on a compacted topic a null value would delete the key.
func TestKafkaEmptyRecordIsNotATombstone(t *testing.T) {
	c := startKafka(t)
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	kc := consumeKafka(t, c.ListenAddrs())
	if _, err := sp.Append(context.Background(), "s", []spool.Record{{PartitionKey: "k", Data: nil}}); err != nil {
		t.Fatal(err)
	}
	start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: newKafkaSink(t, KafkaConfig{Brokers: c.ListenAddrs()})})
	mqtttest.Eventually(t, 10*time.Second, "the record", func() bool { return len(kc.snapshot()) == 1 })
	if r := kc.snapshot()[0]; r.Null || r.Value != "" || r.Key != "k" {
		t.Errorf("record %+v", r)
	}
}

func TestKafkaConfigChecks(t *testing.T) {
	for _, cfg := range []KafkaConfig{
		{Topic: "t"},
		{Brokers: []string{"127.0.0.1:9092"}},
		{Brokers: []string{"127.0.0.1:9092"}, Topic: "a/b"},
		{Brokers: []string{"127.0.0.1:9092"}, Topic: strings.Repeat("a", 250)},
		{Brokers: []string{"127.0.0.1:9092"}, Topic: "t", Password: "p"},
		{Brokers: []string{"127.0.0.1:9092"}, Topic: "t", MaxMessageBytes: 10},
	} {
		if s, err := NewKafkaSink(cfg); err == nil {
			s.Close()
			t.Errorf("%+v accepted", cfg)
		}
	}
}
