package route

import (
	"encoding/json"
	"testing"
	"time"
)

// envelopeCases also seed FuzzEnvelope.
var envelopeCases = []struct {
	name string
	msg  Message
	want string
}{
	{
		"JSON payload",
		Message{Topic: "devices/7/telemetry", ClientID: "dev7", QoS: 1, Payload: []byte(` {"t": 21.5}` + "\n"),
			Received: time.Date(2024, 5, 1, 14, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))},
		`{"topic":"devices/7/telemetry","client_id":"dev7","qos":1,"retain":false,"received":"2024-05-01T12:00:00.123456789Z","payload":{"t": 21.5}}`,
	},
	{
		"non-JSON payload",
		Message{Topic: "cam/1", ClientID: "", QoS: 0, Retain: true, Payload: []byte{0xff, 0x00, 'a'},
			Received: time.Date(2024, 5, 1, 12, 0, 0, 500000000, time.UTC)},
		`{"topic":"cam/1","client_id":"","qos":0,"retain":true,"received":"2024-05-01T12:00:00.5Z","payload_base64":"/wBh"}`,
	},
	{
		"empty payload",
		Message{Topic: "a", QoS: 2, Received: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)},
		`{"topic":"a","client_id":"","qos":2,"retain":false,"received":"2024-05-01T12:00:00Z","payload_base64":""}`,
	},
	{
		"JSON scalar payload",
		Message{Topic: "a", Payload: []byte(`"on"`), Received: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)},
		`{"topic":"a","client_id":"","qos":0,"retain":false,"received":"2024-05-01T12:00:00Z","payload":"on"}`,
	},
	{
		"JSON string not UTF-8 goes base64",
		Message{Topic: "a", Payload: []byte("\"caf\xe9\""), Received: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)},
		`{"topic":"a","client_id":"","qos":0,"retain":false,"received":"2024-05-01T12:00:00Z","payload_base64":"ImNhZuki"}`,
	},
	{
		"escaped strings",
		Message{Topic: "a\"b\\c/\n\t\x01\u2028é\xff", ClientID: "<&>", Payload: []byte("1"), Received: time.Time{}},
		`{"topic":"a\"b\\c/\n\t\u0001\u2028é\ufffd","client_id":"<&>","qos":0,"retain":false,"received":"0001-01-01T00:00:00Z","payload":1}`,
	},
}

func TestEnvelope(t *testing.T) {
	for _, c := range envelopeCases {
		t.Run(c.name, func(t *testing.T) {
			res := mustRoute(t, Rule{Envelope: true, Key: "k"}, c.msg)
			if string(res.Data) != c.want {
				t.Errorf("envelope\n got %s\nwant %s", res.Data, c.want)
			}
			if !json.Valid(res.Data) {
				t.Errorf("envelope is not valid JSON")
			}
			if n := envelopeSize(&c.msg, validJSON(c.msg.Payload)); cap(res.Data) != n || len(res.Data) > n {
				t.Errorf("envelope of %d bytes in a buffer of %d, estimate %d", len(res.Data), cap(res.Data), n)
			}
		})
	}
}

// TestEnvelopeRoundTrip decodes an envelope with encoding/json and gets the
// message back.
func TestEnvelopeRoundTrip(t *testing.T) {
	m := Message{Topic: "x/\u2029/ü", ClientID: "c\x1f", QoS: 1, Retain: true, Payload: []byte{1, 2, 3, 250},
		Received: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)}
	res := mustRoute(t, Rule{Envelope: true}, m)
	var env struct {
		Topic    string          `json:"topic"`
		ClientID string          `json:"client_id"`
		QoS      byte            `json:"qos"`
		Retain   bool            `json:"retain"`
		Received time.Time       `json:"received"`
		Payload  json.RawMessage `json:"payload"`
		B64      []byte          `json:"payload_base64"`
	}
	if err := json.Unmarshal(res.Data, &env); err != nil {
		t.Fatal(err)
	}
	if env.Topic != m.Topic || env.ClientID != m.ClientID || env.QoS != 1 || !env.Retain ||
		!env.Received.Equal(m.Received) || env.Payload != nil || string(env.B64) != string(m.Payload) {
		t.Errorf("decoded %+v from %s", env, res.Data)
	}
}
