package rtpin

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tributary-edge/tributary/video/media"
)

// SDP files as ffmpeg 5+ writes them with -sdp_file (CRLF line ends).
var (
	ffmpegH264SDP       = mustRead("testdata/ffmpeg_h264.sdp")
	ffmpegVP8SDP        = mustRead("testdata/ffmpeg_vp8.sdp")
	ffmpegOpusSDP       = mustRead("testdata/ffmpeg_opus.sdp")
	ffmpegVideoAudioSDP = mustRead("testdata/ffmpeg_video_audio.sdp")
)

func mustRead(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// sdpText builds an SDP with LF line ends from lines.
func sdpText(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

var sdpHead = []string{"v=0", "o=- 0 0 IN IP4 127.0.0.1", "s=cam", "c=IN IP4 127.0.0.1", "t=0 0"}

func withHead(lines ...string) string {
	return sdpText(append(append([]string(nil), sdpHead...), lines...)...)
}

func TestParseSDP(t *testing.T) {
	for _, c := range []struct {
		name    string
		sdp     string
		want    []SDPMedia
		psTypes [][]byte // NAL types of each track's ParameterSets
	}{
		{
			name:    "ffmpeg H264 with sprop-parameter-sets",
			sdp:     ffmpegH264SDP,
			want:    []SDPMedia{{TrackInfo: TrackInfo{Track: media.Track{Codec: media.CodecH264}, PayloadType: 96, ClockRate: 90000, PacketizationMode: 1}, Port: 41000, Address: "127.0.0.1", Line: 7}},
			psTypes: [][]byte{{7, 8}},
		},
		{
			name: "ffmpeg VP8",
			sdp:  ffmpegVP8SDP,
			want: []SDPMedia{{TrackInfo: TrackInfo{Track: media.Track{Codec: media.CodecVP8}, PayloadType: 96, ClockRate: 90000}, Port: 41000, Address: "127.0.0.1", Line: 7}},
		},
		{
			name: "ffmpeg Opus mono",
			sdp:  ffmpegOpusSDP,
			want: []SDPMedia{{TrackInfo: TrackInfo{Track: media.Track{Codec: media.CodecOpus, Channels: 1}, PayloadType: 111, ClockRate: 48000}, Port: 41002, Address: "127.0.0.1", Line: 7}},
		},
		{
			name: "ffmpeg video and stereo audio, media-level c=",
			sdp:  ffmpegVideoAudioSDP,
			want: []SDPMedia{
				{TrackInfo: TrackInfo{Track: media.Track{Codec: media.CodecH264}, PayloadType: 96, ClockRate: 90000, PacketizationMode: 1}, Port: 41000, Address: "127.0.0.1", Line: 6},
				{TrackInfo: TrackInfo{Track: media.Track{Codec: media.CodecOpus, Channels: 2}, PayloadType: 97, ClockRate: 48000}, Port: 41002, Address: "127.0.0.1", Line: 10},
			},
		},
		{
			name: "first supported of several payload types; case-insensitive names; unpadded base64; no packetization-mode",
			sdp: withHead("m=video 5004 RTP/AVP 26 98 99", "a=rtpmap:98 h264/90000",
				"a=fmtp:98 profile-level-id=42e01f;SPROP-PARAMETER-SETS=Z0LAHtkAoD2wEQAAAwABAAADADIPFi5I,aMuDyyA", "a=rtpmap:99 VP8/90000"),
			want:    []SDPMedia{{TrackInfo: TrackInfo{Track: media.Track{Codec: media.CodecH264}, PayloadType: 98, ClockRate: 90000}, Port: 5004, Address: "127.0.0.1", Line: 6}},
			psTypes: [][]byte{{7, 8}},
		},
		{
			name: "disabled m-line skipped, no c=, RTP/AVPF, SEI in sprop ignored",
			sdp: sdpText("v=0", "o=- 0 0 IN IP4 10.0.0.2", "s=-", "t=0 0", "m=audio 0 RTP/AVP 0", "m=video 6000 RTP/AVPF 96",
				"a=rtpmap:96 H264/90000", "a=fmtp:96 packetization-mode=0;sprop-parameter-sets=BgX/,Z0LAHtkAoD2wEQAAAwABAAADADIPFi5I"),
			want:    []SDPMedia{{TrackInfo: TrackInfo{Track: media.Track{Codec: media.CodecH264}, PayloadType: 96, ClockRate: 90000}, Port: 6000, Line: 6}},
			psTypes: [][]byte{{7}},
		},
		{
			name: "audio only, opus/48000 without channels",
			sdp:  withHead("m=audio 5006 RTP/AVP 100", "a=rtpmap:100 OPUS/48000", "a=fmtp:100 sprop-stereo=1"),
			want: []SDPMedia{{TrackInfo: TrackInfo{Track: media.Track{Codec: media.CodecOpus, Channels: 2}, PayloadType: 100, ClockRate: 48000}, Port: 5006, Address: "127.0.0.1", Line: 6}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseSDP([]byte(c.sdp))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d media, want %d: %+v", len(got), len(c.want), got)
			}
			for i := range got {
				ps := got[i].ParameterSets
				got[i].ParameterSets = nil
				g, w := got[i].TrackInfo, c.want[i].TrackInfo
				if g.Track != w.Track || g.PayloadType != w.PayloadType || g.ClockRate != w.ClockRate || g.PacketizationMode != w.PacketizationMode || got[i].Port != c.want[i].Port || got[i].Address != c.want[i].Address || got[i].Line != c.want[i].Line {
					t.Errorf("media %d: got %+v, want %+v", i, got[i], c.want[i])
				}
				var types []byte
				for _, nal := range ps {
					types = append(types, nal[0]&0x1f)
				}
				var want []byte
				if i < len(c.psTypes) {
					want = c.psTypes[i]
				}
				if string(types) != string(want) {
					t.Errorf("media %d: parameter set NAL types %v, want %v", i, types, want)
				}
			}
		})
	}
}

func TestParseSDPErrors(t *testing.T) {
	video := func(lines ...string) string {
		return withHead(append([]string{"m=video 5004 RTP/AVP 96"}, lines...)...)
	}
	for _, c := range []struct {
		name string
		sdp  string
		want string // substring of the error
	}{
		{"unknown codec", video("a=rtpmap:96 H265/90000"), `line 7 "a=rtpmap:96 H265/90000": codec "H265": supported: H264, VP8, opus`},
		{"camera with AAC audio", video("a=rtpmap:96 H264/90000") + "m=audio 5006 RTP/AVP 97\na=rtpmap:97 mpeg4-generic/16000/1\n",
			`line 9 "a=rtpmap:97 mpeg4-generic/16000/1": codec "mpeg4-generic": supported`},
		{"static payload type", withHead("m=audio 5004 RTP/AVP 0"), `line 6 "m=audio 5004 RTP/AVP 0": codec "PCMU" (static payload type 0): supported`},
		{"dynamic payload type without rtpmap", video(), `line 6 "m=video 5004 RTP/AVP 96": payload type 96 has no a=rtpmap`},
		{"payload type out of range", withHead("m=video 5004 RTP/AVP 200"), `line 6 "m=video 5004 RTP/AVP 200": payload type "200": want 0-127`},
		{"clock rate", video("a=rtpmap:96 H264/8000"), `line 7 "a=rtpmap:96 H264/8000": clock rate "8000": H264 needs 90000`},
		{"interleaved mode", video("a=rtpmap:96 H264/90000", "a=fmtp:96 packetization-mode=2"), `line 8 "a=fmtp:96 packetization-mode=2": packetization-mode 2 (interleaved) is not supported`},
		{"bad packetization-mode", video("a=rtpmap:96 H264/90000", "a=fmtp:96 packetization-mode=x"), `packetization-mode "x": want 0 or 1`},
		{"bad base64", video("a=rtpmap:96 H264/90000", "a=fmtp:96 sprop-parameter-sets=Z0LA,!!!!"), `line 8 "a=fmtp:96 sprop-parameter-sets=Z0LA,!!!!": sprop-parameter-sets "!!!!": illegal base64`},
		{"empty parameter set", video("a=rtpmap:96 H264/90000", "a=fmtp:96 sprop-parameter-sets=Z0LA,"), `sprop-parameter-sets "": not an H.264 NAL unit`},
		{"forbidden bit", video("a=rtpmap:96 H264/90000", "a=fmtp:96 sprop-parameter-sets=5w=="), `sprop-parameter-sets "5w==": not an H.264 NAL unit`},
		{"H264 in audio", withHead("m=audio 5004 RTP/AVP 96", "a=rtpmap:96 H264/90000"), `line 7 "a=rtpmap:96 H264/90000": codec H264 in an m=audio line`},
		{"opus channels", withHead("m=audio 5004 RTP/AVP 96", "a=rtpmap:96 opus/48000/6"), `channels "6": opus needs 2`},
		{"two video m-lines", video("a=rtpmap:96 VP8/90000") + "m=video 5006 RTP/AVP 96\na=rtpmap:96 VP8/90000\n",
			`line 8 "m=video 5006 RTP/AVP 96": a second video m-line (the first is line 6)`},
		{"application", withHead("m=application 5004 RTP/AVP 96"), `line 6 "m=application 5004 RTP/AVP 96": media "application": only audio and video`},
		{"SRTP", withHead("m=video 5004 RTP/SAVP 96", "a=rtpmap:96 VP8/90000"), `proto "RTP/SAVP": only plain RTP over UDP`},
		{"not a type line", withHead("hello", "m=video 5004 RTP/AVP 96"), `line 6 "hello": want <type>=<value>`},
		{"upper-case type", withHead("M=video 5004 RTP/AVP 96"), `line 6 "M=video 5004 RTP/AVP 96": want <type>=<value>`},
		{"blank line inside", sdpText("v=0", "", "s=x"), `line 2 "": want <type>=<value>`},
		{"bad port (pion)", withHead("m=video abc RTP/AVP 96"), `line 6 "m=video abc RTP/AVP 96": sdp: invalid port value`},
		{"bad address type (pion)", sdpText("v=0", "o=- 0 0 IN IP4 127.0.0.1", "s=x", "c=IN IP9 1.2.3.4", "t=0 0"), `line 4 "c=IN IP9 1.2.3.4": sdp: invalid value`},
		{"no v= (pion syntax error)", sdpText("o=- 0 0 IN IP4 127.0.0.1", "v=0"), `line 1 "o=- 0 0 IN IP4 127.0.0.1": sdp: syntax error`},
		{"line out of order (pion)", withHead("m=video 5004 RTP/AVP 96", "s=again"), `line 7 "s=again": sdp: syntax error`},
		{"empty", "", "empty"},
		{"only blank lines", "\r\n\n", "empty"},
		{"no media", withHead(), "no audio or video m-line"},
		{"only disabled media", withHead("m=video 0 RTP/AVP 96"), "no audio or video m-line"},
		{"too large", withHead("a=x:" + strings.Repeat("y", MaxSDPSize)), "more than 65536"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSDP([]byte(c.sdp))
			if err == nil {
				t.Fatalf("no error; want %q", c.want)
			}
			if !errors.Is(err, ErrSDP) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\nwant it to wrap ErrSDP and contain %q", err, c.want)
			}
		})
	}
}
