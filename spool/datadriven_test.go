package spool

// Datadriven tests (STYLE.md practice 7): testdata/ops/*.txt drive a spool
// through a small command language and compare what it prints. Regenerate
// the expected output with
//
//	go test ./spool/ -run TestDatadriven -rewrite
//
// and then READ the diff: every expected block is a claim about Kinesis
// semantics (../shared/spec/kinesis.md §3) or the spool's own contract.
//
// Lines starting with # are comments. Commands:
//
//	open                          Open on the test's directory, fake clock
//	reopen                        Close, then Open on the same directory
//	close                         Close (then advance/jump, then open)
//	advance <duration>            both clocks (time passing)
//	jump <duration>               the wall clock only (NTP, a user)
//	create name=S shards=N [retention=D] [max-bytes=N] [when-full=P]
//	update name=S [retention=D] [max-bytes=N] [when-full=P]
//	delete <stream>
//	list
//	describe <stream>
//	append stream=S               one record per input line: KEY[@HASH]: DATA
//	read stream=S shard=ID type=T [seq=N] [ts=RFC3339] [limit=N] [times]
//	                              seek, then read batches to the end (records
//	                              only, and the children at a closed end)
//	iter name=I stream=S shard=ID type=T [seq=N] [ts=RFC3339]
//	get name=I [limit=N] [max-bytes=N] [times]
//	                              one batch from a named cursor, which moves on
//	split stream=S shard=ID at=HASH
//	merge stream=S shard=ID adjacent=ID
//	reshard stream=S count=N
//	checkpoint set|get|list consumer=C [stream=S shard=ID] [seq=N]
//	sweep                         run retention now
//
// In arguments and keys, {S*N} stands for S repeated N times and a value in
// double quotes is a Go string literal ("a\x20b"). In data, {S*N} repeats.
// Errors print as "error <Sentinel>: <message>". Records dropped by
// retention or refused as full are reported after the command that caused
// them, once background work has settled.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/datadriven"
)

func TestDatadriven(t *testing.T) {
	datadriven.Walk(t, "testdata/ops", func(t *testing.T, path string) {
		e := &ddEnv{t: t, clock: newFakeClock(), obs: &ddObserver{}, iters: map[string]Cursor{}}
		e.dir = t.TempDir()
		t.Cleanup(e.close)
		datadriven.RunTest(t, path, e.run)
	})
}

// ddObserver counts drops by stream and reason.
type ddObserver struct {
	mu      sync.Mutex
	dropped map[string]int
}

func (o *ddObserver) Appended(string, int, int, time.Duration) {}

func (o *ddObserver) Dropped(stream, reason string, records int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dropped == nil {
		o.dropped = map[string]int{}
	}
	o.dropped[stream+" "+reason] += records
}

// take returns and clears the counts, one "dropped: stream reason=n" line each.
func (o *ddObserver) take() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	keys := make([]string, 0, len(o.dropped))
	for k := range o.dropped {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		stream, reason, _ := strings.Cut(k, " ")
		fmt.Fprintf(&b, "dropped: %s %s=%d\n", stream, reason, o.dropped[k])
	}
	o.dropped = nil
	return b.String()
}

type ddEnv struct {
	t     *testing.T
	clock *fakeClock
	obs   *ddObserver
	dir   string
	opts  Options
	s     *Spool
	iters map[string]Cursor
}

func (e *ddEnv) close() {
	if e.s != nil {
		e.s.Close()
		e.s = nil
	}
}

func (e *ddEnv) run(t *testing.T, td *datadriven.TestData) string {
	if td.Cmd != "open" && td.Cmd != "advance" && td.Cmd != "jump" && e.s == nil {
		td.Fatalf(t, "%s before open", td.Cmd)
	}
	if e.s != nil {
		e.settle(t)
	}
	out := e.do(t, td)
	if e.s != nil {
		e.settle(t)
		out += e.obs.take()
	}
	return out
}

