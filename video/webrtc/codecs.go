package webrtc

import (
	"strings"

	pion "github.com/pion/webrtc/v4"

	"github.com/tributary-edge/tributary/video/media"
)

// supportedList is the codec list error messages quote.
const supportedList = "H264, VP8, opus"

// videoFeedback is what the server does with video: NACK (RFC 4585 §6.2.1),
// PLI (RFC 4585 §6.3.1) and FIR (RFC 5104 §4.3.1).
var videoFeedback = []pion.RTCPFeedback{
	{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"},
}

// h264Fmtp are the H.264 formats registered, most preferred first (RFC 6184
// §8.1). Offers with other profiles still match by name (pion's partial
// match), since the server only relays the bitstream.
var h264Fmtp = []struct {
	pt   pion.PayloadType
	fmtp string
}{
	{102, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"},
	{104, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"},
	{106, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f"},
	{108, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f"},
	{110, "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f"},
	{112, "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f"},
}

// newMediaEngine returns a MediaEngine that knows exactly H.264, VP8 and
// Opus.
func newMediaEngine() (*pion.MediaEngine, error) {
	m := &pion.MediaEngine{}
	for _, h := range h264Fmtp {
		if err := m.RegisterCodec(pion.RTPCodecParameters{
			RTPCodecCapability: pion.RTPCodecCapability{
				MimeType: pion.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: h.fmtp, RTCPFeedback: videoFeedback,
			},
			PayloadType: h.pt,
		}, pion.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
	}
	if err := m.RegisterCodec(pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback},
		PayloadType:        96,
	}, pion.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := m.RegisterCodec(pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType:        111,
	}, pion.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	return m, nil
}

// codecOf maps a MIME type ("video/H264") or an rtpmap encoding name
// ("H264") to a media.Codec.
func codecOf(name string) media.Codec {
	if i := strings.IndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	switch {
	case strings.EqualFold(name, "H264"):
		return media.CodecH264
	case strings.EqualFold(name, "VP8"):
		return media.CodecVP8
	case strings.EqualFold(name, "opus"):
		return media.CodecOpus
	}
	return media.CodecUnknown
}

// kindOf returns the pion media kind of c.
func kindOf(c media.Codec) pion.RTPCodecType {
	if c.IsVideo() {
		return pion.RTPCodecTypeVideo
	}
	return pion.RTPCodecTypeAudio
}

// trackOf describes the negotiated codec p as a media.Track.
func trackOf(p pion.RTPCodecParameters) media.Track {
	t := media.Track{Codec: codecOf(p.MimeType)}
	if t.Codec == media.CodecOpus {
		// The SDP always says opus/48000/2 (RFC 7587 §7); sprop-stereo
		// says whether the sender actually sends stereo.
		t.Channels = 1
		if fmtpHas(p.SDPFmtpLine, "sprop-stereo", "1") {
			t.Channels = 2
		}
	}
	return t
}

// capabilityOf is the local track capability used to send t to viewers.
func capabilityOf(t media.Track) pion.RTPCodecCapability {
	switch t.Codec {
	case media.CodecH264:
		return pion.RTPCodecCapability{MimeType: pion.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: h264Fmtp[0].fmtp}
	case media.CodecVP8:
		return pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8, ClockRate: 90000}
	default:
		fmtp := "minptime=10;useinbandfec=1"
		if t.Channels == 2 {
			fmtp += ";stereo=1;sprop-stereo=1"
		}
		return pion.RTPCodecCapability{MimeType: pion.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: fmtp}
	}
}

// chooseCodec picks the codec to pin on a transceiver from its negotiated
// list (offerer's order, exact matches first). With want set it takes the
// first of that codec; otherwise the server's preference wins over the
// offerer's order, which RFC 3264 §6.1 allows: H.264 with
// packetization-mode=1 (what the recorder and MP4 playback want; mode 1
// carries every NAL unit type, RFC 6184 §6.3), then VP8, then H.264 mode 0,
// then Opus. Within a rank the offerer's order holds.
func chooseCodec(codecs []pion.RTPCodecParameters, want media.Codec) (pion.RTPCodecParameters, bool) {
	best, bestRank := -1, 0
	for i := range codecs {
		c := codecOf(codecs[i].MimeType)
		if c == media.CodecUnknown || (want != media.CodecUnknown && c != want) {
			continue
		}
		rank := 3
		switch {
		case c == media.CodecH264 && fmtpHas(codecs[i].SDPFmtpLine, "packetization-mode", "1"):
			rank = 0
		case c == media.CodecVP8:
			rank = 1
		case c == media.CodecH264:
			rank = 2
		}
		if best < 0 || rank < bestRank {
			best, bestRank = i, rank
		}
	}
	if best < 0 {
		return pion.RTPCodecParameters{}, false
	}
	return codecs[best], true
}

// fmtpHas reports whether the a=fmtp parameter list sets key to value.
func fmtpHas(fmtp, key, value string) bool {
	for _, kv := range strings.Split(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if strings.EqualFold(k, key) && v == value {
			return true
		}
	}
	return false
}
