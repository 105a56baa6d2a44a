package broker

import (
	"bytes"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"golang.org/x/crypto/bcrypt"

	"github.com/tributary-edge/tributary/ingest/route"
)

// User is a broker account: a bcrypt password hash and the topic filters
// it may publish and subscribe to.
type User struct {
	Username     string
	PasswordHash string
	Publish      []string
	Subscribe    []string
}

// authHook checks CONNECT credentials (bcrypt) and per-user topic ACLs.
type authHook struct {
	mqtt.HookBase
	anonymous bool
	users     map[string]User
}

func (h *authHook) ID() string { return "tributary-auth" }

func (h *authHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnectAuthenticate, mqtt.OnACLCheck}, []byte{b})
}

// OnConnectAuthenticate accepts anonymous clients only if allowed, and
// users whose password matches their hash.
func (h *authHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	name := string(pk.Connect.Username)
	if name == "" {
		return h.anonymous
	}
	u, ok := h.users[name]
	if !ok {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), pk.Connect.Password) == nil
}

// OnACLCheck lets anonymous clients (when allowed) do anything and users
// only what their filters allow.
func (h *authHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	name := string(cl.Properties.Username)
	if name == "" {
		return h.anonymous
	}
	u, ok := h.users[name]
	if !ok {
		return false
	}
	filters := u.Subscribe
	if write {
		filters = u.Publish
	}
	for _, f := range filters {
		if route.Match(f, topic) || f == topic {
			return true
		}
	}
	return false
}
