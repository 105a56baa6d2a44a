package config

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tributary-edge/tributary/ingest/route"
)

func (m *MQTT) validate(v *validator) {
	v.check("mqtt.listen", checkOptionalAddr(m.Listen))
	v.check("mqtt.websocket", checkOptionalAddr(m.WebSocket))
	v.check("mqtt.tls.listen", checkOptionalAddr(m.TLS.Listen))
	if m.TLS.Listen != "" {
		v.check("mqtt.tls.cert_file", checkNonEmpty(m.TLS.CertFile))
		v.check("mqtt.tls.key_file", checkNonEmpty(m.TLS.KeyFile))
	}
	v.check("mqtt.max_inflight", checkIntRange(m.MaxInflight, 1, 1024))
	v.check("mqtt.qos0_queue", checkIntRange(m.QoS0Queue, 1, 1_000_000))
	users := map[string]int{}
	for i, u := range m.Users {
		p := fmt.Sprintf("mqtt.users[%d]", i)
		if u.Username == "" {
			v.check(p+".username", "must not be empty")
		} else if first, dup := users[u.Username]; dup {
			v.check(p+".username", fmt.Sprintf("duplicate user %q (also mqtt.users[%d])", u.Username, first))
		} else {
			users[u.Username] = i
		}
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			v.check(p+".password_hash", fmt.Sprintf("must be a bcrypt hash (e.g. from `htpasswd -bnBC 10 '' PASSWORD`): %v", err))
		}
		for j, f := range u.Publish {
			if err := route.ValidFilter(f); err != nil {
				v.check(fmt.Sprintf("%s.publish[%d]", p, j), err.Error())
			}
		}
		for j, f := range u.Subscribe {
			if err := route.ValidFilter(f); err != nil {
				v.check(fmt.Sprintf("%s.subscribe[%d]", p, j), err.Error())
			}
		}
	}
	if b := m.Bridge; b.URL != "" {
		if u, err := url.Parse(b.URL); err != nil || u.Host == "" {
			v.check("mqtt.bridge.url", fmt.Sprintf("must be a URL like tcp://host:1883 (got %q)", truncate(b.URL)))
		} else {
			switch u.Scheme {
			case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
			default:
				v.check("mqtt.bridge.url", fmt.Sprintf("scheme %q: want tcp, ssl, ws or wss", u.Scheme))
			}
		}
		v.check("mqtt.bridge.client_id", checkNonEmpty(b.ClientID))
		if len(b.Topics) == 0 {
			v.check("mqtt.bridge.topics", "must list at least one topic filter when mqtt.bridge.url is set")
		}
		for j, t := range b.Topics {
			f := t
			if g, rest, ok := cutShare(t); ok {
				if g == "" {
					v.check(fmt.Sprintf("mqtt.bridge.topics[%d]", j), "shared subscription needs a group: $share/GROUP/FILTER")
				}
				f = rest
			}
			if err := route.ValidFilter(f); err != nil {
				v.check(fmt.Sprintf("mqtt.bridge.topics[%d]", j), err.Error())
			}
		}
		v.check("mqtt.bridge.max_reconnect_interval", checkDurationRange(b.MaxReconnectInterval, Duration(time.Second), Duration(10*time.Minute)))
	}
	if _, err := route.Compile(m.RouteRules()); err != nil {
		var errs *route.Errors
		if errors.As(err, &errs) {
			for _, re := range *errs {
				v.check(fmt.Sprintf("mqtt.routes[%d].%s", re.Index, re.Field), re.Msg)
			}
		} else {
			v.check("mqtt.routes", err.Error())
		}
	}
}

// cutShare splits "$share/group/filter".
func cutShare(t string) (group, filter string, ok bool) {
	const p = "$share/"
	if len(t) < len(p) || t[:len(p)] != p {
		return "", "", false
	}
	rest := t[len(p):]
	for i := 0; i < len(rest); i++ {
		if rest[i] == '/' {
			return rest[:i], rest[i+1:], true
		}
	}
	return rest, "", true
}

// RouteRules returns the routes as route.Rules.
func (m *MQTT) RouteRules() []route.Rule {
	out := make([]route.Rule, len(m.Routes))
	for i, r := range m.Routes {
		out[i] = route.Rule{Filter: r.Filter, Stream: r.Stream, Key: r.Key, Envelope: r.Envelope, MaxPayload: int(r.MaxPayload), RequireJSON: r.RequireJSON}
	}
	return out
}
