package webrtc

import (
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/tributary-edge/tributary/video/media"
)

// Publisher decides what happens to what WHIP publishers send. The server
// calls it from its HTTP handlers and session goroutines.
type Publisher interface {
	// Publish is called once per accepted WHIP offer, before the answer is
	// sent. tracks are the negotiated tracks in SDP order (one codec each);
	// a Sink's track argument indexes them. kf asks the camera for a
	// keyframe and may be kept for the session's life. An error refuses the
	// session: 409 if it wraps ErrStreamBusy, else 503. After a nil error
	// the returned Sink's Close is called exactly once.
	Publish(stream string, tracks []media.Track, kf KeyframeRequester) (Sink, error)
}

// Sink receives one WHIP session's media. Calls on one Sink never overlap,
// and none follow Close.
type Sink interface {
	// WriteRTP hands over one RTP packet of tracks[track], read at
	// arrival. pkt and its Payload are only valid during the call: copy
	// what must be kept. Packets come in arrival order, which for UDP is
	// not always sequence order, and include NACK retransmissions.
	WriteRTP(track int, pkt *rtp.Packet, arrival time.Time)
	// WriteSenderReport hands over an RTCP sender report (RFC 3550 §6.4.1)
	// for tracks[track], for mapping RTP timestamps to the producer's
	// wall clock. sr is the caller's to keep.
	WriteSenderReport(track int, sr *rtcp.SenderReport, arrival time.Time)
	// Close ends the session: DELETE, ICE failure, peer close, connect
	// timeout or Server.Close.
	Close()
}

// KeyframeRequester asks a publisher for a keyframe.
type KeyframeRequester interface {
	// RequestKeyframe sends an RTCP PLI (RFC 4585 §6.3.1) for every video
	// track of the session, at most once per Config.KeyframeInterval; a
	// request before the first video packet is sent when it arrives. It
	// never blocks on the network and is safe for concurrent use.
	RequestKeyframe()
}

// Source gives WHEP viewers the frames of a stream.
type Source interface {
	// View subscribes to stream: its tracks (media.Frame.Track indexes
	// them) and a subscription whose frames start at a keyframe per track,
	// with a queue of queueLen frames (*live.Viewer from live.Hub.Subscribe
	// fits). It returns an error wrapping ErrNoStream when nobody publishes
	// the stream (the viewer gets 404).
	View(stream string, queueLen int) ([]media.Track, Subscription, error)
	// RequestKeyframe is called when a viewer sends PLI or FIR; it must
	// not block for long.
	RequestKeyframe(stream string)
}

// Subscription is one viewer's frame queue; *live.Viewer implements it.
type Subscription interface {
	// Frames yields the frames; closed when the stream ends.
	Frames() <-chan media.Frame
	// Close unsubscribes; called once when the view session ends.
	Close()
}
