package camera

import (
	"fmt"
	"net"
	"sync"

	"github.com/pion/rtp"
)

// rtpLink sends one camera's RTP packets over a connected UDP socket
// (RFC 3550). It sends no RTCP.
type rtpLink struct {
	conn *net.UDPConn
	buf  []byte
	once sync.Once
}

func dialRTP(addr string) (*rtpLink, error) {
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConnect, err)
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConnect, err)
	}
	return &rtpLink{conn: conn, buf: make([]byte, MTU)}, nil
}

// write sends p. A receiver that is not (yet) listening makes the host
// answer with ICMP port unreachable, which a later write reports as
// ECONNREFUSED: the caller counts such errors and goes on.
func (l *rtpLink) write(p *rtp.Packet) error {
	n, err := p.MarshalTo(l.buf)
	if err != nil {
		return err
	}
	_, err = l.conn.Write(l.buf[:n])
	return err
}

// lost never fires: UDP has no connection to lose.
func (l *rtpLink) lost() <-chan struct{} { return nil }

// close closes the socket; clean or not, nothing more is sent.
func (l *rtpLink) close(bool) error {
	l.once.Do(func() { _ = l.conn.Close() })
	return nil
}
