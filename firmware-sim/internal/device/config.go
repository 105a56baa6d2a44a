package device

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/firmware-sim/internal/profile"
)

// Config describes a fleet of simulated devices. Zero durations and
// sizes take the defaults below; Validate checks the rest without I/O.
type Config struct {
	Broker   string        // tcp://, mqtt://, ssl://, tls://, mqtts://, ws:// or wss:// URL
	Count    int           // devices, >= 1
	Rate     float64       // messages per second per device; 0 = as fast as acks allow, one in flight
	Profile  string        // a profile.Names() entry
	QoS      byte          // 0 or 1
	Duration time.Duration // how long devices send; 0 = until Messages are sent
	Messages uint64        // sequenced messages per device; 0 = until Duration ends
	Topic    string        // topic template; "{id}" is replaced by the device id
	IDPrefix string        // client ids are IDPrefix + zero-padded number, from 1

	Username, Password string
	TLS                *tls.Config // nil unless the broker URL is TLS

	Faults Faults
	Seed   uint64 // seeds payloads, jitter and fault draws
	RunID  string // tags every payload ("run"); required

	AckTimeout     time.Duration // wait for a PUBACK at most this long (default 10s)
	ConnectTimeout time.Duration // one connection attempt (default 5s)
	BackoffMin     time.Duration // first wait after a failed attempt (default 100ms)
	BackoffMax     time.Duration // longest wait between attempts (default 5s)
	MaxInflight    int           // unacked publishes per device when Rate > 0 (default 100)

	Now func() time.Time // the clock payloads are stamped with (default time.Now)
}

// Defaults.
const (
	DefaultAckTimeout     = 10 * time.Second
	DefaultConnectTimeout = 5 * time.Second
	DefaultBackoffMin     = 100 * time.Millisecond
	DefaultBackoffMax     = 5 * time.Second
	DefaultMaxInflight    = 100
)

// withDefaults returns c with zero durations and sizes set to defaults.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.AckTimeout, DefaultAckTimeout)
	def(&c.ConnectTimeout, DefaultConnectTimeout)
	def(&c.BackoffMin, DefaultBackoffMin)
	def(&c.BackoffMax, DefaultBackoffMax)
	if c.MaxInflight == 0 {
		c.MaxInflight = DefaultMaxInflight
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate checks c (after defaults) and returns the first problem,
// wrapping ErrInvalidConfig. It does no I/O.
func (c Config) Validate() error {
	c = c.withDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(c.Broker)
	if err != nil || u.Host == "" {
		return bad("broker %q: want a URL such as tcp://127.0.0.1:1883", c.Broker)
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
	default:
		return bad("broker %q: scheme %q is not one of tcp, mqtt, ssl, tls, mqtts, ws, wss", c.Broker, u.Scheme)
	}
	switch {
	case c.Count < 1:
		return bad("count %d: want at least 1", c.Count)
	case c.Rate < 0:
		return bad("rate %v: want 0 (as fast as acks allow) or more", c.Rate)
	case c.QoS > 1:
		return bad("qos %d: want 0 or 1", c.QoS)
	case c.Duration < 0:
		return bad("duration %v: want a positive duration", c.Duration)
	case c.Duration == 0 && c.Messages == 0:
		return bad("give a duration or a number of messages")
	case c.Topic == "" || strings.ContainsAny(c.Topic, "+#\x00"):
		return bad("topic %q: want a non-empty topic without wildcards (+, #)", c.Topic)
	case c.RunID == "":
		return bad("run id is empty")
	case c.AckTimeout < 0 || c.ConnectTimeout < 0 || c.BackoffMin < 0 || c.BackoffMax < c.BackoffMin:
		return bad("timeouts and backoff must be positive, with backoff min <= max")
	case c.MaxInflight < 1 || c.MaxInflight > 65535:
		return bad("max in-flight %d: want 1 to 65535", c.MaxInflight)
	}
	if _, err := profile.New(c.Profile, profile.Options{}); err != nil {
		return bad("profile: %v", err)
	}
	return nil
}

// DeviceID returns the client id of device n (1-based) of a fleet of
// count: prefix and n zero-padded to the width of count, at least 4.
func DeviceID(prefix string, n, count int) string {
	w := max(4, len(strconv.Itoa(count)))
	return fmt.Sprintf("%s%0*d", prefix, w, n)
}

// TopicFor returns the topic of device id under template.
func TopicFor(template, id string) string { return strings.ReplaceAll(template, "{id}", id) }
