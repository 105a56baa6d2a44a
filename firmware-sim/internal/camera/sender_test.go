package camera

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestPacer(t *testing.T) {
	p := newPacer(t0, 25)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	take := func(now time.Time) int {
		n := 0
		for p.take(now) {
			n++
		}
		return n
	}
	if n := take(at(0)); n != 1 {
		t.Fatalf("at 0: %d frames", n)
	}
	if n := take(at(39)); n != 0 || !p.next().Equal(at(40)) {
		t.Fatalf("at 39ms: %d frames, next %v", n, p.next())
	}
	// Late by 200ms: catch up with the frames due, no drift afterwards.
	if n := take(at(240)); n != 6 || !p.next().Equal(at(280)) {
		t.Fatalf("at 240ms: %d frames, next %v", n, p.next())
	}
	// Late by more than maxLag: one frame, then the schedule restarts.
	if n := take(at(5000)); n != 1 || !p.next().Equal(at(5040)) || p.resets != 1 {
		t.Fatalf("at 5s: %d frames, next %v, resets %d", n, p.next(), p.resets)
	}
	// A non-integer rate does not accumulate rounding.
	p = newPacer(t0, 29.97)
	if n := take(t0.Add(1000 * time.Second)); n != 1 || p.resets != 1 {
		t.Fatal(n)
	}
	p = newPacer(t0, 29.97)
	for i := 0; i < 29970; i++ {
		p.n++
	}
	if d := p.next().Sub(t0); d != 1000*time.Second {
		t.Errorf("frame 29970 at 29.97 fps due after %v", d)
	}
}

func pkt(seq uint16) *rtp.Packet { return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq}} }

func seqs(ps []*rtp.Packet) []uint16 {
	var s []uint16
	for _, p := range ps {
		s = append(s, p.SequenceNumber)
	}
	return s
}

// impair runs n packets through faults f, one per millisecond, and
// returns what comes out, in order, and when.
func impair(f Faults, seed uint64, n int) (out []*rtp.Packet, at []time.Time, m *impairer) {
	m = newImpairer(f, rand.New(rand.NewPCG(seed, 1)))
	now := t0
	for i := range n {
		now = t0.Add(time.Duration(i) * time.Millisecond)
		m.offer(pkt(uint16(i)), now)
		for p := m.pop(now); p != nil; p = m.pop(now) {
			out, at = append(out, p), append(at, now)
		}
	}
	m.flush(now)
	for {
		due, ok := m.nextDue()
		if !ok {
			break
		}
		p := m.pop(due)
		out, at = append(out, p), append(at, due)
	}
	return out, at, m
}

func TestImpairerNone(t *testing.T) {
	out, at, _ := impair(Faults{}, 1, 100)
	if len(out) != 100 || !slices.IsSorted(seqs(out)) || !at[99].Equal(t0.Add(99*time.Millisecond)) {
		t.Fatalf("no faults changed the stream: %v", seqs(out))
	}
}

func TestImpairerLoss(t *testing.T) {
	out, _, m := impair(Faults{Loss: 0.1}, 1, 10000)
	if lost := 10000 - len(out); lost != int(m.lost) || lost < 900 || lost > 1100 {
		t.Fatalf("lost %d (counted %d) of 10000 at 0.1", lost, m.lost)
	}
	if !slices.IsSorted(seqs(out)) {
		t.Error("loss reordered packets")
	}
	again, _, _ := impair(Faults{Loss: 0.1}, 1, 10000)
	if !slices.Equal(seqs(out), seqs(again)) {
		t.Error("same seed, different losses")
	}
	other, _, _ := impair(Faults{Loss: 0.1}, 2, 10000)
	if slices.Equal(seqs(out), seqs(other)) {
		t.Error("different seeds, same losses")
	}
}

