package webrtc

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"

	"github.com/tributary-edge/tributary/video/media"
)

// whipSession is one publisher (RFC 9725 §4.2). Its run goroutine owns the
// peer connection; the read loops it waits for feed the Sink.
type whipSession struct {
	*session
	srv *Server
	ctx context.Context
	pc  *pion.PeerConnection
	kf  *keyframer

	connected, failed         chan struct{}
	connectedOnce, failedOnce sync.Once

	mu        sync.Mutex // guards the fields below
	tracks    []media.Track
	receivers []*pion.RTPReceiver
	closing   bool
	loops     sync.WaitGroup

	sink   Sink       // set once before any track can arrive; guarded by mu
	sinkMu sync.Mutex // serializes Sink calls
}

// postWHIP handles a publisher's offer.
func (s *Server) postWHIP(w http.ResponseWriter, r *http.Request, stream string) *httpError {
	if herr := authorize(w, r, stream, s.cfg.Authorize); herr != nil {
		return herr
	}
	offer, herr := readOffer(w, r, s.cfg.MaxBodyBytes)
	if herr != nil {
		return herr
	}
	if _, err := checkOffer(offer, true); err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	t, herr := s.admit(kindWHIP, stream)
	if herr != nil {
		return herr
	}
	defer t.release()

	ws, answer, herr := s.negotiateWHIP(r.Context(), stream, string(offer))
	if herr != nil {
		return herr
	}
	if err := t.register(ws.session, ws, ws.run); err != nil {
		ws.abort()
		return errorf(http.StatusServiceUnavailable, "server shutting down")
	}
	t.release() // before writing: a slow client must not hold up Close
	s.stats.publishSessions.Add(1)
	s.cfg.Logger.Info("webrtc: publish session started", "stream", stream, "session", ws.id, "tracks", len(ws.tracks))
	s.writeAnswer(w, kindWHIP, stream, ws.id, answer)
	return nil
}

// negotiateWHIP answers offer. On success the Publisher has a Sink and the
// caller must either register the session or abort it.
func (s *Server) negotiateWHIP(reqCtx context.Context, stream, offer string) (*whipSession, string, *httpError) {
	pc, err := s.eng.api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		return nil, "", errorf(http.StatusInternalServerError, "creating peer connection: %v", err)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	ws := &whipSession{
		session:   &session{id: newSessionID(), stream: stream, kind: kindWHIP, cancel: cancel, done: make(chan struct{})},
		srv:       s,
		ctx:       ctx,
		pc:        pc,
		connected: make(chan struct{}),
		failed:    make(chan struct{}),
	}
	ws.kf = &keyframer{write: pc.WriteRTCP, now: s.cfg.Now, interval: s.cfg.KeyframeInterval, stats: &s.stats}
	pc.OnConnectionStateChange(ws.onState)
	pc.OnTrack(ws.onTrack)

	fail := func(herr *httpError) (*whipSession, string, *httpError) {
		cancel()
		_ = pc.GracefulClose()
		return nil, "", herr
	}
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(errorf(http.StatusBadRequest, "%v: %v", ErrBadOffer, err))
	}

	// One codec per received section, so the track's codec is known now
	// (RFC 3264 §6.1 lets the answerer narrow the offered formats).
	var tracks []media.Track
	var receivers []*pion.RTPReceiver
	for _, tr := range pc.GetTransceivers() {
		if tr.Direction() != pion.RTPTransceiverDirectionRecvonly || tr.Receiver() == nil {
			continue
		}
		c, ok := chooseCodec(tr.Receiver().GetParameters().Codecs, media.CodecUnknown)
		if !ok {
			continue
		}
		if err := tr.SetCodecPreferences([]pion.RTPCodecParameters{c}); err != nil {
			continue
		}
		tracks = append(tracks, trackOf(c))
		receivers = append(receivers, tr.Receiver())
	}
	if len(tracks) == 0 {
		return fail(errorf(http.StatusBadRequest, "%v: %v in a sendonly or sendrecv section (supported: %s)",
			ErrBadOffer, ErrNoCodec, supportedList))
	}
	ws.mu.Lock()
	ws.tracks, ws.receivers = tracks, receivers
	ws.mu.Unlock()

	sink, err := s.pub.Publish(stream, tracks, ws.kf)
	if err != nil {
		return fail(refusal(err, "publish refused"))
	}
	ws.mu.Lock()
	ws.sink = sink
	ws.mu.Unlock()
	failSink := func(herr *httpError) (*whipSession, string, *httpError) {
		fail(herr)
		sink.Close()
		return nil, "", herr
	}

	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return failSink(errorf(http.StatusBadRequest, "%v: cannot answer: %v", ErrBadOffer, err))
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return failSink(errorf(http.StatusInternalServerError, "setting answer: %v", err))
	}
	if herr := s.waitGathering(reqCtx, gathered); herr != nil {
		return failSink(herr)
	}
	return ws, pc.LocalDescription().SDP, nil
}

