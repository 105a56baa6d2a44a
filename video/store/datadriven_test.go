package store

// Datadriven tests (STYLE.md practice 7): testdata/ops/*.txt drive a store
// through a small command language and compare what it prints. Regenerate
// the expected output with
//
//	go test ./video/store/ -run TestDatadriven -rewrite
//
// and then READ the diff: every expected block is a claim about the
// store's contract (doc.go). After every command the store's in-memory
// state is checked against a scan of its keys (checkInvariants).
//
// Times are offsets from 2026-01-01T00:00:00Z, where the fake clock
// starts. Commands:
//
//	open | reopen | close         Open on the test's directory; Close and Open; Close
//	advance <duration>            move the clock
//	limits stream=S [max-age=D] [max-bytes=N] [policy=delete_oldest|deny_new]
//	put stream=S                  one fragment per input line:
//	                              OFFSET DURATION PAYLOAD-BYTES [n=NUMBER]
//	list stream=S [from=OFF] [to=OFF] [limit=N]
//	range stream=S [from=OFF] [to=OFF]
//	get stream=S n=N
//	usage stream=S | next stream=S | last stream=S | limits-of stream=S
//	streams
//	delete stream=S
//	sweep                         one janitor pass now
//
// Errors print as "error <Sentinel>: <message>".

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/tributary-edge/tributary/video/media"
)

func TestDatadriven(t *testing.T) {
	datadriven.Walk(t, "testdata/ops", func(t *testing.T, path string) {
		h := &harness{t: t, clock: newFakeClock()}
		h.opts = testOptions(t, h.clock)
		defer func() {
			if h.s != nil {
				h.s.Close()
			}
		}()
		datadriven.RunTest(t, path, h.run)
	})
}

type harness struct {
	t     *testing.T
	clock *fakeClock
	opts  Options
	s     *Store
}

func (h *harness) run(t *testing.T, d *datadriven.TestData) string {
	out := h.exec(t, d)
	if h.s != nil {
		if err := invariantErr(h.s); err != nil {
			t.Fatalf("%s: after %q: %v", d.Pos, d.Cmd, err)
		}
	}
	return out
}

