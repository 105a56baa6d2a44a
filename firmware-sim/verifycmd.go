package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tributary-edge/tributary/firmware-sim/internal/report"
	"github.com/tributary-edge/tributary/firmware-sim/internal/verify"
)

const verifyAbout = `
Reads --stream from the gateway's admin API (from trim_horizon to the current
end of every shard) and checks it against the report of an earlier
"firmware-sim devices --report FILE" run: every acknowledged (device, seq) must
be stored, and each device's seqs must increase within a shard. Duplicates
(allowed for QoS 1) and stored-but-unacknowledged messages are reported, not
failed. Records that are not this run's sequenced messages are ignored.

Exit status: 0 if nothing acknowledged is missing and order holds, 1 otherwise
(or when the gateway cannot be read), 2 for usage errors.
`

func verifyCmd(e *env, args []string) int {
	fs := newFlagSet("verify", "--acked FILE [--gateway URL] [--stream S] [--report FILE]", verifyAbout)
	gateway := fs.String("gateway", defaultGateway, "gateway admin API `URL`")
	stream := fs.String("stream", defaultStream, "stream to read")
	acked := fs.String("acked", "", "report `FILE` written by \"firmware-sim devices --report\" (required)")
	out := fs.String("report", "", "write the --acked report with the verification result added, as JSON, to `FILE`")
	if code, ok := fs.parse(e, args); !ok {
		return code
	}
	if *acked == "" {
		return fs.usageError(e, "--acked FILE is required")
	}
	rep, err := report.Read(*acked)
	if err != nil {
		return fs.usageError(e, "--acked: %v", err)
	}
	res, err := verify.Run(e.ctx, &verify.Client{Base: *gateway}, *stream, rep.Expect())
	if err != nil {
		fmt.Fprintf(e.stderr, "error: verify: %v\n", err)
		return exitFailure
	}
	res.WriteText(e.stdout)
	if *out != "" {
		rep.Verify = &res
		if err := rep.WriteFile(*out); err != nil {
			fmt.Fprintf(e.stderr, "error: --report: %v\n", err)
			return exitFailure
		}
	}
	if !res.OK() {
		return exitFailure
	}
	return exitOK
}

// signalContext returns a context that ends on SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