func (e *ddEnv) do(t *testing.T, td *datadriven.TestData) string {
	switch td.Cmd {
	case "open":
		e.opts = testOptions(t, e.clock)
		e.opts.Dir = e.dir
		e.opts.Observer = e.obs
		e.open(t)
		return ""

	case "reopen":
		if err := e.s.Close(); err != nil {
			return errText(err)
		}
		e.s = nil
		e.open(t)
		return ""

	case "close":
		err := e.s.Close()
		e.s = nil
		if err != nil {
			return errText(err)
		}
		return ""

	case "advance", "jump":
		if len(td.CmdArgs) != 1 {
			td.Fatalf(t, "usage: %s <duration>", td.Cmd)
		}
		d, err := time.ParseDuration(td.CmdArgs[0].Key)
		if err != nil {
			td.Fatalf(t, "%v", err)
		}
		if td.Cmd == "advance" {
			e.clock.Advance(d)
		} else {
			e.clock.Jump(d)
		}
		if e.s == nil {
			return fmt.Sprintf("wall=%s\n", fmtTime(e.clock.Wall()))
		}
		return fmt.Sprintf("wall=%s spool=%s\n", fmtTime(e.clock.Wall()), time.Duration(e.s.clock.nowMs())*time.Millisecond)

	case "create":
		cfg := StreamConfig{Name: e.mustArg(t, td, "name"), Shards: e.atoi(t, td, e.mustArg(t, td, "shards"))}
		if v, ok := e.arg(td, "retention"); ok {
			cfg.Retention = e.duration(t, td, v)
		}
		if v, ok := e.arg(td, "max-bytes"); ok {
			cfg.MaxBytes = int64(e.atoi(t, td, v))
		}
		if v, ok := e.arg(td, "when-full"); ok {
			cfg.WhenFull = FullPolicy(v)
		}
		return okOrErr(e.s.CreateStream(cfg))

	case "update":
		var u StreamUpdate
		if v, ok := e.arg(td, "retention"); ok {
			d := e.duration(t, td, v)
			u.Retention = &d
		}
		if v, ok := e.arg(td, "max-bytes"); ok {
			n := int64(e.atoi(t, td, v))
			u.MaxBytes = &n
		}
		if v, ok := e.arg(td, "when-full"); ok {
			p := FullPolicy(v)
			u.WhenFull = &p
		}
		return okOrErr(e.s.UpdateStream(e.mustArg(t, td, "name"), u))

	case "delete":
		return okOrErr(e.s.DeleteStream(e.positional(t, td)))

	case "list":
		return strings.Join(e.s.ListStreams(), "\n") + "\n"

	case "describe":
		info, err := e.s.DescribeStream(e.positional(t, td))
		if err != nil {
			return errText(err)
		}
		return describe(info)

	case "append":
		return e.append(t, td)

	case "read":
		cur, err := e.seek(t, td)
		if err != nil {
			return errText(err)
		}
		var b strings.Builder
		lim := ReadLimits{MaxRecords: 10000}
		if v, ok := e.arg(td, "limit"); ok {
			lim.MaxRecords = e.atoi(t, td, v)
		}
		n := 0
		for range 1000 {
			res, err := e.s.Read(cur, lim)
			if err != nil {
				return b.String() + errText(err)
			}
			for _, r := range res.Records {
				b.WriteString(showRecord(r, td.HasArg("times")))
			}
			n += len(res.Records)
			cur = res.Next
			if len(res.Records) == 0 || res.EndOfShard {
				if n == 0 {
					b.WriteString("(no records)\n")
				}
				if res.EndOfShard {
					b.WriteString(showChildren(res))
				}
				return b.String()
			}
		}
		td.Fatalf(t, "read did not reach the end in 1000 batches")

	case "iter":
		cur, err := e.seek(t, td)
		if err != nil {
			return errText(err)
		}
		e.iters[e.mustArg(t, td, "name")] = cur
		return "ok\n"

	case "get":
		name := e.mustArg(t, td, "name")
		cur, ok := e.iters[name]
		if !ok {
			td.Fatalf(t, "no iterator %q", name)
		}
		var lim ReadLimits
		if v, ok := e.arg(td, "limit"); ok {
			lim.MaxRecords = e.atoi(t, td, v)
		}
		if v, ok := e.arg(td, "max-bytes"); ok {
			lim.MaxBytes = e.atoi(t, td, v)
		}
		res, err := e.s.Read(cur, lim)
		if err != nil {
			return errText(err)
		}
		e.iters[name] = res.Next
		var b strings.Builder
		for _, r := range res.Records {
			b.WriteString(showRecord(r, td.HasArg("times")))
		}
		b.WriteString(showEnd(res))
		return b.String()

	case "split":
		return okOrErr(e.s.SplitShard(e.mustArg(t, td, "stream"), e.mustArg(t, td, "shard"), e.mustArg(t, td, "at")))

	case "merge":
		return okOrErr(e.s.MergeShards(e.mustArg(t, td, "stream"), e.mustArg(t, td, "shard"), e.mustArg(t, td, "adjacent")))

	case "reshard":
		return okOrErr(e.s.UpdateShardCount(e.mustArg(t, td, "stream"), e.atoi(t, td, e.mustArg(t, td, "count"))))

	case "checkpoint":
		return e.checkpoint(t, td)

	case "sweep":
		e.s.sweep()
		return ""
	}
	td.Fatalf(t, "unknown command %q", td.Cmd)
	return ""
}

