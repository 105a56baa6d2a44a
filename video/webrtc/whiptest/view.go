package whiptest

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"

	"github.com/tributary-edge/tributary/video/media"
)

// Frame is one access unit a Viewer reassembled.
type Frame struct {
	// Track is the index of the offer's section: 0 video, 1 audio.
	Track    int
	Codec    media.Codec
	PTS      int64 // RTP timestamp unwrapped from the track's first packet
	Keyframe bool
	Data     []byte
}

// Viewer is a WHEP client offering one recvonly video and one recvonly
// audio section, with pion's default codecs.
type Viewer struct {
	pc      *pion.PeerConnection
	session string
	token   string
	muted   *atomic.Bool
	frames  chan Frame
	dropped atomic.Int64

	mu         sync.Mutex
	videoSSRC  uint32
	closing    bool
	transceivs []*pion.RTPTransceiver

	connected, done         chan struct{}
	connectedOnce, doneOnce sync.Once
	wg                      sync.WaitGroup
}

// View offers to a WHEP endpoint (token may be empty) and returns once the
// answer is applied. Frames arrive on Frames once connected. The error is an
// *HTTPError when the endpoint answered with a status other than 201.
func View(ctx context.Context, endpoint, token string) (*Viewer, error) {
	muted := new(atomic.Bool)
	api, err := newClientAPI(nil, muted)
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		return nil, err
	}
	v := &Viewer{
		pc:        pc,
		muted:     muted,
		token:     token,
		frames:    make(chan Frame, 512),
		connected: make(chan struct{}),
		done:      make(chan struct{}),
	}
	pc.OnConnectionStateChange(func(st pion.PeerConnectionState) {
		switch st {
		case pion.PeerConnectionStateConnected:
			v.connectedOnce.Do(func() { close(v.connected) })
		case pion.PeerConnectionStateFailed, pion.PeerConnectionStateClosed:
			v.doneOnce.Do(func() { close(v.done) })
		}
	})
	for _, k := range []pion.RTPCodecType{pion.RTPCodecTypeVideo, pion.RTPCodecTypeAudio} {
		tr, err := pc.AddTransceiverFromKind(k, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionRecvonly})
		if err != nil {
			v.abandon()
			return nil, err
		}
		v.transceivs = append(v.transceivs, tr)
	}
	pc.OnTrack(v.onTrack)
	loc, err := exchange(ctx, pc, endpoint, token)
	if err != nil {
		v.abandon()
		return nil, err
	}
	v.session = loc
	return v, nil
}

func (v *Viewer) onTrack(track *pion.TrackRemote, recv *pion.RTPReceiver) {
	v.mu.Lock()
	if v.closing {
		v.mu.Unlock()
		return
	}
	idx := -1
	for i, tr := range v.transceivs {
		if tr.Receiver() == recv {
			idx = i
		}
	}
	codec := media.CodecUnknown
	switch track.Codec().MimeType {
	case pion.MimeTypeH264:
		codec = media.CodecH264
	case pion.MimeTypeVP8:
		codec = media.CodecVP8
	case pion.MimeTypeOpus:
		codec = media.CodecOpus
	}
	if codec.IsVideo() {
		v.videoSSRC = uint32(track.SSRC())
	}
	v.wg.Add(2)
	v.mu.Unlock()
	go v.readRTP(idx, codec, track)
	go func() {
		defer v.wg.Done()
		for {
			if _, _, err := recv.ReadRTCP(); err != nil {
				return
			}
		}
	}()
}

func (v *Viewer) readRTP(idx int, codec media.Codec, track *pion.TrackRemote) {
	defer v.wg.Done()
	asm := NewAssembler(uint8(idx), codec)
	buf := make([]byte, 1500)
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil || codec == media.CodecUnknown {
			continue
		}
		for _, f := range asm.Push(&pkt) {
			select {
			case v.frames <- Frame{Track: idx, Codec: codec, PTS: f.PTS, Keyframe: f.Keyframe, Data: f.Data}:
			default:
				v.dropped.Add(1)
			}
		}
	}
}

// Frames yields reassembled frames of all tracks. It is never closed; use
// Done or a context to stop reading.
func (v *Viewer) Frames() <-chan Frame { return v.frames }

// Dropped counts frames lost because Frames was not read fast enough.
func (v *Viewer) Dropped() int64 { return v.dropped.Load() }

// SessionURL is the WHEP session resource (the Location of the 201).
func (v *Viewer) SessionURL() string { return v.session }

// Connected is closed once the peer connection is connected.
func (v *Viewer) Connected() <-chan struct{} { return v.connected }

// Done is closed once the peer connection has failed or closed, e.g. after
// the server ended the session.
func (v *Viewer) Done() <-chan struct{} { return v.done }

// RequestKeyframe sends a PLI for the video track; it does nothing before
// video arrived.
func (v *Viewer) RequestKeyframe() error {
	v.mu.Lock()
	ssrc := v.videoSSRC
	v.mu.Unlock()
	if ssrc == 0 {
		return nil
	}
	return v.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
}

// Close ends the session with DELETE, closes the peer connection and waits
// for the client's goroutines.
func (v *Viewer) Close(ctx context.Context) error {
	err := Delete(ctx, v.session, v.token)
	v.abandon()
	return err
}

// Abandon closes the peer connection without DELETE.
func (v *Viewer) Abandon() { v.abandon() }

func (v *Viewer) abandon() {
	v.mu.Lock()
	v.closing = true
	v.mu.Unlock()
	_ = v.pc.GracefulClose()
	v.wg.Wait()
}

// Mute drops everything the client sends from now on (media, RTCP, ICE
// consent replies, DTLS close), so the server sees the peer vanish and must
// notice by ICE timeout.
func (v *Viewer) Mute() { v.muted.Store(true) }
