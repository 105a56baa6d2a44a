package kinesistest

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
// `npm ci --prefix gateway/internal/kinesis/testdata/kinesalite`.

// Kinesalite is a running kinesalite.
type Kinesalite struct {
	URL string // http://127.0.0.1:PORT
	PID int    // node's process id (for its RSS)
}

// StartKinesalite starts kinesalite from dir (the package.json folder) on a
// free loopback port with no artificial delays, and kills it when tb
// ends. When node or kinesalite is missing it skips tb, or fails it when
// the CI environment variable is set.
func StartKinesalite(tb testing.TB, dir string) Kinesalite {
	tb.Helper()
	cli := filepath.Join(dir, "node_modules", "kinesalite", "cli.js")
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
	var stderr strings.Builder
	cmd.Stderr = &stderr
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
		ready <- fmt.Errorf("kinesalite exited before listening (%v)", sc.Err())
	}()
	select {
	case err := <-ready:
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait() // stderr is complete once Wait returns
			tb.Fatalf("%v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		tb.Fatal("kinesalite did not start within 30s")
	}
	return Kinesalite{URL: fmt.Sprintf("http://127.0.0.1:%d", port), PID: cmd.Process.Pid}
}
