package whiptest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	pion "github.com/pion/webrtc/v4"

	"github.com/tributary-edge/tributary/video/media"
)

// HTTPError is a WHIP/WHEP request answered with a status other than the
// expected one.
type HTTPError struct {
	Status int
	Body   string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("whiptest: HTTP %d: %s", e.Status, e.Body) }

// NewLoopbackAPI returns a pion API like a browser's (pion's default codecs
// and interceptors) whose ICE uses only 127.0.0.1 over UDPv4, without STUN
// or mDNS.
func NewLoopbackAPI() (*pion.API, error) { return newClientAPI(nil, nil) }

// NewLoopbackAPIWith is NewLoopbackAPI with the caller's MediaEngine, e.g.
// to offer only an unsupported codec.
func NewLoopbackAPIWith(me *pion.MediaEngine) (*pion.API, error) {
	return newClientAPI(me, nil)
}

// newClientAPI builds a loopback client API; with muted set, its sockets
// drop outgoing packets while *muted is true.
func newClientAPI(me *pion.MediaEngine, muted *atomic.Bool) (*pion.API, error) {
	if me == nil {
		me = &pion.MediaEngine{}
		if err := me.RegisterDefaultCodecs(); err != nil {
			return nil, err
		}
	}
	reg := &interceptor.Registry{}
	if err := pion.RegisterDefaultInterceptors(me, reg); err != nil {
		return nil, err
	}
	var se pion.SettingEngine
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if muted != nil {
		n, err := newMuteNet(muted)
		if err != nil {
			return nil, err
		}
		se.SetNet(n)
	}
	return pion.NewAPI(pion.WithMediaEngine(me), pion.WithInterceptorRegistry(reg), pion.WithSettingEngine(se)), nil
}

// exchange sends pc's offer (after gathering completes) to endpoint and
// applies the answer; it returns the session URL from Location.
func exchange(ctx context.Context, pc *pion.PeerConnection, endpoint, token string) (string, error) {
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint,
		bytes.NewReader([]byte(pc.LocalDescription().SDP)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusCreated {
		return "", &HTTPError{Status: resp.StatusCode, Body: string(body)}
	}
	loc, err := resp.Location()
	if err != nil {
		return "", fmt.Errorf("whiptest: 201 without Location: %w", err)
	}
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: string(body)}); err != nil {
		return "", err
	}
	return loc.String(), nil
}

// Delete sends DELETE to a session URL and fails unless it is 200.
func Delete(ctx context.Context, sessionURL, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, sessionURL, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return &HTTPError{Status: resp.StatusCode, Body: string(body)}
	}
	return nil
}

// capability is the local track capability for c, as a browser sends it.
func capability(c media.Codec) (pion.RTPCodecCapability, error) {
	switch c {
	case media.CodecH264:
		return pion.RTPCodecCapability{MimeType: pion.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}, nil
	case media.CodecVP8:
		return pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8, ClockRate: 90000}, nil
	case media.CodecOpus:
		return pion.RTPCodecCapability{MimeType: pion.MimeTypeOpus, ClockRate: 48000, Channels: 2}, nil
	}
	return pion.RTPCodecCapability{}, fmt.Errorf("whiptest: no codec %v", c)
}

// preferred lists the codecs of tr's kind that match capab's MIME type and,
// for H.264, its packetization mode and profile.
func preferred(_ *pion.API, tr *pion.RTPTransceiver, capab pion.RTPCodecCapability) []pion.RTPCodecParameters {
	var out []pion.RTPCodecParameters
	for _, c := range tr.Sender().GetParameters().Codecs {
		if !strings.EqualFold(c.MimeType, capab.MimeType) {
			continue
		}
		if capab.MimeType == pion.MimeTypeH264 && c.SDPFmtpLine != capab.SDPFmtpLine {
			continue
		}
		out = append(out, c)
	}
	return out
}
