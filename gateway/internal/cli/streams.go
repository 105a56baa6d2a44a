package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
)

// subcommand describes one subcommand of a command group.
type subcommand struct{ name, synopsis, summary string }

// subcommands are a group's subcommands ("tributary streams …"), in the
// order help shows them.
type subcommands struct {
	group string
	list  []subcommand
}

// usage prints the group's help.
func (sc subcommands) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: tributary %s COMMAND [ARGS] [FLAGS]\n\nCommands:\n", sc.group)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, c := range sc.list {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\nEach takes --server URL and -o/--output table|json.\n")
}

// flagSet returns the flag set of "tributary GROUP NAME", with the client
// flags registered.
func (sc subcommands) flagSet(e *env, name string, cf *clientFlags) *flagSet {
	for _, c := range sc.list {
		if c.name == name {
			about := strings.ToUpper(c.summary[:1]) + c.summary[1:] + "."
			fs := newFlagSet(sc.group+" "+name, c.synopsis, about)
			cf.register(e, fs, "table", "json")
			return fs
		}
	}
	panic("cli: no " + sc.group + " subcommand " + name)
}

// streamsSubcommands describe "tributary streams"; streamsCmd dispatches
// on name.
var streamsSubcommands = subcommands{"streams", []subcommand{
	{"ls", "", "list streams"},
	{"create", "NAME [--shards N] [--retention 24h] [--max-bytes 1GiB] [--when-full reject_new|drop_oldest]", "create a stream"},
	{"describe", "NAME", "show a stream and its shards"},
	{"reshard", "NAME --shards N", "change a stream's number of open shards"},
	{"delete", "NAME", "delete a stream and its records"},
}}

func streamsCmd(e *env, args []string) int {
	if len(args) == 0 {
		streamsUsage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "ls", "list":
		return streamsLs(e, args[1:])
	case "create":
		return streamsCreate(e, args[1:])
	case "describe":
		return streamsDescribe(e, args[1:])
	case "reshard":
		return streamsReshard(e, args[1:])
	case "delete":
		return streamsDelete(e, args[1:])
	case "help", "-h", "-help", "--help":
		streamsUsage(e.stdout)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "error: unknown command \"streams %s\"\n\n", args[0])
	streamsUsage(e.stderr)
	return exitUsage
}

func streamsUsage(w io.Writer) { streamsSubcommands.usage(w) }

// streamsFlagSet returns the flag set of "tributary streams NAME".
func streamsFlagSet(e *env, name string, cf *clientFlags) *flagSet {
	return streamsSubcommands.flagSet(e, name, cf)
}

// parseNamed parses a subcommand's args, which must leave exactly want
// positional arguments (a missing one is the what's NAME: stream,
// delivery, app).
func parseNamed(e *env, fs *flagSet, cf *clientFlags, args []string, want int, what string) ([]string, int, bool) {
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return nil, code, false
	}
	if msg := cf.check(); msg != "" {
		return nil, usageError(e, fs, "%s", msg), false
	}
	switch {
	case len(pos) < want:
		return nil, usageError(e, fs, "missing %s NAME", what), false
	case len(pos) > want:
		return nil, usageError(e, fs, "unexpected argument %q", pos[want]), false
	}
	return pos, 0, true
}

func streamsLs(e *env, args []string) int {
	var cf clientFlags
	fs := streamsFlagSet(e, "ls", &cf)
	if _, code, ok := parseNamed(e, fs, &cf, args, 0, "stream"); !ok {
		return code
	}
	c := &api.Client{Base: cf.baseURL()}
	streams, err := c.ListStreams(e.ctx)
	if err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if cf.output == "json" {
		writeJSON(e.stdout, api.StreamList{Streams: streams})
		return exitOK
	}
	writeStreamTable(e.stdout, streams)
	return exitOK
}

func streamsCreate(e *env, args []string) int {
	var cf clientFlags
	fs := streamsFlagSet(e, "create", &cf)
	shards := fs.Int("shards", 0, "number of shards (default: the gateway's, 4)")
	retention := fs.String("retention", "", "how long records are kept, e.g. 24h or 7d (default 24h)")
	var maxBytes byteSizeFlag
	fs.Var(&maxBytes, "max-bytes", "size cap `SIZE`: 1GiB, 512MB or bytes; 0 = unlimited (default)")
	whenFull := fs.String("when-full", "", "at max-bytes: reject_new (default) or drop_oldest")
	pos, code, ok := parseNamed(e, fs, &cf, args, 1, "stream")
	if !ok {
		return code
	}
	if *shards < 0 {
		return usageError(e, fs, "--shards must be positive (got %d)", *shards)
	}
	req := api.CreateStream{Name: pos[0], Shards: *shards, MaxBytes: maxBytes.n, WhenFull: *whenFull}
	if *retention != "" {
		d, err := config.ParseDuration(*retention)
		if err != nil || d <= 0 {
			return usageError(e, fs, "--retention %q: want a duration such as 24h or 7d", *retention)
		}
		req.Retention = time.Duration(d).String()
	}
	switch *whenFull {
	case "", "reject_new", "drop_oldest":
	default:
		return usageError(e, fs, "--when-full %q: must be reject_new or drop_oldest", *whenFull)
	}
	c := &api.Client{Base: cf.baseURL()}
	s, err := c.CreateStream(e.ctx, req)
	if err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if cf.output == "json" {
		writeJSON(e.stdout, s)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "stream %s created (%d shards, retention %s)\n", s.Name, s.OpenShards, shortDuration(s.Retention))
	return exitOK
}

