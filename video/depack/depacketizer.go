package depack

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/tributary-edge/tributary/video/media"
)

// assembler builds one codec's frames from in-order packet payloads.
type assembler interface {
	// add appends one packet's payload to the frame a; it marks a broken
	// when the frame can no longer be used.
	add(a *frameBuf, payload []byte) error
	// finish completes a; ok is false when there is nothing to return.
	// data may alias a.buf.
	finish(a *frameBuf) (data []byte, key, ok bool, err error)
}

// frameBuf is the frame being assembled.
type frameBuf struct {
	active bool
	ts     uint32
	pts    int64
	buf    []byte
	broken bool // incomplete or malformed: drop at finish
	over   bool // exceeded a size bound (implies broken)
	max    int

	// H.264 bookkeeping, offsets into buf of the start code of the first
	// parameter set and the first slice, -1 when there is none.
	hasSPS, hasPPS, hasIDR bool
	paramOff, vclOff       int
	fuActive               bool
	fuType                 byte
	fuStart                int
	// VP8: the first packet of the frame has been seen.
	started bool
}

func (a *frameBuf) begin(ts uint32, pts int64) {
	*a = frameBuf{active: true, ts: ts, pts: pts, buf: a.buf[:0], max: a.max, paramOff: -1, vclOff: -1}
}

// grow reports whether n more bytes fit the frame bound; when they do not,
// the frame is dropped.
func (a *frameBuf) grow(n int) error {
	if len(a.buf)+n <= a.max {
		return nil
	}
	return a.oversize(fmt.Errorf("%w: frame over %d bytes", ErrOversize, a.max))
}

func (a *frameBuf) oversize(err error) error {
	a.over, a.broken = true, true
	return err
}

// Depacketizer turns one track's RTP packets into frames. See the package
// documentation for its contracts. The zero value is not usable; call New.
type Depacketizer struct {
	codec media.Codec
	opts  Options
	st    counters
	need  atomic.Bool

	asm     assembler
	reorder *reorder
	clock   clock
	cur     frameBuf

	hasSSRC bool
	ssrc    uint32
	waitKey bool // video: drop frames until a keyframe

	in  inPacket // the packet being pushed; a field so it does not escape per call
	out []media.Frame
	err error // first error of the current call
}

// New returns a Depacketizer for one track of codec, with opts' zero fields
// set to their defaults (New does not fail: out-of-range options are
// replaced by defaults too; use Options.Validate to report them). For a
// codec other than H.264, VP8 or Opus every packet is refused with
// ErrUnsupported.
func New(codec media.Codec, opts Options) *Depacketizer {
	opts = opts.withDefaults()
	d := &Depacketizer{codec: codec, opts: opts, waitKey: codec.IsVideo()}
	d.reorder = newReorder(opts.ReorderPackets, opts.ReorderDelay, &d.st, d.deliver)
	frameDur := int64(codec.ClockRate() / 30)
	switch codec {
	case media.CodecH264:
		d.asm = newH264(opts)
	case media.CodecVP8:
		d.asm = vp8{}
	case media.CodecOpus:
		d.asm = opus{}
		frameDur = 960 // 20 ms, RFC 7587 4.2
	}
	d.clock = newClock(codec.ClockRate(), opts.MaxForwardJump, opts.MaxBackwardJump, frameDur)
	d.cur.max = opts.MaxFrameSize
	return d
}

// Push takes one RTP packet that arrived at arrival and returns the frames
// it completed, oldest first (possibly none; possibly frames completed by
// buffered packets it released). The error, when not nil, wraps
// ErrMalformed, ErrOversize or ErrUnsupported and describes the first
// problem met during the call; it is informational: the Depacketizer has
// already dropped what was bad and carries on. Arrival times should not go
// backwards.
func (d *Depacketizer) Push(pkt *rtp.Packet, arrival time.Time) ([]media.Frame, error) {
	d.st.packets.Add(1)
	switch {
	case d.asm == nil:
		d.st.malformed.Add(1)
		return nil, fmt.Errorf("%w: codec %v", ErrUnsupported, d.codec)
	case pkt == nil:
		d.st.malformed.Add(1)
		return nil, fmt.Errorf("%w: nil packet", ErrMalformed)
	case pkt.Version != 2:
		d.st.malformed.Add(1)
		return nil, fmt.Errorf("%w: RTP version %d", ErrMalformed, pkt.Version)
	}
	if d.hasSSRC && pkt.SSRC != d.ssrc {
		d.restart()
		d.st.ssrcChanges.Add(1)
	}
	d.hasSSRC, d.ssrc = true, pkt.SSRC
	d.in = inPacket{ts: pkt.Timestamp, marker: pkt.Marker, arrival: arrival, payload: pkt.Payload}
	d.reorder.push(pkt.SequenceNumber, &d.in)
	d.in.payload = nil // not retained
	return d.result()
}

