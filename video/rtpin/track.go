package rtpin

import (
	"net/netip"

	"github.com/tributary-edge/tributary/video/media"
)

// TrackInfo describes one track a Listener receives: what goes to
// Publisher.Publish, plus what the depacketizer behind the Sink needs.
type TrackInfo struct {
	// Track is the codec (and Opus channel count), as passed to Publish.
	Track media.Track
	// PayloadType is the only RTP payload type accepted on the track's
	// port; packets with another one are counted and dropped.
	PayloadType uint8
	// ClockRate is the RTP clock rate (90000 for video, 48000 for Opus).
	ClockRate uint32
	// ParameterSets are the H.264 SPS and PPS NAL units (no start codes)
	// from the SDP's sprop-parameter-sets (RFC 6184 §8.1), in SDP order;
	// nil when there are none. Pass them as depack.Options.ParameterSets so
	// that keyframes carry them even when the camera sends them only out
	// of band.
	ParameterSets [][]byte
	// PacketizationMode is H.264's packetization-mode (RFC 6184 §8.1): 0
	// (single NAL unit) or 1 (non-interleaved); with Config.Codec, 1 (what
	// ffmpeg, GStreamer and cameras send; the depacketizer takes both).
	// Zero for other codecs.
	PacketizationMode uint8
}

// clone returns a deep copy of t, so callers cannot alter the Listener's.
func (t TrackInfo) clone() TrackInfo {
	if t.ParameterSets != nil {
		ps := make([][]byte, len(t.ParameterSets))
		for i, p := range t.ParameterSets {
			ps[i] = append([]byte(nil), p...)
		}
		t.ParameterSets = ps
	}
	return t
}

// Endpoint is where a Listener receives one track.
type Endpoint struct {
	// RTP is the bound address of the track's RTP socket.
	RTP netip.AddrPort
	// RTCP is the bound address of its RTCP socket (RTP port + 1, RFC 3550
	// §11); the zero AddrPort when RTCP is off or the port was taken.
	RTCP netip.AddrPort
}