func streamsDescribe(e *env, args []string) int {
	var cf clientFlags
	fs := streamsFlagSet(e, "describe", &cf)
	pos, code, ok := parseNamed(e, fs, &cf, args, 1, "stream")
	if !ok {
		return code
	}
	c := &api.Client{Base: cf.baseURL()}
	s, err := c.DescribeStream(e.ctx, pos[0])
	if err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if cf.output == "json" {
		writeJSON(e.stdout, s)
		return exitOK
	}
	writeStreamDetail(e.stdout, s)
	return exitOK
}

func streamsReshard(e *env, args []string) int {
	var cf clientFlags
	fs := streamsFlagSet(e, "reshard", &cf)
	shards := fs.Int("shards", 0, "the number of open shards wanted (required)")
	pos, code, ok := parseNamed(e, fs, &cf, args, 1, "stream")
	if !ok {
		return code
	}
	if *shards <= 0 {
		return usageError(e, fs, "--shards N is required and must be positive")
	}
	c := &api.Client{Base: cf.baseURL()}
	s, err := c.UpdateStream(e.ctx, pos[0], api.UpdateStream{Shards: shards})
	if err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if cf.output == "json" {
		writeJSON(e.stdout, s)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "stream %s resharded to %d open shards\n", s.Name, s.OpenShards)
	return exitOK
}

func streamsDelete(e *env, args []string) int {
	var cf clientFlags
	fs := streamsFlagSet(e, "delete", &cf)
	pos, code, ok := parseNamed(e, fs, &cf, args, 1, "stream")
	if !ok {
		return code
	}
	c := &api.Client{Base: cf.baseURL()}
	if err := c.DeleteStream(e.ctx, pos[0]); err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if cf.output == "json" {
		writeJSON(e.stdout, struct {
			Name    string `json:"name"`
			Deleted bool   `json:"deleted"`
		}{pos[0], true})
		return exitOK
	}
	fmt.Fprintf(e.stdout, "stream %s deleted\n", pos[0])
	return exitOK
}

// writeStreamTable writes streams as an aligned table with a header.
// System streams (the dead-letter stream) are marked "(system)".
func writeStreamTable(w io.Writer, streams []api.Stream) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSHARDS\tRECORDS\tBYTES\tRETENTION\tWHEN_FULL")
	for _, s := range streams {
		name := s.Name
		if s.System {
			name += " (system)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n",
			name, s.OpenShards, s.Records, humanBytes(s.Bytes), shortDuration(s.Retention), s.WhenFull)
	}
	return tw.Flush()
}

// writeStreamDetail writes a stream's fields, then a table of its shards.
func writeStreamDetail(w io.Writer, s api.Stream) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	maxBytes := "unlimited"
	if s.MaxBytes > 0 {
		maxBytes = fmt.Sprintf("%s (%d bytes)", humanBytes(s.MaxBytes), s.MaxBytes)
	}
	fmt.Fprintf(tw, "Name:\t%s\n", s.Name)
	if s.System {
		fmt.Fprintf(tw, "System:\tyes\n")
	}
	fmt.Fprintf(tw, "Open shards:\t%d (%d in total)\n", s.OpenShards, len(s.Shards))
	fmt.Fprintf(tw, "Retention:\t%s\n", shortDuration(s.Retention))
	fmt.Fprintf(tw, "Max bytes:\t%s\n", maxBytes)
	fmt.Fprintf(tw, "When full:\t%s\n", s.WhenFull)
	fmt.Fprintf(tw, "Records:\t%d\n", s.Records)
	fmt.Fprintf(tw, "Bytes:\t%s\n", humanBytes(s.Bytes))
	fmt.Fprintf(tw, "Created:\t%s\n", s.Created)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Shards) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "SHARD\tSTATE\tHASH_RANGE\tPARENTS\tRECORDS\tLAST_SEQUENCE")
	for _, sh := range s.Shards {
		state := "open"
		if sh.EndingSequence != "" {
			state = "closed"
		}
		parents := strings.Join(sh.Parents, ",")
		if parents == "" {
			parents = "-"
		}
		last := sh.LastSequence
		if last == "" {
			last = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s..%s\t%s\t%d\t%s\n", sh.ID, state,
			abbreviateHashKey(sh.StartingHashKey), abbreviateHashKey(sh.EndingHashKey), parents, sh.Records, last)
	}
	return tw.Flush()
}
