package server

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-edge/tributary/ingest/bridge"
	"github.com/tributary-edge/tributary/ingest/broker"
	"github.com/tributary-edge/tributary/ingest/route"
)

// startMQTT starts the embedded broker and the bridge the config asks for.
func (g *Gateway) startMQTT() error {
	mc := g.cfg.MQTT
	if mc.Listen == "" && mc.Bridge.URL == "" {
		return nil
	}
	routes, err := route.Compile(mc.RouteRules())
	if err != nil {
		return fmt.Errorf("mqtt.routes: %w", err) // Validate reports these with their paths
	}
	if mc.Listen != "" {
		opts := broker.Options{
			Listen:         mc.Listen,
			WebSocket:      mc.WebSocket,
			TLSListen:      mc.TLS.Listen,
			AllowAnonymous: mc.AllowAnonymous,
			MaxInflight:    mc.MaxInflight,
			QoS0Queue:      mc.QoS0Queue,
			Routes:         routes,
			Logger:         g.log,
		}
		if mc.TLS.Listen != "" {
			cert, err := tls.LoadX509KeyPair(mc.TLS.CertFile, mc.TLS.KeyFile)
			if err != nil {
				return fmt.Errorf("mqtt.tls.cert_file/key_file: %w", err)
			}
			opts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		for _, u := range mc.Users {
			opts.Users = append(opts.Users, broker.User{Username: u.Username, PasswordHash: u.PasswordHash, Publish: u.Publish, Subscribe: u.Subscribe})
		}
		b, err := broker.New(opts, g.spool)
		if err != nil {
			return err
		}
		g.broker = b
		if err := b.Start(); err != nil {
			return fmt.Errorf("mqtt.listen: %w", err)
		}
		g.mqttOut.Store(b)
	}
	if bc := mc.Bridge; bc.URL != "" {
		br, err := bridge.New(bridge.Options{
			URL: bc.URL, ClientID: bc.ClientID, Username: bc.Username, Password: bc.Password,
			Topics: bc.Topics, CAFile: bc.CAFile, CertFile: bc.CertFile, KeyFile: bc.KeyFile,
			InsecureSkipVerify:   bc.InsecureSkipVerify,
			MaxReconnectInterval: time.Duration(bc.MaxReconnectInterval),
			Window:               mc.MaxInflight,
			Routes:               routes,
			Logger:               g.log,
		}, g.spool)
		if err != nil {
			return err
		}
		g.bridge = br
		if err := br.Start(); err != nil {
			return fmt.Errorf("mqtt.bridge: %w", err)
		}
	}
	g.registry.MustRegister(&mqttCollector{g: g})
	return nil
}

func (g *Gateway) stopMQTT() {
	if g.bridge != nil {
		g.bridge.Close()
	}
	if g.broker != nil {
		g.mqttOut.Store(nil)
		g.broker.Close()
	}
}

// mqttCollector exports broker and bridge counters:
//
//	tributary_mqtt_messages_total{path,result}   path broker|bridge; result stored|dead_letter|refused|dropped_qos0|unrouted
//	tributary_mqtt_clients                        connected clients of the embedded broker
//	tributary_mqtt_bridge_connected               1 while the bridge is connected
type mqttCollector struct{ g *Gateway }

var (
	mqttMessagesDesc = prometheus.NewDesc("tributary_mqtt_messages_total", "MQTT messages by ingest path and result.", []string{"path", "result"}, nil)
	mqttClientsDesc  = prometheus.NewDesc("tributary_mqtt_clients", "Clients connected to the embedded broker.", nil, nil)
	mqttBridgeDesc   = prometheus.NewDesc("tributary_mqtt_bridge_connected", "1 while the bridge is connected to its broker.", nil, nil)
)

func (c *mqttCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- mqttMessagesDesc
	ch <- mqttClientsDesc
	ch <- mqttBridgeDesc
}

func (c *mqttCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(path, result string, v int64) {
		ch <- prometheus.MustNewConstMetric(mqttMessagesDesc, prometheus.CounterValue, float64(v), path, result)
	}
	if b := c.g.broker; b != nil {
		s := b.Stats()
		counter("broker", "stored", s.Stored)
		counter("broker", "dead_letter", s.DeadLettered)
		counter("broker", "refused", s.Refused)
		counter("broker", "dropped_qos0", s.DroppedQoS0)
		counter("broker", "unrouted", s.Unrouted)
		ch <- prometheus.MustNewConstMetric(mqttClientsDesc, prometheus.GaugeValue, float64(s.Clients))
	}
	if br := c.g.bridge; br != nil {
		s := br.Stats()
		counter("bridge", "stored", s.Stored)
		counter("bridge", "dead_letter", s.DeadLettered)
		counter("bridge", "refused", s.Refused)
		counter("bridge", "unrouted", s.Unrouted)
		v := 0.0
		if s.Connected {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(mqttBridgeDesc, prometheus.GaugeValue, v)
	}
}
