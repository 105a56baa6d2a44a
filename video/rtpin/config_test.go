package rtpin

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tributary-edge/tributary/video/media"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Stream: "cam1", Addr: "0.0.0.0:5004", Codec: "H264"}
	for _, c := range []struct {
		name   string
		mutate func(*Config)
		want   string // "" for valid
	}{
		{"codec", nil, ""},
		{"lower-case codec", func(c *Config) { c.Codec = "vp8" }, ""},
		{"opus mono", func(c *Config) { c.Codec, c.Channels = "opus", 1 }, ""},
		{"SDP without Addr binds c=", func(c *Config) { c.Codec, c.Addr, c.SDP = "", "", []byte(ffmpegVideoAudioSDP) }, ""},
		{"SDP file", func(c *Config) { c.Codec, c.SDPFile = "", "testdata/ffmpeg_h264.sdp" }, ""},
		{"IPv6 Addr", func(c *Config) { c.Addr = "[::1]:5004" }, ""},
		{"unknown codec", func(c *Config) { c.Codec = "H265" }, `codec "H265": supported: H264, VP8, opus`},
		{"no source of tracks", func(c *Config) { c.Codec = "" }, "set exactly one of Codec, SDP and SDPFile"},
		{"codec and SDP", func(c *Config) { c.SDP = []byte(ffmpegVP8SDP) }, "set exactly one of Codec, SDP and SDPFile"},
		{"stream", func(c *Config) { c.Stream = "a/b" }, `Stream "a/b"`},
		{"empty stream", func(c *Config) { c.Stream = "" }, `Stream ""`},
		{"payload type", func(c *Config) { c.PayloadType = 128 }, "PayloadType 128: want 0-127"},
		{"channels on video", func(c *Config) { c.Channels = 2 }, "Channels 2: only for opus"},
		{"opus channels", func(c *Config) { c.Codec, c.Channels = "opus", 3 }, "Channels 3: opus needs 1 or 2"},
		{"no Addr with Codec", func(c *Config) { c.Addr = "" }, "Addr is required with Codec"},
		{"Addr without port", func(c *Config) { c.Addr = "127.0.0.1" }, `Addr "127.0.0.1": address 127.0.0.1: missing port`},
		{"Addr host name", func(c *Config) { c.Addr = "camera.local:5004" }, `Addr "camera.local:5004": host must be an IP address`},
		{"Addr port", func(c *Config) { c.Addr = ":99999" }, `Addr ":99999": port must be 0-65535`},
		{"negative idle", func(c *Config) { c.IdleTimeout = -1 }, "IdleTimeout -1ns is negative"},
		{"negative keyframe interval", func(c *Config) { c.KeyframeInterval = -1 }, "KeyframeInterval"},
		{"negative retry", func(c *Config) { c.PublishRetry = -1 }, "PublishRetry"},
		{"packet size", func(c *Config) { c.MaxPacketSize = 70000 }, "MaxPacketSize 70000: want 12-65527"},
		{"read buffer", func(c *Config) { c.ReadBuffer = -1 }, "ReadBuffer"},
		{"payload type with SDP", func(c *Config) { c.Codec, c.PayloadType, c.SDP = "", 96, []byte(ffmpegVP8SDP) }, "PayloadType and Channels come from the SDP"},
		{"bad SDP", func(c *Config) { c.Codec, c.SDP = "", []byte("v=0\nbad\n") }, `SDP: rtpin: bad SDP: line 2 "bad"`},
		{"empty SDP", func(c *Config) { c.Codec, c.SDP = "", []byte{} }, "SDP: rtpin: bad SDP: empty"},
		{"SDP without c=", func(c *Config) {
			c.Codec, c.Addr, c.SDP = "", "", []byte(sdpText("v=0", "o=- 0 0 IN IP4 1.2.3.4", "s=-", "t=0 0", "m=video 5004 RTP/AVP 96", "a=rtpmap:96 VP8/90000"))
		}, "Addr is empty and the m-line at line 5 of SDP has no c= address"},
		{"multicast SDP", func(c *Config) {
			c.Codec, c.Addr, c.SDP = "", "", []byte(strings.ReplaceAll(ffmpegVP8SDP, "127.0.0.1", "239.1.1.1/16"))
		}, `c= address "239.1.1.1" of the m-line at line 7 of SDP is multicast`},
		{"c= host name", func(c *Config) {
			c.Codec, c.Addr, c.SDP = "", "", []byte(strings.ReplaceAll(ffmpegVP8SDP, "127.0.0.1", "cam.local"))
		}, `c= address "cam.local" of the m-line at line 7 of SDP is not an IP address`},
		{"m-lines share a port", func(c *Config) {
			c.Codec, c.Addr, c.SDP = "", "", []byte(strings.ReplaceAll(ffmpegVideoAudioSDP, "41002", "41000"))
		}, "the m-lines at lines 6 and 10 of SDP share port 41000"},
		{"no room for the audio port", func(c *Config) { c.Codec, c.Addr, c.SDP = "", ":65535", []byte(ffmpegVideoAudioSDP) }, `Addr ":65535": no port left for the m-line at line 10`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			if c.mutate != nil {
				c.mutate(&cfg)
			}
			err := cfg.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case c.want == "":
			case err == nil:
				t.Fatalf("no error; want %q", c.want)
			case !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want):
				t.Errorf("error %q\nwant it to wrap ErrConfig and contain %q", err, c.want)
			}
		})
	}
}

