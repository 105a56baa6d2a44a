package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
)

// videoSubcommands describe "tributary video", in help order.
var videoSubcommands = subcommands{"video", []subcommand{
	{"ls", "", "list video streams: live, recording, viewers, what they store"},
	{"describe", "NAME", "show a video stream"},
	{"record", "start|stop NAME", "start or stop recording a stream (with a schedule: until its next boundary)"},
	{"fragments", "NAME [--start T] [--end T] [--limit N]", "list stored fragments (T: RFC 3339, or a duration back from now like 10m)"},
	{"clip", "NAME --start T --end T [--format mp4|webm] --out FILE", "export a clip (MP4 for H.264, WebM for VP8)"},
}}

func videoCmd(e *env, args []string) int {
	if len(args) == 0 {
		videoSubcommands.usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "ls", "list", "describe":
		return videoLs(e, args[0], args[1:])
	case "record":
		return videoRecord(e, args[1:])
	case "fragments":
		return videoFragments(e, args[1:])
	case "clip":
		return videoClip(e, args[1:])
	case "help", "-h", "-help", "--help":
		videoSubcommands.usage(e.stdout)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "error: unknown command \"video %s\"\n\n", args[0])
	videoSubcommands.usage(e.stderr)
	return exitUsage
}

func videoLs(e *env, cmd string, args []string) int {
	var cf clientFlags
	name, want := "ls", 0
	if cmd == "describe" {
		name, want = "describe", 1
	}
	fs := videoSubcommands.flagSet(e, name, &cf)
	pos, code, ok := parseNamed(e, fs, &cf, args, want, "video stream")
	if !ok {
		return code
	}
	c := &api.Client{Base: cf.baseURL()}
	var list []api.VideoStream
	var err error
	if want == 0 {
		list, err = c.ListVideoStreams(e.ctx)
	} else {
		var s api.VideoStream
		s, err = c.DescribeVideoStream(e.ctx, pos[0])
		list = []api.VideoStream{s}
	}
	if err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if cf.output == "json" {
		if want == 0 {
			writeJSON(e.stdout, api.VideoStreamList{Streams: list})
		} else {
			writeJSON(e.stdout, list[0])
		}
		return exitOK
	}
	writeVideoTable(e.stdout, list)
	return exitOK
}

func writeVideoTable(w io.Writer, list []api.VideoStream) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLIVE\tRECORDING\tTRACKS\tVIEWERS\tFRAGMENTS\tBYTES\tOLDEST\tRETENTION\tDROPPED\tLAST ERROR")
	for _, s := range list {
		oldest := "-"
		if !s.Oldest.IsZero() {
			oldest = time.Since(s.Oldest).Round(time.Second).String() + " ago"
		}
		tracks := strings.Join(s.Tracks, "+")
		if tracks == "" {
			tracks = "-"
		}
		lastErr := "-"
		if s.LastError != "" {
			lastErr = truncateText(s.LastError, 60)
		}
		fmt.Fprintf(tw, "%s\t%v\t%v\t%s\t%d\t%d\t%d\t%s\t%s/%d B %s\t%d\t%s\n", s.Name, s.Live, s.Recording, tracks, s.Viewers, s.Stored, s.Bytes, oldest,
			s.MaxAge, s.MaxBytes, s.WhenFull, s.Dropped+s.Denied+s.WriteErrs, lastErr)
	}
	tw.Flush()
}

func videoRecord(e *env, args []string) int {
	var cf clientFlags
	fs := videoSubcommands.flagSet(e, "record", &cf)
	pos, code, ok := parseNamed(e, fs, &cf, args, 2, "start|stop and video stream")
	if !ok {
		return code
	}
	if pos[0] != "start" && pos[0] != "stop" {
		return usageError(e, fs, "want start or stop, not %q", pos[0])
	}
	c := &api.Client{Base: cf.baseURL()}
	s, err := c.SetRecording(e.ctx, pos[1], pos[0] == "start")
	if err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if cf.output == "json" {
		writeJSON(e.stdout, s)
		return exitOK
	}
	writeVideoTable(e.stdout, []api.VideoStream{s})
	return exitOK
}

// timeFlag reads an RFC 3339 time or a duration back from now ("10m").
func timeFlag(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time (2026-11-26T12:00:00Z) or a duration back from now (10m)", s)
}

func videoFragments(e *env, args []string) int {
	var cf clientFlags
	fs := videoSubcommands.flagSet(e, "fragments", &cf)
	startS := fs.String("start", "", "from `T` (RFC 3339, or a duration back from now)")
	endS := fs.String("end", "", "until `T`")
	limit := fs.Int("limit", 0, "at most `N` fragments")
	pos, code, ok := parseNamed(e, fs, &cf, args, 1, "video stream")
	if !ok {
		return code
	}
	now := time.Now()
	start, err := timeFlag(*startS, now)
	if err != nil {
		return usageError(e, fs, "--start %v", err)
	}
	end, err := timeFlag(*endS, now)
	if err != nil {
		return usageError(e, fs, "--end %v", err)
	}
	c := &api.Client{Base: cf.baseURL()}
	frags, err := c.ListFragments(e.ctx, pos[0], start, end, *limit)
	if err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if cf.output == "json" {
		writeJSON(e.stdout, api.FragmentList{Stream: pos[0], Fragments: frags})
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NUMBER\tSERVER TIME\tPRODUCER TIME\tDURATION\tFRAMES\tKEYFRAMES\tBYTES\tTRACKS")
	for _, f := range frags {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", f.Number, f.ServerTime.Format(time.RFC3339Nano), f.ProducerTime.Format(time.RFC3339Nano),
			time.Duration(f.DurationMs)*time.Millisecond, f.Frames, f.Keyframes, f.Size, strings.Join(f.Tracks, "+"))
	}
	tw.Flush()
	return exitOK
}

func videoClip(e *env, args []string) int {
	var cf clientFlags
	fs := videoSubcommands.flagSet(e, "clip", &cf)
	startS := fs.String("start", "", "from `T` (RFC 3339, or a duration back from now)")
	endS := fs.String("end", "", "until `T` (default now)")
	format := fs.String("format", "", "mp4 or webm (default: by codec)")
	out := fs.String("out", "", "write the clip to `FILE` (- for stdout)")
	pos, code, ok := parseNamed(e, fs, &cf, args, 1, "video stream")
	if !ok {
		return code
	}
	now := time.Now()
	start, err := timeFlag(*startS, now)
	if err != nil || start.IsZero() {
		return usageError(e, fs, "--start: %v", cmpErr(err, "required"))
	}
	end, err := timeFlag(*endS, now)
	if err != nil {
		return usageError(e, fs, "--end %v", err)
	}
	if end.IsZero() {
		end = now
	}
	if *out == "" {
		return usageError(e, fs, "--out FILE is required (- for stdout)")
	}
	var w io.Writer = e.stdout
	var f *os.File
	if *out != "-" {
		if f, err = os.Create(*out); err != nil {
			fmt.Fprintf(e.stderr, "error: %v\n", err)
			return exitFailure
		}
		w = f
	}
	c := &api.Client{Base: cf.baseURL()}
	ctype, err := c.GetClip(e.ctx, pos[0], start, end, *format, w)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(*out)
		}
	}
	if err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if f != nil {
		st, _ := os.Stat(*out)
		fmt.Fprintf(e.stderr, "wrote %s (%s, %d bytes)\n", *out, ctype, st.Size())
	}
	return exitOK
}

func cmpErr(err error, otherwise string) any {
	if err != nil {
		return err
	}
	return otherwise
}
