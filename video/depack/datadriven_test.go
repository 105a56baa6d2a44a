package depack

// Datadriven tests (STYLE.md practice 7): testdata/depack/*.txt drive a
// Depacketizer packet by packet and print what comes out. Regenerate the
// expected output with
//
//	go test ./video/depack/ -run TestDatadriven -rewrite
//
// and then READ the diff: every block is a claim about RFC 6184/7741/7587
// reassembly, reordering, loss or timestamps.
//
// Lines starting with # are comments. Commands:
//
//	new codec=h264|vp8|opus [reorder=N] [delay=D] [max-frame=N] [max-nal=N]
//	    [params=NAME,...] [fwd=D] [back=D]
//	push             one packet per line: SEQ TS [m] [@MS] [ssrc=X] PAYLOAD
//	                 (m: marker bit; @MS: arrival in ms, default the
//	                 previous one; PAYLOAD: see payloadOf)
//	advance MS       Advance to arrival MS
//	flush            Flush
//	pts TS           PTS of an RTP timestamp (sender report conversion)
//	stats            non-zero counters and NeedKeyframe
//
// Frames print as "SEQ: frame pts=N [key] size=N nals=T,T" (nals for H.264,
// hex bytes for VP8 and Opus), errors as "SEQ: error MESSAGE".

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/pion/rtp"

	"github.com/tributary-edge/tributary/video/media"
)

func TestDatadriven(t *testing.T) {
	if files, _ := filepath.Glob("testdata/depack/*.txt"); len(files) < 5 {
		t.Fatalf("%d test files under testdata/depack, want at least 5", len(files))
	}
	datadriven.Walk(t, "testdata/depack", func(t *testing.T, path string) {
		e := &ddEnv{}
		datadriven.RunTest(t, path, e.run)
	})
}

var ddBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

type ddEnv struct {
	d       *Depacketizer
	codec   media.Codec
	arrival time.Time
}

func (e *ddEnv) run(t *testing.T, td *datadriven.TestData) string {
	if td.Cmd != "new" && e.d == nil {
		td.Fatalf(t, "%s before new", td.Cmd)
	}
	var b strings.Builder
	switch td.Cmd {
	case "new":
		e.newDepack(t, td)
	case "push":
		for line := range strings.SplitSeq(strings.TrimSpace(td.Input), "\n") {
			if line = strings.TrimSpace(line); line == "" || line[0] == '#' {
				continue
			}
			seq, pkt, err := e.parsePacket(line)
			if err != nil {
				td.Fatalf(t, "%q: %v", line, err)
			}
			frames, perr := e.d.Push(pkt, e.arrival)
			e.print(&b, seq, frames, perr)
		}
	case "advance":
		ms, err := strconv.Atoi(td.CmdArgs[0].Key)
		if err != nil {
			td.Fatalf(t, "advance: %v", err)
		}
		e.arrival = ddBase.Add(time.Duration(ms) * time.Millisecond)
		frames, err := e.d.Advance(e.arrival)
		e.print(&b, "advance", frames, err)
	case "flush":
		frames, err := e.d.Flush()
		e.print(&b, "flush", frames, err)
	case "pts":
		ts, err := strconv.ParseUint(td.CmdArgs[0].Key, 10, 32)
		if err != nil {
			td.Fatalf(t, "pts: %v", err)
		}
		pts, ok := e.d.PTS(uint32(ts))
		fmt.Fprintf(&b, "pts=%d ok=%v\n", pts, ok)
	case "stats":
		printStats(&b, e.d.Stats())
		fmt.Fprintf(&b, "need-keyframe=%v\n", e.d.NeedKeyframe())
	default:
		td.Fatalf(t, "unknown command %q", td.Cmd)
	}
	return b.String()
}

