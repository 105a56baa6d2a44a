// Package brokertest runs a real MQTT broker — Debian's mosquitto — on a
// random loopback port for tests, and records what it delivers. Tests
// that use it are skipped, with the reason, when mosquitto is not
// installed (apt-get install mosquitto).
package brokertest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Broker is one mosquitto process.
type Broker struct {
	t    testing.TB
	bin  string
	conf string
	port int

	// URL is the broker's address, tcp://127.0.0.1:PORT.
	URL string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	log    *bytes.Buffer
}

// Start runs mosquitto on a free loopback port and waits until it
// accepts connections. The broker is killed when the test ends.
func Start(t testing.TB) *Broker {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
			if _, err := os.Stat(p); err == nil {
				bin = p
			}
		}
	}
	if bin == "" {
		t.Skip("mosquitto is not installed (apt-get install mosquitto); skipping a test that needs a real MQTT broker")
	}
	b := &Broker{t: t, bin: bin}
	t.Cleanup(b.Stop)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port may be taken before mosquitto binds it
		b.port = freePort(t)
		b.URL = "tcp://127.0.0.1:" + strconv.Itoa(b.port)
		b.conf = filepath.Join(t.TempDir(), "mosquitto.conf")
		conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\nmax_queued_messages 0\nlog_dest stderr\nlog_type error\nlog_type warning\n", b.port)
		if err := os.WriteFile(b.conf, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		if lastErr = b.start(); lastErr == nil {
			return b
		}
	}
	t.Fatalf("mosquitto did not start: %v", lastErr)
	return nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs the process and polls until it accepts connections.
func (b *Broker) start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil {
		return fmt.Errorf("mosquitto is already running")
	}
	cmd := exec.Command(b.bin, "-c", b.conf)
	log := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", b.Addr(), 100*time.Millisecond)
		if err == nil {
			c.Close()
			b.cmd, b.exited, b.log = cmd, exited, log
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("mosquitto exited: %s", log.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			return fmt.Errorf("mosquitto did not accept connections on %s within 5s: %s", b.Addr(), log.String())
		}
	}
}

// Addr returns host:port.
func (b *Broker) Addr() string { return "127.0.0.1:" + strconv.Itoa(b.port) }

// Stop kills mosquitto (SIGKILL) and waits for it to exit. It does
// nothing when the broker is not running.
func (b *Broker) Stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return
	}
	b.cmd.Process.Kill()
	<-b.exited
	b.cmd = nil
}

// Restart starts a stopped broker again on the same port.
func (b *Broker) Restart() {
	b.t.Helper()
	if err := b.start(); err != nil {
		b.t.Fatalf("restart: %v", err)
	}
}
