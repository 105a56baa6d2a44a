package rtpin

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/tributary-edge/tributary/video/media"
)

// Defaults applied to zero Config fields.
const (
	DefaultPayloadType      = 96
	DefaultIdleTimeout      = 5 * time.Second
	DefaultKeyframeInterval = 500 * time.Millisecond
	DefaultPublishRetry     = time.Second
	DefaultReadBuffer       = 1 << 20
	// DefaultMaxPacketSize is the largest UDP payload there is (65535
	// minus the 8-byte UDP header), so by default nothing is cut off.
	DefaultMaxPacketSize = 65527
)

// Config configures a Listener. Set Stream and either Codec (one track) or
// SDP/SDPFile (one video and/or one audio track); zero fields take the
// defaults documented on each.
type Config struct {
	// Stream is the stream name passed to Publisher.Publish: 1 to 64 of
	// [A-Za-z0-9._-], not starting with a dot (the WHIP rule).
	Stream string

	// Addr is the UDP address the first track's RTP is received on
	// ("0.0.0.0:5004", "127.0.0.1:0"; the host must be an IP address or
	// empty). With an SDP of two m-lines the second track uses the same
	// host and port+2 (RTP convention: each m-line its own even port, the
	// odd one above it for RTCP), or an ephemeral port when the port is 0;
	// the ports the SDP names are ignored. With an SDP, Addr may be empty:
	// each m-line is then received on its c= address and m-line port
	// (unicast only: the sender's SDP names where it sends, which is here).
	// Required with Codec.
	Addr string

	// Codec is the codec of a single track without an SDP: "H264", "VP8"
	// or "opus" (case-insensitive).
	Codec string
	// PayloadType is the RTP payload type with Codec (0-127, default 96).
	PayloadType uint8
	// Channels is the Opus channel count with Codec "opus": 1 or 2
	// (default 2, since a mono stream labelled stereo still plays right,
	// but not the other way round).
	Channels uint8

	// SDP is an SDP description of what the sender sends (see ParseSDP);
	// SDPFile names a file holding one, read by New. Set at most one of
	// Codec, SDP and SDPFile.
	SDP     []byte
	SDPFile string

	// IdleTimeout ends a session when no RTP has been accepted for this
	// long (default 5s).
	IdleTimeout time.Duration
	// NoRTCP turns off the RTCP sockets (RTP port + 1): no sender reports
	// reach the Sink and no PLI can be sent.
	NoRTCP bool
	// MaxPacketSize is the largest datagram accepted, in bytes (default
	// and at most 65527); larger ones are counted in Stats.Oversize and
	// dropped. Each socket has one read buffer of this size.
	MaxPacketSize int
	// ReadBuffer is the kernel receive buffer asked for per socket (default
	// 1 MiB; the kernel may cap it, e.g. at net.core.rmem_max).
	ReadBuffer int
	// KeyframeInterval is the least time between two PLIs sent to the
	// source (default 500ms); requests in between are counted and dropped.
	KeyframeInterval time.Duration
	// PublishRetry is how long packets are dropped after Publish refused a
	// session before Publish is asked again (default 1s).
	PublishRetry time.Duration

	// Now is the clock for arrival times and the idle timeout (default
	// time.Now).
	Now func() time.Time
	// Logger receives session events (default slog.Default()).
	Logger *slog.Logger
}

