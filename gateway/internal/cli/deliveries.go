package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
)

// deliveriesSubcommands describe "tributary deliveries", in help order.
var deliveriesSubcommands = subcommands{"deliveries", []subcommand{
	{"ls", "", "list deliveries with their state and backlog"},
	{"describe", "NAME", "show a delivery's state"},
	{"pause", "NAME", "stop a delivery sending (what was not confirmed is sent on resume)"},
	{"resume", "NAME", "start a paused delivery again"},
}}

func deliveriesCmd(e *env, args []string) int {
	if len(args) == 0 {
		deliveriesUsage(e.stderr)
		return exitUsage
	}
	var cf clientFlags
	var fs *flagSet
	want := 1
	switch args[0] {
	case "ls", "list":
		want = 0
		fs = deliveriesFlagSet(e, "ls", &cf)
	case "describe", "pause", "resume":
		fs = deliveriesFlagSet(e, args[0], &cf)
	case "help", "-h", "-help", "--help":
		deliveriesUsage(e.stdout)
		return exitOK
	default:
		fmt.Fprintf(e.stderr, "error: unknown command \"deliveries %s\"\n\n", args[0])
		deliveriesUsage(e.stderr)
		return exitUsage
	}
	pos, code, ok := parseNamed(e, fs, &cf, args[1:], want, "delivery")
	if !ok {
		return code
	}
	c := &api.Client{Base: cf.baseURL()}
	var list []api.Delivery
	var err error
	switch args[0] {
	case "ls", "list":
		list, err = c.ListDeliveries(e.ctx)
	default:
		var d api.Delivery
		switch args[0] {
		case "describe":
			d, err = c.DescribeDelivery(e.ctx, pos[0])
		case "pause":
			d, err = c.PauseDelivery(e.ctx, pos[0])
		case "resume":
			d, err = c.ResumeDelivery(e.ctx, pos[0])
		}
		list = []api.Delivery{d}
	}
	if err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if cf.output == "json" {
		if args[0] == "ls" || args[0] == "list" {
			writeJSON(e.stdout, api.DeliveryList{Deliveries: list})
		} else {
			writeJSON(e.stdout, list[0])
		}
		return exitOK
	}
	writeDeliveryTable(e.stdout, list)
	return exitOK
}

func deliveriesUsage(w io.Writer) { deliveriesSubcommands.usage(w) }

func deliveriesFlagSet(e *env, name string, cf *clientFlags) *flagSet {
	return deliveriesSubcommands.flagSet(e, name, cf)
}

func writeDeliveryTable(w io.Writer, list []api.Delivery) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tDESTINATION\tDELIVERED\tREC/S\tBACKLOG\tOLDEST\tLOST\tFAILED\tLAST ERROR")
	for _, d := range list {
		oldest := "-"
		if !d.Oldest.IsZero() {
			oldest = time.Since(d.Oldest).Round(time.Second).String()
		}
		lastErr := "-"
		if d.LastError != "" {
			lastErr = d.LastErrorAt.Format(time.RFC3339) + " " + truncateText(d.LastError, 60)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.0f\t%d\t%s\t%d\t%d\t%s\n", d.Name, d.State, d.Destination, d.Delivered, d.Rate, d.Backlog, oldest, d.Lost, d.Failed, lastErr)
	}
	tw.Flush()
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