// abort ends a negotiated session that was never registered.
func (ws *whipSession) abort() {
	ws.cancel()
	ws.shutdown()
}

func (ws *whipSession) onState(st pion.PeerConnectionState) {
	switch st {
	case pion.PeerConnectionStateConnected:
		ws.connectedOnce.Do(func() { close(ws.connected) })
	case pion.PeerConnectionStateFailed, pion.PeerConnectionStateClosed:
		ws.failedOnce.Do(func() { close(ws.failed) })
	}
}

// onTrack starts the read loops of a remote track (pion calls it on its
// first packet).
func (ws *whipSession) onTrack(track *pion.TrackRemote, recv *pion.RTPReceiver) {
	ws.mu.Lock()
	if ws.closing {
		ws.mu.Unlock()
		return
	}
	idx := -1
	for i, r := range ws.receivers {
		if r == recv {
			idx = i
		}
	}
	video := idx >= 0 && ws.tracks[idx].Codec.IsVideo()
	sink := ws.sink
	ws.loops.Add(2)
	ws.mu.Unlock()
	if video {
		ws.kf.addSSRC(uint32(track.SSRC()))
	}
	go ws.readRTP(idx, track, sink)
	go ws.readRTCP(idx, track, recv, sink)
}

// run owns the session until it ends.
func (ws *whipSession) run() {
	timeout := time.NewTimer(ws.srv.cfg.ConnectTimeout)
	defer timeout.Stop()
	connected := ws.connected
	reason := ""
	for reason == "" {
		select {
		case <-ws.ctx.Done():
			reason = "deleted"
			if ws.srv.ctx.Err() != nil {
				reason = "server closing"
			}
		case <-ws.failed:
			reason = "peer connection failed or closed"
		case <-connected:
			connected = nil
			timeout.Stop()
		case <-timeout.C:
			reason = "not connected within " + ws.srv.cfg.ConnectTimeout.String()
		}
	}
	ws.cancel()
	ws.shutdown()
	ws.srv.cfg.Logger.Info("webrtc: publish session ended", "stream", ws.stream, "session", ws.id, "reason", reason)
}

// shutdown closes the peer connection, waits for the read loops and closes
// the Sink.
func (ws *whipSession) shutdown() {
	ws.mu.Lock()
	ws.closing = true
	ws.mu.Unlock()
	_ = ws.pc.GracefulClose()
	ws.loops.Wait()
	ws.mu.Lock()
	sink := ws.sink
	ws.mu.Unlock()
	sink.Close()
}

// readRTP hands every RTP packet of a track to the Sink; idx < 0 (a track
// the answer did not accept) is read and discarded so pion's buffers stay
// empty.
func (ws *whipSession) readRTP(idx int, track *pion.TrackRemote, sink Sink) {
	defer ws.loops.Done()
	buf := make([]byte, 1500)
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		arrival := ws.srv.cfg.Now()
		ws.srv.stats.packetsIn.Add(1)
		ws.srv.stats.bytesIn.Add(uint64(n))
		if idx < 0 {
			continue
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		ws.sinkMu.Lock()
		sink.WriteRTP(idx, &pkt, arrival)
		ws.sinkMu.Unlock()
	}
}

// readRTCP drains the track's RTCP (the report interceptor needs it read to
// build receiver reports) and forwards its sender reports.
func (ws *whipSession) readRTCP(idx int, track *pion.TrackRemote, recv *pion.RTPReceiver, sink Sink) {
	defer ws.loops.Done()
	for {
		pkts, _, err := recv.ReadRTCP()
		if err != nil {
			return
		}
		if idx < 0 {
			continue
		}
		arrival := ws.srv.cfg.Now()
		for _, p := range pkts {
			if sr, ok := p.(*rtcp.SenderReport); ok && sr.SSRC == uint32(track.SSRC()) {
				ws.sinkMu.Lock()
				sink.WriteSenderReport(idx, sr, arrival)
				ws.sinkMu.Unlock()
			}
		}
	}
}
