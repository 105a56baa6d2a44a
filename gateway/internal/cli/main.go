// Package cli is the `tributary` command line: `run` starts a gateway,
// `check` validates a config file, and the other commands (streams, put,
// tail) talk to a running gateway through its admin API (package api).
//
// Conventions, kubectl-style:
//
//   - Flags may come before or after positional arguments; "--" ends flags.
//   - Client commands take --server URL (default $TRIBUTARY_SERVER, else
//     http://127.0.0.1:4567) and -o/--output (table or json, plus raw for
//     tail). --server may also be given before the command.
//   - Exit codes: 0 success, 1 failure (the gateway refused, a record
//     failed, a config file is invalid), 2 usage error.
//   - Results go to stdout; errors and diagnostics go to stderr, one
//     "error: …" line each.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// defaultServer is the admin API address used when neither --server nor
// TRIBUTARY_SERVER is given; it is the default http.addr of `tributary run`.
const defaultServer = "http://127.0.0.1:4567"

// env is what every command runs with: the process's streams and the
// global options parsed before the command name.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	server string // global --server, or the default
}

// command is one top-level subcommand.
type command struct {
	name    string
	summary string
	run     func(e *env, args []string) int
}

// commands lists every top-level command in the order usage shows them.
// It is filled in by init to break the cycle usage → commands → help.
var commands []command

func init() {
	commands = []command{
		{"run", "start a gateway in the foreground", runCmd},
		{"check", "validate a config file (-c FILE) and exit", checkCmd},
		{"status", "show the gateway's health, streams, deliveries, sensors and video", statusCmd},
		{"streams", "list, create, describe, reshard and delete streams", streamsCmd},
		{"deliveries", "list, describe, pause and resume deliveries upstream", deliveriesCmd},
		{"sql", "run a query, or manage continuous SQL apps", sqlCmd},
		{"sensors", "list the attached sensors; probe an I2C bus", sensorsCmd},
		{"video", "list video streams, start and stop recording, list fragments, export clips", videoCmd},
		{"put", "append records to a stream (from an argument or stdin lines)", putCmd},
		{"tail", "read records from a stream, optionally following new ones", tailCmd},
		{"version", "print the version", versionCmd},
		{"help", "show this help", helpCmd},
	}
}

// Main runs the tributary command line with args (without the program
// name) and returns the process exit code. It never calls os.Exit.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{
		ctx:    context.Background(),
		stdin:  stdin,
		stdout: stdout,
		stderr: stderr,
		server: serverFromEnv(os.Getenv),
	}
	return e.main(args)
}

// main is Main with e's context, streams and default server.
func (e *env) main(args []string) int {
	stdout, stderr := e.stdout, e.stderr
	fs := flag.NewFlagSet("tributary", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&e.server, "server", e.server, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "error: %v\n", err)
		usage(stderr)
		return exitUsage
	}
	args = fs.Args()
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
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

// serverFromEnv returns $TRIBUTARY_SERVER, or defaultServer when unset.
func serverFromEnv(getenv func(string) string) string {
	if s := getenv("TRIBUTARY_SERVER"); s != "" {
		return s
	}
	return defaultServer
}

func helpCmd(e *env, args []string) int {
	usage(e.stdout)
	return exitOK
}

// usage writes the top-level help: every command with one line each.
func usage(w io.Writer) {
	fmt.Fprint(w, "tributary is an edge gateway for streams of records.\n\n")
	fmt.Fprint(w, "Usage:\n  tributary [--server URL] COMMAND [ARGS] [FLAGS]\n\nCommands:\n")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, strings.Join([]string{
		"",
		"Client commands talk to a running gateway at --server URL (default",
		"$TRIBUTARY_SERVER, else " + defaultServer + ") and accept -o/--output table|json.",
		`Run "tributary COMMAND -h" for a command's flags.`,
		"",
	}, "\n"))
}
