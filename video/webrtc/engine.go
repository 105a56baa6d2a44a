package webrtc

import (
	"fmt"
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	pion "github.com/pion/webrtc/v4"
)

// nackHistory is how many sent packets per outgoing stream the NACK
// responder keeps for retransmission (a power of two; pion's default is
// 1024). 256 packets is about two seconds of 1 Mbit/s video and caps the
// history at ~300 KB per viewer track on the Pi.
const nackHistory = 256

// engine is the process's one pion API and the UDP socket(s) ICE uses.
type engine struct {
	api   *pion.API
	mux   ice.UDPMux
	addrs []net.Addr
}

// newEngine opens the ICE UDP port and builds the API: ICE (RFC 8445) with
// host candidates only, RTCP reports (RFC 3550 §6.4), NACK (RFC 4585
// §6.2.1), PLI (RFC 4585 §6.3.1), FIR (RFC 5104 §4.3.1) and transport-wide
// congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
// extensions-01) for what publishers send.
func newEngine(c Config) (*engine, error) {
	host, portStr, _ := net.SplitHostPort(c.ICEAddr)
	port, err := net.LookupPort("udp", portStr)
	if err != nil {
		return nil, fmt.Errorf("%w: ICEAddr %q: %v", ErrConfig, c.ICEAddr, err)
	}
	ip := net.ParseIP(host)
	if host == "" {
		ip = net.IPv4zero
	}

	networks := []pion.NetworkType{pion.NetworkTypeUDP4}
	iceNetworks := []ice.NetworkType{ice.NetworkTypeUDP4}
	if c.IPv6 {
		networks = append(networks, pion.NetworkTypeUDP6)
		iceNetworks = append(iceNetworks, ice.NetworkTypeUDP6)
	}

	e := &engine{}
	if ip.IsUnspecified() {
		opts := []ice.UDPMuxFromPortOption{ice.UDPMuxFromPortWithNetworks(iceNetworks...), ice.UDPMuxFromPortWithReadBufferSize(iceReadBuffer)}
		if c.InterfaceFilter != nil {
			opts = append(opts, ice.UDPMuxFromPortWithInterfaceFilter(c.InterfaceFilter))
		}
		if c.IPFilter != nil {
			opts = append(opts, ice.UDPMuxFromPortWithIPFilter(c.IPFilter))
		}
		m, err := ice.NewMultiUDPMuxFromPort(port, opts...)
		if err != nil {
			return nil, fmt.Errorf("webrtc: open ICE port %d: %w", port, err)
		}
		e.mux = m
	} else {
		network := "udp4"
		if ip.To4() == nil {
			network = "udp6"
		}
		conn, err := net.ListenUDP(network, &net.UDPAddr{IP: ip, Port: port})
		if err != nil {
			return nil, fmt.Errorf("webrtc: open ICE socket %s: %w", c.ICEAddr, err)
		}
		_ = conn.SetReadBuffer(iceReadBuffer) // best effort: the kernel caps it at net.core.rmem_max
		e.mux = pion.NewICEUDPMux(nil, conn)
	}
	e.addrs = e.mux.GetListenAddresses()
	if len(e.addrs) == 0 {
		_ = e.mux.Close()
		return nil, fmt.Errorf("webrtc: ICEAddr %s: no interface address passes the filters", c.ICEAddr)
	}

	var se pion.SettingEngine
	se.SetICEUDPMux(e.mux)
	se.SetNetworkTypes(networks)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(ip.IsLoopback())
	if c.InterfaceFilter != nil {
		se.SetInterfaceFilter(c.InterfaceFilter)
	}
	if c.IPFilter != nil {
		se.SetIPFilter(c.IPFilter)
	}
	// Keepalive every 2s, pion's default.
	se.SetICETimeouts(c.ICEDisconnectedTimeout, c.ICEFailedTimeout, 2*time.Second)
	// Data channels carry nothing here; cap SCTP's buffer if one is offered.
	se.SetSCTPMaxReceiveBufferSize(64 << 10)
	if len(c.NAT1To1IPs) > 0 {
		if err := se.SetICEAddressRewriteRules(pion.ICEAddressRewriteRule{
			External:        c.NAT1To1IPs,
			AsCandidateType: pion.ICECandidateTypeHost,
			Mode:            pion.ICEAddressRewriteReplace,
		}); err != nil {
			_ = e.mux.Close()
			return nil, fmt.Errorf("%w: NAT1To1IPs: %v", ErrConfig, err)
		}
	}

	me, err := newMediaEngine()
	if err != nil {
		_ = e.mux.Close()
		return nil, err
	}
	reg := &interceptor.Registry{}
	if err := pion.ConfigureNackWithOptions(me, reg, nil, nack.ResponderSize(nackHistory)); err != nil {
		_ = e.mux.Close()
		return nil, err
	}
	if err := pion.ConfigureRTCPReports(reg); err != nil {
		_ = e.mux.Close()
		return nil, err
	}
	if err := pion.ConfigureTWCCSender(me, reg); err != nil {
		_ = e.mux.Close()
		return nil, err
	}
	e.api = pion.NewAPI(pion.WithSettingEngine(se), pion.WithMediaEngine(me), pion.WithInterceptorRegistry(reg))
	return e, nil
}

// addrString lists the ICE listen addresses, for logs.
func (e *engine) addrString() string {
	s := ""
	for i, a := range e.addrs {
		if i > 0 {
			s += ","
		}
		s += a.String()
	}
	return s
}

func (e *engine) close() error { return e.mux.Close() }

// iceReadBuffer is the receive buffer asked for the one ICE socket: every
// camera's media arrives there, and the default (about 208 KiB) overflows
// with eight 4 Mbit/s cameras. The kernel caps it at net.core.rmem_max
// (docs/video.md says how to raise it).
const iceReadBuffer = 4 << 20
