package fragment

import (
	"sync/atomic"
	"time"

	"github.com/tributary-edge/tributary/video/media"
)

// minDuration keeps ServerTimes strictly increasing: no fragment is shorter.
const minDuration = time.Millisecond

// senderReport maps a track's PTS to the source's wall clock (RFC 3550
// 6.4.1: the NTP and RTP timestamps of one instant).
type senderReport struct {
	ok  bool
	ntp time.Time
	pts int64
}

// Builder cuts one source's frames into fragments. See the package
// documentation for the rules. The zero value is not usable; call
// NewBuilder.
type Builder struct {
	tracks  []media.Track
	opts    Options
	ref     int // reference track, -1 when there are no tracks
	refRate uint32
	refKey  bool // the reference track is video: keyframes are rare
	st      counters
	need    atomic.Bool
	number  uint64

	cur       *media.Fragment // nil while waiting for a reference keyframe
	firstPTS  int64           // reference PTS of cur's first frame
	lastRef   int64           // reference PTS of the latest reference frame in cur
	maxRef    int64
	lastArr   time.Time // arrival of the latest frame in cur
	bytes     int
	frameDur  int64     // estimated reference frame duration, in ticks
	prevEnd   time.Time // End of the latest fragment returned
	nextStart time.Time // when not zero, the ServerTime of a fragment continuing the latest
	waitKey   []bool    // non-reference video tracks: drop until a keyframe
	sr        []senderReport
}

// NewBuilder returns a Builder for a source with the given tracks (Frame.Track
// indexes them), with opts' zero fields set to their defaults. Out-of-range
// options are replaced by defaults too; use Options.Validate to report them.
func NewBuilder(tracks []media.Track, opts Options) *Builder {
	b := &Builder{tracks: append([]media.Track(nil), tracks...), opts: opts.withDefaults(),
		ref: -1, number: opts.FirstNumber, waitKey: make([]bool, len(tracks)), sr: make([]senderReport, len(tracks))}
	for i, t := range tracks {
		if t.Codec.IsVideo() {
			if b.ref < 0 {
				b.ref = i
			} else {
				b.waitKey[i] = true
			}
		}
	}
	if b.ref < 0 && len(tracks) > 0 {
		b.ref = 0
	}
	if b.ref >= 0 {
		t := b.tracks[b.ref]
		b.refRate, b.refKey = t.Codec.ClockRate(), t.Codec.IsVideo()
		b.frameDur = int64(b.refRate / 50) // 20 ms: an Opus frame
		if b.refKey {
			b.frameDur = int64(b.refRate / 30)
		}
	}
	return b
}

// Add places frame f, which arrived at arrival, and returns the fragments
// it completed (usually none, at most two). Arrival times should not go
// backwards.
func (b *Builder) Add(f media.Frame, arrival time.Time) []*media.Fragment {
	t := int(f.Track)
	if t >= len(b.tracks) {
		b.st.invalidTrack.Add(1)
		b.st.droppedFrames.Add(1)
		return nil
	}
	if t == b.ref {
		return b.addRef(f, arrival)
	}
	return b.addOther(f, arrival)
}

// Flush closes the open fragment, if any, and returns it (else nil). Its
// Duration ends one estimated frame after its last reference frame. The
// next fragment starts at the next reference keyframe.
func (b *Builder) Flush() *media.Fragment {
	if b.cur == nil {
		return nil
	}
	return b.close(b.maxRef+b.frameDur, time.Time{})
}

// SetSenderReport records that PTS pts of track (the RTP timestamp of an
// RTCP sender report, converted with depack.Depacketizer.PTS) was the
// source's wall-clock time ntp. It sets ProducerTime of the fragments closed
// from now on. Reports for other than the reference track are kept but
// unused.
func (b *Builder) SetSenderReport(track uint8, ntp time.Time, pts int64) {
	if int(track) < len(b.sr) {
		b.sr[track] = senderReport{ok: true, ntp: ntp, pts: pts}
	}
}

// NeedKeyframe reports whether frames are being dropped until the next
// video keyframe, so the caller should ask the camera for one (RTCP PLI);
// rate-limiting the requests is the caller's job.
func (b *Builder) NeedKeyframe() bool { return b.need.Load() }

// Stats returns a snapshot of the counters.
func (b *Builder) Stats() Stats { return b.st.snapshot() }

func (b *Builder) ticks(d time.Duration) int64 {
	r := int64(b.refRate)
	return int64(d/time.Second)*r + int64(d%time.Second)*r/int64(time.Second)
}

