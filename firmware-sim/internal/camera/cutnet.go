package camera

import (
	"net"
	"sync/atomic"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// cutNet is the network pion's ICE agent uses: the host's, until cut.
// After cut, every UDP socket it opened silently drops what is written to
// it and what arrives, like a pulled cable: no DTLS close_notify, no RTCP
// BYE, no ICE consent answer reaches the other side. Only UDP sockets are
// wrapped; cameras gather UDP candidates only.
type cutNet struct {
	transport.Net
	cut atomic.Bool
}

func newCutNet() (*cutNet, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return &cutNet{Net: n}, nil
}

// pull cuts the network.
func (n *cutNet) pull() { n.cut.Store(true) }

func (n *cutNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return &cutUDPConn{UDPConn: c, cut: &n.cut}, nil
}

func (n *cutNet) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.DialUDP(network, laddr, raddr)
	if err != nil {
		return nil, err
	}
	return &cutUDPConn{UDPConn: c, cut: &n.cut}, nil
}

func (n *cutNet) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := n.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	return &cutPacketConn{PacketConn: c, cut: &n.cut}, nil
}

// cutUDPConn is a UDP socket of a cutNet.
type cutUDPConn struct {
	transport.UDPConn
	cut *atomic.Bool
}

func (c *cutUDPConn) Write(b []byte) (int, error) {
	if c.cut.Load() {
		return len(b), nil
	}
	return c.UDPConn.Write(b)
}

func (c *cutUDPConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.cut.Load() {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

func (c *cutUDPConn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	if c.cut.Load() {
		return len(b), nil
	}
	return c.UDPConn.WriteToUDP(b, addr)
}

func (c *cutUDPConn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (int, int, error) {
	if c.cut.Load() {
		return len(b), len(oob), nil
	}
	return c.UDPConn.WriteMsgUDP(b, oob, addr)
}

func (c *cutUDPConn) Read(b []byte) (int, error) {
	for {
		n, err := c.UDPConn.Read(b)
		if err != nil || !c.cut.Load() {
			return n, err
		}
	}
}

func (c *cutUDPConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFrom(b)
		if err != nil || !c.cut.Load() {
			return n, addr, err
		}
	}
}

func (c *cutUDPConn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFromUDP(b)
		if err != nil || !c.cut.Load() {
			return n, addr, err
		}
	}
}

func (c *cutUDPConn) ReadMsgUDP(b, oob []byte) (int, int, int, *net.UDPAddr, error) {
	for {
		n, oobn, flags, addr, err := c.UDPConn.ReadMsgUDP(b, oob)
		if err != nil || !c.cut.Load() {
			return n, oobn, flags, addr, err
		}
	}
}

// cutPacketConn is a packet socket of a cutNet.
type cutPacketConn struct {
	net.PacketConn
	cut *atomic.Bool
}

func (c *cutPacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.cut.Load() {
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, addr)
}

func (c *cutPacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil || !c.cut.Load() {
			return n, addr, err
		}
	}
}
