package fragment

// Datadriven tests (STYLE.md practice 7): testdata/fragment/*.txt drive a
// Builder frame by frame and print the fragments it returns. Regenerate the
// expected output with
//
//	go test ./video/fragment/ -run TestDatadriven -rewrite
//
// and then READ the diff: every block is a claim about where fragments are
// cut and what their numbers and times are.
//
// Lines starting with # are comments. Commands:
//
//	new tracks=CODEC,... [first=N] [target=D] [max-dur=D] [max-bytes=N]
//	    [max-frames=N] [max-gap=D] [skew=D]
//	add              one frame per line: TRACK PTS [key] SIZE [@ARRIVAL]
//	gen from=S to=S [v=FPS] [a=FPS] [gop=S] [vsize=N] [asize=N] [at=S]
//	    [speed=X]    video (first video track) and audio (first audio
//	                 track) frames interleaved by PTS, a keyframe every gop
//	                 seconds; arrival = at + (PTS-from)/speed
//	sr TRACK NTP PTS a sender report
//	flush
//	stats            non-zero counters and NeedKeyframe
//
// PTS, ARRIVAL, NTP and S are seconds (decimals allowed); PTS converts to
// the track's clock. ARRIVAL defaults to PTS. Times print as seconds after
// the base instant. A fragment prints as
//
//	#NUMBER server=S producer=S dur=D frames=T:N,... bytes=N pts=FIRST..LAST
//
// prefixed with the frame that completed it.

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/tributary-edge/tributary/video/media"
)

func TestDatadriven(t *testing.T) {
	if files, _ := filepath.Glob("testdata/fragment/*.txt"); len(files) < 5 {
		t.Fatalf("%d test files under testdata/fragment, want at least 5", len(files))
	}
	datadriven.Walk(t, "testdata/fragment", func(t *testing.T, path string) {
		e := &ddEnv{}
		datadriven.RunTest(t, path, e.run)
	})
}

var ddBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

type ddEnv struct {
	b      *Builder
	tracks []media.Track
	// check verifies the invariants of every fragment returned.
	last *media.Fragment
}

func secs(s string) (float64, error) { return strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64) }

func at(s float64) time.Time { return ddBase.Add(time.Duration(math.Round(s * 1e9))) }

func (e *ddEnv) run(t *testing.T, td *datadriven.TestData) string {
	if td.Cmd != "new" && e.b == nil {
		td.Fatalf(t, "%s before new", td.Cmd)
	}
	var b strings.Builder
	switch td.Cmd {
	case "new":
		e.newBuilder(t, td)
	case "add":
		for line := range strings.SplitSeq(strings.TrimSpace(td.Input), "\n") {
			if line = strings.TrimSpace(line); line == "" || line[0] == '#' {
				continue
			}
			f, arrival, err := e.parseFrame(line)
			if err != nil {
				td.Fatalf(t, "%q: %v", line, err)
			}
			e.print(t, &b, line, e.b.Add(f, arrival)...)
		}
	case "gen":
		e.gen(t, td, &b)
	case "sr":
		if len(td.CmdArgs) != 3 {
			td.Fatalf(t, "sr TRACK NTP PTS")
		}
		tr, err1 := strconv.Atoi(td.CmdArgs[0].Key)
		ntp, err2 := secs(td.CmdArgs[1].Key)
		pts, err3 := secs(td.CmdArgs[2].Key)
		if err1 != nil || err2 != nil || err3 != nil {
			td.Fatalf(t, "sr: bad arguments")
		}
		e.b.SetSenderReport(uint8(tr), at(ntp), e.ticks(tr, pts))
	case "flush":
		if f := e.b.Flush(); f != nil {
			e.print(t, &b, "flush", f)
		}
	case "stats":
		v := reflect.ValueOf(e.b.Stats())
		for i := range v.NumField() {
			if n := v.Field(i).Int(); n != 0 {
				fmt.Fprintf(&b, "%s=%d\n", v.Type().Field(i).Name, n)
			}
		}
		fmt.Fprintf(&b, "need-keyframe=%v\n", e.b.NeedKeyframe())
	default:
		td.Fatalf(t, "unknown command %q", td.Cmd)
	}
	return b.String()
}

