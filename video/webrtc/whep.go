package webrtc

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/pion/rtcp"
	pion "github.com/pion/webrtc/v4"

	"github.com/tributary-edge/tributary/video/media"
)

// whepSession is one viewer (draft-ietf-wish-whep §4). Its run goroutine
// owns the peer connection and writes the frames.
type whepSession struct {
	*session
	srv     *Server
	ctx     context.Context
	pc      *pion.PeerConnection
	sub     Subscription
	writers []*packetizer // by source track; nil when the viewer cannot take it
	senders []*pion.RTPSender

	connected, failed         chan struct{}
	connectedOnce, failedOnce sync.Once
}

// postWHEP handles a viewer's offer. A stream nobody publishes is 404 at
// once rather than a request held open until a publisher comes: a player
// retries, and a held request would pin a goroutine and a socket per
// waiting browser.
func (s *Server) postWHEP(w http.ResponseWriter, r *http.Request, stream string) *httpError {
	if herr := authorize(w, r, stream, s.cfg.AuthorizeView); herr != nil {
		return herr
	}
	offer, herr := readOffer(w, r, s.cfg.MaxBodyBytes)
	if herr != nil {
		return herr
	}
	sum, err := checkOffer(offer, false)
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if s.src == nil {
		return errorf(http.StatusNotFound, "stream %s is not published", stream)
	}
	t, herr := s.admit(kindWHEP, stream)
	if herr != nil {
		return herr
	}
	defer t.release()

	tracks, sub, err := s.src.View(stream, s.cfg.ViewerQueue)
	if err != nil {
		return refusal(err, "stream "+stream)
	}
	vs, answer, herr := s.negotiateWHEP(r.Context(), stream, string(offer), sum, tracks, sub)
	if herr != nil {
		sub.Close()
		return herr
	}
	if err := t.register(vs.session, nil, vs.run); err != nil {
		vs.cancel()
		_ = vs.pc.GracefulClose()
		sub.Close()
		return errorf(http.StatusServiceUnavailable, "server shutting down")
	}
	t.release()
	s.stats.viewSessions.Add(1)
	s.cfg.Logger.Info("webrtc: view session started", "stream", stream, "session", vs.id)
	s.writeAnswer(w, kindWHEP, stream, vs.id, answer)
	return nil
}

// negotiateWHEP answers offer with one sendonly track per stream track the
// viewer can receive.
func (s *Server) negotiateWHEP(reqCtx context.Context, stream, offer string, sum offerSummary,
	tracks []media.Track, sub Subscription,
) (*whepSession, string, *httpError) {
	pc, err := s.eng.api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		return nil, "", errorf(http.StatusInternalServerError, "creating peer connection: %v", err)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	vs := &whepSession{
		session:   &session{id: newSessionID(), stream: stream, kind: kindWHEP, cancel: cancel, done: make(chan struct{})},
		srv:       s,
		ctx:       ctx,
		pc:        pc,
		sub:       sub,
		writers:   make([]*packetizer, len(tracks)),
		connected: make(chan struct{}),
		failed:    make(chan struct{}),
	}
	pc.OnConnectionStateChange(vs.onState)
	fail := func(herr *httpError) (*whepSession, string, *httpError) {
		cancel()
		_ = pc.GracefulClose()
		return nil, "", herr
	}
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(errorf(http.StatusBadRequest, "%v: %v", ErrBadOffer, err))
	}

	used := map[*pion.RTPTransceiver]bool{}
	var names []string
	for i, t := range tracks {
		names = append(names, t.Codec.String())
		tr, codec := sendableTransceiver(pc, sum, t.Codec, used)
		if tr == nil {
			continue
		}
		local, err := pion.NewTrackLocalStaticRTP(capabilityOf(t), fmt.Sprintf("%s%d", kindOf(t.Codec), i), stream)
		if err != nil {
			return fail(errorf(http.StatusInternalServerError, "creating track: %v", err))
		}
		if err := tr.SetCodecPreferences([]pion.RTPCodecParameters{codec}); err != nil {
			continue
		}
		sender, err := s.eng.api.NewRTPSender(local, pc.SCTP().Transport())
		if err != nil {
			return fail(errorf(http.StatusInternalServerError, "creating sender: %v", err))
		}
		if err := tr.SetSender(sender, local); err != nil {
			_ = sender.Stop()
			continue
		}
		used[tr] = true
		vs.writers[i] = newPacketizer(local, t.Codec)
		vs.senders = append(vs.senders, sender)
	}
	if len(vs.senders) == 0 {
		return fail(errorf(http.StatusBadRequest, "%v: %v: the offer receives none of the stream's codecs (stream has: %v; supported: %s)",
			ErrBadOffer, ErrNoCodec, names, supportedList))
	}

	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(errorf(http.StatusBadRequest, "%v: cannot answer: %v", ErrBadOffer, err))
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fail(errorf(http.StatusInternalServerError, "setting answer: %v", err))
	}
	if herr := s.waitGathering(reqCtx, gathered); herr != nil {
		return fail(herr)
	}
	return vs, pc.LocalDescription().SDP, nil
}

