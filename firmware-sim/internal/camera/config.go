package camera

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Mode is how cameras send.
type Mode int

// Modes.
const (
	WHIP Mode = iota // WebRTC, signalled with WHIP (RFC 9725)
	RTP              // plain RTP over UDP (RFC 3550)
)

func (m Mode) String() string {
	if m == RTP {
		return "rtp"
	}
	return "whip"
}

// Placeholder is replaced by the camera number (from 1) in Config.Target
// and Config.SDPFile.
const Placeholder = "{n}"

// Limits checked by Validate.
const (
	MaxCount   = 1000
	MaxFPS     = 240
	MaxBitrate = 100_000_000 // bit/s per camera
	MaxJitter  = 2 * time.Second
)

// DefaultConnectTimeout bounds the WHIP exchange and ICE/DTLS setup.
const DefaultConnectTimeout = 10 * time.Second

// MTU is the largest RTP packet (header included) cameras send.
const MTU = 1200

// Config describes a set of simulated cameras. Validate checks it without
// I/O; zero values noted below take defaults.
type Config struct {
	Mode   Mode
	Target string // WHIP endpoint URL (http/https), or RTP destination host:port; may hold Placeholder
	// SDPFile, in RTP mode, is where each camera writes the SDP a receiver
	// needs; it must hold Placeholder when Count > 1. Empty: not written.
	SDPFile string
	Count   int    // cameras, 1..MaxCount
	Token   string // WHIP bearer token (RFC 9725 §4.1, RFC 6750); empty: none

	Clip     *Clip         // the clip to loop; nil = Default()
	FPS      float64       // frames per second; 0 = DefaultFPS
	Bitrate  int64         // target H.264 bit/s per camera, reached with filler NAL units; 0 = the clip's own
	Duration time.Duration // how long each camera sends once connected; 0 = until the context ends
	Faults   Faults
	Seed     uint64 // seeds SSRC, sequence numbers, timestamps and fault draws

	// ICE (WHIP mode). No STUN or TURN server unless ICEServers is set.
	ICEIPs         []net.IP // gather host candidates on these addresses only; empty = all
	ICEInterface   string   // gather host candidates on this interface only; empty = all
	ICEServers     []string // stun: / turn: URLs
	ConnectTimeout time.Duration
	HTTPClient     *http.Client // for WHIP; nil = a client of its own with ConnectTimeout
}

// withDefaults returns c with zero values set to their defaults.
func (c Config) withDefaults() Config {
	if c.Clip == nil {
		c.Clip = Default()
	}
	if c.FPS == 0 {
		c.FPS = DefaultFPS
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: c.ConnectTimeout}
	}
	return c
}

// Validate checks c (after defaults) and returns the first problem,
// wrapping ErrInvalidConfig. It does no I/O.
func (c Config) Validate() error {
	c = c.withDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	if c.Count < 1 || c.Count > MaxCount {
		return bad("count %d: want 1..%d", c.Count, MaxCount)
	}
	switch c.Mode {
	case WHIP:
		u, err := url.Parse(c.Target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("WHIP endpoint %q: want an http:// or https:// URL", c.Target)
		}
		if c.Count > 1 && !strings.Contains(c.Target, Placeholder) {
			return bad("%d cameras need %s in the WHIP URL, one stream each", c.Count, Placeholder)
		}
		if c.SDPFile != "" {
			return bad("an SDP file is for RTP mode only")
		}
	case RTP:
		for n := 1; n <= c.Count; n++ {
			if _, err := c.rtpAddr(n); err != nil {
				return bad("%v", err)
			}
		}
		if c.SDPFile != "" && c.Count > 1 && !strings.Contains(c.SDPFile, Placeholder) {
			return bad("%d cameras need %s in the SDP file name, one file each", c.Count, Placeholder)
		}
		if c.Token != "" || len(c.ICEIPs) > 0 || c.ICEInterface != "" || len(c.ICEServers) > 0 {
			return bad("token and ICE settings are for WHIP mode only")
		}
	default:
		return bad("mode %d", c.Mode)
	}
	switch f := c.Faults; {
	case !(c.FPS > 0 && c.FPS <= MaxFPS):
		return bad("fps %g: want more than 0, at most %d", c.FPS, MaxFPS)
	case c.Bitrate < 0 || c.Bitrate > MaxBitrate:
		return bad("bitrate %d: want 0..%d bit/s", c.Bitrate, MaxBitrate)
	case c.Duration < 0:
		return bad("duration %v: want 0 (until stopped) or more", c.Duration)
	case !(f.Loss >= 0 && f.Loss < 1):
		return bad("loss %g: want a probability in [0, 1)", f.Loss)
	case !(f.Reorder >= 0 && f.Reorder < 1):
		return bad("reorder %g: want a probability in [0, 1)", f.Reorder)
	case f.Jitter < 0 || f.Jitter > MaxJitter:
		return bad("jitter %v: want 0..%v", f.Jitter, MaxJitter)
	case f.DisconnectAfter < 0:
		return bad("disconnect-after %v: want 0 (never) or more", f.DisconnectAfter)
	case c.ConnectTimeout < 0:
		return bad("connect timeout %v", c.ConnectTimeout)
	case len(c.Clip.Frames) == 0:
		return bad("empty clip")
	}
	for _, s := range c.ICEServers {
		if !strings.HasPrefix(s, "stun:") && !strings.HasPrefix(s, "turn:") && !strings.HasPrefix(s, "turns:") {
			return bad("ICE server %q: want a stun:, turn: or turns: URL", s)
		}
	}
	return nil
}

// expand replaces Placeholder in s with n.
func expand(s string, n int) string {
	return strings.ReplaceAll(s, Placeholder, strconv.Itoa(n))
}

// TargetOf returns camera n's WHIP URL or RTP destination (from 1).
func (c Config) TargetOf(n int) string {
	if c.Mode == RTP {
		a, err := c.rtpAddr(n)
		if err != nil {
			return expand(c.Target, n)
		}
		return a.String()
	}
	return expand(c.Target, n)
}

// SDPFileOf returns camera n's SDP file name, "" for none.
func (c Config) SDPFileOf(n int) string {
	if c.SDPFile == "" {
		return ""
	}
	return expand(c.SDPFile, n)
}

// rtpAddr returns camera n's RTP destination: Target with Placeholder
// expanded, or, without it, Target's port plus 2(n-1) (RTP ports are even,
// RTCP takes the odd one above, RFC 3550 §11).
func (c Config) rtpAddr(n int) (hostPort, error) {
	s := expand(c.Target, n)
	host, ps, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return hostPort{}, fmt.Errorf("RTP destination %q: want HOST:PORT", s)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 1 || port > 65535 {
		return hostPort{}, fmt.Errorf("RTP destination %q: bad port", s)
	}
	if !strings.Contains(c.Target, Placeholder) {
		port += 2 * (n - 1)
		if port > 65535 {
			return hostPort{}, fmt.Errorf("RTP destination %q: camera %d would use port %d", s, n, port)
		}
	}
	return hostPort{host, port}, nil
}

// hostPort is an RTP destination.
type hostPort struct {
	host string
	port int
}

func (h hostPort) String() string { return net.JoinHostPort(h.host, strconv.Itoa(h.port)) }
