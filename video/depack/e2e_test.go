package depack_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/video/depack"
	"github.com/tributary-edge/tributary/video/fragment"
	"github.com/tributary-edge/tributary/video/media"
)

// The end-to-end path a camera's RTP takes: pion packetizes a real H.264
// clip (MTU 1200); the network reorders within a window and loses packets;
// the depacketizer puts the access units back together, the fragment
// builder cuts them, and ffmpeg decodes each fragment on its own.

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// network delivers the packets not in lost, each sent at its frame's time
// (25 fps) and delayed by a random jitter below maxJitter, so packets
// within maxJitter of each other arrive in random order. It returns the
// indexes of the packets in arrival order and their arrival times.
func network(pkts []sentPacket, lost map[int]bool, maxJitter time.Duration, seed uint64) (order []int, arrival []time.Time) {
	rng := rand.New(rand.NewPCG(seed, 1))
	at := make(map[int]time.Time, len(pkts))
	for i, p := range pkts {
		if !lost[i] {
			sent := t0.Add(time.Duration(p.frame)*40*time.Millisecond + time.Duration(i%8)*100*time.Microsecond)
			at[i] = sent.Add(time.Duration(rng.Int64N(int64(maxJitter))))
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return at[a].Compare(at[b]) })
	for _, i := range order {
		arrival = append(arrival, at[i])
	}
	return order, arrival
}

type e2eResult struct {
	frames   []media.Frame
	arrivals []time.Time
	frags    []*media.Fragment
	// needAfter[k] is NeedKeyframe after the call that returned frames[k].
	needAfter []bool
	// needBefore50 is whether NeedKeyframe was true at some point before
	// frame 50 came out; needEnd is NeedKeyframe after Flush.
	needBefore50, needEnd bool
	stats                 depack.Stats
	fragStats             fragment.Stats
}

func run(t *testing.T, pkts []sentPacket, order []int, arrival []time.Time) e2eResult {
	t.Helper()
	d := depack.New(media.CodecH264, depack.Options{})
	b := fragment.NewBuilder([]media.Track{{Codec: media.CodecH264}}, fragment.Options{FirstNumber: 100})
	var r e2eResult
	add := func(frames []media.Frame, at time.Time) {
		for _, f := range frames {
			r.frames = append(r.frames, f)
			r.arrivals = append(r.arrivals, at)
			r.needAfter = append(r.needAfter, d.NeedKeyframe())
			r.frags = append(r.frags, b.Add(f, at)...)
		}
	}
	seen50 := false
	for k, i := range order {
		frames, err := d.Push(pkts[i].pkt, arrival[k])
		if err != nil {
			t.Fatalf("packet %d (seq %d): %v", i, pkts[i].pkt.SequenceNumber, err)
		}
		add(frames, arrival[k])
		seen50 = seen50 || slices.ContainsFunc(frames, func(f media.Frame) bool { return f.PTS >= 50*frameTicks })
		r.needBefore50 = r.needBefore50 || (!seen50 && d.NeedKeyframe())
	}
	frames, err := d.Flush()
	if err != nil {
		t.Fatal(err)
	}
	add(frames, arrival[len(arrival)-1])
	r.needEnd = d.NeedKeyframe()
	if f := b.Flush(); f != nil {
		r.frags = append(r.frags, f)
	}
	r.stats, r.fragStats = d.Stats(), b.Stats()
	return r
}

// vcl returns the NAL units of an access unit without parameter sets.
func withoutParams(nals [][]byte) [][]byte {
	return slices.DeleteFunc(slices.Clone(nals), func(n []byte) bool { t := n[0] & 0x1f; return t == 7 || t == 8 })
}

func nalTypeSet(nals [][]byte) map[byte]bool {
	m := map[byte]bool{}
	for _, n := range nals {
		m[n[0]&0x1f] = true
	}
	return m
}

