package whiptest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/tributary-edge/tributary/video/live"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/webrtc"
)

// Relay is a webrtc.Publisher and webrtc.Source that wires each WHIP
// stream straight to its WHEP viewers: RTP is assembled into frames with
// Assembler and fanned out by a live.Hub, whose keyframe requests go to the
// publisher. One publisher per stream; the hub closes (ending its viewers)
// when the publisher's session ends.
type Relay struct {
	mu      sync.Mutex
	streams map[string]*relayStream

	publishes, closes, senderReports atomic.Int64
}

type relayStream struct {
	hub    *live.Hub
	tracks []media.Track
	kf     webrtc.KeyframeRequester
}

// NewRelay returns an empty relay.
func NewRelay() *Relay { return &Relay{streams: make(map[string]*relayStream)} }

// Publish implements webrtc.Publisher.
func (r *Relay) Publish(stream string, tracks []media.Track, kf webrtc.KeyframeRequester) (webrtc.Sink, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.streams[stream]; ok {
		return nil, fmt.Errorf("relay: %s: %w", stream, webrtc.ErrStreamBusy)
	}
	st := &relayStream{hub: live.NewHub(live.Options{OnKeyframeNeeded: kf.RequestKeyframe}), tracks: tracks, kf: kf}
	r.streams[stream] = st
	r.publishes.Add(1)
	sink := &relaySink{r: r, stream: stream, st: st}
	for i, t := range tracks {
		sink.asm = append(sink.asm, NewAssembler(uint8(i), t.Codec))
	}
	return sink, nil
}

// View implements webrtc.Source.
func (r *Relay) View(stream string, queueLen int) ([]media.Track, webrtc.Subscription, error) {
	r.mu.Lock()
	st, ok := r.streams[stream]
	r.mu.Unlock()
	if !ok {
		return nil, nil, fmt.Errorf("relay: %s: %w", stream, webrtc.ErrNoStream)
	}
	return st.tracks, st.hub.Subscribe(queueLen), nil
}

// RequestKeyframe implements webrtc.Source.
func (r *Relay) RequestKeyframe(stream string) {
	r.mu.Lock()
	st, ok := r.streams[stream]
	r.mu.Unlock()
	if ok {
		st.kf.RequestKeyframe()
	}
}

// Hub returns the hub of a published stream, or nil.
func (r *Relay) Hub(stream string) *live.Hub {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.streams[stream]; ok {
		return st.hub
	}
	return nil
}

// Publishes, Closes and SenderReports count Publish calls, Sink.Close calls
// and sender reports received.
func (r *Relay) Publishes() int64     { return r.publishes.Load() }
func (r *Relay) Closes() int64        { return r.closes.Load() }
func (r *Relay) SenderReports() int64 { return r.senderReports.Load() }

type relaySink struct {
	r      *Relay
	stream string
	st     *relayStream
	asm    []*Assembler
	closed bool
}

func (s *relaySink) WriteRTP(track int, pkt *rtp.Packet, _ time.Time) {
	if s.closed {
		panic("whiptest: WriteRTP after Close")
	}
	for _, f := range s.asm[track].Push(pkt) {
		s.st.hub.Publish(f)
	}
}

func (s *relaySink) WriteSenderReport(int, *rtcp.SenderReport, time.Time) {
	s.r.senderReports.Add(1)
}

func (s *relaySink) Close() {
	if s.closed {
		panic("whiptest: Sink closed twice")
	}
	s.closed = true
	s.r.mu.Lock()
	delete(s.r.streams, s.stream)
	s.r.mu.Unlock()
	s.st.hub.Close()
	s.r.closes.Add(1)
}
