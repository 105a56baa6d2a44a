package camera

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	whip := Config{Mode: WHIP, Target: "http://127.0.0.1:4567/video/cam{n}/whip", Count: 3}
	rtpc := Config{Mode: RTP, Target: "127.0.0.1:5004", Count: 2, SDPFile: "cam{n}.sdp"}
	for _, c := range []Config{whip, rtpc} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	mod := func(c Config, f func(*Config)) Config { f(&c); return c }
	for want, c := range map[string]Config{
		"count 0":                 mod(whip, func(c *Config) { c.Count = 0 }),
		"want an http://":         mod(whip, func(c *Config) { c.Target = "ftp://x/whip" }),
		"need {n} in the WHIP":    mod(whip, func(c *Config) { c.Target = "http://x/whip" }),
		"for RTP mode only":       mod(whip, func(c *Config) { c.SDPFile = "x.sdp" }),
		"need {n} in the SDP":     mod(rtpc, func(c *Config) { c.SDPFile = "x.sdp" }),
		"want HOST:PORT":          mod(rtpc, func(c *Config) { c.Target = "5004" }),
		"bad port":                mod(rtpc, func(c *Config) { c.Target = "127.0.0.1:http" }),
		"would use port 65536":    mod(rtpc, func(c *Config) { c.Target = "127.0.0.1:65534" }),
		"for WHIP mode only":      mod(rtpc, func(c *Config) { c.ICEIPs = []net.IP{net.IPv4zero} }),
		"fps 300":                 mod(whip, func(c *Config) { c.FPS = 300 }),
		"fps -1":                  mod(whip, func(c *Config) { c.FPS = -1 }),
		"bitrate -1":              mod(whip, func(c *Config) { c.Bitrate = -1 }),
		"loss 1:":                 mod(whip, func(c *Config) { c.Faults.Loss = 1 }),
		"reorder -0.1":            mod(whip, func(c *Config) { c.Faults.Reorder = -0.1 }),
		"jitter 3s":               mod(whip, func(c *Config) { c.Faults.Jitter = 3 * time.Second }),
		"disconnect-after -1s":    mod(whip, func(c *Config) { c.Faults.DisconnectAfter = -time.Second }),
		"duration -1s":            mod(whip, func(c *Config) { c.Duration = -time.Second }),
		`ICE server "x:1"`:        mod(whip, func(c *Config) { c.ICEServers = []string{"x:1"} }),
		"mode 7":                  mod(whip, func(c *Config) { c.Mode = 7 }),
		"empty clip":              mod(whip, func(c *Config) { c.Clip = &Clip{} }),
		"want a probability in [": mod(whip, func(c *Config) { c.Faults.Loss = 2 }),
	} {
		err := c.Validate()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q, got %v", want, err)
		}
	}
}

func TestTargets(t *testing.T) {
	c := Config{Mode: RTP, Target: "127.0.0.1:5004", SDPFile: "cam{n}.sdp", Count: 3}
	if got := []string{c.TargetOf(1), c.TargetOf(3), c.SDPFileOf(2)}; strings.Join(got, " ") != "127.0.0.1:5004 127.0.0.1:5008 cam2.sdp" {
		t.Errorf("%v", got)
	}
	c = Config{Mode: RTP, Target: "[::1]:60{n}0"}
	if got := c.TargetOf(2); got != "[::1]:6020" {
		t.Errorf("%s", got)
	}
	c = Config{Mode: WHIP, Target: "http://h/video/cam{n}/whip?x={n}"}
	if got := c.TargetOf(12); got != "http://h/video/cam12/whip?x=12" {
		t.Errorf("%s", got)
	}
	if got := c.SDPFileOf(1); got != "" {
		t.Errorf("SDP file %q", got)
	}
}

func TestParseBitrate(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "4M": 4_000_000, "2.5Mbit/s": 2_500_000, "800k": 800_000, "800K": 800_000,
		"300000": 300_000, " 1.5 M": 1_500_000, "100M": 100_000_000, "64kbps": 64_000, "1b/s": 1,
	} {
		if got, err := ParseBitrate(in); err != nil || got != want {
			t.Errorf("ParseBitrate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "4X", "-1M", "101M", "NaN", "Inf", "M", "1e400"} {
		if got, err := ParseBitrate(in); err == nil {
			t.Errorf("ParseBitrate(%q) = %d, want an error", in, got)
		}
	}
}

func FuzzParseBitrate(f *testing.F) {
	for _, s := range []string{"0", "4M", "2.5Mbit/s", "800k", "64kbps", "4X", "-1M", "NaN", "1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseBitrate(s)
		if err == nil && (v < 0 || v > MaxBitrate) {
			t.Fatalf("ParseBitrate(%q) = %d", s, v)
		}
	})
}

func TestSDP(t *testing.T) {
	c := Default()
	got, err := SDP(c, "127.0.0.1:5004", 3)
	if err != nil {
		t.Fatal(err)
	}
	want := "v=0\r\n" +
		"o=- 0 0 IN IP4 127.0.0.1\r\n" +
		"s=firmware-sim camera 3\r\n" +
		"c=IN IP4 127.0.0.1\r\n" +
		"t=0 0\r\n" +
		"m=video 5004 RTP/AVP 96\r\n" +
		"a=rtpmap:96 H264/90000\r\n" +
		"a=fmtp:96 packetization-mode=1;profile-level-id=42c01f;sprop-parameter-sets=Z0LAH9kAoC/5cBEAAAMAAQAAAwAyDxgySA==,aMuMsg==\r\n"
	if got != want {
		t.Errorf("SDP:\n%s\nwant:\n%s", got, want)
	}
	if got, _ := SDP(c, "[::1]:5004", 1); !strings.Contains(got, "c=IN IP6 ::1\r\n") {
		t.Errorf("IPv6 SDP:\n%s", got)
	}
	if _, err := SDP(c, "nohost", 1); err == nil {
		t.Error("SDP of a bad address")
	}
}

func TestOfferCodec(t *testing.T) {
	if got := offerCodec(Default()).SDPFmtpLine; got != "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f" {
		t.Errorf("constrained baseline offered as %s", got)
	}
	high := &Clip{SPS: []byte{0x67, 0x64, 0x00, 0x28}}
	if got := offerCodec(high).SDPFmtpLine; !strings.HasSuffix(got, "profile-level-id=640028") {
		t.Errorf("high profile offered as %s", got)
	}
}
