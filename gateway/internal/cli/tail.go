package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
)

const tailAbout = `Reads STREAM's records from --from to the stream's current end, or with
--follow (-f) goes on waiting for new ones until Ctrl-C.

--from is trim_horizon (the oldest record kept; the default), latest (only
records appended from now on), a sequence number (that record and those after
it, in its shard), an RFC 3339 time, or a duration meaning that long ago (10m).

Output (-o): raw prints each record's data followed by a newline; json prints
one api.Record JSON object per line; table prints SEQUENCE SHARD KEY ARRIVAL
DATA with the data truncated and non-printable bytes escaped.`

// tailDataWidth is how many characters of data the table output shows.
const tailDataWidth = 60

func tailCmd(e *env, args []string) int {
	var cf clientFlags
	fs := newFlagSet("tail", "STREAM [--from trim_horizon|latest|SEQ|TIME] [-f] [--limit N] [--shard ID]", tailAbout)
	cf.register(e, fs, "raw", "json", "table")
	var o api.TailOptions
	fs.StringVar(&o.From, "from", "", "where to start: trim_horizon, latest, a sequence number, an RFC 3339 time or a duration ago (default trim_horizon)")
	fs.BoolVar(&o.Follow, "follow", false, "keep waiting for new records until interrupted")
	fs.BoolVar(&o.Follow, "f", false, "same as --follow")
	fs.IntVar(&o.Limit, "limit", 0, "stop after N records (0 = no limit)")
	fs.StringVar(&o.Shard, "shard", "", "read only the shard with this `ID`")
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	if msg := cf.check(); msg != "" {
		return usageError(e, fs, "%s", msg)
	}
	switch {
	case len(pos) == 0:
		return usageError(e, fs, "missing STREAM")
	case len(pos) > 1:
		return usageError(e, fs, "unexpected argument %q", pos[1])
	case o.Limit < 0:
		return usageError(e, fs, "--limit must not be negative (got %d)", o.Limit)
	}

	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	printRecord := newRecordPrinter(cf.output, w)
	c := &api.Client{Base: cf.baseURL()}
	err := c.Tail(ctx, pos[0], o, func(r api.Record) error {
		if err := printRecord(r); err != nil {
			return err
		}
		if o.Follow {
			return w.Flush()
		}
		return nil
	})
	if ctx.Err() != nil { // interrupted: a clean end
		return exitOK
	}
	if err != nil {
		w.Flush()
		return reportError(e, cf.baseURL(), err)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// newRecordPrinter returns a function that writes one record to w in the
// given output format: raw, json or table.
func newRecordPrinter(format string, w io.Writer) func(api.Record) error {
	switch format {
	case "json":
		return func(r api.Record) error { return writeJSONLine(w, r) }
	case "table":
		t := &tailTable{w: w}
		return t.print
	}
	return func(r api.Record) error {
		if _, err := w.Write(r.Data); err != nil {
			return err
		}
		_, err := io.WriteString(w, "\n")
		return err
	}
}

// tailTable prints records as table rows without buffering them: the
// header is printed before the first row, and each column is as wide as
// the widest value printed so far (sequence numbers and shard IDs have a
// fixed length, so in practice the columns stay aligned).
type tailTable struct {
	w          io.Writer
	started    bool
	seqWidth   int
	shardWidth int
	keyWidth   int
}

// tailKeyWidth is the most characters of a partition key shown.
const tailKeyWidth = 24

// tailTimeFormat is RFC 3339 in UTC with milliseconds.
const tailTimeFormat = "2006-01-02T15:04:05.000Z"

func (t *tailTable) print(r api.Record) error {
	key := truncate(r.PartitionKey, tailKeyWidth)
	if !t.started {
		t.started = true
		t.seqWidth = max(len("SEQUENCE"), len(r.SequenceNumber))
		t.shardWidth = max(len("SHARD"), len(r.ShardID))
		t.keyWidth = max(len("KEY"), 16, len([]rune(key)))
		if _, err := fmt.Fprintf(t.w, "%-*s  %-*s  %-*s  %-*s  %s\n",
			t.seqWidth, "SEQUENCE", t.shardWidth, "SHARD", t.keyWidth, "KEY", len(tailTimeFormat), "ARRIVAL", "DATA"); err != nil {
			return err
		}
	}
	t.seqWidth = max(t.seqWidth, len(r.SequenceNumber))
	t.shardWidth = max(t.shardWidth, len(r.ShardID))
	t.keyWidth = max(t.keyWidth, len([]rune(key)))
	_, err := fmt.Fprintf(t.w, "%-*s  %-*s  %-*s  %-*s  %s\n",
		t.seqWidth, r.SequenceNumber, t.shardWidth, r.ShardID, t.keyWidth, key,
		len(tailTimeFormat), formatArrival(r.Arrival), escapeData(r.Data, tailDataWidth))
	return err
}

// formatArrival formats t in UTC with milliseconds, or "-" when zero.
func formatArrival(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(tailTimeFormat)
}
