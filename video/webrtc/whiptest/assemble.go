package whiptest

import (
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/tributary-edge/tributary/video/media"
)

// Assembler turns one track's RTP packets into media.Frames the naive way:
// pion's samplebuilder with the codec's depacketizer (H.264 comes out as
// Annex-B with 4-byte start codes). PTS is the RTP timestamp unwrapped from
// the first packet. It is not safe for concurrent use.
type Assembler struct {
	track   uint8
	codec   media.Codec
	sb      *samplebuilder.SampleBuilder
	started bool
	lastTS  uint32
	pts     int64
}

// NewAssembler returns an assembler for frames of track index track.
func NewAssembler(track uint8, c media.Codec) *Assembler {
	var d rtp.Depacketizer
	switch c {
	case media.CodecH264:
		d = &codecs.H264Packet{}
	case media.CodecVP8:
		d = &codecs.VP8Packet{}
	default:
		d = &codecs.OpusPacket{}
	}
	return &Assembler{track: track, codec: c, sb: samplebuilder.New(128, d, c.ClockRate())}
}

// Push adds a packet (copied; the caller may reuse it) and returns the
// frames it completed.
func (a *Assembler) Push(pkt *rtp.Packet) []media.Frame {
	a.sb.Push(pkt.Clone())
	var out []media.Frame
	for s := a.sb.Pop(); s != nil; s = a.sb.Pop() {
		ts := s.PacketTimestamp
		if a.started {
			a.pts += int64(int32(ts - a.lastTS))
		}
		a.started, a.lastTS = true, ts
		out = append(out, media.Frame{Track: a.track, PTS: a.pts, Keyframe: a.isKeyframe(s.Data), Data: s.Data})
	}
	return out
}

func (a *Assembler) isKeyframe(data []byte) bool {
	switch a.codec {
	case media.CodecH264:
		return IsH264Keyframe(data)
	case media.CodecVP8:
		return len(data) > 0 && data[0]&1 == 0 // RFC 6386 §9.1: P bit clear
	}
	return true
}
