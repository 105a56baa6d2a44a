package camera

import (
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/tributary-edge/tributary/video/depack"
	"github.com/tributary-edge/tributary/video/fragment"
	"github.com/tributary-edge/tributary/video/live"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/webrtc"
)

// session is one publisher's media: it implements webrtc.Sink. Its calls
// come from the publisher's read loop; advance and setRecording come from
// the manager; mu orders them.
type session struct {
	m      *Manager
	k      *cam
	tracks []media.Track
	kf     webrtc.KeyframeRequester
	hub    *live.Hub

	mu        sync.Mutex
	dp        []*depack.Depacketizer
	b         *fragment.Builder
	recording bool
	closed    bool
}

// ParameterSetter is what an RTP source with out-of-band H.264 parameter
// sets (SDP sprop-parameter-sets) gives the depacketizer of a track.
type ParameterSetter interface {
	SetParameterSets(track int, sets [][]byte)
}

func newSession(m *Manager, k *cam, tracks []media.Track, kf webrtc.KeyframeRequester, first uint64) *session {
	s := &session{m: m, k: k, tracks: tracks, kf: kf, recording: k.record}
	s.hub = live.NewHub(live.Options{OnKeyframeNeeded: s.requestKeyframe})
	s.dp = make([]*depack.Depacketizer, len(tracks))
	for i, t := range tracks {
		s.dp[i] = depack.New(t.Codec, depack.Options{Track: uint8(i)})
	}
	opts := k.cfg.Fragment
	opts.FirstNumber = first
	s.b = fragment.NewBuilder(tracks, opts)
	return s
}

// SetParameterSets gives a track's depacketizer the SPS and PPS known out
// of band; call before the first packet.
func (s *session) SetParameterSets(track int, sets [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if track >= 0 && track < len(s.dp) {
		s.dp[track] = depack.New(s.tracks[track].Codec, depack.Options{Track: uint8(track), ParameterSets: sets})
	}
}

func (s *session) requestKeyframe() {
	if s.kf != nil {
		s.kf.RequestKeyframe()
	}
}

// WriteRTP implements webrtc.Sink.
func (s *session) WriteRTP(track int, pkt *rtp.Packet, arrival time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || track < 0 || track >= len(s.dp) {
		return
	}
	frames, _ := s.dp[track].Push(pkt, arrival) // errors are counted by the depacketizer
	s.frames(frames, arrival)
	if s.dp[track].NeedKeyframe() {
		s.requestKeyframe() // rate-limited by the publisher side
	}
}

// WriteSenderReport implements webrtc.Sink: the producer's clock.
func (s *session) WriteSenderReport(track int, sr *rtcp.SenderReport, _ time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || track < 0 || track >= len(s.dp) {
		return
	}
	if pts, ok := s.dp[track].PTS(sr.RTPTime); ok {
		s.b.SetSenderReport(uint8(track), ntpTime(sr.NTPTime), pts)
	}
}

// ntpTime converts a 64-bit NTP timestamp (RFC 3550 §4).
func ntpTime(ntp uint64) time.Time {
	const ntpToUnix = 2208988800
	secs := int64(ntp>>32) - ntpToUnix
	frac := int64(ntp & 0xffffffff)
	return time.Unix(secs, frac*1e9>>32)
}

// advance releases what the reorder buffers waited for too long.
func (s *session) advance(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for _, d := range s.dp {
		frames, _ := d.Advance(now)
		s.frames(frames, now)
	}
}

// frames sends frames live and, recording, to the fragment builder (mu
// held).
func (s *session) frames(frames []media.Frame, arrival time.Time) {
	st := &s.k.stats
	for _, f := range frames {
		st.frames.Add(1)
		s.hub.Publish(f)
		if s.recording {
			for _, frag := range s.b.Add(f, arrival) {
				s.store(frag)
			}
			if s.b.NeedKeyframe() {
				s.requestKeyframe()
			}
		}
	}
}

// store hands a finished fragment to the writer; the store numbers it.
func (s *session) store(f *media.Fragment) {
	if f == nil || len(f.Frames) == 0 {
		return
	}
	f.Number = 0
	s.m.enqueue(s.k, f)
}

// setRecording starts (at the next keyframe) or stops (storing what was
// built) recording.
func (s *session) setRecording(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.recording == on {
		return
	}
	s.recording = on
	if on {
		s.requestKeyframe() // start the recording promptly
		return
	}
	s.store(s.b.Flush())
}

// Close implements webrtc.Sink: flush, store, and end the live view.
func (s *session) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	for _, d := range s.dp {
		frames, _ := d.Flush()
		s.frames(frames, s.m.opts.Now())
	}
	if s.recording {
		s.store(s.b.Flush())
	}
	var lost int64
	for _, d := range s.dp {
		lost += d.Stats().DroppedFrames
	}
	s.k.stats.lost.Add(lost)
	s.closed = true
	s.mu.Unlock()
	s.hub.Close()
	s.m.ended(s.k, s)
}
