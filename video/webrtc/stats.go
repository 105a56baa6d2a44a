package webrtc

import "sync/atomic"

// Stats is a snapshot of a Server's counters, ready to export as metrics.
type Stats struct {
	// Publishers and Viewers are the sessions open now.
	Publishers int
	Viewers    int
	// PublishSessions and ViewSessions count sessions accepted since start.
	PublishSessions uint64
	ViewSessions    uint64
	// Rejected counts WHIP/WHEP offers answered with an error status.
	Rejected uint64
	// PacketsIn and BytesIn count RTP received from publishers.
	PacketsIn uint64
	BytesIn   uint64
	// PacketsOut, BytesOut and FramesOut count RTP and frames sent to
	// viewers (bytes are RTP header plus payload, before SRTP).
	PacketsOut uint64
	BytesOut   uint64
	FramesOut  uint64
	// KeyframeRequests counts PLIs sent to publishers; Throttled those
	// suppressed by Config.KeyframeInterval.
	KeyframeRequests          uint64
	KeyframeRequestsThrottled uint64
	// ViewerKeyframeRequests counts PLI/FIR received from viewers.
	ViewerKeyframeRequests uint64
}

type counters struct {
	publishSessions, viewSessions, rejected atomic.Uint64
	packetsIn, bytesIn                      atomic.Uint64
	packetsOut, bytesOut, framesOut         atomic.Uint64
	kfSent, kfThrottled, viewerKF           atomic.Uint64
}