func (e *ddEnv) open(t *testing.T) {
	s, err := Open(e.opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	e.s = s
	e.settle(t) // Open's first retention pass
}

func (e *ddEnv) append(t *testing.T, td *datadriven.TestData) string {
	var recs []Record
	for _, line := range strings.Split(td.Input, "\n") {
		if line == "" {
			continue
		}
		recs = append(recs, e.parseRecord(t, td, line))
	}
	res, err := e.s.Append(context.Background(), e.mustArg(t, td, "stream"), recs)
	if err != nil {
		return errText(err)
	}
	var b strings.Builder
	for i, r := range res {
		if r.Err != nil {
			fmt.Fprintf(&b, "%d: %s", i, errText(r.Err))
			continue
		}
		fmt.Fprintf(&b, "%d: %s %s\n", i, r.ShardID, r.SequenceNumber())
	}
	return b.String()
}

// parseRecord reads KEY[@HASH]: DATA. KEY may be a Go string literal.
func (e *ddEnv) parseRecord(t *testing.T, td *datadriven.TestData, line string) Record {
	var key, rest string
	if strings.HasPrefix(line, `"`) {
		q, err := strconv.QuotedPrefix(line)
		if err != nil {
			td.Fatalf(t, "bad quoted key in %q: %v", line, err)
		}
		key, _ = strconv.Unquote(q)
		rest = line[len(q):]
	} else {
		i := strings.IndexAny(line, "@:")
		if i < 0 {
			td.Fatalf(t, "want KEY[@HASH]: DATA, got %q", line)
		}
		key, rest = expand(line[:i]), line[i:]
	}
	var rec Record
	rec.PartitionKey = key
	if strings.HasPrefix(rest, "@") {
		h, r, ok := strings.Cut(rest[1:], ":")
		if !ok {
			td.Fatalf(t, "want KEY@HASH: DATA, got %q", line)
		}
		rec.ExplicitHashKey = e.value(t, td, h)
		rest = ":" + r
	}
	data, ok := strings.CutPrefix(rest, ":")
	if !ok {
		td.Fatalf(t, "want KEY[@HASH]: DATA, got %q", line)
	}
	data = strings.TrimPrefix(data, " ")
	if data != "" {
		rec.Data = []byte(expand(data))
	}
	return rec
}

func (e *ddEnv) seek(t *testing.T, td *datadriven.TestData) (Cursor, error) {
	pos := StartPosition{Type: IteratorType(e.mustArg(t, td, "type"))}
	if v, ok := e.arg(td, "seq"); ok {
		pos.SequenceNumber = v
	}
	if v, ok := e.arg(td, "ts"); ok {
		ts, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			td.Fatalf(t, "ts: %v", err)
		}
		pos.Timestamp = ts
	}
	return e.s.Seek(e.mustArg(t, td, "stream"), e.mustArg(t, td, "shard"), pos)
}

