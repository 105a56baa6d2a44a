package camera

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// deleteTimeout bounds the WHIP DELETE sent when a camera stops: it
// runs after the run's context may have ended.
const deleteTimeout = 5 * time.Second

// whipLink is one camera's WebRTC session: a PeerConnection with a
// sendonly H.264 track, set up through a WHIP endpoint.
type whipLink struct {
	pc       *webrtc.PeerConnection
	track    *webrtc.TrackLocalStaticRTP
	net      *cutNet
	client   *whipClient
	resource string // the session URL, from the 201's Location

	lostCh    chan struct{} // closed when the connection fails or the peer closes it
	lostOnce  sync.Once
	rtcpDone  chan struct{} // closed when the RTCP reader has returned
	closeOnce sync.Once
}

// offerCodec returns the H.264 codec to offer for clip c. A constrained
// baseline clip is offered as 42e0xx, the form browsers and pion use:
// pion matches profile-level-id on its first two bytes.
func offerCodec(c *Clip) webrtc.RTPCodecCapability {
	plid := c.ProfileLevelID()
	if c.SPS[1] == 66 && c.SPS[2]&0x40 != 0 { // profile_idc 66, constraint_set1_flag
		plid = fmt.Sprintf("42e0%02x", c.SPS[3])
	}
	return webrtc.RTPCodecCapability{
		MimeType:    webrtc.MimeTypeH264,
		ClockRate:   90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + plid,
		RTCPFeedback: []webrtc.RTCPFeedback{
			{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"},
		},
	}
}

// newAPI returns a pion API for one camera: H.264 only; NACK responder and
// RTCP sender reports; ICE over UDP on the configured addresses or
// interface, mDNS off, through n.
func newAPI(cfg Config, n *cutNet) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: offerCodec(cfg.Clip), PayloadType: 102},
		webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(m, ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	var s webrtc.SettingEngine
	s.SetNet(n)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	nets := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if len(cfg.ICEIPs) > 0 {
		ips := slices.Clone(cfg.ICEIPs)
		s.SetIPFilter(func(ip net.IP) bool {
			return slices.ContainsFunc(ips, ip.Equal)
		})
		nets = nets[:0]
		if slices.ContainsFunc(ips, func(ip net.IP) bool { return ip.To4() != nil }) {
			nets = append(nets, webrtc.NetworkTypeUDP4)
		}
		if slices.ContainsFunc(ips, func(ip net.IP) bool { return ip.To4() == nil }) {
			nets = append(nets, webrtc.NetworkTypeUDP6)
		}
		if slices.ContainsFunc(ips, net.IP.IsLoopback) {
			s.SetIncludeLoopbackCandidate(true)
		}
	}
	s.SetNetworkTypes(nets)
	if cfg.ICEInterface != "" {
		name := cfg.ICEInterface
		s.SetInterfaceFilter(func(iface string) bool { return iface == name })
		if name == "lo" || name == "lo0" {
			s.SetIncludeLoopbackCandidate(true)
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(s)), nil
}

// dialWHIP sets up a session with the WHIP endpoint: offer with every
// candidate (RFC 9725 §4.2, non-trickle), POST, apply the answer, and wait
// for ICE and DTLS to connect. onPLI is called for each PLI or FIR the
// receiver sends. On error nothing is left open: a session the server
// created is DELETEd.
func dialWHIP(ctx context.Context, cfg Config, endpoint string, onPLI func()) (_ *whipLink, err error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	n, err := newCutNet()
	if err != nil {
		return nil, err
	}
	api, err := newAPI(cfg, n)
	if err != nil {
		return nil, err
	}
	var servers []webrtc.ICEServer
	if len(cfg.ICEServers) > 0 {
		servers = []webrtc.ICEServer{{URLs: cfg.ICEServers}}
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: servers})
	if err != nil {
		return nil, err
	}
	l := &whipLink{
		pc: pc, net: n, client: &whipClient{http: cfg.HTTPClient, token: cfg.Token},
		lostCh: make(chan struct{}), rtcpDone: make(chan struct{}),
	}
	defer func() {
		if err != nil {
			l.close(true)
		}
	}()
	connected := make(chan struct{})
	var connectedOnce sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			connectedOnce.Do(func() { close(connected) })
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			l.lostOnce.Do(func() { close(l.lostCh) })
		}
	})
	l.track, err = webrtc.NewTrackLocalStaticRTP(offerCodec(cfg.Clip), "video", "firmware-sim")
	if err != nil {
		close(l.rtcpDone)
		return nil, err
	}
	tr, err := pc.AddTransceiverFromTrack(l.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		close(l.rtcpDone)
		return nil, err
	}
	go l.readRTCP(tr.Sender(), onPLI)

	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return nil, err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: ICE gathering: %v", ErrConnect, timeoutCause(ctx, cfg.ConnectTimeout))
	}
	answer, resource, err := l.client.offer(ctx, endpoint, pc.LocalDescription().SDP)
	if err != nil {
		return nil, err
	}
	l.resource = resource
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return nil, fmt.Errorf("%w: the server's answer: %v", ErrWHIP, err)
	}
	select {
	case <-connected:
		return l, nil
	case <-l.lostCh:
		return nil, fmt.Errorf("%w: ICE/DTLS failed", ErrConnect)
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: ICE/DTLS: %v", ErrConnect, timeoutCause(ctx, cfg.ConnectTimeout))
	}
}

// timeoutCause says why a setup context ended: the connect timeout, or
// the run being stopped.
func timeoutCause(ctx context.Context, timeout time.Duration) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("not done within %v", timeout)
	}
	return "stopped before it was done"
}

// readRTCP reads the receiver's RTCP until the sender stops; reading also
// feeds the NACK responder and report interceptors.
func (l *whipLink) readRTCP(s *webrtc.RTPSender, onPLI func()) {
	defer close(l.rtcpDone)
	buf := make([]byte, 1500)
	for {
		n, _, err := s.Read(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				onPLI()
			}
		}
	}
}

func (l *whipLink) write(p *rtp.Packet) error { return l.track.WriteRTP(p) }

func (l *whipLink) lost() <-chan struct{} { return l.lostCh }

// close ends the session. Clean: DELETE the resource (RFC 9725 §4.3), then
// close the PeerConnection. Not clean: cut the network first, so the
// server hears nothing more, and send no DELETE. It returns the DELETE's
// error.
func (l *whipLink) close(clean bool) (err error) {
	l.closeOnce.Do(func() {
		if clean && l.resource != "" {
			ctx, cancel := context.WithTimeout(context.Background(), deleteTimeout)
			err = l.client.delete(ctx, l.resource)
			cancel()
		}
		if !clean {
			l.net.pull()
		}
		if cerr := l.pc.GracefulClose(); cerr != nil && err == nil && !errors.Is(cerr, webrtc.ErrConnectionClosed) {
			err = cerr
		}
		<-l.rtcpDone
	})
	return err
}
