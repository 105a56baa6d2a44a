package webrtc

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"
)

// Config configures a Server. Zero fields take the defaults documented on
// each; only Authorize is required.
type Config struct {
	// ICEAddr is the one UDP address all ICE, DTLS and SRTP traffic uses.
	// An unspecified host ("0.0.0.0:8189", the default) opens that port on
	// every IPv4 address that passes InterfaceFilter and IPFilter; a
	// concrete IP opens exactly that socket (loopback allowed, for tests).
	ICEAddr string
	// NAT1To1IPs, when set, replace the host candidates' addresses in
	// answers (the gateway sits behind a 1:1 NAT and these are its public
	// addresses).
	NAT1To1IPs []string
	// InterfaceFilter and IPFilter, when set, restrict which interfaces and
	// addresses become host candidates.
	InterfaceFilter func(name string) bool
	IPFilter        func(ip net.IP) bool
	// IPv6 also gathers IPv6 candidates.
	IPv6 bool

	// PathPrefix is the path the routes hang under (default "/video").
	PathPrefix string
	// MaxBodyBytes caps an offer's size (default 64 KiB); more is 413.
	MaxBodyBytes int64
	// MaxSessions caps publish plus view sessions (default 32); more is 503.
	MaxSessions int
	// ViewerQueue is each WHEP viewer's frame queue (default 128 frames).
	ViewerQueue int

	// GatherTimeout bounds ICE gathering per request (default 5s).
	GatherTimeout time.Duration
	// ConnectTimeout ends a session not connected this long after its
	// answer (default 15s).
	ConnectTimeout time.Duration
	// ICEDisconnectedTimeout and ICEFailedTimeout are pion's ICE timers
	// (defaults 5s and 10s): a peer that goes silent ends its session after
	// their sum.
	ICEDisconnectedTimeout time.Duration
	ICEFailedTimeout       time.Duration
	// KeyframeInterval is the least time between two PLIs sent to one
	// publisher (default 500ms); requests in between are counted and
	// dropped, so many viewers joining do not flood the camera.
	KeyframeInterval time.Duration

	// Authorize reports whether token may publish stream ("" when the
	// request carries none). Required.
	Authorize func(stream, token string) bool
	// AuthorizeView reports whether token may view stream; nil lets anyone
	// view.
	AuthorizeView func(stream, token string) bool
	// AllowOrigin, when set, is sent as Access-Control-Allow-Origin with
	// the matching CORS headers, for browser players on another origin.
	AllowOrigin string

	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives session events (default slog.Default()).
	Logger *slog.Logger
}

// withDefaults returns c with zero fields defaulted.
func (c Config) withDefaults() Config {
	if c.ICEAddr == "" {
		c.ICEAddr = "0.0.0.0:8189"
	}
	if c.PathPrefix == "" {
		c.PathPrefix = "/video"
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 64 << 10
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = 32
	}
	if c.ViewerQueue == 0 {
		c.ViewerQueue = 128
	}
	if c.GatherTimeout == 0 {
		c.GatherTimeout = 5 * time.Second
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 15 * time.Second
	}
	if c.ICEDisconnectedTimeout == 0 {
		c.ICEDisconnectedTimeout = 5 * time.Second
	}
	if c.ICEFailedTimeout == 0 {
		c.ICEFailedTimeout = 10 * time.Second
	}
	if c.KeyframeInterval == 0 {
		c.KeyframeInterval = 500 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate checks c (after defaults) without doing any I/O.
func (c Config) Validate() error {
	c = c.withDefaults()
	host, port, err := net.SplitHostPort(c.ICEAddr)
	if err != nil {
		return fmt.Errorf("%w: ICEAddr %q: %v", ErrConfig, c.ICEAddr, err)
	}
	if host != "" && net.ParseIP(host) == nil {
		return fmt.Errorf("%w: ICEAddr %q: host must be an IP address", ErrConfig, c.ICEAddr)
	}
	if p, err := net.LookupPort("udp", port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%w: ICEAddr %q: bad port", ErrConfig, c.ICEAddr)
	}
	for _, ip := range c.NAT1To1IPs {
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("%w: NAT1To1IPs: %q is not an IP address", ErrConfig, ip)
		}
	}
	if !strings.HasPrefix(c.PathPrefix, "/") || strings.HasSuffix(c.PathPrefix, "/") || strings.ContainsAny(c.PathPrefix, "{}") {
		return fmt.Errorf("%w: PathPrefix %q must start and not end with '/'", ErrConfig, c.PathPrefix)
	}
	switch {
	case c.MaxBodyBytes < 1024:
		return fmt.Errorf("%w: MaxBodyBytes %d is below 1024", ErrConfig, c.MaxBodyBytes)
	case c.MaxSessions < 1:
		return fmt.Errorf("%w: MaxSessions %d", ErrConfig, c.MaxSessions)
	case c.ViewerQueue < 1:
		return fmt.Errorf("%w: ViewerQueue %d", ErrConfig, c.ViewerQueue)
	case c.GatherTimeout < 0 || c.ConnectTimeout < 0 || c.ICEDisconnectedTimeout < 0 ||
		c.ICEFailedTimeout < 0 || c.KeyframeInterval < 0:
		return fmt.Errorf("%w: negative timeout", ErrConfig)
	case c.Authorize == nil:
		return fmt.Errorf("%w: Authorize is required (WHIP publishing needs a bearer token check)", ErrConfig)
	}
	return nil
}