// withDefaults returns c with zero fields defaulted.
func (c Config) withDefaults() Config {
	if c.Codec != "" && c.PayloadType == 0 {
		c.PayloadType = DefaultPayloadType
	}
	if codecOf(c.Codec) == media.CodecOpus && c.Channels == 0 {
		c.Channels = 2
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxPacketSize == 0 {
		c.MaxPacketSize = DefaultMaxPacketSize
	}
	if c.ReadBuffer == 0 {
		c.ReadBuffer = DefaultReadBuffer
	}
	if c.KeyframeInterval == 0 {
		c.KeyframeInterval = DefaultKeyframeInterval
	}
	if c.PublishRetry == 0 {
		c.PublishRetry = DefaultPublishRetry
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate checks c (after defaults) without doing any I/O: an SDP given
// in SDP is parsed, an SDPFile is only read by New. Every error wraps
// ErrConfig (and ErrSDP for a bad SDP) and names the field.
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := c.validateFields(); err != nil {
		return err
	}
	if c.SDPFile == "" {
		_, _, err := c.plan(c.SDP)
		return err
	}
	return nil
}

func (c Config) validateFields() error {
	if !validStream(c.Stream) {
		return fmt.Errorf("%w: Stream %q: want 1-64 of [A-Za-z0-9._-], not starting with '.'", ErrConfig, c.Stream)
	}
	set := 0
	for _, s := range []bool{c.Codec != "", c.SDP != nil, c.SDPFile != ""} {
		if s {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("%w: set exactly one of Codec, SDP and SDPFile", ErrConfig)
	}
	if c.Codec != "" {
		codec := codecOf(c.Codec)
		switch {
		case codec == media.CodecUnknown:
			return fmt.Errorf("%w: codec %q: %s", ErrConfig, c.Codec, supported)
		case c.PayloadType > 127:
			return fmt.Errorf("%w: PayloadType %d: want 0-127", ErrConfig, c.PayloadType)
		case codec == media.CodecOpus && c.Channels > 2:
			return fmt.Errorf("%w: Channels %d: opus needs 1 or 2", ErrConfig, c.Channels)
		case codec != media.CodecOpus && c.Channels != 0:
			return fmt.Errorf("%w: Channels %d: only for opus", ErrConfig, c.Channels)
		case c.Addr == "":
			return fmt.Errorf("%w: Addr is required with Codec", ErrConfig)
		}
	} else if c.PayloadType != 0 || c.Channels != 0 {
		return fmt.Errorf("%w: PayloadType and Channels come from the SDP: leave them zero", ErrConfig)
	}
	if c.Addr != "" {
		if _, _, err := splitAddr(c.Addr); err != nil {
			return err
		}
	}
	switch {
	case c.IdleTimeout < 0:
		return fmt.Errorf("%w: IdleTimeout %v is negative", ErrConfig, c.IdleTimeout)
	case c.KeyframeInterval < 0:
		return fmt.Errorf("%w: KeyframeInterval %v is negative", ErrConfig, c.KeyframeInterval)
	case c.PublishRetry < 0:
		return fmt.Errorf("%w: PublishRetry %v is negative", ErrConfig, c.PublishRetry)
	case c.MaxPacketSize < 12 || c.MaxPacketSize > DefaultMaxPacketSize:
		return fmt.Errorf("%w: MaxPacketSize %d: want 12-%d", ErrConfig, c.MaxPacketSize, DefaultMaxPacketSize)
	case c.ReadBuffer < 0:
		return fmt.Errorf("%w: ReadBuffer %d is negative", ErrConfig, c.ReadBuffer)
	}
	return nil
}

// plan returns the tracks and, per track, the address its RTP socket binds.
// sdpText is the SDP when c has no Codec.
func (c Config) plan(sdpText []byte) ([]TrackInfo, []string, error) {
	if c.Codec != "" {
		codec := codecOf(c.Codec)
		t := TrackInfo{Track: media.Track{Codec: codec}, PayloadType: c.PayloadType, ClockRate: codec.ClockRate()}
		switch codec {
		case media.CodecOpus:
			t.Track.Channels = c.Channels
		case media.CodecH264:
			t.PacketizationMode = 1
		}
		return []TrackInfo{t}, []string{c.Addr}, nil
	}
	field := "SDP"
	if c.SDPFile != "" {
		field = fmt.Sprintf("SDPFile %q", c.SDPFile)
	}
	ms, err := ParseSDP(sdpText)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrConfig, field, err)
	}
	tracks := make([]TrackInfo, len(ms))
	binds := make([]string, len(ms))
	for i, m := range ms {
		tracks[i] = m.TrackInfo
	}
	if c.Addr != "" {
		host, port, err := splitAddr(c.Addr)
		if err != nil {
			return nil, nil, err
		}
		for i := range ms {
			p := port
			if p != 0 {
				p += 2 * i
			}
			if p > 65535 {
				return nil, nil, fmt.Errorf("%w: Addr %q: no port left for the m-line at line %d of %s", ErrConfig, c.Addr, ms[i].Line, field)
			}
			binds[i] = net.JoinHostPort(host, strconv.Itoa(p))
		}
		return tracks, binds, nil
	}
	seen := map[int]int{}
	for i, m := range ms {
		ip, err := netip.ParseAddr(m.Address)
		switch {
		case m.Address == "":
			return nil, nil, fmt.Errorf("%w: Addr is empty and the m-line at line %d of %s has no c= address: set Addr", ErrConfig, m.Line, field)
		case err != nil:
			return nil, nil, fmt.Errorf("%w: Addr is empty and the c= address %q of the m-line at line %d of %s is not an IP address: set Addr", ErrConfig, m.Address, m.Line, field)
		case ip.IsMulticast():
			return nil, nil, fmt.Errorf("%w: Addr is empty and the c= address %q of the m-line at line %d of %s is multicast, which is not supported: set Addr", ErrConfig, m.Address, m.Line, field)
		}
		if first, dup := seen[m.Port]; dup {
			return nil, nil, fmt.Errorf("%w: the m-lines at lines %d and %d of %s share port %d: each m-line needs its own", ErrConfig, first, m.Line, field, m.Port)
		}
		seen[m.Port] = m.Line
		binds[i] = netip.AddrPortFrom(ip.Unmap(), uint16(m.Port)).String()
	}
	return tracks, binds, nil
}

// splitAddr checks a host:port with an IP (or empty) host.
func splitAddr(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%w: Addr %q: %v", ErrConfig, addr, err)
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil {
			return "", 0, fmt.Errorf("%w: Addr %q: host must be an IP address", ErrConfig, addr)
		}
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("%w: Addr %q: port must be 0-65535", ErrConfig, addr)
	}
	return host, int(p), nil
}

// validStream reports whether name can be a stream name: 1 to 64 of
// [A-Za-z0-9._-], not starting with a dot (the WHIP side's rule).
func validStream(name string) bool {
	if name == "" || len(name) > 64 || name[0] == '.' {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
