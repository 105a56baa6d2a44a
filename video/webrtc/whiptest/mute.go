package whiptest

import (
	"net"
	"sync/atomic"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// muteNet is the host network, except that every UDP socket it opens drops
// outgoing packets while muted: the peer then looks like a camera that
// lost power (no DTLS close_notify, no ICE consent replies).
type muteNet struct {
	*stdnet.Net
	muted *atomic.Bool
}

func newMuteNet(muted *atomic.Bool) (*muteNet, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return &muteNet{Net: n, muted: muted}, nil
}

func (n *muteNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return &muteConn{UDPConn: c, muted: n.muted}, nil
}

func (n *muteNet) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := n.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	return &mutePacketConn{PacketConn: c, muted: n.muted}, nil
}

type muteConn struct {
	transport.UDPConn
	muted *atomic.Bool
}

func (c *muteConn) Write(b []byte) (int, error) {
	if c.muted.Load() {
		return len(b), nil
	}
	return c.UDPConn.Write(b)
}

func (c *muteConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.muted.Load() {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

func (c *muteConn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	if c.muted.Load() {
		return len(b), nil
	}
	return c.UDPConn.WriteToUDP(b, addr)
}

func (c *muteConn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (int, int, error) {
	if c.muted.Load() {
		return len(b), len(oob), nil
	}
	return c.UDPConn.WriteMsgUDP(b, oob, addr)
}

type mutePacketConn struct {
	net.PacketConn
	muted *atomic.Bool
}

func (c *mutePacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.muted.Load() {
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, addr)
}
