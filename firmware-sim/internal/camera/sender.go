package camera

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// clockRate is the RTP clock of H.264 video (RFC 6184 §8.2.1).
const clockRate = 90000

// sender turns a looping clip into paced RTP packets. It holds no clock:
// the camera's loop passes the time; only keyframeWanted is touched by
// another goroutine.
type sender struct {
	clip   *Clip
	fps    float64
	pos    int   // next frame of the clip
	frames int64 // frames sent: frame i has timestamp ts0 + i·90000/fps
	ts0    uint32
	seq    rtp.Sequencer
	pk     rtp.Packetizer
	pad    *padder
	imp    *impairer
	pace   *pacer
	c      *Counters

	keyframeWanted atomic.Bool // set on PLI/FIR
}

// newSender draws the stream's SSRC, first sequence number and TS0 from
// rng, which then also drives the faults.
func newSender(cfg Config, rng *rand.Rand, pt uint8, start time.Time, c *Counters) *sender {
	ssrc := rng.Uint32()
	seq := rtp.NewFixedSequencer(uint16(rng.Uint32()))
	s := &sender{
		clip: cfg.Clip, fps: cfg.FPS, ts0: rng.Uint32(), seq: seq,
		pk: rtp.NewPacketizerWithOptions(MTU, &codecs.H264Payloader{}, seq, clockRate,
			rtp.WithSSRC(ssrc), rtp.WithPayloadType(pt)),
		pad:  newPadder(cfg.Bitrate, cfg.FPS),
		imp:  newImpairer(cfg.Faults, rng),
		pace: newPacer(start, cfg.FPS),
		c:    c,
	}
	return s
}

// timestamp returns frame i's RTP timestamp.
func (s *sender) timestamp(i int64) uint32 {
	return s.ts0 + uint32(uint64(math.Round(float64(i)*clockRate/s.fps)))
}

// nextFrame returns the clip's next frame, first jumping to the next
// keyframe when one was requested.
func (s *sender) nextFrame() Frame {
	if s.keyframeWanted.Swap(false) && !s.clip.Frames[s.pos].Keyframe {
		s.pos = s.clip.NextKeyframe(s.pos)
		s.c.KeyframeJumps.Add(1)
	}
	f := s.clip.Frames[s.pos]
	s.pos = (s.pos + 1) % len(s.clip.Frames)
	return f
}

// packetize returns the packets of frame f, with filler appended when a
// bitrate is targeted; the last packet has the marker bit (RFC 6184
// §5.1).
func (s *sender) packetize(f Frame) []*rtp.Packet {
	ts := s.timestamp(s.frames)
	s.frames++
	pkts := s.pk.Packetize(f.Data, 0)
	if n := s.pad.fill(len(f.Data)); n > 0 && len(pkts) > 0 {
		tmpl := pkts[0].Header
		pkts[len(pkts)-1].Marker = false
		for _, pl := range fillerPayloads(n, MTU-12) {
			h := tmpl
			h.Marker = false
			h.SequenceNumber = s.seq.NextSequenceNumber()
			pkts = append(pkts, &rtp.Packet{Header: h, Payload: pl})
		}
		pkts[len(pkts)-1].Marker = true
		s.c.FillerBytes.Add(int64(n))
	}
	for _, p := range pkts {
		p.Timestamp = ts
	}
	s.c.Frames.Add(1)
	if f.Keyframe {
		s.c.Keyframes.Add(1)
	}
	return pkts
}

// step sends every frame due at now through the faults, and every
// packet due by now to write. It returns when it next has work.
func (s *sender) step(now time.Time, write func(*rtp.Packet)) time.Time {
	for s.pace.take(now) {
		for _, p := range s.packetize(s.nextFrame()) {
			s.imp.offer(p, now)
			s.drain(now, write)
		}
	}
	s.drain(now, write)
	s.c.Lost.Store(s.imp.lost)
	s.c.Reordered.Store(s.imp.reordered)
	s.c.LateResets.Store(s.pace.resets)
	next := s.pace.next()
	if due, ok := s.imp.nextDue(); ok && due.Before(next) {
		next = due
	}
	return next
}

// finish sends what the faults still hold, at once.
func (s *sender) finish(write func(*rtp.Packet)) {
	s.imp.flush(time.Time{})
	for p := s.imp.pop(maxTime); p != nil; p = s.imp.pop(maxTime) {
		write(p)
	}
	s.c.Reordered.Store(s.imp.reordered)
}

// maxTime is later than any due time.
var maxTime = time.Unix(1<<62, 0)

func (s *sender) drain(now time.Time, write func(*rtp.Packet)) {
	for p := s.imp.pop(now); p != nil; p = s.imp.pop(now) {
		write(p)
	}
}
