package server

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/gateway/internal/kinesis/kinesistest"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/uplink/uplinktest"
)

// putN appends n records to telemetry, key dev<i%4>.
func putN(t *testing.T, c *api.Client, n int) {
	t.Helper()
	recs := make([]api.PutRecord, n)
	for i := range recs {
		recs[i] = api.PutRecord{PartitionKey: fmt.Sprint("dev", i%4), Data: fmt.Appendf(nil, `{"n":%d}`, i)}
	}
	if _, err := c.PutRecords(context.Background(), "telemetry", recs); err != nil {
		t.Fatal(err)
	}
}

func fastDelivery(name string) config.Delivery {
	d := config.DefaultDelivery(name, "telemetry")
	d.Buffering.Interval = config.Duration(10 * time.Millisecond)
	d.Retry.Min, d.Retry.Max = config.Duration(10*time.Millisecond), config.Duration(100*time.Millisecond)
	return d
}

// The config's mqtt, kafka and nats destinations, each against a real
// peer on loopback: mosquitto, kfake, an embedded nats-server.
func TestDeliveryToMQTTKafkaAndNATS(t *testing.T) {
	mosq := mqtttest.StartMosquitto(t)
	kafka, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "fleet"))
	if err != nil {
		t.Fatal(err)
	}
	defer kafka.Close()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	stream, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "UP", Subjects: []string{"up.>"}})
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	topics := map[string]int{}
	sub := mqtttest.Connect(t, mosq.Addr, "cloud-sub", true)
	if tok := sub.Subscribe("edge/#", 1, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		topics[m.Topic()]++
		mu.Unlock()
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}

	_, c := startGateway(t, func(cfg *config.Config) {
		m := fastDelivery("to-mqtt")
		m.MQTT.Broker, m.MQTT.Topic = mosq.URL(), "edge/{stream}/{key}"
		k := fastDelivery("to-kafka")
		k.Kafka.Brokers, k.Kafka.Topic = kafka.ListenAddrs(), "fleet"
		n := fastDelivery("to-nats")
		n.NATS.URLs, n.NATS.Subject = []string{ns.ClientURL()}, "up.{key}"
		cfg.Deliveries = []config.Delivery{m, k, n}
	})
	putN(t, c, 200)

	mqtttest.Eventually(t, 30*time.Second, "200 records at the MQTT broker", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, v := range topics {
			n += v
		}
		return n >= 200
	})
	mu.Lock()
	if topics["edge/telemetry/dev0"] != 50 || len(topics) != 4 {
		t.Errorf("MQTT topics %v, want edge/telemetry/dev0..3 with 50 each", topics)
	}
	mu.Unlock()

	kc, err := kgo.NewClient(kgo.SeedBrokers(kafka.ListenAddrs()...), kgo.ConsumeTopics("fleet"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	keys := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for total := 0; total < 200 && ctx.Err() == nil; {
		kc.PollFetches(ctx).EachRecord(func(r *kgo.Record) { keys[string(r.Key)]++; total++ })
	}
	if keys["dev1"] != 50 || len(keys) != 4 {
		t.Errorf("Kafka keys %v, want dev0..3 with 50 each", keys)
	}

	mqtttest.Eventually(t, 30*time.Second, "200 messages in the JetStream stream", func() bool {
		info, err := stream.Info(context.Background())
		return err == nil && info.State.Msgs == 200
	})

	for _, name := range []string{"to-mqtt", "to-kafka", "to-nats"} {
		// the status follows the sink's confirmation, which can come
		// after the destination has the records
		var d api.Delivery
		mqtttest.Eventually(t, 10*time.Second, name+" confirmed", func() bool {
			var err error
			d, err = c.DescribeDelivery(context.Background(), name)
			return err == nil && d.Delivered == 200 && d.State == "connected"
		})
		if kind := strings.Fields(d.Destination)[0]; !strings.Contains(name, kind) {
			t.Errorf("%s: destination %q", name, d.Destination)
		}
	}
}

// A firehose delivery puts into another Tributary's Direct PUT delivery
// (a regional gateway speaking the Firehose API), which delivers on; an
// over-sized record goes to the edge's dead-letter stream alone.
func TestFirehoseDeliveryToASecondTributary(t *testing.T) {
	ep := uplinktest.Start(t)
	regional, _ := startGateway(t, func(cfg *config.Config) {
		d := fastDelivery("fleet")
		d.HTTP.URL = ep.URL
		cfg.Deliveries = []config.Delivery{d}
	})
	edge, c := startGateway(t, func(cfg *config.Config) {
		d := fastDelivery("regional")
		d.Firehose.DeliveryStream, d.Firehose.Endpoint = "fleet", "http://"+regional.Addr()
		cfg.Deliveries = []config.Delivery{d}
	})
	putN(t, c, 1100) // more than two PutRecordBatch calls
	mqtttest.Eventually(t, 30*time.Second, "1100 records through both gateways", func() bool { return ep.Accepted() == 1100 })
	big := make([]byte, 1_024_001)
	if _, err := c.PutRecords(context.Background(), "telemetry", []api.PutRecord{{PartitionKey: "big", Data: big}, {PartitionKey: "dev0", Data: []byte("after")}}); err != nil {
		t.Fatal(err)
	}
	mqtttest.Eventually(t, 30*time.Second, "the big record failed, the next delivered", func() bool {
		d, err := c.DescribeDelivery(context.Background(), "regional")
		return err == nil && d.Failed == 1 && ep.Accepted() == 1101
	})
	if info, _ := edge.Spool().DescribeStream(edge.Spool().DeadLetterStream()); info.Shards[0].Records != 1 {
		t.Errorf("%d dead letters, want the over-sized record's", info.Shards[0].Records)
	}
}

// A kinesis delivery into kinesalite, the second Kinesis implementation:
// every record arrives with its partition key.
func TestKinesisDeliveryToKinesalite(t *testing.T) {
	k := kinesistest.StartKinesalite(t, filepath.Join("..", "kinesis", "testdata", "kinesalite"))
	kc := kinesistest.NewClient(k.URL, &http.Client{Timeout: 30 * time.Second}, aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"})
	ctx := context.Background()
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("fleet"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	mqtttest.Eventually(t, 30*time.Second, "the kinesalite stream active", func() bool {
		out, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("fleet")})
		return err == nil && out.StreamDescriptionSummary.StreamStatus == ktypes.StreamStatusActive
	})
	_, c := startGateway(t, func(cfg *config.Config) {
		d := fastDelivery("to-kinesalite")
		d.Kinesis.Stream, d.Kinesis.Endpoint = "fleet", k.URL
		cfg.Deliveries = []config.Delivery{d}
	})
	putN(t, c, 600) // two PutRecords calls
	keys := map[string]int{}
	mqtttest.Eventually(t, 30*time.Second, "600 records in kinesalite", func() bool {
		clear(keys)
		n := 0
		shards, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("fleet")})
		if err != nil {
			return false
		}
		for _, sh := range shards.Shards {
			it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("fleet"), ShardId: sh.ShardId, ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
			if err != nil {
				return false
			}
			out, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
			if err != nil {
				return false
			}
			for _, r := range out.Records {
				keys[aws.ToString(r.PartitionKey)]++
				n++
			}
		}
		return n == 600
	})
	if len(keys) != 4 || keys["dev2"] != 150 {
		t.Errorf("partition keys %v, want dev0..3 with 150 each", keys)
	}
}
