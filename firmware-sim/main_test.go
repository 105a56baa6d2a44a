package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runMain runs the command line and returns its exit code and output.
func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, out, _ := runMain(t, args...)
		if code != exitOK || !strings.Contains(out, "devices") || !strings.Contains(out, "verify") {
			t.Errorf("%v: exit %d, stdout:\n%s", args, code, out)
		}
	}
	code, out, _ := runMain(t, "help", "devices")
	if code != exitOK || !strings.Contains(out, "-faults") || !strings.Contains(out, "reconnect=storm") {
		t.Errorf("help devices: exit %d, stdout:\n%s", code, out)
	}
	code, out, _ = runMain(t, "verify", "-h")
	if code != exitOK || !strings.Contains(out, "-acked") {
		t.Errorf("verify -h: exit %d, stdout:\n%s", code, out)
	}
	code, out, _ = runMain(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "firmware-sim ") {
		t.Errorf("version: exit %d, stdout %q", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "Usage:"},
		{[]string{"fly"}, `unknown command "fly"`},
		{[]string{"help", "fly"}, `unknown command "fly"`},
		{[]string{"devices", "--qos", "2"}, "--qos 2"},
		{[]string{"devices", "--faults", "malformd=0.1"}, `"malformd": unknown fault`},
		{[]string{"devices", "--faults", "duplicate=3"}, `"duplicate": want a probability`},
		{[]string{"devices", "--profile", "toaster"}, `unknown profile: "toaster"`},
		{[]string{"devices", "--count", "0"}, "count 0"},
		{[]string{"devices", "--rate", "-1"}, "rate -1"},
		{[]string{"devices", "--broker", "localhost:1883"}, "want a URL"},
		{[]string{"devices", "--topic", "devices/#"}, "without wildcards"},
		{[]string{"devices", "--insecure"}, "need a TLS broker URL"},
		{[]string{"devices", "--tls-cert", "x.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"devices", "--verify", "127.0.0.1:4567"}, "admin API URL"},
		{[]string{"devices", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"devices", "extra"}, `unexpected argument "extra"`},
		{[]string{"verify"}, "--acked FILE is required"},
		{[]string{"verify", "--acked", "/nonexistent/run.json"}, "no such file"},
		{[]string{"version", "x"}, `unexpected argument "x"`},
	}
	for _, c := range cases {
		code, _, errOut := runMain(t, c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