// checkFrame checks one output frame against the clip and returns its
// frame index.
func checkFrame(t *testing.T, aus [][][]byte, f media.Frame) int {
	t.Helper()
	if f.PTS%frameTicks != 0 || f.PTS < 0 || f.PTS/frameTicks >= clipFrames {
		t.Fatalf("frame PTS %d is not one of the clip's", f.PTS)
	}
	i := int(f.PTS / frameTicks)
	if !bytes.HasPrefix(f.Data, []byte{0, 0, 0, 1}) {
		t.Fatalf("frame %d is not Annex-B with 4-byte start codes", i)
	}
	got := splitNALs(f.Data)
	if !slices.EqualFunc(withoutParams(got), withoutParams(aus[i]), bytes.Equal) {
		t.Fatalf("frame %d: access unit differs from the original", i)
	}
	if wantKey := nalTypeSet(aus[i])[5]; f.Keyframe != wantKey {
		t.Fatalf("frame %d: Keyframe=%v, want %v", i, f.Keyframe, wantKey)
	}
	if types := nalTypeSet(got); f.Keyframe && (!types[7] || !types[8]) {
		t.Fatalf("keyframe %d lacks SPS or PPS in band", i)
	}
	return i
}

func TestEndToEndH264(t *testing.T) {
	aus := loadClip(t)
	pkts := packetize(t, aus)
	if w := pkts[len(pkts)-1].pkt.SequenceNumber; w >= firstSeq {
		t.Fatalf("sequence numbers did not wrap: last is %d", w)
	}
	if w := pkts[len(pkts)-1].pkt.Timestamp; w >= firstTS {
		t.Fatalf("timestamps did not wrap: last is %d", w)
	}
	// Lose frame 45 (a P frame of one packet) and frame 98.
	lost := map[int]bool{}
	for i, p := range pkts {
		if p.frame == 45 || p.frame == 98 {
			lost[i] = true
		}
	}
	order, arrival := network(pkts, lost, 60*time.Millisecond, 1)
	r := run(t, pkts, order, arrival)

	var got []int
	for k, f := range r.frames {
		i := checkFrame(t, aus, f)
		if k > 0 && f.PTS <= r.frames[k-1].PTS {
			t.Fatalf("frame %d after PTS %d: out of order", i, r.frames[k-1].PTS)
		}
		got = append(got, i)
	}
	var want []int
	for i := range clipFrames {
		if i < 45 || (i >= 50 && i < 98) { // a loss drops frames until the next keyframe
			want = append(want, i)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("frames out: %v\nwant %v", got, want)
	}
	if r.stats.Lost != int64(len(lost)) || r.stats.Duplicates != 0 || r.stats.Late != 0 || r.stats.Reordered == 0 ||
		r.stats.Frames != int64(len(want)) || r.stats.DroppedFrames != 5 || r.stats.Malformed != 0 {
		t.Errorf("stats %+v, lost %d", r.stats, len(lost))
	}
	// Frame 45's loss asks for a keyframe; frame 50 answers; frame 98's loss,
	// found at Flush, asks again.
	if k := slices.IndexFunc(r.frames, func(f media.Frame) bool { return f.PTS == 50*frameTicks }); !r.needBefore50 || r.needAfter[k] || !r.needEnd {
		t.Errorf("NeedKeyframe before frame 50, after it, at the end: %v %v %v, want true false true", r.needBefore50, r.needAfter[k], r.needEnd)
	}

	// Fragments: at the two keyframes, 2 s apart by PTS and by arrival.
	if len(r.frags) != 2 {
		t.Fatalf("%d fragments, want 2", len(r.frags))
	}
	f0, f1 := r.frags[0], r.frags[1]
	if f0.Number != 100 || f1.Number != 101 {
		t.Errorf("fragment numbers %d, %d", f0.Number, f1.Number)
	}
	if f0.Frames[0].PTS != 0 || f1.Frames[0].PTS != 50*frameTicks || !f0.Frames[0].Keyframe || !f1.Frames[0].Keyframe {
		t.Errorf("fragments start at PTS %d, %d, want keyframes 0, %d", f0.Frames[0].PTS, f1.Frames[0].PTS, 50*frameTicks)
	}
	if len(f0.Frames) != 45 || len(f1.Frames) != 48 {
		t.Errorf("fragments hold %d and %d frames, want 45 and 48", len(f0.Frames), len(f1.Frames))
	}
	if f0.Duration != 2*time.Second || f1.Duration != 48*40*time.Millisecond {
		t.Errorf("durations %v, %v, want 2s, 1.92s", f0.Duration, f1.Duration)
	}
	if gap := f1.ServerTime.Sub(f0.ServerTime); gap != 2*time.Second || !f1.ServerTime.Equal(f0.End()) {
		t.Errorf("second fragment starts %v after the first, want 2s (contiguous)", gap)
	}
	if d := f0.ServerTime.Sub(r.arrivals[0]); d != 0 {
		t.Errorf("first ServerTime is %v off the first frame's arrival", d)
	}

	// Each fragment decodes on its own, to the same pictures as the clip.
	ref := decode(t, annexB(slices.Concat(aus...)))
	if len(ref) != clipFrames {
		t.Fatalf("ffmpeg decoded %d frames of the clip, want %d", len(ref), clipFrames)
	}
	for _, f := range r.frags {
		var b []byte
		var idx []int
		for _, fr := range f.Frames {
			b = append(b, fr.Data...)
			idx = append(idx, int(fr.PTS/frameTicks))
		}
		crcs := decode(t, b)
		if len(crcs) != len(idx) {
			t.Fatalf("fragment %d: ffmpeg decoded %d frames, want %d", f.Number, len(crcs), len(idx))
		}
		for k, i := range idx {
			if crcs[k] != ref[i] {
				t.Errorf("fragment %d: frame %d decodes to %s, the clip to %s", f.Number, i, crcs[k], ref[i])
			}
		}
	}
}

// TestEndToEndRandomLoss loses random packets and checks the exact rule:
// frame i comes out if and only if every packet from the last keyframe k <= i
// through frame i arrived, except that k's parameter sets may be missing
// when earlier ones were seen.
func TestEndToEndRandomLoss(t *testing.T) {
	aus := loadClip(t)
	pkts := packetize(t, aus)
	byFrame := make([][]int, clipFrames)
	for i, p := range pkts {
		byFrame[p.frame] = append(byFrame[p.frame], i)
	}
	isKey := func(i int) bool { return nalTypeSet(aus[i])[5] }
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 2))
			lost := map[int]bool{}
			for i := range pkts {
				if rng.IntN(100) < 3 {
					lost[i] = true
				}
			}
			order, arrival := network(pkts, lost, time.Duration(1+rng.IntN(90))*time.Millisecond, seed)
			r := run(t, pkts, order, arrival)

			var want []int
			paramsSeen, ok := false, false
			for i := range clipFrames {
				complete := !slices.ContainsFunc(byFrame[i], func(p int) bool { return lost[p] })
				if isKey(i) {
					stapA := byFrame[i][0]
					if pkts[stapA].pkt.Payload[0]&0x1f != 24 {
						t.Fatalf("keyframe %d does not start with a STAP-A", i)
					}
					rest := !slices.ContainsFunc(byFrame[i][1:], func(p int) bool { return lost[p] })
					paramsSeen = paramsSeen || !lost[stapA]
					ok = rest && paramsSeen
				} else {
					ok = ok && complete
				}
				if ok {
					want = append(want, i)
				}
			}
			var got []int
			for _, f := range r.frames {
				got = append(got, checkFrame(t, aus, f))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("lost packets %v\nframes out: %v\nwant       %v", slices.Sorted(maps(lost)), got, want)
			}
			// Losses before the first and after the last packet received
			// are invisible.
			first, last := slices.Min(order), slices.Max(order)
			wantLost := 0
			for i := range lost {
				if i > first && i < last {
					wantLost++
				}
			}
			if r.stats.Lost != int64(wantLost) || r.stats.Late != 0 || r.stats.Duplicates != 0 {
				t.Errorf("Lost=%d Late=%d Duplicates=%d, want %d, 0, 0", r.stats.Lost, r.stats.Late, r.stats.Duplicates, wantLost)
			}
			for _, f := range r.frags {
				if !f.Frames[0].Keyframe {
					t.Errorf("fragment %d starts without a keyframe", f.Number)
				}
			}
		})
	}
}

func maps(m map[int]bool) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// decode runs ffmpeg over an Annex-B stream and returns the CRC of each
// decoded picture. Any message ffmpeg prints at level error fails the test.
func decode(t *testing.T, annexb []byte) []string {
	t.Helper()
	ffmpeg := tool(t, "ffmpeg")
	cmd := exec.Command(ffmpeg, "-v", "error", "-f", "h264", "-i", "-", "-f", "framecrc", "-")
	cmd.Stdin = bytes.NewReader(annexb)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("ffmpeg: %v: %s", err, stderr.String())
	}
	var crcs []string
	for line := range strings.SplitSeq(stdout.String(), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ", ")
		crcs = append(crcs, f[len(f)-1])
	}
	return crcs
}

// tool finds an external program; without it the test is skipped, except
// under CI where it fails.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found (CI is set): %v", name, err)
		}
		t.Skipf("%s not found: %v", name, err)
	}
	return p
}