func TestImpairerReorder(t *testing.T) {
	out, _, m := impair(Faults{Reorder: 0.05}, 1, 10000)
	s := seqs(out)
	if len(s) != 10000 {
		t.Fatalf("%d packets out of 10000", len(s))
	}
	swaps := 0
	for i := 1; i < len(s); i++ {
		if s[i] < s[i-1] {
			swaps++
			if s[i-1] != s[i]+1 {
				t.Fatalf("packet %d came after %d: want only neighbours swapped", s[i], s[i-1])
			}
		}
	}
	if swaps != int(m.reordered) || swaps < 350 || swaps > 600 {
		t.Errorf("%d swaps (counted %d) of 10000 at 0.05", swaps, m.reordered)
	}
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	for i, v := range sorted {
		if int(v) != i {
			t.Fatalf("packet %d missing or duplicated", i)
		}
	}
}

func TestImpairerJitter(t *testing.T) {
	const j = 30 * time.Millisecond
	out, at, _ := impair(Faults{Jitter: j}, 1, 1000)
	if len(out) != 1000 || !slices.IsSorted(seqs(out)) {
		t.Fatalf("jitter lost or reordered packets: %d", len(out))
	}
	var maxDelay time.Duration
	for i, p := range out {
		d := at[i].Sub(t0.Add(time.Duration(p.SequenceNumber) * time.Millisecond))
		if d < 0 {
			t.Fatalf("packet %d sent %v early", p.SequenceNumber, -d)
		}
		maxDelay = max(maxDelay, d)
	}
	if maxDelay < j/2 || maxDelay >= 2*j {
		t.Errorf("largest delay %v with jitter %v", maxDelay, j)
	}
}

func TestImpairerBounded(t *testing.T) {
	m := newImpairer(Faults{Jitter: MaxJitter}, rand.New(rand.NewPCG(1, 1)))
	held := 0
	for i := range 3 * maxQueued {
		m.offer(pkt(uint16(i)), t0) // all at once: nothing is due for a while
		for p := m.pop(t0); p != nil; p = m.pop(t0) {
			held--
		}
		held++
		if held > maxQueued {
			t.Fatalf("%d packets held, cap %d", held, maxQueued)
		}
	}
	if len(m.q) > 2*maxQueued {
		t.Errorf("queue storage %d entries", len(m.q))
	}
}

func TestFillerPayloads(t *testing.T) {
	for _, size := range []int{6, 7, 100, MTU - 12 + 4, MTU - 12 + 5, 5000} {
		var d codecs.H264Packet
		var nalu []byte
		pls := fillerPayloads(size, MTU-12)
		for _, pl := range pls {
			if len(pl) > MTU-12 {
				t.Fatalf("size %d: payload of %d bytes", size, len(pl))
			}
			out, err := d.Unmarshal(pl)
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			nalu = append(nalu, out...)
		}
		// The depacketizer gives the unit back in Annex-B form: size bytes.
		if len(nalu) != size || !bytes.HasPrefix(nalu, []byte{0, 0, 0, 1, nalFiller}) || nalu[len(nalu)-1] != 0x80 {
			t.Fatalf("size %d in %d payloads: got %d bytes %x…", size, len(pls), len(nalu), nalu[:min(8, len(nalu))])
		}
		for _, b := range nalu[5 : len(nalu)-1] {
			if b != 0xff {
				t.Fatalf("size %d: filler byte %x", size, b)
			}
		}
	}
}

func TestPadder(t *testing.T) {
	if n := newPadder(0, 25).fill(100); n != 0 {
		t.Errorf("no target: %d filler bytes", n)
	}
	p := newPadder(4_000_000, 25) // 20000 bytes a frame
	total := 0
	sizes := []int{60000, 1500, 1200, 800, 1500}
	for i := range 500 {
		size := sizes[i%len(sizes)]
		total += size + p.fill(size)
	}
	if avg := float64(total) / 500; avg < 19900 || avg > 20100 {
		t.Errorf("average %.0f bytes a frame, want 20000", avg)
	}
	p = newPadder(100_000, 25) // below the frames' own rate
	for range 1000 {
		if n := p.fill(5000); n != 0 {
			t.Fatalf("%d filler bytes above the target", n)
		}
	}
	if p.budget < -maxDebtFrames*p.perFrame {
		t.Errorf("budget %f unbounded", p.budget)
	}
}

