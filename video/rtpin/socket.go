package rtpin

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

// pairAttempts bounds the tries to find an ephemeral RTP port whose next
// port is free for RTCP.
const pairAttempts = 32

// trackSocket is one track's RTP socket and, when it could be opened, the
// RTCP socket on the port above (RFC 3550 §11).
type trackSocket struct {
	index int
	rtp   *net.UDPConn
	rtcp  *net.UDPConn // nil without RTCP
}

// openTrackSocket binds addr for RTP and, with wantRTCP, the next port for
// RTCP. With port 0 it looks for an ephemeral pair; when the RTCP port is
// taken it carries on without RTCP and logs it.
func openTrackSocket(index int, addr string, wantRTCP bool, readBuffer int, log *slog.Logger) (*trackSocket, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	s := &trackSocket{index: index}
	if wantRTCP && ua.Port == 0 {
		for range pairAttempts {
			conn, err := net.ListenUDP("udp", ua)
			if err != nil {
				return nil, err
			}
			if port := conn.LocalAddr().(*net.UDPAddr).Port; port < 65535 {
				rtcpAddr := *ua
				rtcpAddr.Port = port + 1
				if rc, err := net.ListenUDP("udp", &rtcpAddr); err == nil {
					s.rtp, s.rtcp = conn, rc
					break
				}
			}
			_ = conn.Close()
		}
	}
	if s.rtp == nil {
		if s.rtp, err = net.ListenUDP("udp", ua); err != nil {
			return nil, err
		}
		if wantRTCP {
			port := s.rtp.LocalAddr().(*net.UDPAddr).Port
			rtcpAddr := *ua
			rtcpAddr.Port = port + 1
			if port < 65535 {
				s.rtcp, err = net.ListenUDP("udp", &rtcpAddr)
			}
			if s.rtcp == nil {
				log.Warn("rtpin: no RTCP: the port above the RTP port is not free", "rtp", s.rtp.LocalAddr().String(), "err", err)
			}
		}
	}
	if readBuffer > 0 {
		// The kernel caps it silently; a smaller buffer only risks drops.
		_ = s.rtp.SetReadBuffer(readBuffer)
	}
	return s, nil
}

// endpoint returns the bound addresses.
func (s *trackSocket) endpoint() Endpoint {
	var e Endpoint
	e.RTP = s.rtp.LocalAddr().(*net.UDPAddr).AddrPort()
	e.RTP = netip.AddrPortFrom(e.RTP.Addr().Unmap(), e.RTP.Port())
	if s.rtcp != nil {
		e.RTCP = s.rtcp.LocalAddr().(*net.UDPAddr).AddrPort()
		e.RTCP = netip.AddrPortFrom(e.RTCP.Addr().Unmap(), e.RTCP.Port())
	}
	return e
}

// close closes both sockets, which ends their read loops.
func (s *trackSocket) close() error {
	err := s.rtp.Close()
	if s.rtcp != nil {
		err = errors.Join(err, s.rtcp.Close())
	}
	return err
}

// readRTP is the RTP socket's goroutine. It owns buf and pkt: one read
// buffer, one packet header, reused for every datagram. The read deadline
// wakes it every l.tick, so that an idle session ends even when nothing
// arrives.
func (l *Listener) readRTP(s *trackSocket) {
	defer l.wg.Done()
	buf := make([]byte, l.cfg.MaxPacketSize+1) // one more, to see oversize datagrams
	var pkt rtp.Packet
	for {
		_ = s.rtp.SetReadDeadline(time.Now().Add(l.tick))
		n, from, err := s.rtp.ReadFromUDPAddrPort(buf)
		now := l.cfg.Now()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			l.readError(err)
			l.checkIdle(now)
			continue
		}
		l.handleRTP(s, &pkt, buf[:n], unmap(from), now)
	}
}

// readRTCP is the RTCP socket's goroutine.
func (l *Listener) readRTCP(s *trackSocket) {
	defer l.wg.Done()
	buf := make([]byte, l.cfg.MaxPacketSize+1)
	for {
		n, from, err := s.rtcp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			l.readError(err)
			continue
		}
		if n > l.cfg.MaxPacketSize {
			l.ctr.rtcp.Add(1)
			l.ctr.badRTCP.Add(1)
			continue
		}
		l.handleRTCP(s.index, s.rtcp, buf[:n], unmap(from), l.cfg.Now())
	}
}

// readError counts an error other than a timeout, and pauses briefly so
// that a socket in a persistent error state does not spin a core.
func (l *Listener) readError(err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return
	}
	l.ctr.readErrors.Add(1)
	time.Sleep(10 * time.Millisecond)
}

// unmap turns an IPv4-mapped IPv6 source (from a dual-stack socket) into
// plain IPv4, so that addresses compare equal across sockets.
func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