// TestPlan checks the addresses each track binds and the tracks of each
// configuration kind.
func TestPlan(t *testing.T) {
	for _, c := range []struct {
		name      string
		cfg       Config
		wantBinds []string
		want      []media.Track
	}{
		{"codec", Config{Codec: "opus", Addr: ":5004"}, []string{":5004"}, []media.Track{{Codec: media.CodecOpus, Channels: 2}}},
		{"SDP with Addr: port, port+2", Config{SDP: []byte(ffmpegVideoAudioSDP), Addr: "0.0.0.0:6000"}, []string{"0.0.0.0:6000", "0.0.0.0:6002"},
			[]media.Track{{Codec: media.CodecH264}, {Codec: media.CodecOpus, Channels: 2}}},
		{"SDP with ephemeral Addr", Config{SDP: []byte(ffmpegVideoAudioSDP), Addr: "127.0.0.1:0"}, []string{"127.0.0.1:0", "127.0.0.1:0"},
			[]media.Track{{Codec: media.CodecH264}, {Codec: media.CodecOpus, Channels: 2}}},
		{"SDP without Addr: c= and m-line ports", Config{SDP: []byte(ffmpegVideoAudioSDP)}, []string{"127.0.0.1:41000", "127.0.0.1:41002"},
			[]media.Track{{Codec: media.CodecH264}, {Codec: media.CodecOpus, Channels: 2}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Stream = "s"
			cfg := c.cfg.withDefaults()
			tracks, binds, err := cfg.plan(cfg.SDP)
			if err != nil {
				t.Fatal(err)
			}
			var got []media.Track
			for _, tr := range tracks {
				got = append(got, tr.Track)
			}
			if !slices.Equal(binds, c.wantBinds) || !slices.Equal(got, c.want) {
				t.Errorf("binds %v tracks %v, want %v %v", binds, got, c.wantBinds, c.want)
			}
		})
	}
}

func TestNewSDPFile(t *testing.T) {
	pub := &recPublisher{}
	l, err := New(Config{Stream: "cam1", Addr: "127.0.0.1:0", SDPFile: "testdata/ffmpeg_h264.sdp"}, pub)
	if err != nil {
		t.Fatal(err)
	}
	tracks := l.Tracks()
	if len(tracks) != 1 || tracks[0].Track.Codec != media.CodecH264 || len(tracks[0].ParameterSets) != 2 {
		t.Fatalf("tracks %+v", tracks)
	}
	tracks[0].ParameterSets[0][0] = 0xff // the copy is the caller's
	if l.Tracks()[0].ParameterSets[0][0] != 0x67 {
		t.Error("Tracks returned the Listener's own parameter sets")
	}

	dir := t.TempDir()
	big := filepath.Join(dir, "big.sdp")
	if err := os.WriteFile(big, make([]byte, MaxSDPSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.sdp")
	if err := os.WriteFile(bad, []byte(strings.ReplaceAll(ffmpegH264SDP, "H264", "H265")), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		filepath.Join(dir, "missing.sdp"): "no such file",
		big:                               "larger than 65536 bytes",
		bad:                               `SDPFile "` + bad + `": rtpin: bad SDP: line 8 "a=rtpmap:96 H265/90000": codec "H265"`,
	} {
		_, err := New(Config{Stream: "cam1", Addr: "127.0.0.1:0", SDPFile: file}, pub)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("SDPFile %s: error %v, want %q", file, err, want)
		}
	}
}