// fakeSender returns a sender over the default clip at 25 fps.
func fakeSender(t *testing.T, cfg Config) (*sender, *Counters) {
	t.Helper()
	cfg.Clip, cfg.FPS, cfg.Count, cfg.Mode, cfg.Target = Default(), DefaultFPS, 1, RTP, "127.0.0.1:5004"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	c := new(Counters)
	return newSender(cfg, rand.New(rand.NewPCG(cfg.Seed, 1)), rtpPayloadType, t0, c), c
}

func TestSenderStream(t *testing.T) {
	s, c := fakeSender(t, Config{Bitrate: 1_000_000, Seed: 5})
	var got []*rtp.Packet
	write := func(p *rtp.Packet) { got = append(got, p) }
	now := t0
	for now.Before(t0.Add(4 * time.Second)) {
		now = s.step(now, write)
	}
	st := c.Snapshot()
	if st.Frames != 100 || st.Keyframes != 2 {
		t.Fatalf("4s at 25 fps: %d frames, %d keyframes", st.Frames, st.Keyframes)
	}
	var d codecs.H264Packet
	frames, bytesH264 := 0, 0
	for i, p := range got {
		if len(p.Payload)+12 > MTU {
			t.Fatalf("packet %d: %d bytes of payload", i, len(p.Payload))
		}
		if i > 0 {
			prev := got[i-1]
			if p.SequenceNumber != prev.SequenceNumber+1 {
				t.Fatalf("packet %d: seq %d after %d", i, p.SequenceNumber, prev.SequenceNumber)
			}
			if p.Timestamp != prev.Timestamp && (p.Timestamp-prev.Timestamp != 3600 || !prev.Marker) {
				t.Fatalf("packet %d: timestamp %d after %d (marker %v)", i, p.Timestamp, prev.Timestamp, prev.Marker)
			}
		}
		out, err := d.Unmarshal(p.Payload)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		bytesH264 += len(out)
		if p.Marker {
			frames++
		}
	}
	if frames != 100 {
		t.Errorf("%d markers", frames)
	}
	// 1 Mbit/s for 4 s, give or take a frame's worth and the AUDs/SEI.
	if kbit := float64(bytesH264) * 8 / 4 / 1000; kbit < 950 || kbit > 1050 {
		t.Errorf("%.0f kbit/s of H.264", kbit)
	}
}

func TestSenderKeyframeOnPLI(t *testing.T) {
	s, c := fakeSender(t, Config{})
	var keys []int64
	write := func(p *rtp.Packet) {}
	now := t0
	for i := 0; i < 40; i++ {
		if i == 10 {
			s.keyframeWanted.Store(true)
		}
		before := c.Keyframes.Load()
		now = s.step(now, write)
		if c.Keyframes.Load() > before {
			keys = append(keys, c.Frames.Load())
		}
	}
	// Frame 1 is the clip's first IDR; the PLI before the 11th step makes
	// the 11th frame the clip's next keyframe (frame 50), and the clip
	// then goes on from there: 30 frames sent from 50 on.
	if !slices.Equal(keys, []int64{1, 11}) || c.KeyframeJumps.Load() != 1 || s.pos != 50+30 {
		t.Errorf("keyframes at frames %v, jumps %d, clip position %d", keys, c.KeyframeJumps.Load(), s.pos)
	}
	// A PLI on a keyframe changes nothing.
	s.pos = 100
	s.keyframeWanted.Store(true)
	s.nextFrame()
	if s.pos != 101 || c.KeyframeJumps.Load() != 1 {
		t.Errorf("PLI at a keyframe: position %d", s.pos)
	}
}

func TestSenderTimestampWrap(t *testing.T) {
	s, _ := fakeSender(t, Config{})
	s.ts0 = 1<<32 - 3600
	if a, b := s.timestamp(0), s.timestamp(1); b != 0 || b-a != 3600 {
		t.Errorf("timestamps %d, %d", a, b)
	}
	n := int64(1 << 40)
	if got := s.timestamp(n); got != s.ts0+uint32(uint64(n)*3600) {
		t.Errorf("frame 2^40: timestamp %d", got)
	}
}