// sendableTransceiver finds an unused transceiver of c's kind whose offered
// section the viewer receives on (recvonly or sendrecv) and that negotiated
// c, and the codec to pin on it.
func sendableTransceiver(pc *pion.PeerConnection, sum offerSummary, c media.Codec,
	used map[*pion.RTPTransceiver]bool,
) (*pion.RTPTransceiver, pion.RTPCodecParameters) {
	for _, tr := range pc.GetTransceivers() {
		if used[tr] || tr.Kind() != kindOf(c) || tr.Sender() != nil || tr.Receiver() == nil {
			continue
		}
		if dir, ok := sum.directions[tr.Mid()]; ok && dir != "recvonly" && dir != "sendrecv" {
			continue
		}
		if codec, ok := chooseCodec(tr.Receiver().GetParameters().Codecs, c); ok {
			return tr, codec
		}
	}
	return nil, pion.RTPCodecParameters{}
}

func (vs *whepSession) onState(st pion.PeerConnectionState) {
	switch st {
	case pion.PeerConnectionStateConnected:
		vs.connectedOnce.Do(func() { close(vs.connected) })
	case pion.PeerConnectionStateFailed, pion.PeerConnectionStateClosed:
		vs.failedOnce.Do(func() { close(vs.failed) })
	}
}

// run owns the session: it waits for the connection, then writes frames
// until the session or the stream ends.
func (vs *whepSession) run() {
	var loops sync.WaitGroup
	for _, sender := range vs.senders {
		loops.Add(1)
		go func() {
			defer loops.Done()
			vs.readRTCP(sender)
		}()
	}
	timeout := time.NewTimer(vs.srv.cfg.ConnectTimeout)
	defer timeout.Stop()
	connected := vs.connected
	var frames <-chan media.Frame // nil until connected: packets sent before are lost
	reason := ""
	for reason == "" {
		select {
		case <-vs.ctx.Done():
			reason = "deleted"
			if vs.srv.ctx.Err() != nil {
				reason = "server closing"
			}
		case <-vs.failed:
			reason = "peer connection failed or closed"
		case <-connected:
			connected = nil
			timeout.Stop()
			frames = vs.sub.Frames()
		case <-timeout.C:
			reason = "not connected within " + vs.srv.cfg.ConnectTimeout.String()
		case f, ok := <-frames:
			if !ok {
				reason = "stream ended"
				break
			}
			vs.write(f)
		}
	}
	vs.cancel()
	vs.sub.Close()
	_ = vs.pc.GracefulClose()
	loops.Wait()
	vs.srv.cfg.Logger.Info("webrtc: view session ended", "stream", vs.stream, "session", vs.id, "reason", reason)
}

func (vs *whepSession) write(f media.Frame) {
	if int(f.Track) >= len(vs.writers) || vs.writers[f.Track] == nil {
		return
	}
	packets, bytes, _ := vs.writers[f.Track].write(f)
	st := &vs.srv.stats
	st.framesOut.Add(1)
	st.packetsOut.Add(uint64(packets))
	st.bytesOut.Add(uint64(bytes))
}

// readRTCP reads a sender's RTCP, which runs it through the NACK responder
// and report interceptors, and turns PLI and FIR into keyframe requests.
func (vs *whepSession) readRTCP(sender *pion.RTPSender) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				vs.srv.stats.viewerKF.Add(1)
				vs.srv.src.RequestKeyframe(vs.stream)
			}
		}
	}
}