func (e *ddEnv) newDepack(t *testing.T, td *datadriven.TestData) {
	var o Options
	e.arrival = ddBase
	for _, a := range td.CmdArgs {
		v := ""
		if len(a.Vals) > 0 {
			v = a.Vals[0]
		}
		var err error
		switch a.Key {
		case "codec":
			e.codec = map[string]media.Codec{"h264": media.CodecH264, "vp8": media.CodecVP8, "opus": media.CodecOpus, "none": media.CodecUnknown}[v]
		case "reorder":
			o.ReorderPackets, err = strconv.Atoi(v)
		case "delay":
			o.ReorderDelay, err = time.ParseDuration(v)
		case "max-frame":
			o.MaxFrameSize, err = strconv.Atoi(v)
		case "max-nal":
			o.MaxNALSize, err = strconv.Atoi(v)
		case "fwd":
			o.MaxForwardJump, err = time.ParseDuration(v)
		case "back":
			o.MaxBackwardJump, err = time.ParseDuration(v)
		case "params":
			for _, n := range a.Vals {
				o.ParameterSets = append(o.ParameterSets, testNALs[n])
			}
		default:
			td.Fatalf(t, "new: unknown argument %q", a.Key)
		}
		if err != nil {
			td.Fatalf(t, "new %s: %v", a.Key, err)
		}
	}
	if err := o.Validate(); err != nil {
		td.Fatalf(t, "%v", err)
	}
	e.d = New(e.codec, o)
}

func (e *ddEnv) parsePacket(line string) (string, *rtp.Packet, error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return "", nil, fmt.Errorf("want SEQ TS ...")
	}
	seq, err := strconv.ParseUint(f[0], 10, 16)
	if err != nil {
		return "", nil, err
	}
	ts, err := strconv.ParseUint(f[1], 10, 32)
	if err != nil {
		return "", nil, err
	}
	pkt := testPacket(uint16(seq), uint32(ts), false, nil)
	rest := f[2:]
	for len(rest) > 0 {
		switch tok := rest[0]; {
		case tok == "m":
			pkt.Marker = true
		case strings.HasPrefix(tok, "@"):
			ms, err := strconv.Atoi(tok[1:])
			if err != nil {
				return "", nil, err
			}
			e.arrival = ddBase.Add(time.Duration(ms) * time.Millisecond)
		case strings.HasPrefix(tok, "ssrc="):
			v, err := strconv.ParseUint(tok[5:], 10, 32)
			if err != nil {
				return "", nil, err
			}
			pkt.SSRC = uint32(v)
		default:
			pkt.Payload, err = payloadOf(strings.Join(rest, " "))
			return f[0], pkt, err
		}
		rest = rest[1:]
	}
	return f[0], pkt, nil
}

func (e *ddEnv) print(b *strings.Builder, at string, frames []media.Frame, err error) {
	for _, fr := range frames {
		key := ""
		if fr.Keyframe {
			key = " key"
		}
		fmt.Fprintf(b, "%s: frame pts=%d%s size=%d", at, fr.PTS, key, len(fr.Data))
		if e.codec == media.CodecH264 {
			types, terr := nalTypes(fr.Data)
			if terr != nil {
				fmt.Fprintf(b, " BAD ANNEX-B: %v", terr)
			}
			fmt.Fprintf(b, " nals=%s", strings.Trim(strings.Join(strings.Fields(fmt.Sprint(types)), ","), "[]"))
		} else {
			fmt.Fprintf(b, " data=%s", hex.EncodeToString(fr.Data))
		}
		b.WriteString("\n")
	}
	if err != nil {
		fmt.Fprintf(b, "%s: error %v\n", at, err)
	}
}

// printStats prints the non-zero counters of s, one per line.
func printStats(b *strings.Builder, s Stats) {
	v := reflect.ValueOf(s)
	for i := range v.NumField() {
		if n := v.Field(i).Int(); n != 0 {
			fmt.Fprintf(b, "%s=%d\n", v.Type().Field(i).Name, n)
		}
	}
}
