// Command firmware-sim simulates MQTT devices and IP cameras for
// Tributary: demos, load tests, fault tests and end-to-end checks.
//
//	firmware-sim devices --count 500 --rate 2 --profile thermostat --verify http://127.0.0.1:4567
//	firmware-sim verify --gateway http://127.0.0.1:4567 --stream telemetry --acked run.json
//	firmware-sim camera --whip http://127.0.0.1:4567/video/cam{n}/whip --count 4 --bitrate 4M
//
// "devices" runs a fleet of simulated devices against a broker (by
// default the gateway's embedded one on 127.0.0.1:1883), prints a live
// summary each second on stderr and a report on stdout, and optionally
// reads the stream back through the gateway's admin API to check that
// every acknowledged message was stored, in order. "verify" runs that
// check later, from a report written with --report. "camera" publishes a
// looping H.264 clip per simulated camera, over WebRTC with WHIP or as
// plain RTP, with optional packet loss, reordering, jitter and abrupt
// disconnects, and prints a JSON report on stdout.
//
// Exit codes: 0 success, 1 failure (verification failed, nothing could be
// sent, the gateway could not be read), 2 usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// Defaults shared with the gateway: its embedded broker and admin API.
const (
	defaultBroker  = "tcp://127.0.0.1:1883"
	defaultGateway = "http://127.0.0.1:4567"
	defaultStream  = "telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// env is what a command runs with.
type env struct {
	ctx    context.Context // ends on SIGINT/SIGTERM: a run stops sending and reports
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(e *env, args []string) int
}

var commands []command

func init() {
	commands = []command{
		{"devices", "run simulated MQTT devices against a broker (and verify what was stored)", devicesCmd},
		{"verify", "check a stream against the report of an earlier run (--acked FILE)", verifyCmd},
		{"camera", "simulate IP cameras publishing H.264 over WHIP or RTP", cameraCmd},
		{"version", "print the version", versionCmd},
		{"help", "show this help, or a command's flags (help COMMAND)", helpCmd},
	}
}

// run runs the command line args (without the program name) and returns
// the exit code. It never calls os.Exit.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "-help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "error: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, "firmware-sim simulates MQTT devices and IP cameras for Tributary: demos, load tests, fault tests, end-to-end checks.\n\n")
	fmt.Fprint(w, "Usage:\n  firmware-sim COMMAND [FLAGS]\n\nCommands:\n")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, strings.Join([]string{
		"",
		"Examples:",
		"  firmware-sim devices --count 500 --rate 2 --duration 30s",
		"  firmware-sim devices --count 50 --rate 0 --messages 1000 --verify " + defaultGateway,
		"  firmware-sim devices --faults malformed=0.01,duplicate=0.01,reconnect=storm --report run.json",
		"  firmware-sim verify --acked run.json",
		"  firmware-sim camera --whip " + defaultGateway + "/video/cam{n}/whip --count 4 --bitrate 4M --duration 60s",
		"  firmware-sim camera --rtp 127.0.0.1:5004 --sdp cam.sdp --loss 0.02 --jitter 30ms",
		"",
		`Run "firmware-sim help COMMAND" for a command's flags.`,
		"Exit codes: 0 success, 1 failure, 2 usage error.",
		"",
	}, "\n"))
}

func helpCmd(e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] && c.name != "help" {
			return c.run(e, []string{"-h"})
		}
	}
	fmt.Fprintf(e.stderr, "error: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

// flagSet is a command's flags with its usage text.
type flagSet struct {
	*flag.FlagSet
	name, synopsis, about string
}

func newFlagSet(name, synopsis, about string) *flagSet {
	fs := flag.NewFlagSet("firmware-sim "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, name: name, synopsis: synopsis, about: about}
}

func (fs *flagSet) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: firmware-sim %s %s\n\n%s\n\nFlags:\n", fs.name, fs.synopsis, strings.TrimSpace(fs.about))
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parse parses args; when ok is false the command returns code (exitOK
// after -h, exitUsage after a bad flag or a positional argument).
func (fs *flagSet) parse(e *env, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.usage(e.stdout)
		return exitOK, false
	case err != nil:
		return fs.usageError(e, "%v", err), false
	case fs.NArg() > 0:
		return fs.usageError(e, "unexpected argument %q (every option is a --flag)", fs.Arg(0)), false
	}
	return 0, true
}

// usageError prints "error: …" and the usage to stderr and returns exitUsage.
func (fs *flagSet) usageError(e *env, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "error: "+format+"\n\n", args...)
	fs.usage(e.stderr)
	return exitUsage
}

// isSet reports whether the flag name was given.
func (fs *flagSet) isSet(name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