// Advance releases the packets whose gap has been waited for long enough at
// time now, so that an idle stream's last frames come out; call it from a
// timer (every ReorderDelay or so). It returns like Push.
func (d *Depacketizer) Advance(now time.Time) ([]media.Frame, error) {
	d.reorder.expire(now)
	return d.result()
}

// Flush ends the stream: buffered packets are released (their gaps declared
// lost) and a pending frame that is complete is returned. The next packet
// starts a new stream with continuous PTS.
func (d *Depacketizer) Flush() ([]media.Frame, error) {
	d.restart()
	d.hasSSRC = false
	return d.result()
}

// NeedKeyframe reports whether frames are being dropped for want of a
// keyframe (after loss, at the start, after a bound was hit), so the caller
// should ask the sender for one (RTCP PLI, RFC 4585 6.3.1). It stays true
// until a keyframe has been returned; rate-limiting the requests is the
// caller's job. It is always false for audio.
func (d *Depacketizer) NeedKeyframe() bool { return d.need.Load() }

// Stats returns a snapshot of the counters.
func (d *Depacketizer) Stats() Stats { return d.st.snapshot() }

// PTS converts an RTP timestamp of the current stream, such as the one in an
// RTCP sender report (RFC 3550 6.4.1), to this track's PTS; ok is false
// before the first frame. Timestamps within ±2^31 ticks of the latest frame
// convert exactly.
func (d *Depacketizer) PTS(rtpTS uint32) (pts int64, ok bool) { return d.clock.peek(rtpTS) }

// restart ends the current stream: buffered packets are delivered, a
// complete pending frame is emitted, and the next packet starts afresh.
func (d *Depacketizer) restart() {
	d.reorder.flush()
	if d.cur.active {
		d.finish()
	}
	d.reorder.reset()
	d.clock.rebase = d.clock.started
	d.waitKey = d.codec.IsVideo()
}

func (d *Depacketizer) result() ([]media.Frame, error) {
	out, err := d.out, d.err
	d.out, d.err = nil, nil
	return out, err
}

func (d *Depacketizer) fail(err error) {
	if err == nil {
		return
	}
	if d.err == nil {
		d.err = err
	}
	if errors.Is(err, ErrOversize) {
		d.st.oversize.Add(1)
	} else {
		d.st.malformed.Add(1)
	}
}

// deliver takes each packet in sequence order from the reorder buffer.
func (d *Depacketizer) deliver(p *inPacket, gap bool) {
	if gap && d.codec.IsVideo() {
		d.waitKey = true
		d.need.Store(true)
		if d.cur.active {
			d.cur.broken = true
		}
	}
	if len(p.payload) == 0 {
		return // padding only (RFC 3550 5.1), e.g. bandwidth probes
	}
	if d.cur.active && p.ts != d.cur.ts {
		d.finish() // RFC 6184 5.1, RFC 7741 4.1: a new timestamp is a new frame
	}
	if !d.cur.active {
		pts, jumped := d.clock.pts(p.ts, p.arrival)
		if jumped {
			d.st.timestampJumps.Add(1)
		}
		d.cur.begin(p.ts, pts)
	}
	if !d.cur.broken {
		d.fail(d.asm.add(&d.cur, p.payload))
	}
	if p.marker || d.codec == media.CodecOpus {
		d.finish() // the marker bit ends the frame (RFC 6184 5.1, RFC 7741 4.1)
	}
}

// finish completes the current frame and lets it out or drops it.
func (d *Depacketizer) finish() {
	a := &d.cur
	a.active = false
	data, key, ok, err := d.asm.finish(a)
	d.fail(err)
	switch {
	case a.broken:
		d.st.droppedFrames.Add(1)
		if d.codec.IsVideo() {
			d.waitKey = true
			d.need.Store(true)
		}
		return
	case !ok:
		return
	case d.waitKey && !key:
		d.st.droppedFrames.Add(1)
		d.need.Store(true)
		return
	case key:
		d.waitKey = false
		d.need.Store(false)
	}
	d.st.frames.Add(1)
	d.out = append(d.out, media.Frame{Track: d.opts.Track, PTS: a.pts, Keyframe: key, Data: append([]byte(nil), data...)})
}
