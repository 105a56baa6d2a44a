package webrtc

import (
	"math/rand/v2"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/tributary-edge/tributary/video/media"
)

// payloadMTU is the largest RTP payload sent to viewers: pion's 1200-byte
// outbound MTU less the RTP header and room for header extensions.
const payloadMTU = 1160

// rtpWriter is where packets go; *pion.TrackLocalStaticRTP fits.
type rtpWriter interface {
	WriteRTP(p *rtp.Packet) error
}

// packetizer turns one track's frames into RTP packets whose timestamps are
// the frames' PTS (plus a random offset, RFC 3550 §5.1), so gaps from
// dropped frames keep timing exact. SSRC and payload type are filled in by
// pion's track binding.
type packetizer struct {
	out      rtpWriter
	payload  rtp.Payloader
	video    bool
	seq      uint16
	tsOffset uint32
}

func newPacketizer(out rtpWriter, c media.Codec) *packetizer {
	p := &packetizer{out: out, video: c.IsVideo(), seq: uint16(rand.Uint32()), tsOffset: rand.Uint32()}
	switch c {
	case media.CodecH264:
		// Annex-B in, RFC 6184 mode 1 out (single NAL, STAP-A for SPS+PPS,
		// FU-A); AUD and filler NAL units are dropped.
		p.payload = &codecs.H264Payloader{}
	case media.CodecVP8:
		p.payload = &codecs.VP8Payloader{EnablePictureID: true} // RFC 7741
	default:
		p.payload = &codecs.OpusPayloader{} // RFC 7587: one packet per frame
	}
	return p
}

// write sends f and returns the packets and bytes written. Video frames end
// with the marker bit (RFC 6184 §5.1, RFC 7741 §4.1).
func (p *packetizer) write(f media.Frame) (packets, bytes int, err error) {
	payloads := p.payload.Payload(payloadMTU, f.Data)
	ts := p.tsOffset + uint32(f.PTS)
	for i, pl := range payloads {
		pkt := rtp.Packet{
			Header: rtp.Header{
				Version:        2,
				Marker:         p.video && i == len(payloads)-1,
				SequenceNumber: p.seq,
				Timestamp:      ts,
			},
			Payload: pl,
		}
		p.seq++
		if err := p.out.WriteRTP(&pkt); err != nil {
			return packets, bytes, err
		}
		packets++
		bytes += pkt.MarshalSize()
	}
	return packets, bytes, nil
}
