package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/gateway/internal/kinesis/kinesistest"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
)

func kinesisClient(base string, hc *http.Client) *awskinesis.Client {
	return kinesistest.NewClient(base, hc, aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"})
}

// Streams fed by MQTT are visible through the Kinesis API, and a stream
// created through the API serves as an MQTT route target.
func TestKinesisAPISeesMQTTStreams(t *testing.T) {
	g, _ := startGateway(t, func(c *config.Config) {
		c.MQTT.Routes = append([]config.Route{{Filter: "plant/#", Stream: "plant", Key: "{topic}"}}, c.MQTT.Routes...)
	})
	ctx := context.Background()
	kc := kinesisClient("http://"+g.Addr(), &http.Client{Timeout: 30 * time.Second})
	list, err := kc.ListStreams(ctx, &awskinesis.ListStreamsInput{})
	if err != nil || !slices.Contains(list.StreamNames, "telemetry") {
		t.Fatalf("ListStreams: %v %+v", err, list)
	}
	if _, err := kc.CreateStream(ctx, &awskinesis.CreateStreamInput{StreamName: aws.String("plant"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	mc := mqtttest.Connect(t, g.MQTTAddr(), "press-1", true)
	for _, topic := range []string{"plant/press-1", "site/a"} {
		if tok := mc.Publish(topic, 1, false, "reading from "+topic); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %s: %v", topic, tok.Error())
		}
	}
	read := func(stream string) []string {
		out, err := kc.ListShards(ctx, &awskinesis.ListShardsInput{StreamName: aws.String(stream)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, sh := range out.Shards {
			it, err := kc.GetShardIterator(ctx, &awskinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
			if err != nil {
				t.Fatal(err)
			}
			recs, err := kc.GetRecords(ctx, &awskinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs.Records {
				got = append(got, *r.PartitionKey+"="+string(r.Data))
			}
		}
		return got
	}
	if got := read("plant"); !slices.Equal(got, []string{"plant/press-1=reading from plant/press-1"}) {
		t.Errorf("plant via Kinesis: %v", got)
	}
	if got := read("telemetry"); !slices.Equal(got, []string{"site/a=reading from site/a"}) {
		t.Errorf("telemetry via Kinesis: %v", got)
	}
	// Calls are counted per operation and result.
	kc.DescribeStream(ctx, &awskinesis.DescribeStreamInput{StreamName: aws.String("nope")})
	resp, err := http.Get("http://" + g.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`tributary_kinesis_requests_total{operation="GetRecords",result="ok"} 5`, // 1 + 4 shards
		`tributary_kinesis_requests_total{operation="DescribeStream",result="ResourceNotFoundException"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// The plain listener speaks h2c with prior knowledge (what the Java SDK
// v2 sends over http://).
func TestKinesisOverH2C(t *testing.T) {
	g, _ := startGateway(t, nil)
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	req, _ := http.NewRequest("POST", "http://"+g.Addr()+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
		t.Fatalf("h2c ListStreams: %s %d", resp.Proto, resp.StatusCode)
	}
	if _, err := kinesisClient("http://"+g.Addr(), hc).DescribeStreamSummary(context.Background(), &awskinesis.DescribeStreamSummaryInput{StreamName: aws.String("telemetry")}); err != nil {
		t.Errorf("SDK over h2c: %v", err)
	}
}

// With a certificate the listener is HTTPS with h2 by ALPN.
func TestKinesisOverTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
	g, _ := startGateway(t, func(c *config.Config) {
		c.HTTP.TLS = config.HTTPTLS{CertFile: certFile, KeyFile: keyFile}
	})
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	out, err := kinesisClient("https://"+g.Addr(), hc).ListStreams(context.Background(), &awskinesis.ListStreamsInput{})
	if err != nil || !slices.Contains(out.StreamNames, "telemetry") {
		t.Fatalf("ListStreams over TLS: %v", err)
	}
	resp, err := hc.Get("https://" + g.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("TLS negotiated %s, want HTTP/2", resp.Proto)
	}
}

func selfSigned(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// docs/kinesis.md: iterators survive a gateway restart (their key is kept
// in the data directory).
func TestIteratorsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	g, _ := startGateway(t, func(c *config.Config) { c.DataDir = dir })
	kc := kinesisClient("http://"+g.Addr(), &http.Client{Timeout: 30 * time.Second})
	if _, err := kc.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("telemetry"), PartitionKey: aws.String("a"), Data: []byte("before")}); err != nil {
		t.Fatal(err)
	}
	it, err := kc.GetShardIterator(ctx, &awskinesis.GetShardIteratorInput{StreamName: aws.String("telemetry"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	g2, _ := startGateway(t, func(c *config.Config) { c.DataDir = dir })
	kc = kinesisClient("http://"+g2.Addr(), &http.Client{Timeout: 30 * time.Second})
	out, err := kc.GetRecords(ctx, &awskinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(out.Records) != 1 || string(out.Records[0].Data) != "before" {
		t.Fatalf("old iterator after a restart: %v %+v", err, out)
	}
}

// kinesis.enabled: false leaves / unanswered; the rest of the listener
// works.
func TestKinesisDisabled(t *testing.T) {
	g, c := startGateway(t, func(cfg *config.Config) { cfg.Kinesis.Enabled = false })
	_, err := kinesisClient("http://"+g.Addr(), &http.Client{Timeout: 30 * time.Second}).ListStreams(context.Background(), &awskinesis.ListStreamsInput{})
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusNotFound {
		t.Errorf("ListStreams with the API off: %v", err)
	}
	if _, err := c.Health(context.Background()); err != nil {
		t.Errorf("health with the API off: %v", err)
	}
}