func (e *ddEnv) newBuilder(t *testing.T, td *datadriven.TestData) {
	var o Options
	e.tracks, e.last = nil, nil
	for _, a := range td.CmdArgs {
		v := ""
		if len(a.Vals) > 0 {
			v = a.Vals[0]
		}
		var err error
		switch a.Key {
		case "tracks":
			for _, c := range a.Vals {
				tr := media.Track{Codec: map[string]media.Codec{"h264": media.CodecH264, "vp8": media.CodecVP8, "opus": media.CodecOpus}[c]}
				if tr.Codec == media.CodecOpus {
					tr.Channels = 2
				}
				e.tracks = append(e.tracks, tr)
			}
		case "first":
			o.FirstNumber, err = strconv.ParseUint(v, 10, 64)
		case "target":
			o.TargetDuration, err = time.ParseDuration(v)
		case "max-dur":
			o.MaxDuration, err = time.ParseDuration(v)
		case "max-bytes":
			o.MaxBytes, err = strconv.Atoi(v)
		case "max-frames":
			o.MaxFrames, err = strconv.Atoi(v)
		case "max-gap":
			o.MaxGap, err = time.ParseDuration(v)
		case "skew":
			o.MaxClockSkew, err = time.ParseDuration(v)
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
	e.b = NewBuilder(e.tracks, o)
}

func (e *ddEnv) ticks(track int, s float64) int64 {
	rate := uint32(90000)
	if track < len(e.tracks) {
		rate = e.tracks[track].Codec.ClockRate()
	}
	return int64(math.Round(s * float64(rate)))
}

func (e *ddEnv) parseFrame(line string) (media.Frame, time.Time, error) {
	f := strings.Fields(line)
	if len(f) < 3 {
		return media.Frame{}, time.Time{}, fmt.Errorf("want TRACK PTS [key] SIZE [@ARRIVAL]")
	}
	tr, err := strconv.Atoi(f[0])
	if err != nil {
		return media.Frame{}, time.Time{}, err
	}
	pts, err := secs(f[1])
	if err != nil {
		return media.Frame{}, time.Time{}, err
	}
	fr := media.Frame{Track: uint8(tr), PTS: e.ticks(tr, pts)}
	arrival := at(pts)
	for _, tok := range f[2:] {
		switch {
		case tok == "key":
			fr.Keyframe = true
		case strings.HasPrefix(tok, "@"):
			a, err := secs(tok[1:])
			if err != nil {
				return media.Frame{}, time.Time{}, err
			}
			arrival = at(a)
		default:
			n, err := strconv.Atoi(tok)
			if err != nil {
				return media.Frame{}, time.Time{}, err
			}
			fr.Data = make([]byte, n)
		}
	}
	return fr, arrival, nil
}

// gen adds video and audio frames in PTS order and prints the fragments.
func (e *ddEnv) gen(t *testing.T, td *datadriven.TestData, b *strings.Builder) {
	p := map[string]float64{"vsize": 1000, "asize": 100, "speed": 1, "gop": 2}
	for _, a := range td.CmdArgs {
		v, err := secs(a.Vals[0])
		if err != nil {
			td.Fatalf(t, "gen %s: %v", a.Key, err)
		}
		p[a.Key] = v
	}
	vt, augt := -1, -1
	for i, tr := range e.tracks {
		if tr.Codec.IsVideo() && vt < 0 {
			vt = i
		}
		if tr.Codec == media.CodecOpus && augt < 0 {
			augt = i
		}
	}
	type ev struct {
		track int
		pts   float64
		key   bool
		size  int
	}
	var evs []ev
	if p["v"] > 0 && vt >= 0 {
		for i := 0; ; i++ {
			s := p["from"] + float64(i)/p["v"]
			if s >= p["to"]-1e-9 {
				break
			}
			k := math.Mod(s-p["from"]+1e-9, p["gop"]) < 1e-6
			evs = append(evs, ev{vt, s, k, int(p["vsize"])})
		}
	}
	if p["a"] > 0 && augt >= 0 {
		var merged []ev
		vi := 0
		for i := 0; ; i++ {
			s := p["from"] + float64(i)/p["a"]
			if s >= p["to"]-1e-9 {
				break
			}
			for vi < len(evs) && evs[vi].pts <= s {
				merged = append(merged, evs[vi])
				vi++
			}
			merged = append(merged, ev{augt, s, true, int(p["asize"])})
		}
		evs = append(merged, evs[vi:]...)
	}
	for _, x := range evs {
		fr := media.Frame{Track: uint8(x.track), PTS: e.ticks(x.track, x.pts), Keyframe: x.key, Data: make([]byte, x.size)}
		arrival := at(p["at"] + (x.pts-p["from"])/p["speed"])
		key := ""
		if x.key {
			key = " key"
		}
		e.print(t, b, fmt.Sprintf("%d %.3f%s", x.track, x.pts, key), e.b.Add(fr, arrival)...)
	}
}

// print prints fragments and checks the invariants every fragment keeps.
func (e *ddEnv) print(t *testing.T, b *strings.Builder, trigger string, frags ...*media.Fragment) {
	for _, f := range frags {
		e.check(t, f)
		counts := make([]int, len(e.tracks))
		for _, fr := range f.Frames {
			counts[fr.Track]++
		}
		var cs []string
		for i, n := range counts {
			cs = append(cs, fmt.Sprintf("%d:%d", i, n))
		}
		first, last := f.Frames[0], f.Frames[len(f.Frames)-1]
		fmt.Fprintf(b, "%s -> #%d server=%.3f producer=%.3f dur=%v frames=%s bytes=%d pts=%.3f..%.3f\n",
			trigger, f.Number, f.ServerTime.Sub(ddBase).Seconds(), f.ProducerTime.Sub(ddBase).Seconds(),
			f.Duration, strings.Join(cs, ","), f.Size(), e.seconds(first), e.seconds(last))
	}
}

func (e *ddEnv) seconds(f media.Frame) float64 {
	return float64(f.PTS) / float64(e.tracks[f.Track].Codec.ClockRate())
}

// check enforces what every fragment promises: it starts at a keyframe of
// the reference track, numbers increase by one, times never overlap and
// strictly increase, frames within a track keep PTS order.
func (e *ddEnv) check(t *testing.T, f *media.Fragment) {
	t.Helper()
	if len(f.Frames) == 0 || int(f.Frames[0].Track) != e.b.ref || !f.Frames[0].Keyframe {
		t.Errorf("fragment #%d does not start with a reference keyframe", f.Number)
	}
	if f.Duration <= 0 {
		t.Errorf("fragment #%d has duration %v", f.Number, f.Duration)
	}
	if e.last != nil {
		if f.Number != e.last.Number+1 {
			t.Errorf("fragment #%d follows #%d", f.Number, e.last.Number)
		}
		if f.ServerTime.Before(e.last.End()) || !f.ServerTime.After(e.last.ServerTime) {
			t.Errorf("fragment #%d at %v overlaps #%d ending %v", f.Number, f.ServerTime, e.last.Number, e.last.End())
		}
	}
	lastPTS := map[uint8]int64{}
	for _, fr := range f.Frames {
		if p, ok := lastPTS[fr.Track]; ok && fr.PTS < p {
			t.Errorf("fragment #%d: track %d PTS goes back from %d to %d", f.Number, fr.Track, p, fr.PTS)
		}
		lastPTS[fr.Track] = fr.PTS
	}
	e.last = f
}