func (e *ddEnv) checkpoint(t *testing.T, td *datadriven.TestData) string {
	if len(td.CmdArgs) == 0 {
		td.Fatalf(t, "usage: checkpoint set|get|list ...")
	}
	consumer := e.mustArg(t, td, "consumer")
	switch td.CmdArgs[0].Key {
	case "set":
		cp := Checkpoint{Consumer: consumer, Stream: e.mustArg(t, td, "stream"), ShardID: e.mustArg(t, td, "shard")}
		cp.SequenceNumber, _ = e.arg(td, "seq")
		return okOrErr(e.s.SetCheckpoints(context.Background(), cp))
	case "get":
		seq, ok, err := e.s.GetCheckpoint(consumer, e.mustArg(t, td, "stream"), e.mustArg(t, td, "shard"))
		switch {
		case err != nil:
			return errText(err)
		case !ok:
			return "none\n"
		}
		return seq + "\n"
	case "list":
		cps, err := e.s.ListCheckpoints(consumer)
		if err != nil {
			return errText(err)
		}
		var b strings.Builder
		for _, cp := range cps {
			fmt.Fprintf(&b, "%s %s %s\n", cp.Stream, cp.ShardID, cp.SequenceNumber)
		}
		if len(cps) == 0 {
			return "none\n"
		}
		return b.String()
	}
	td.Fatalf(t, "usage: checkpoint set|get|list ...")
	return ""
}

// settle waits until this spool's janitor is idle: retention passes it
// starts on its own (at Open, after a drop_oldest stream grows past its
// cap, after a delete) finish before the next command reads state or moves
// the clock, so the output does not depend on scheduling.
func (e *ddEnv) settle(t *testing.T) {
	t.Helper()
	e.s.waitJanitorIdle()
}

// arg returns a single-valued argument, expanded and unquoted.
func (e *ddEnv) arg(td *datadriven.TestData, key string) (string, bool) {
	a, ok := td.Arg(key)
	if !ok {
		return "", false
	}
	if len(a.Vals) != 1 {
		td.Fatalf(e.t, "%s: want one value", key)
	}
	return e.value(e.t, td, a.Vals[0]), true
}

func (e *ddEnv) mustArg(t *testing.T, td *datadriven.TestData, key string) string {
	v, ok := e.arg(td, key)
	if !ok {
		td.Fatalf(t, "missing argument %s", key)
	}
	return v
}

// positional returns the single bare argument of "describe s", "delete s".
func (e *ddEnv) positional(t *testing.T, td *datadriven.TestData) string {
	if len(td.CmdArgs) != 1 || len(td.CmdArgs[0].Vals) != 0 {
		td.Fatalf(t, "usage: %s <stream>", td.Cmd)
	}
	return e.value(t, td, td.CmdArgs[0].Key)
}

func (e *ddEnv) value(t *testing.T, td *datadriven.TestData, v string) string {
	v = expand(v)
	if strings.HasPrefix(v, `"`) {
		u, err := strconv.Unquote(v)
		if err != nil {
			td.Fatalf(t, "bad string literal %s: %v", v, err)
		}
		return u
	}
	return v
}

func (e *ddEnv) atoi(t *testing.T, td *datadriven.TestData, v string) int {
	n, err := strconv.Atoi(v)
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	return n
}

func (e *ddEnv) duration(t *testing.T, td *datadriven.TestData, v string) time.Duration {
	d, err := time.ParseDuration(v)
	if err != nil {
		td.Fatalf(t, "%v", err)
	}
	return d
}

var repeatRE = regexp.MustCompile(`\{([^*{}]+)\*(\d+)\}`)

