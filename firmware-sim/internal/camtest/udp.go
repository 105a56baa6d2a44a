package camtest

import (
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// Packet is an RTP packet a UDPReceiver got.
type Packet struct {
	rtp.Header
	PayloadSize int
	Size        int // the whole datagram
	At          time.Time
}

// UDPReceiver collects RTP packets sent to Addr (127.0.0.1, port 0).
type UDPReceiver struct {
	Addr string

	conn *net.UDPConn
	done chan struct{}
	mu   sync.Mutex
	pkts []Packet
	bad  int // datagrams that are not RTP
}

// ListenUDP starts a UDPReceiver; the test's Cleanup closes it.
func ListenUDP(t testing.TB) *UDPReceiver {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadBuffer(4 << 20)
	r := &UDPReceiver{Addr: conn.LocalAddr().String(), conn: conn, done: make(chan struct{})}
	go r.read()
	t.Cleanup(func() {
		conn.Close()
		<-r.done
	})
	return r
}

func (r *UDPReceiver) read() {
	defer close(r.done)
	buf := make([]byte, 65536)
	for {
		n, err := r.conn.Read(buf)
		if err != nil {
			return
		}
		var p rtp.Packet
		r.mu.Lock()
		if err := p.Unmarshal(buf[:n]); err != nil {
			r.bad++
		} else {
			r.pkts = append(r.pkts, Packet{Header: p.Header, PayloadSize: len(p.Payload), Size: n, At: time.Now()})
		}
		r.mu.Unlock()
	}
}

// Packets returns the packets received so far, in arrival order, and the
// number of datagrams that were not RTP.
func (r *UDPReceiver) Packets() (pkts []Packet, bad int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.pkts), r.bad
}

// WaitPackets waits up to timeout until n packets have arrived.
func (r *UDPReceiver) WaitPackets(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, fmt.Sprintf("%d RTP packets on %s", n, r.Addr), func() bool {
		p, _ := r.Packets()
		return len(p) >= n
	})
}
