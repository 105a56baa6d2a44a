//go:build linux

package browsertest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	pion "github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/webrtc/whiptest"
)

// The pion clients here are whiptest's (whiptest.Publish and View) on
// iceIP instead of 127.0.0.1: the server's only ICE address is iceIP, and
// whiptest's clients are loopback-only.

// httpClient is the pion clients' HTTP client (its idle connections are
// closed when a test ends).
var httpClient = &http.Client{Timeout: 15 * time.Second}

// newPionAPI returns a pion API with pion's default codecs and
// interceptors whose ICE uses iceIP only, over UDPv4, without mDNS.
func newPionAPI() (*pion.API, error) {
	me := &pion.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	if err := pion.RegisterDefaultInterceptors(me, reg); err != nil {
		return nil, err
	}
	var se pion.SettingEngine
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.Equal(iceIP) })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return pion.NewAPI(pion.WithMediaEngine(me), pion.WithInterceptorRegistry(reg), pion.WithSettingEngine(se)), nil
}

// exchange sends pc's complete offer to endpoint (RFC 9725 §4.2,
// non-trickle) and applies the 201's answer.
func exchange(ctx context.Context, pc *pion.PeerConnection, endpoint, token string) error {
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return ctx.Err()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return &whiptest.HTTPError{Status: resp.StatusCode, Body: string(body)}
	}
	return pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: string(body)})
}

// connectedPromise returns a channel closed once pc is connected.
func connectedPromise(pc *pion.PeerConnection) <-chan struct{} {
	ch := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(st pion.PeerConnectionState) {
		if st == pion.PeerConnectionStateConnected {
			once.Do(func() { close(ch) })
		}
	})
	return ch
}

// viewedFrame is one frame a pionViewer reassembled.
type viewedFrame struct {
	codec media.Codec
	media.Frame
}

// pionViewer is a WHEP client with one recvonly video section.
type pionViewer struct {
	pc        *pion.PeerConnection
	connected <-chan struct{}
	frames    chan viewedFrame
	wg        sync.WaitGroup
}

// viewWHEP offers to view endpoint; frames arrive on v.frames (cap 512,
// excess dropped) once connected. The viewer is closed when the test ends.
func viewWHEP(ctx context.Context, t *testing.T, endpoint string) *pionViewer {
	t.Helper()
	api, err := newPionAPI()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	v := &pionViewer{pc: pc, connected: connectedPromise(pc), frames: make(chan viewedFrame, 512)}
	t.Cleanup(func() {
		_ = pc.GracefulClose()
		v.wg.Wait()
		httpClient.CloseIdleConnections()
	})
	if _, err := pc.AddTransceiverFromKind(pion.RTPCodecTypeVideo,
		pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	closing := false
	t.Cleanup(func() { mu.Lock(); closing = true; mu.Unlock() })
	pc.OnTrack(func(track *pion.TrackRemote, _ *pion.RTPReceiver) {
		mu.Lock()
		defer mu.Unlock()
		if closing {
			return
		}
		v.wg.Add(1)
		go v.read(track)
	})
	if err := exchange(ctx, pc, endpoint, ""); err != nil {
		t.Fatalf("WHEP %s: %v", endpoint, err)
	}
	return v
}

func (v *pionViewer) read(track *pion.TrackRemote) {
	defer v.wg.Done()
	var codec media.Codec
	switch track.Codec().MimeType {
	case pion.MimeTypeH264:
		codec = media.CodecH264
	case pion.MimeTypeVP8:
		codec = media.CodecVP8
	default:
		return
	}
	asm := whiptest.NewAssembler(0, codec)
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		for _, f := range asm.Push(pkt) {
			select {
			case v.frames <- viewedFrame{codec: codec, Frame: f}:
			default:
			}
		}
	}
}

// pionPublisher is a WHIP client sending one H.264 track.
type pionPublisher struct {
	pc        *pion.PeerConnection
	track     *pion.TrackLocalStaticSample
	connected <-chan struct{}
	keyframes chan struct{} // coalesced PLI/FIR
	wg        sync.WaitGroup
}

// h264Cap is what the publisher offers: only the clip's format
// (constrained baseline, packetization-mode 1), as a camera would.
var h264Cap = pion.RTPCodecCapability{MimeType: pion.MimeTypeH264, ClockRate: 90000,
	SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}

// publishWHIP offers one H.264 track to endpoint. It is closed when the
// test ends.
func publishWHIP(ctx context.Context, t *testing.T, endpoint, token string) *pionPublisher {
	t.Helper()
	api, err := newPionAPI()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	p := &pionPublisher{pc: pc, connected: connectedPromise(pc), keyframes: make(chan struct{}, 1)}
	t.Cleanup(func() {
		_ = pc.GracefulClose()
		p.wg.Wait()
		httpClient.CloseIdleConnections()
	})
	p.track, err = pion.NewTrackLocalStaticSample(h264Cap, "video", "browsertest")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := pc.AddTransceiverFromTrack(p.track, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	var prefs []pion.RTPCodecParameters
	for _, c := range tr.Sender().GetParameters().Codecs {
		if c.MimeType == h264Cap.MimeType && c.SDPFmtpLine == h264Cap.SDPFmtpLine {
			prefs = append(prefs, c)
		}
	}
	if err := tr.SetCodecPreferences(prefs); err != nil {
		t.Fatal(err)
	}
	p.wg.Add(1)
	go p.readRTCP(tr.Sender())
	if err := exchange(ctx, pc, endpoint, token); err != nil {
		t.Fatalf("WHIP %s: %v", endpoint, err)
	}
	return p
}

// readRTCP drains the sender's RTCP and signals keyframe requests.
func (p *pionPublisher) readRTCP(s *pion.RTPSender) {
	defer p.wg.Done()
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				select {
				case p.keyframes <- struct{}{}:
				default:
				}
			}
		}
	}
}

// play sends aus at fps, looping, until ctx ends; a keyframe request
// makes it jump to the clip's next keyframe, as a camera answers PLI.
func (p *pionPublisher) play(ctx context.Context, aus [][]byte, fps int) error {
	if len(aus) == 0 || fps <= 0 {
		return fmt.Errorf("empty clip or fps %d", fps)
	}
	d := time.Second / time.Duration(fps)
	tick := time.NewTicker(d)
	defer tick.Stop()
	i := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.keyframes:
			for n := 1; n < len(aus); n++ {
				if j := (i + n) % len(aus); whiptest.IsH264Keyframe(aus[j]) {
					i = j
					break
				}
			}
			continue
		case <-tick.C:
		}
		if err := p.track.WriteSample(pmedia.Sample{Data: aus[i], Duration: d}); err != nil {
			return err
		}
		i = (i + 1) % len(aus)
	}
}
