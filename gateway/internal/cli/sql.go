package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	"github.com/tributary-edge/tributary/analytics/eval"
	"github.com/tributary-edge/tributary/gateway/internal/api"
)

// sqlAppsSubcommands describe "tributary sql apps", in help order.
var sqlAppsSubcommands = subcommands{"sql apps", []subcommand{
	{"ls", "", "list SQL apps with their state and counters"},
	{"create", "NAME (--sql 'SELECT …' | --file FILE) [--from latest|trim_horizon]", "create an app (kept across restarts)"},
	{"describe", "NAME", "show an app"},
	{"stop", "NAME", "stop an app (it resumes from its checkpoints)"},
	{"start", "NAME", "start a stopped app"},
	{"delete", "NAME", "stop an app made through the API and forget it"},
}}

func sqlUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  tributary sql [--from latest|trim_horizon] [--limit N] "SELECT …"
      run a query and print its results (JSON lines) until Ctrl-C or N results;
      --from trim_horizon replays what the stream holds
  tributary sql apps COMMAND …    continuous queries: ls, create, describe, stop, start, delete
  tributary sql functions         the functions queries may call

The language: docs/sql.md.
`)
}

func sqlCmd(e *env, args []string) int {
	if len(args) == 0 {
		sqlUsage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "apps":
		return sqlAppsCmd(e, args[1:])
	case "functions":
		tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
		for _, f := range eval.Funcs() {
			fmt.Fprintf(tw, "%s\t%s\n", f.Name, f.Doc)
		}
		tw.Flush()
		return exitOK
	case "help", "-h", "-help", "--help":
		sqlUsage(e.stdout)
		return exitOK
	}
	var cf clientFlags
	fs := newFlagSet("sql", `[--from latest|trim_horizon] [--limit N] "SELECT …"`, "Run a query and print its results as they come.")
	cf.register(e, fs, "json")
	from := fs.String("from", "latest", "where to start: latest (what comes next) or trim_horizon (replay history)")
	limit := fs.Int("limit", 0, "stop after N results (0: until interrupted)")
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(e, fs, "give the query as one argument (quote it)")
	}
	if *from != "latest" && *from != "trim_horizon" {
		return usageError(e, fs, "--from %q: must be latest or trim_horizon", *from)
	}
	c := &api.Client{Base: cf.baseURL()}
	n := 0
	sigCtx, stop := signal.NotifyContext(e.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(sigCtx)
	defer cancel()
	err := c.Query(ctx, api.CreateApp{SQL: pos[0], From: *from}, func(m json.RawMessage) error {
		fmt.Fprintln(e.stdout, string(m))
		n++
		if *limit > 0 && n >= *limit {
			cancel()
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		return reportError(e, cf.baseURL(), err)
	}
	return exitOK
}

func sqlAppsCmd(e *env, args []string) int {
	if len(args) == 0 {
		sqlAppsSubcommands.usage(e.stderr)
		return exitUsage
	}
	var cf clientFlags
	var fs *flagSet
	want := 1
	var sqlText, file, from *string
	switch args[0] {
	case "ls", "list":
		want = 0
		fs = sqlAppsSubcommands.flagSet(e, "ls", &cf)
	case "create":
		fs = sqlAppsSubcommands.flagSet(e, "create", &cf)
		sqlText = fs.String("sql", "", "the statement")
		file = fs.String("file", "", "read the statement from `FILE` (- for stdin)")
		from = fs.String("from", "latest", "where the app starts the first time: latest or trim_horizon")
	case "describe", "stop", "start", "delete":
		fs = sqlAppsSubcommands.flagSet(e, args[0], &cf)
	case "help", "-h", "-help", "--help":
		sqlAppsSubcommands.usage(e.stdout)
		return exitOK
	default:
		fmt.Fprintf(e.stderr, "error: unknown command \"sql apps %s\"\n\n", args[0])
		sqlAppsSubcommands.usage(e.stderr)
		return exitUsage
	}
	pos, code, ok := parseNamed(e, fs, &cf, args[1:], want, "app")
	if !ok {
		return code
	}
	c := &api.Client{Base: cf.baseURL()}
	var list []api.App
	var err error
	switch args[0] {
	case "ls", "list":
		list, err = c.ListApps(e.ctx)
	case "delete":
		if err := c.DeleteApp(e.ctx, pos[0]); err != nil {
			return reportError(e, cf.baseURL(), err)
		}
		fmt.Fprintf(e.stdout, "deleted app %s\n", pos[0])
		return exitOK
	default:
		var a api.App
		switch args[0] {
		case "create":
			text := *sqlText
			if (text == "") == (*file == "") {
				return usageError(e, fs, "give the statement with --sql or --file (one of them)")
			}
			if *file != "" {
				b, err := readInput(e, *file)
				if err != nil {
					return reportError(e, cf.baseURL(), err)
				}
				text = string(b)
			}
			a, err = c.CreateApp(e.ctx, api.CreateApp{Name: pos[0], SQL: text, From: *from})
		case "describe":
			a, err = c.DescribeApp(e.ctx, pos[0])
		case "stop":
			a, err = c.StopApp(e.ctx, pos[0])
		case "start":
			a, err = c.StartApp(e.ctx, pos[0])
		}
		list = []api.App{a}
	}
	if err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if cf.output == "json" {
		if args[0] == "ls" || args[0] == "list" {
			writeJSON(e.stdout, api.AppList{Apps: list})
		} else {
			writeJSON(e.stdout, list[0])
		}
		return exitOK
	}
	if args[0] == "describe" {
		a := list[0]
		fmt.Fprintf(e.stdout, "app %s (%s, from %s): %s\n%s\n\n", a.Name, a.Origin, a.From, a.State, a.SQL)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tSOURCE\tOUTPUT\tIN\tOUT\tPUBLISHED\tERRORS\tLATE\tSTATE SIZE\tLAG\tLAST ERROR")
	for _, a := range list {
		out := a.Output
		for _, t := range a.Topics {
			if out != "" {
				out += ","
			}
			out += "mqtt:" + t
		}
		lastErr := "-"
		if a.LastError != "" {
			lastErr = truncateText(a.LastError, 60)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%dms\t%s\n", a.Name, a.State, a.Source, out, a.RecordsIn, a.RecordsOut, a.Published, a.Errors, a.Late, a.StateSize, a.LagMillis, lastErr)
	}
	tw.Flush()
	return exitOK
}

// readInput reads a file, or stdin for "-".
func readInput(e *env, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(e.stdin)
	}
	return os.ReadFile(name)
}