func (b *Builder) addRef(f media.Frame, arrival time.Time) []*media.Fragment {
	var out []*media.Fragment
	if b.cur != nil {
		step := f.PTS - b.lastRef
		if max(step, -step) > b.ticks(b.opts.MaxGap) {
			b.st.gaps.Add(1)
			out = append(out, b.close(b.maxRef+b.frameDur, time.Time{}))
		} else if step > 0 && step <= int64(b.refRate) {
			b.frameDur = step
		}
	}
	if f.Keyframe {
		if b.cur != nil {
			due := f.PTS-b.firstPTS >= b.ticks(b.opts.TargetDuration)
			bound := b.overflows(len(f.Data)) || arrival.Sub(b.cur.ServerTime) >= b.opts.MaxDuration
			if due || bound {
				if !due {
					b.st.boundCuts.Add(1)
				}
				out = append(out, b.close(f.PTS, arrival))
			}
		}
		if b.cur == nil {
			if len(f.Data) > b.opts.MaxBytes {
				b.st.oversize.Add(1)
				b.drop()
				return out
			}
			b.open(f, arrival)
			return out
		}
	}
	if b.cur == nil {
		b.drop()
		return out
	}
	if b.overflows(len(f.Data)) || f.PTS-b.firstPTS >= b.ticks(b.opts.MaxDuration) ||
		arrival.Sub(b.cur.ServerTime) >= b.opts.MaxDuration {
		b.st.boundCuts.Add(1)
		out = append(out, b.close(f.PTS, time.Time{}))
		b.drop()
		return out
	}
	b.append(f, arrival)
	return out
}

func (b *Builder) addOther(f media.Frame, arrival time.Time) []*media.Fragment {
	t := int(f.Track)
	if b.cur == nil || (b.waitKey[t] && !f.Keyframe) {
		b.st.droppedFrames.Add(1)
		return nil
	}
	if b.overflows(len(f.Data)) || arrival.Sub(b.cur.ServerTime) >= b.opts.MaxDuration {
		b.st.boundCuts.Add(1)
		out := []*media.Fragment{b.close(b.maxRef+b.frameDur, time.Time{})}
		b.drop()
		return out
	}
	if b.tracks[t].Codec.IsVideo() {
		b.waitKey[t] = false
	}
	b.append(f, arrival)
	return nil
}

// overflows reports whether a frame of n bytes would break MaxBytes or
// MaxFrames.
func (b *Builder) overflows(n int) bool {
	return b.bytes+n > b.opts.MaxBytes || len(b.cur.Frames)+1 > b.opts.MaxFrames
}

// drop counts a frame dropped for want of an open fragment; with a video
// reference track that means waiting for a keyframe.
func (b *Builder) drop() {
	b.st.droppedFrames.Add(1)
	b.nextStart = time.Time{} // whatever starts next does not continue the last fragment
	if b.refKey {
		b.need.Store(true)
	}
}

// open starts a fragment with reference keyframe f.
func (b *Builder) open(f media.Frame, arrival time.Time) {
	start := arrival
	if !b.nextStart.IsZero() {
		start = b.nextStart
	} else if start.Before(b.prevEnd) {
		start = b.prevEnd
	}
	b.cur = &media.Fragment{ServerTime: start, Tracks: append([]media.Track(nil), b.tracks...)}
	b.firstPTS, b.lastRef, b.maxRef, b.bytes = f.PTS, f.PTS, f.PTS, 0
	b.nextStart = time.Time{}
	b.need.Store(false)
	b.append(f, arrival)
}

func (b *Builder) append(f media.Frame, arrival time.Time) {
	b.cur.Frames = append(b.cur.Frames, f)
	b.bytes += len(f.Data)
	b.lastArr = arrival
	if int(f.Track) == b.ref {
		b.lastRef, b.maxRef = f.PTS, max(b.maxRef, f.PTS)
	}
	b.st.frames.Add(1)
}

// close ends cur at reference PTS end. next is the arrival of the frame that
// starts the following fragment when it continues this one (a cut), or zero.
func (b *Builder) close(end int64, next time.Time) *media.Fragment {
	frag := b.cur
	b.cur = nil
	d := media.TicksToDuration(max(end-b.firstPTS, 0), b.refRate)
	wall := b.lastArr.Sub(frag.ServerTime) + media.TicksToDuration(b.frameDur, b.refRate)
	if !next.IsZero() {
		wall = next.Sub(frag.ServerTime)
	}
	if diff := d - wall; max(diff, -diff) > b.opts.MaxClockSkew {
		b.st.clockResyncs.Add(1)
		d = wall // the camera's clock is off: trust arrival time
	}
	frag.Duration = max(d, minDuration)
	frag.Number = b.number
	b.number++
	frag.ProducerTime = frag.ServerTime
	if sr := b.sr[b.ref]; sr.ok {
		frag.ProducerTime = sr.ntp.Add(media.TicksToDuration(b.firstPTS-sr.pts, b.refRate))
	}
	b.prevEnd = frag.End()
	if !next.IsZero() {
		b.nextStart = b.prevEnd
	}
	b.st.fragments.Add(1)
	return frag
}