// expand replaces {S*N} with S repeated N times.
func expand(s string) string {
	return repeatRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := repeatRE.FindStringSubmatch(m)
		n, _ := strconv.Atoi(sub[2])
		return strings.Repeat(sub[1], n)
	})
}

// show prints a key or payload: as is when short and printable, {c*N} for a
// long run of one character, <N bytes> for other long values, and a Go
// literal otherwise.
func show(s string) string {
	if s == "" {
		return `""`
	}
	if r, size := utf8.DecodeRuneInString(s); r != utf8.RuneError && len(s) > 16 && strings.Count(s, string(r))*size == len(s) {
		return fmt.Sprintf("{%c*%d}", r, len(s)/size)
	}
	if len(s) > 48 {
		return fmt.Sprintf("<%d bytes>", len(s))
	}
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || r == '"' {
			return strconv.Quote(s)
		}
	}
	return s
}

func showRecord(r StoredRecord, times bool) string {
	line := fmt.Sprintf("%s %s: %s", r.SequenceNumber(), show(r.PartitionKey), show(string(r.Data)))
	if times {
		line += " (" + fmtTime(r.Arrival) + ")"
	}
	return line + "\n"
}

// showEnd prints where a batch leaves its cursor (the next counter to read)
// and how far behind the shard's newest record the batch's last one is.
func showEnd(res ReadResult) string {
	s := fmt.Sprintf("next=%d behind=%dms\n", res.Next.Seq, res.MillisBehind)
	if res.EndOfShard {
		s += showChildren(res)
	}
	return s
}

func showChildren(res ReadResult) string {
	var ids []string
	for _, c := range res.ChildShards {
		ids = append(ids, c.ID)
	}
	return "end of shard; children=(" + strings.Join(ids, ", ") + ")\n"
}

func describe(info StreamInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: retention=%s max-bytes=%d when-full=%s created=%s records=%d bytes=%d",
		info.Name, info.Retention, info.MaxBytes, info.WhenFull, fmtTime(info.Created), info.Records, info.Bytes)
	if info.System {
		b.WriteString(" system")
	}
	b.WriteString("\n")
	for _, sh := range info.Shards {
		state := "open"
		if !sh.Open() {
			state = "closed"
		}
		fmt.Fprintf(&b, "  %s %s [%s, %s]", sh.ID, state, sh.HashRange.Start, sh.HashRange.End)
		if len(sh.ParentShardIDs) > 0 {
			fmt.Fprintf(&b, " parents=(%s)", strings.Join(sh.ParentShardIDs, ", "))
		}
		if len(sh.ChildShardIDs) > 0 {
			fmt.Fprintf(&b, " children=(%s)", strings.Join(sh.ChildShardIDs, ", "))
		}
		fmt.Fprintf(&b, "\n    created=%s records=%d bytes=%d", fmtTime(sh.Created), sh.Records, sh.Bytes)
		if sh.LastSequence != "" {
			fmt.Fprintf(&b, " last=%s", sh.LastSequence)
		}
		if sh.EndingSequence != "" {
			fmt.Fprintf(&b, " end=%s", sh.EndingSequence)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

var sentinels = []struct {
	name string
	err  error
}{
	{"ErrStreamNotFound", ErrStreamNotFound},
	{"ErrStreamExists", ErrStreamExists},
	{"ErrShardNotFound", ErrShardNotFound},
	{"ErrInvalidArgument", ErrInvalidArgument},
	{"ErrRecordTooLarge", ErrRecordTooLarge},
	{"ErrStreamFull", ErrStreamFull},
	{"ErrDiskFull", ErrDiskFull},
	{"ErrShardClosed", ErrShardClosed},
	{"ErrClosed", ErrClosed},
	{"ErrTooLarge", ErrTooLarge},
}

func errText(err error) string {
	kind := "unclassified"
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			kind = s.name
			break
		}
	}
	return fmt.Sprintf("error %s: %v\n", kind, err)
}

func okOrErr(err error) string {
	if err != nil {
		return errText(err)
	}
	return "ok\n"
}
