package whiptest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	pion "github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/tributary-edge/tributary/video/media"
)

// Publisher is a WHIP client: one sendonly track per codec given to Publish.
type Publisher struct {
	pc      *pion.PeerConnection
	tracks  []*pion.TrackLocalStaticSample
	session string
	token   string
	muted   *atomic.Bool

	keyframes chan struct{}
	requests  atomic.Int64

	connected, done         chan struct{}
	connectedOnce, doneOnce sync.Once
	wg                      sync.WaitGroup
}

// Publish offers one track per codec to a WHIP endpoint with the bearer
// token (none if empty) and returns once the answer is applied; use
// Connected to wait for ICE and DTLS. The error is an *HTTPError when the
// endpoint answered with a status other than 201.
func Publish(ctx context.Context, endpoint, token string, codecs ...media.Codec) (*Publisher, error) {
	muted := new(atomic.Bool)
	api, err := newClientAPI(nil, muted)
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		return nil, err
	}
	p := &Publisher{
		pc:        pc,
		muted:     muted,
		token:     token,
		keyframes: make(chan struct{}, 1),
		connected: make(chan struct{}),
		done:      make(chan struct{}),
	}
	pc.OnConnectionStateChange(func(st pion.PeerConnectionState) {
		switch st {
		case pion.PeerConnectionStateConnected:
			p.connectedOnce.Do(func() { close(p.connected) })
		case pion.PeerConnectionStateFailed, pion.PeerConnectionStateClosed:
			p.doneOnce.Do(func() { close(p.done) })
		}
	})
	for i, c := range codecs {
		capab, err := capability(c)
		if err != nil {
			p.Abandon()
			return nil, err
		}
		kind := "video"
		if !c.IsVideo() {
			kind = "audio"
		}
		track, err := pion.NewTrackLocalStaticSample(capab, fmt.Sprintf("%s%d", kind, i), "whiptest")
		if err != nil {
			p.Abandon()
			return nil, err
		}
		tr, err := pc.AddTransceiverFromTrack(track, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionSendonly})
		if err != nil {
			p.Abandon()
			return nil, err
		}
		// Offer only the codec the track carries, as a camera would; a
		// browser can encode whatever the answer picks, a file cannot.
		if err := tr.SetCodecPreferences(preferred(api, tr, capab)); err != nil {
			p.Abandon()
			return nil, err
		}
		p.tracks = append(p.tracks, track)
		p.wg.Add(1)
		go p.readRTCP(tr.Sender())
	}
	loc, err := exchange(ctx, pc, endpoint, token)
	if err != nil {
		p.Abandon()
		return nil, err
	}
	p.session = loc
	return p, nil
}

// readRTCP drains a sender's RTCP (NACKs are answered by the interceptor)
// and counts PLI/FIR.
func (p *Publisher) readRTCP(s *pion.RTPSender) {
	defer p.wg.Done()
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				p.requests.Add(1)
				select {
				case p.keyframes <- struct{}{}:
				default:
				}
			}
		}
	}
}

// SessionURL is the WHIP session resource (the Location of the 201).
func (p *Publisher) SessionURL() string { return p.session }

// Connected is closed once the peer connection is connected.
func (p *Publisher) Connected() <-chan struct{} { return p.connected }

// Done is closed once the peer connection has failed or closed.
func (p *Publisher) Done() <-chan struct{} { return p.done }

// KeyframeRequests counts PLI and FIR received.
func (p *Publisher) KeyframeRequests() int64 { return p.requests.Load() }

// Keyframes signals (coalesced) each PLI or FIR received.
func (p *Publisher) Keyframes() <-chan struct{} { return p.keyframes }

// WriteSample sends one access unit (H.264 Annex-B, a VP8 frame or an Opus
// packet) on track; d is the time until the next one.
func (p *Publisher) WriteSample(track int, data []byte, d time.Duration) error {
	if track < 0 || track >= len(p.tracks) {
		return fmt.Errorf("whiptest: no track %d", track)
	}
	return p.tracks[track].WriteSample(pmedia.Sample{Data: data, Duration: d})
}

// PlayClip sends aus on track at fps, looping, until ctx ends (it then
// returns nil). Like a camera, it answers a keyframe request by jumping to
// the next keyframe of the clip.
func (p *Publisher) PlayClip(ctx context.Context, track int, aus [][]byte, fps int) error {
	if len(aus) == 0 || fps <= 0 {
		return errors.New("whiptest: empty clip or bad fps")
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
				if j := (i + n) % len(aus); IsH264Keyframe(aus[j]) {
					i = j
					break
				}
			}
			continue
		case <-tick.C:
		}
		if err := p.WriteSample(track, aus[i], d); err != nil {
			return err
		}
		i = (i + 1) % len(aus)
	}
}

// Close ends the session with DELETE (RFC 9725 §4.2), then closes the peer
// connection and waits for the client's goroutines.
func (p *Publisher) Close(ctx context.Context) error {
	err := Delete(ctx, p.session, p.token)
	p.Abandon()
	return err
}

// Abandon closes the peer connection without DELETE, like a camera that
// is switched off: the server learns of it from DTLS close_notify or, failing
// that, ICE consent timeout.
func (p *Publisher) Abandon() {
	_ = p.pc.GracefulClose()
	p.wg.Wait()
}

// Mute drops everything the client sends from now on (media, RTCP, ICE
// consent replies, DTLS close), so the server sees the peer vanish and must
// notice by ICE timeout.
func (p *Publisher) Mute() { p.muted.Store(true) }
