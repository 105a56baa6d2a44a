// Package mqtttest starts real MQTT peers for tests: Debian's mosquitto on
// a free loopback port, and paho clients.
package mqtttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Mosquitto is a running mosquitto broker.
type Mosquitto struct {
	Addr string // 127.0.0.1:port
	cmd  *exec.Cmd
	conf string
}

// StartMosquitto runs mosquitto on a free loopback port with a persistent-
// session-friendly config (unlimited queued messages), or skips the test if
// mosquitto is not installed (.ci/run installs it; under CI it fails instead). It stops with the test.
func StartMosquitto(t testing.TB) *Mosquitto {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/mosquitto"); err2 != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("mosquitto is not installed, and CI must run every test (apt-get install mosquitto)")
			}
			t.Skip("mosquitto is not installed (apt-get install mosquitto)")
		}
		bin = "/usr/sbin/mosquitto"
	}
	port := FreePort(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "mosquitto.conf")
	body := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nmax_inflight_messages 0\nlog_dest stderr\nlog_type error\n", port)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	m := &Mosquitto{Addr: fmt.Sprintf("127.0.0.1:%d", port), conf: conf}
	m.start(t, bin)
	t.Cleanup(m.Stop)
	return m
}

func (m *Mosquitto) start(t testing.TB, bin string) {
	m.cmd = exec.Command(bin, "-c", m.conf)
	m.cmd.Stderr = os.Stderr
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("start mosquitto: %v", err)
	}
	WaitListening(t, m.Addr)
}

// URL returns tcp://addr.
func (m *Mosquitto) URL() string { return "tcp://" + m.Addr }

// Stop kills mosquitto.
func (m *Mosquitto) Stop() {
	if m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Kill()
		m.cmd.Wait()
	}
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// WaitListening polls until addr accepts TCP connections (30 s at most).
func WaitListening(t testing.TB, addr string) {
	t.Helper()
	Eventually(t, 30*time.Second, addr+" to accept connections", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// Connect returns a connected paho client (MQTT 3.1.1).
func Connect(t testing.TB, addr, clientID string, clean bool) paho.Client {
	t.Helper()
	o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(clientID).SetCleanSession(clean).
		SetAutoReconnect(false).SetConnectTimeout(10 * time.Second).SetOrderMatters(true)
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s to %s: %v", clientID, addr, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}
