package config

import (
	"strings"
	"testing"
)

// Bad routes, templates, users and bridge settings are refused at start,
// each naming its key path.
func TestMQTTConfigErrors(t *testing.T) {
	yaml := `
mqtt:
  listen: "localhost"
  max_inflight: 0
  users:
    - username: dev
      password_hash: "plaintext"
      publish: ["a/#/b"]
    - username: dev
      password_hash: "$2a$10$YQBOiqGT1azQ4gQg1Gfxe.vuYAbA6F9yNXnqbVld4wNKp0mVBGlqG"
  bridge:
    url: "http://broker:1883"
    topics: ["$share//x", "ok/+"]
  routes:
    - filter: "devices/#/x"
      stream: telemetry
    - filter: "devices/+/telemetry"
      stream: "bad name"
      key: "{jsn.device_id}"
    - filter: "a"
      stream: ok
      key: "{topic"
`
	_, err := Parse("t.yaml", []byte(yaml), nil)
	if err == nil {
		t.Fatal("accepted a bad mqtt section")
	}
	for _, want := range []string{
		"mqtt.listen:",
		"mqtt.max_inflight:",
		"mqtt.users[0].password_hash: must be a bcrypt hash",
		"mqtt.users[0].publish[0]:",
		"mqtt.users[1].username: duplicate user \"dev\"",
		"mqtt.bridge.url: scheme \"http\"",
		"mqtt.bridge.topics[0]: shared subscription needs a group",
		"mqtt.routes[0].filter:",
		"mqtt.routes[1].stream:",
		"mqtt.routes[1].key:",
		"mqtt.routes[2].key:",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}

func TestMQTTDefaults(t *testing.T) {
	c, err := Parse("t.yaml", []byte("mqtt:\n  routes:\n    - filter: \"devices/+/telemetry\"\n      stream: telemetry\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := c.MQTT.Routes
	if len(r) != 1 || r[0].Key != "{topic}" || c.MQTT.Listen != "127.0.0.1:1883" || !c.MQTT.AllowAnonymous {
		t.Errorf("defaults: %+v", c.MQTT)
	}
	c, err = Parse("t.yaml", []byte("mqtt:\n  listen: \"\"\n"), func(k string) string {
		if k == "TRIBUTARY_MQTT_ADDR" {
			return "127.0.0.1:2883"
		}
		return ""
	})
	if err != nil || c.MQTT.Listen != "127.0.0.1:2883" {
		t.Errorf("TRIBUTARY_MQTT_ADDR: %v %v", c.MQTT.Listen, err)
	}
}
