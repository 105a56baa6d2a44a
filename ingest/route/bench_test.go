package route

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkRoute measures Route on the ingest hot path.
//
//	go test -run '^$' -bench Route -benchmem ./ingest/route/
func BenchmarkRoute(b *testing.B) {
	payload := []byte(`{"device_id":"d-17","meta":{"site":"north","fw":"1.4.2"},"t":21.5,"h":40.1,"ts":1714564800123}`)
	msg := Message{Topic: "devices/17/telemetry", ClientID: "d-17", QoS: 1, Payload: payload, Received: time.Now()}
	many := make([]Rule, 0, 21)
	for i := range 20 {
		many = append(many, Rule{Filter: fmt.Sprintf("site%d/+/telemetry", i), Stream: "s"})
	}
	many = append(many, Rule{Filter: "devices/+/telemetry", Stream: "s", Key: "{topic.1}"})
	for _, c := range []struct {
		name  string
		rules []Rule
	}{
		{"default", []Rule{{Filter: "#", Stream: "telemetry", Key: "{topic}"}}},
		{"json_key", []Rule{{Filter: "devices/+/telemetry", Stream: "telemetry", Key: "{json.meta.site}-{json.device_id}"}}},
		{"topic_level_literal", []Rule{{Filter: "devices/+/telemetry", Stream: "telemetry", Key: "dev-{topic.1}"}}},
		{"require_json", []Rule{{Filter: "#", Stream: "telemetry", RequireJSON: true}}},
		{"envelope", []Rule{{Filter: "#", Stream: "telemetry", Envelope: true}}},
		{"21_rules_last_wins", many},
	} {
		tab, err := Compile(c.rules)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if res, ok := tab.Route(msg); !ok || res.Reject != "" {
					b.Fatalf("%+v %v", res, ok)
				}
			}
		})
	}
}
