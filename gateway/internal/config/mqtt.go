package config

import "time"

// MQTT configures MQTT ingest: the embedded broker, an optional bridge to
// an existing broker, and the routes from topics to streams.
type MQTT struct {
	// Listen is the embedded broker's TCP address; "" turns the broker
	// off. Env: TRIBUTARY_MQTT_ADDR; flag: --mqtt.
	Listen string `yaml:"listen"`
	// WebSocket is an address for MQTT over WebSocket; "" is off.
	WebSocket string `yaml:"websocket"`
	// TLS adds a TLS listener.
	TLS MQTTTLS `yaml:"tls"`
	// AllowAnonymous lets clients connect without a username. With it
	// off, only Users may connect.
	AllowAnonymous bool `yaml:"allow_anonymous"`
	// Users are the accounts with bcrypt password hashes and topic ACLs.
	Users []MQTTUser `yaml:"users"`
	// MaxInflight bounds, per client, the QoS 1/2 messages being stored
	// before their acknowledgement (1..1024). A client that sends faster
	// than the spool accepts is read no faster.
	MaxInflight int `yaml:"max_inflight"`
	// QoS0Queue bounds QoS 0 messages waiting to be stored (best effort;
	// drops are counted).
	QoS0Queue int `yaml:"qos0_queue"`
	// Bridge subscribes to an existing broker.
	Bridge Bridge `yaml:"bridge"`
	// Routes map topic filters to streams; the first match wins. A
	// message that matches no route is not stored (the broker still
	// delivers it to subscribers).
	Routes []Route `yaml:"routes"`
}

// MQTTTLS is the embedded broker's TLS listener.
type MQTTTLS struct {
	Listen   string `yaml:"listen"` // "" is off
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// MQTTUser is one broker account.
type MQTTUser struct {
	Username string `yaml:"username"`
	// PasswordHash is a bcrypt hash (htpasswd -bnBC 10 "" PASSWORD).
	PasswordHash string `yaml:"password_hash"`
	// Publish and Subscribe are the topic filters the user may use;
	// omitted means all ("#").
	Publish   []string `yaml:"publish"`
	Subscribe []string `yaml:"subscribe"`
}

func (u *MQTTUser) setDefaults() {
	*u = MQTTUser{Publish: []string{"#"}, Subscribe: []string{"#"}}
}

// Bridge is a persistent-session subscription to an existing broker
// (mosquitto, EMQX, a cloud broker). Each message is acknowledged to that
// broker only after its record is durable, so it redelivers what was not
// stored, across restarts.
type Bridge struct {
	// URL is tcp://host:port, ssl://host:port or ws://…; "" is off.
	URL string `yaml:"url"`
	// ClientID must stay the same across restarts (the session's key).
	ClientID string `yaml:"client_id"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Topics to subscribe to at QoS 1; "$share/group/filter" for shared
	// subscriptions where the broker has them.
	Topics             []string `yaml:"topics"`
	CAFile             string   `yaml:"ca_file"`
	CertFile           string   `yaml:"cert_file"`
	KeyFile            string   `yaml:"key_file"`
	InsecureSkipVerify bool     `yaml:"insecure_skip_verify"`
	// MaxReconnectInterval caps the reconnect backoff (1s..10m).
	MaxReconnectInterval Duration `yaml:"max_reconnect_interval"`
}

// Route maps a topic filter to a stream.
type Route struct {
	// Filter is an MQTT topic filter ("devices/+/telemetry", "#").
	Filter string `yaml:"filter"`
	// Stream is the target stream; it may be created later through the
	// API. Messages for a stream that does not exist go to the dead-letter
	// stream.
	Stream string `yaml:"stream"`
	// Key is the partition key template: {topic}, {topic.N}, {json.a.b},
	// {client_id}, {random} and literal text; default {topic}.
	Key string `yaml:"key"`
	// Envelope stores {topic, client_id, qos, retain, received, payload}
	// as JSON instead of the raw payload.
	Envelope bool `yaml:"envelope"`
	// MaxPayload sends larger payloads to the dead-letter stream; 0 = the
	// spool's record limit only.
	MaxPayload ByteSize `yaml:"max_payload"`
	// RequireJSON sends payloads that are not JSON to the dead-letter stream.
	RequireJSON bool `yaml:"require_json"`
}

func (r *Route) setDefaults() { *r = Route{Key: "{topic}"} }

func defaultMQTT() MQTT {
	return MQTT{
		Listen:         "127.0.0.1:1883",
		AllowAnonymous: true,
		Users:          []MQTTUser{},
		MaxInflight:    64,
		QoS0Queue:      10000,
		Bridge:         Bridge{ClientID: "tributary", Topics: []string{}, MaxReconnectInterval: Duration(time.Minute)},
		Routes:         []Route{{Filter: "#", Stream: "telemetry", Key: "{topic}"}},
	}
}
