package kinesis

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kinesalite (npm) is the second Kinesis implementation the differential
// test and the benchmark run against. `.ci/run` installs it with
// `npm ci --prefix gateway/internal/kinesis/testdata/kinesalite`; outside
// CI a test that needs it is skipped when it is missing.

const kinesaliteDir = "testdata/kinesalite"

// startKinesalite starts kinesalite on a free loopback port with no
// artificial delays and returns its URL. It is stopped when tb ends.
func startKinesalite(tb testing.TB) string {
	tb.Helper()
	cli := filepath.Join(kinesaliteDir, "node_modules", "kinesalite", "cli.js")
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(cli); err != nil || statErr != nil {
		msg := "kinesalite not installed (npm ci --prefix gateway/internal/kinesis/testdata/kinesalite; needs node)"
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(node, cli, "--host", "127.0.0.1", "--port", fmt.Sprint(port),
		"--createStreamMs", "0", "--deleteStreamMs", "0", "--updateStreamMs", "0", "--shardLimit", "1000")
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// It prints "Listening at http://127.0.0.1:PORT" once it accepts.
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "Listening at") {
				ready <- nil
				for sc.Scan() {
				}
				return
			}
		}
		ready <- fmt.Errorf("kinesalite exited: %v", sc.Err())
	}()
	select {
	case err := <-ready:
		if err != nil {
			tb.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		tb.Fatal("kinesalite did not start within 30s")
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}
