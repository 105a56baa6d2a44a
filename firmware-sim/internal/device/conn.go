package device

import (
	"context"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// conn is the part of an MQTT client connection a device uses. A conn is
// used for one connection only: after it is lost or disconnected the
// device dials a new one (paho warns that reusing a client after
// Disconnect may panic).
type conn interface {
	Publish(topic string, qos byte, retained bool, payload any) mqtt.Token
	Disconnect(quiesce uint)
}

// dialer opens one connection for clientID. onLost is called, from
// another goroutine, with the conn when its connection drops without a
// Disconnect call. dialer returns an error wrapping ErrConnect when the
// attempt fails, or ctx's error when ctx ends first.
type dialer func(ctx context.Context, clientID string, onLost func(conn)) (conn, error)

// pahoDialer returns a dialer of paho clients configured from c.
//
// Reconnects are the device's business, not paho's: auto-reconnect and
// connect-retry are off so that a connection attempt is one attempt, a
// loss is reported at once, and the reconnect fault and backoff stay
// under the device's control. Sessions are clean (MQTT 3.1.1, §3.1.2.4):
// nothing is resent across connections, so what was unacked when a
// connection dropped is counted as an error and may or may not be stored.
func pahoDialer(c Config) dialer {
	return func(ctx context.Context, clientID string, onLost func(conn)) (conn, error) {
		o := mqtt.NewClientOptions().
			AddBroker(c.Broker).
			SetClientID(clientID).
			SetProtocolVersion(4). // MQTT 3.1.1
			SetCleanSession(true).
			SetAutoReconnect(false).
			SetConnectRetry(false).
			SetOrderMatters(false).
			SetConnectTimeout(c.ConnectTimeout).
			SetWriteTimeout(c.AckTimeout).
			SetKeepAlive(30 * time.Second).
			SetPingTimeout(10 * time.Second)
		if c.Username != "" {
			o.SetUsername(c.Username)
			o.SetPassword(c.Password)
		}
		if c.TLS != nil {
			o.SetTLSConfig(c.TLS)
		}
		o.SetConnectionLostHandler(func(cl mqtt.Client, _ error) { onLost(cl) })
		cl := mqtt.NewClient(o)
		tok := cl.Connect()
		select {
		case <-tok.Done():
		case <-ctx.Done():
			<-tok.Done() // bounded by the connect timeout
			if tok.Error() == nil {
				cl.Disconnect(0)
			}
			return nil, ctx.Err()
		}
		if err := tok.Error(); err != nil {
			return nil, fmt.Errorf("%w %s: %v", ErrConnect, c.Broker, err)
		}
		return cl, nil
	}
}
