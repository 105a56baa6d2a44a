package analytics

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/tributary-edge/tributary/spool"
)

// TestQueries runs the files in testdata/queries: a query, then records
// fed with their arrival times, clock ticks and restarts, with the
// outputs each produced.
//
//	query            the SQL (input); prints "ok" or the error with its caret
//	feed [stream=S]  one record per line: ARRIVAL_MS JSON (of stream S, default
//	                 the query's source); prints the outputs
//	                 ("topic: " first when published, "into S: " for a
//	                 record sent to another stream) and errors, or (none)
//	advance MS       an arrival-time clock tick at MS; prints the outputs
//	restart          a new query from a snapshot of the old one (a crash
//	                 and restart between commits)
//	stats            late records and state size
func TestQueries(t *testing.T) {
	datadriven.Walk(t, "testdata/queries", func(t *testing.T, path string) {
		var src string
		var q Query
		print := func(outs []Output, errs []string) string {
			var b strings.Builder
			for _, o := range outs {
				if o.Topic != "" {
					b.WriteString(o.Topic + ": ")
				}
				if o.Stream != "" {
					b.WriteString("into " + o.Stream + ": ")
				}
				b.WriteString(string(o.Data) + "\n")
			}
			for _, e := range errs {
				b.WriteString("error: " + e + "\n")
			}
			if b.Len() == 0 {
				return "(none)\n"
			}
			return b.String()
		}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "query":
				src = d.Input
				p, err := Compile(src, nil)
				if err != nil {
					return err.Error() + "\n" + Caret(err, src) + "\n"
				}
				if q, err = p.NewQuery(); err != nil {
					return err.Error() + "\n"
				}
				return "ok\n"
			case "feed":
				stream := "s"
				if d.HasArg("stream") {
					d.ScanArgs(t, "stream", &stream)
				}
				var outs []Output
				var errs []string
				for _, line := range strings.Split(d.Input, "\n") {
					at, rec, _ := strings.Cut(line, " ")
					ms, err := strconv.ParseInt(at, 10, 64)
					if err != nil {
						d.Fatalf(t, "bad arrival %q", at)
					}
					o, err := q.Process(Event{Stream: stream, Record: spool.StoredRecord{PartitionKey: "k", Data: []byte(rec)}, Arrival: time.UnixMilli(ms)})
					outs = append(outs, o...)
					if err != nil {
						errs = append(errs, strings.ReplaceAll(err.Error(), "\n", "; "))
					}
				}
				return print(outs, errs)
			case "advance":
				ms, err := strconv.ParseInt(d.CmdArgs[0].Key, 10, 64)
				if err != nil {
					d.Fatalf(t, "advance MS")
				}
				return print(q.Advance(time.UnixMilli(ms)), nil)
			case "restart":
				snap, err := q.Snapshot()
				if err != nil {
					return err.Error() + "\n"
				}
				p, _ := Compile(src, nil)
				q, _ = p.NewQuery()
				if err := q.Restore(snap); err != nil {
					return err.Error() + "\n"
				}
				return "ok\n"
			case "stats":
				return fmt.Sprintf("late=%d state=%d\n", q.Late(), q.StateSize())
			}
			d.Fatalf(t, "unknown command %s", d.Cmd)
			return ""
		})
	})
	if m, _ := filepath.Glob("testdata/queries/*"); len(m) == 0 {
		t.Fatal("no query test files")
	}
}
