package broker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "tributary-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func connectURL(t *testing.T, url, id string, tlsConf *tls.Config) paho.Client {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetAutoReconnect(false).SetConnectTimeout(10 * time.Second)
	if tlsConf != nil {
		o.SetTLSConfig(tlsConf)
	}
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", url, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

// The TLS and WebSocket listeners carry the same durable ingest as TCP.
func TestTLSAndWebSocketListeners(t *testing.T) {
	cert, pool := selfSigned(t)
	e := start(t, func(o *Options, _ *spool.Spool) {
		o.TLSListen = "127.0.0.1:0"
		o.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		o.WebSocket = "127.0.0.1:0"
	})
	publish(t, connectURL(t, "ssl://"+e.b.ListenerAddr("tls"), "over-tls", &tls.Config{RootCAs: pool}), "tls/1", 1, "secure")
	publish(t, connectURL(t, "ws://"+e.b.ListenerAddr("ws"), "over-ws", nil), "ws/1", 1, "websocket")
	got := map[string]string{}
	for _, r := range records(t, e.sp, "telemetry") {
		got[r.PartitionKey] = string(r.Data)
	}
	if got["tls/1"] != "secure" || got["ws/1"] != "websocket" {
		t.Errorf("stored %v", got)
	}
	// a client that does not trust the certificate cannot connect
	o := paho.NewClientOptions().AddBroker("ssl://" + e.b.ListenerAddr("tls")).SetClientID("untrusting").SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
	c := paho.NewClient(o)
	if tok := c.Connect(); tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
		c.Disconnect(0)
		t.Error("connected without trusting the server certificate")
	}
}

// QoS 0 beyond the queue is dropped and counted; QoS 1 is unaffected.
func TestQoS0DropsCounted(t *testing.T) {
	e := start(t, func(o *Options, _ *spool.Spool) { o.QoS0Queue = 1 })
	c := connectURL(t, "tcp://"+e.b.Addr(), "burst", nil)
	for range 2000 {
		c.Publish("q0", 0, false, "x")
	}
	publish(t, c, "q1", 1, "kept")
	mqtttest.Eventually(t, 10*time.Second, "every QoS 0 message to be stored or counted as dropped", func() bool {
		s := e.b.Stats()
		return s.DroppedQoS0+s.Stored >= 2001
	})
	if s := e.b.Stats(); s.DroppedQoS0 == 0 || s.DroppedQoS0+s.Stored != 2001 {
		t.Errorf("with a queue of 1, QoS 0 drops must be counted and every message accounted for: %+v", s)
	}
	found := false
	for _, r := range records(t, e.sp, "telemetry") {
		found = found || (r.PartitionKey == "q1" && string(r.Data) == "kept")
	}
	if !found {
		t.Error("the QoS 1 message was not stored")
	}
}
