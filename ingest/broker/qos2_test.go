package broker

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
)

// rawClient speaks MQTT 5 packet by packet, so a test can resend a
// PUBLISH or leave a PUBREL for the next connection, as a real client
// with a flaky link does.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t *testing.T, addr, id string, clean bool) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
	c.send(packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Connect},
		Connect: packets.ConnectParams{
			ProtocolName: []byte("MQTT"), ClientIdentifier: id, Clean: clean, Keepalive: 30,
		},
		// a session that outlives the connection, so a PUBREL can come later
		Properties: packets.Properties{SessionExpiryInterval: 300, SessionExpiryIntervalFlag: true},
	})
	if ack := c.read(); ack.FixedHeader.Type != packets.Connack || ack.ReasonCode != 0 {
		t.Fatalf("CONNACK: %+v", ack)
	}
	return c
}

func (c *rawClient) send(pk packets.Packet) {
	c.t.Helper()
	pk.ProtocolVersion = 5
	var buf bytes.Buffer
	var err error
	switch pk.FixedHeader.Type {
	case packets.Connect:
		err = pk.ConnectEncode(&buf)
	case packets.Publish:
		err = pk.PublishEncode(&buf)
	case packets.Pubrel:
		err = pk.PubrelEncode(&buf)
	default:
		c.t.Fatalf("rawClient cannot send packet type %d", pk.FixedHeader.Type)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.conn.Write(buf.Bytes()); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next acknowledgement (CONNACK, PUBREC, PUBCOMP).
func (c *rawClient) read() packets.Packet {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := c.r.ReadByte()
	if err != nil {
		c.t.Fatal(err)
	}
	pk := packets.Packet{ProtocolVersion: 5}
	if err := pk.FixedHeader.Decode(b); err != nil {
		c.t.Fatal(err)
	}
	n, _, err := packets.DecodeLength(c.r)
	if err != nil {
		c.t.Fatal(err)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		c.t.Fatal(err)
	}
	switch pk.FixedHeader.Type {
	case packets.Connack:
		err = pk.ConnackDecode(body)
	case packets.Pubrec:
		err = pk.PubrecDecode(body)
	case packets.Pubcomp:
		err = pk.PubcompDecode(body)
	default:
		c.t.Fatalf("unexpected packet type %d", pk.FixedHeader.Type)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return pk
}

func (c *rawClient) expect(typ byte, id uint16) {
	c.t.Helper()
	pk := c.read()
	if pk.FixedHeader.Type != typ || pk.PacketID != id || pk.ReasonCode != 0 {
		c.t.Fatalf("got type %d id %d reason %#x, want type %d id %d success", pk.FixedHeader.Type, pk.PacketID, pk.ReasonCode, typ, id)
	}
}

func qos2(id uint16, topic, payload string, dup bool) packets.Packet {
	return packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 2, Dup: dup},
		PacketID:    id, TopicName: topic, Payload: []byte(payload),
	}
}

// A QoS 2 PUBLISH resent after its PUBREC (the PUBREC was lost) is
// answered again and stored once; the PUBREL completes with success.
func TestQoS2ResendAfterPubrecStoredOnce(t *testing.T) {
	e := start(t, nil)
	c := dialRaw(t, e.b.Addr(), "raw-resend", true)
	c.send(qos2(7, "q2/resend", "once", false))
	c.expect(packets.Pubrec, 7)
	c.send(qos2(7, "q2/resend", "once", true))
	c.expect(packets.Pubrec, 7)
	c.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pubrel, Qos: 1}, PacketID: 7})
	c.expect(packets.Pubcomp, 7)
	// the id is free again: a new message with it is a new message
	c.send(qos2(7, "q2/resend", "twice", false))
	c.expect(packets.Pubrec, 7)
	c.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pubrel, Qos: 1}, PacketID: 7})
	c.expect(packets.Pubcomp, 7)
	var got []string
	for _, r := range records(t, e.sp, "telemetry") {
		got = append(got, string(r.Data))
	}
	if fmt.Sprint(got) != "[once twice]" {
		t.Errorf("stored %q, want [once twice]", got)
	}
}

// A PUBREL sent on the next connection of a persistent session
// completes the flow the first connection started.
func TestQoS2PubrelOnTheNextConnection(t *testing.T) {
	e := start(t, nil)
	c := dialRaw(t, e.b.Addr(), "raw-session", true)
	c.send(qos2(9, "q2/session", "kept", false))
	c.expect(packets.Pubrec, 9)
	c.conn.Close()
	c2 := dialRaw(t, e.b.Addr(), "raw-session", false)
	c2.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pubrel, Qos: 1}, PacketID: 9})
	c2.expect(packets.Pubcomp, 9)
	if rs := records(t, e.sp, "telemetry"); len(rs) != 1 || string(rs[0].Data) != "kept" {
		t.Errorf("stored %d records, want the one message", len(rs))
	}
}

// Clients that publish at QoS 2 and subscribe to what they publish keep
// both directions of their session busy at once: this must neither
// deadlock nor lose a message (it once did, in mochi's inflight lock).
func TestQoS2PublishersThatSubscribe(t *testing.T) {
	e := start(t, nil)
	const clients, each = 4, 150
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := mqtttest.Connect(t, e.b.Addr(), fmt.Sprintf("loop-%d", i), true)
			var mu sync.Mutex
			seen := map[string]bool{}
			topic := fmt.Sprintf("loop/%d", i)
			if tok := c.Subscribe(topic, 2, func(_ paho.Client, m paho.Message) {
				mu.Lock()
				seen[string(m.Payload())] = true
				mu.Unlock()
			}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				t.Errorf("subscribe: %v", tok.Error())
				return
			}
			toks := make([]paho.Token, 0, each)
			for n := range each {
				toks = append(toks, c.Publish(topic, 2, false, fmt.Sprint(n)))
			}
			for _, tok := range toks {
				if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
					t.Errorf("client %d: publish not completed: %v", i, tok.Error())
					return
				}
			}
			delivered := func() int {
				mu.Lock()
				defer mu.Unlock()
				return len(seen)
			}
			if !mqtttest.Within(30*time.Second, func() bool { return delivered() == each }) {
				t.Errorf("client %d: %d of its %d messages delivered back", i, delivered(), each)
			}
		}()
	}
	wg.Wait()
	if n := len(records(t, e.sp, "telemetry")); n != clients*each {
		t.Errorf("stored %d records, want %d", n, clients*each)
	}
}

// A pipeline of a session that a clean start has replaced marks nothing
// in the new session: the new client numbers its packets afresh, and its
// next QoS 2 message with a reused id must be stored, not taken for a
// resend.
func TestQoS2StaleSessionMarksNothing(t *testing.T) {
	h := &ingestHook{received: map[string]map[uint16]bool{}, session: map[string]uint64{}}
	old := h.session["dev"]
	h.OnConnect(&mqtt.Client{ID: "dev"}, packets.Packet{Connect: packets.ConnectParams{Clean: true}})
	if h.markReceived("dev", old, 7) || h.isReceived("dev", 7) {
		t.Fatal("the old session's late PUBREC was recorded in the new session")
	}
	if !h.markReceived("dev", h.session["dev"], 7) || !h.isReceived("dev", 7) {
		t.Fatal("the current session's PUBREC was not recorded")
	}
}
