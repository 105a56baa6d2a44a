package webrtc

import (
	"errors"
	"strings"
	"testing"
)

const sdpHead = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

func TestCheckOffer(t *testing.T) {
	cases := []struct {
		name    string
		sdp     string
		publish bool
		usable  int
		err     error  // nil: accepted
		msg     string // in the error
	}{
		{name: "garbage", sdp: "hello", publish: true, err: ErrBadOffer, msg: "malformed SDP"},
		{name: "empty", sdp: "", publish: true, err: ErrBadOffer, msg: "no audio or video"},
		{name: "no media", sdp: sdpHead, publish: true, err: ErrBadOffer, msg: "no audio or video"},
		{name: "data channel only", publish: true, err: ErrBadOffer, msg: "no audio or video",
			sdp: sdpHead + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n"},
		{name: "h264 sendonly", publish: true, usable: 1,
			sdp: sdpHead + "m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:0\r\na=rtpmap:102 H264/90000\r\na=sendonly\r\n"},
		{name: "h264 case-insensitive, sendrecv by default", publish: true, usable: 1,
			sdp: sdpHead + "m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=rtpmap:102 h264/90000\r\n"},
		{name: "h264 recvonly for WHIP", publish: true, err: ErrNoCodec, msg: "sendonly or sendrecv",
			sdp: sdpHead + "m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=rtpmap:102 H264/90000\r\na=recvonly\r\n"},
		{name: "h264 recvonly for WHEP", publish: false, usable: 1,
			sdp: sdpHead + "m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=rtpmap:102 H264/90000\r\na=recvonly\r\n"},
		{name: "session-level direction", publish: false, err: ErrNoCodec, msg: "recvonly or sendrecv",
			sdp: sdpHead + "a=sendonly\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\na=rtpmap:102 H264/90000\r\n"},
		{name: "h265 only", publish: true, err: ErrNoCodec, msg: "supported: H264, VP8, opus; offered: H265",
			sdp: sdpHead + "m=video 9 UDP/TLS/RTP/SAVPF 116 117\r\na=rtpmap:116 H265/90000\r\na=rtpmap:117 rtx/90000\r\na=fmtp:117 apt=116\r\n"},
		{name: "static g722", publish: true, err: ErrNoCodec, msg: "offered: PT 9",
			sdp: sdpHead + "m=audio 9 UDP/TLS/RTP/SAVPF 9\r\n"},
		{name: "opus in a video section", publish: true, err: ErrNoCodec,
			sdp: sdpHead + "m=video 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"},
		{name: "rejected section", publish: true, err: ErrNoCodec,
			sdp: sdpHead + "m=video 0 UDP/TLS/RTP/SAVPF 102\r\na=rtpmap:102 H264/90000\r\n"},
		{name: "vp8 + opus", publish: true, usable: 2,
			sdp: sdpHead + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"},
		{name: "too many sections", publish: true, err: ErrBadOffer, msg: "at most 16",
			sdp: sdpHead + strings.Repeat("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n", 17)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sum, err := checkOffer([]byte(c.sdp), c.publish)
			if c.err == nil {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if sum.usable != c.usable {
					t.Fatalf("usable %d, want %d", sum.usable, c.usable)
				}
				return
			}
			if !errors.Is(err, c.err) || !errors.Is(err, ErrBadOffer) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want %v containing %q", err, c.err, c.msg)
			}
		})
	}
}

func FuzzCheckOffer(f *testing.F) {
	f.Add([]byte(sdpHead+"m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:0\r\na=rtpmap:102 H264/90000\r\na=sendonly\r\n"), true)
	f.Add([]byte(sdpHead+"m=audio 9 UDP/TLS/RTP/SAVPF 9 111\r\na=rtpmap:111 opus/48000/2\r\na=recvonly\r\n"), false)
	f.Add([]byte(sdpHead+"a=sendonly\r\nm=video 0 RTP/AVP 96 x\r\na=rtpmap:96\r\na=rtpmap: \r\n"), true)
	f.Add([]byte("hello"), false)
	f.Fuzz(func(t *testing.T, raw []byte, publish bool) {
		sum, err := checkOffer(raw, publish)
		if err == nil && sum.usable == 0 {
			t.Fatal("accepted an offer with no usable section")
		}
		if err != nil && !errors.Is(err, ErrBadOffer) {
			t.Fatalf("error %v does not wrap ErrBadOffer", err)
		}
	})
}