func (h *harness) exec(t *testing.T, d *datadriven.TestData) string {
	args := map[string]string{}
	for _, a := range d.CmdArgs {
		args[a.Key] = strings.Join(a.Vals, ",")
	}
	stream := args["stream"]
	switch d.Cmd {
	case "open":
		h.s = h.open(t)
		return "ok"
	case "reopen":
		if err := h.s.Close(); err != nil {
			return errString(err)
		}
		h.s = h.open(t)
		return "ok"
	case "close":
		err := h.s.Close()
		h.s = nil
		return errString(err)
	case "advance":
		dur, err := time.ParseDuration(d.CmdArgs[0].Key)
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(dur)
		return "now " + offset(h.clock.Now())
	case "limits":
		var l Limits
		var err error
		if v, ok := args["max-age"]; ok {
			l.MaxAge = mustDuration(t, v)
		}
		if v, ok := args["max-bytes"]; ok {
			l.MaxBytes = mustInt(t, v)
		}
		if v, ok := args["policy"]; ok {
			if l.Policy, err = ParsePolicy(v); err != nil {
				return errString(err)
			}
		}
		return errString(h.s.SetLimits(stream, l))
	case "limits-of":
		l, err := h.s.StreamLimits(stream)
		if err != nil {
			return errString(err)
		}
		return fmt.Sprintf("max-age=%v max-bytes=%d policy=%v", l.MaxAge, l.MaxBytes, l.Policy)
	case "put":
		var b strings.Builder
		for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
			f := strings.Fields(line)
			if len(f) < 3 {
				t.Fatalf("%s: put line %q: want OFFSET DURATION PAYLOAD [n=NUMBER]", d.Pos, line)
			}
			frag := fragment(mustDuration(t, f[0]), mustDuration(t, f[1]), int(mustInt(t, f[2])))
			if len(f) > 3 {
				frag.Number = uint64(mustInt(t, strings.TrimPrefix(f[3], "n=")))
			}
			if err := h.s.Put(stream, frag); err != nil {
				fmt.Fprintf(&b, "%s\n", errString(err))
				continue
			}
			size, _ := EncodedSize(frag)
			fmt.Fprintf(&b, "#%d size=%d\n", frag.Number, size)
		}
		return b.String()
	case "list":
		from, to := h.span(t, args)
		limit := 0
		if v, ok := args["limit"]; ok {
			limit = int(mustInt(t, v))
		}
		infos, err := h.s.List(stream, from, to, limit)
		if err != nil {
			return errString(err)
		}
		var b strings.Builder
		for _, in := range infos {
			fmt.Fprintf(&b, "#%d at=%s dur=%v size=%d frames=%d keyframes=%d tracks=%v\n",
				in.Number, offset(in.ServerTime), in.Duration, in.Size, in.Frames, in.Keyframes, tracks(in.Tracks))
		}
		if len(infos) == 0 {
			return "none"
		}
		return b.String()
	case "range":
		from, to := h.span(t, args)
		var got []string
		err := h.s.Range(context.Background(), stream, from, to, func(f *media.Fragment) error {
			s := fmt.Sprintf("#%d", f.Number)
			if bad := checkIntact(f); bad != "" {
				s += " CORRUPT: " + bad
			}
			got = append(got, s)
			return nil
		})
		if err != nil {
			got = append(got, errString(err))
		}
		if len(got) == 0 {
			return "none"
		}
		return strings.Join(got, " ")
	case "get":
		f, err := h.s.Get(stream, uint64(mustInt(t, args["n"])))
		if err != nil {
			return errString(err)
		}
		state := "intact"
		if bad := checkIntact(f); bad != "" {
			state = "CORRUPT: " + bad
		}
		return fmt.Sprintf("#%d at=%s dur=%v payload=%d %s", f.Number, offset(f.ServerTime), f.Duration, f.Size(), state)
	case "usage":
		u, err := h.s.Usage(stream)
		if err != nil {
			return errString(err)
		}
		if u.Fragments == 0 {
			return fmt.Sprintf("bytes=%d fragments=0", u.Bytes)
		}
		return fmt.Sprintf("bytes=%d fragments=%d oldest=%s newest=%s", u.Bytes, u.Fragments, offset(u.Oldest), offset(u.Newest))
	case "next":
		n, err := h.s.NextNumber(stream)
		if err != nil {
			return errString(err)
		}
		return strconv.FormatUint(n, 10)
	case "last":
		in, err := h.s.Last(stream)
		if err != nil {
			return errString(err)
		}
		return fmt.Sprintf("#%d at=%s", in.Number, offset(in.ServerTime))
	case "streams":
		return fmt.Sprint(h.s.Streams())
	case "delete":
		return errString(h.s.DeleteStream(stream))
	case "sweep":
		h.s.sweep()
		return "ok"
	}
	t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
	return ""
}

func (h *harness) open(t *testing.T) *Store {
	s, err := Open(h.opts)
	if err != nil {
		t.Fatal(err)
	}
	<-s.firstPass // so that output does not depend on the janitor's timing
	return s
}

func (h *harness) span(t *testing.T, args map[string]string) (from, to time.Time) {
	if v, ok := args["from"]; ok {
		from = base.Add(mustDuration(t, v))
	}
	if v, ok := args["to"]; ok {
		to = base.Add(mustDuration(t, v))
	}
	return from, to
}

var sentinels = []struct {
	name string
	err  error
}{
	{"ErrNotFound", ErrNotFound},
	{"ErrInvalidArgument", ErrInvalidArgument},
	{"ErrOutOfOrder", ErrOutOfOrder},
	{"ErrTooLarge", ErrTooLarge},
	{"ErrFull", ErrFull},
	{"ErrDiskFull", ErrDiskFull},
	{"ErrCorrupt", ErrCorrupt},
	{"ErrClosed", ErrClosed},
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return fmt.Sprintf("error %s: %v", s.name, err)
		}
	}
	return fmt.Sprintf("error (no sentinel): %v", err)
}

func offset(t time.Time) string { return t.Sub(base).String() }

func tracks(ts []media.Track) string {
	var parts []string
	for _, tr := range ts {
		parts = append(parts, tr.Codec.String())
	}
	return strings.Join(parts, "+")
}

func mustDuration(t *testing.T, s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustInt(t *testing.T, s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
