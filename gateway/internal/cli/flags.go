package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tributary-edge/tributary/gateway/internal/config"
)

// parseArgs parses args with fs, allowing flags after positional
// arguments ("put telemetry --key k hello"): it calls fs.Parse repeatedly,
// each time setting aside the positional argument it stopped at. A "--"
// ends flag parsing; every argument after it is positional. A lone "-" is
// positional.
//
// The flag package consumes a "--" that stands where a flag is expected;
// parseArgs recognises that case by the argument just before the ones
// left over. (A "--" given as a flag's value, as in "--key --", is taken
// as that value and also ends flag parsing.)
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// flagSet is a command's flag set with what its usage message says.
type flagSet struct {
	*flag.FlagSet
	name     string // "put", "streams create"
	synopsis string // what follows "tributary NAME" in the usage line
	about    string // a paragraph or more describing the command
}

// newFlagSet returns the flag set of "tributary name". It prints nothing
// itself: parse and usageError print its usage where it belongs.
func newFlagSet(name, synopsis, about string) *flagSet {
	fs := flag.NewFlagSet("tributary "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, name: name, synopsis: synopsis, about: about}
}

// usage writes "Usage: tributary NAME SYNOPSIS", the about text and the
// flags to w.
func (fs *flagSet) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n", strings.TrimSpace("tributary "+fs.name+" "+fs.synopsis))
	if fs.about != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(fs.about))
	}
	fmt.Fprint(w, "\nFlags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parse runs parseArgs. When ok is false the command must return code:
// exitOK after -h (usage printed to stdout), exitUsage after a bad flag
// (the problem and usage printed to stderr).
func parse(e *env, fs *flagSet, args []string) (positional []string, code int, ok bool) {
	pos, err := parseArgs(fs.FlagSet, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.usage(e.stdout)
		return nil, exitOK, false
	case err != nil:
		return nil, usageError(e, fs, "%v", err), false
	}
	return pos, 0, true
}

// usageError prints "error: msg" and fs's usage to stderr and returns
// exitUsage.
func usageError(e *env, fs *flagSet, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "error: "+format+"\n\n", args...)
	fs.usage(e.stderr)
	return exitUsage
}

// clientFlags are the flags every command that talks to a gateway takes.
type clientFlags struct {
	server  string
	output  string
	formats []string // allowed -o values; the first is the default
}

// register adds --server and -o/--output to fs. formats are the allowed
// output formats, the default first.
func (c *clientFlags) register(e *env, fs *flagSet, formats ...string) {
	c.formats = formats
	c.output = formats[0]
	fs.StringVar(&c.server, "server", e.server, "gateway admin API `URL` (env TRIBUTARY_SERVER)")
	help := "output format: " + strings.Join(formats, "|")
	fs.StringVar(&c.output, "o", c.output, help)
	fs.StringVar(&c.output, "output", c.output, help+" (same as -o)")
}

// check validates the parsed values: the output format must be one of
// the allowed ones. It returns "" or the problem.
func (c *clientFlags) check() string {
	if !slices.Contains(c.formats, c.output) {
		return fmt.Sprintf("-o %q: must be one of %s", c.output, strings.Join(c.formats, ", "))
	}
	return ""
}

// baseURL returns the server URL with "http://" added when it has no
// scheme, so "--server 10.0.0.5:4567" works.
func (c *clientFlags) baseURL() string {
	s := strings.TrimRight(c.server, "/")
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	return s
}

// parseByteSize parses a size such as "1GiB", "512MB", "10k" or a plain
// number of bytes. KiB/MiB/GiB (and bare K/M/G) are 1024-based, KB/MB/GB
// 1000-based, case-insensitively — the same syntax as sizes in the config
// file, so it is config.ParseByteSize.
func parseByteSize(s string) (int64, error) {
	b, err := config.ParseByteSize(s)
	return int64(b), err
}

// byteSizeFlag is a flag.Value holding a size parsed by parseByteSize.
type byteSizeFlag struct {
	n   int64
	set bool
}

func (b *byteSizeFlag) String() string {
	if b == nil || !b.set {
		return ""
	}
	return config.ByteSize(b.n).String()
}

func (b *byteSizeFlag) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	b.n, b.set = n, true
	return nil
}
