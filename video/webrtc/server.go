package webrtc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server serves WHIP and WHEP for every stream. Use New, then mount it (it
// is an http.Handler) on its Patterns.
type Server struct {
	cfg     Config
	pub     Publisher
	src     Source
	eng     *engine
	mux     *http.ServeMux
	ctx     context.Context // cancelled by Close
	cancel  context.CancelFunc
	stats   counters
	closeMu sync.Once

	mu         sync.Mutex
	closed     bool
	pending    int                     // sessions being negotiated
	sessions   map[string]*session     // by session id
	publishers map[string]*whipSession // by stream; nil value = being negotiated
	wg         sync.WaitGroup          // handlers holding a ticket, session goroutines
}

// New validates cfg, opens the ICE UDP port and returns a running server.
// pub receives WHIP media; src serves WHEP viewers (nil src makes every
// WHEP request 404).
func New(cfg Config, pub Publisher, src Source) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if pub == nil {
		return nil, fmt.Errorf("%w: nil Publisher", ErrConfig)
	}
	cfg = cfg.withDefaults()
	eng, err := newEngine(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:        cfg,
		pub:        pub,
		src:        src,
		eng:        eng,
		sessions:   make(map[string]*session),
		publishers: make(map[string]*whipSession),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mux = http.NewServeMux()
	pat := s.Patterns()
	s.mux.HandleFunc(pat[0], func(w http.ResponseWriter, r *http.Request) { s.serveEndpoint(w, r, kindWHIP) })
	s.mux.HandleFunc(pat[1], func(w http.ResponseWriter, r *http.Request) { s.serveResource(w, r, kindWHIP) })
	s.mux.HandleFunc(pat[2], func(w http.ResponseWriter, r *http.Request) { s.serveEndpoint(w, r, kindWHEP) })
	s.mux.HandleFunc(pat[3], func(w http.ResponseWriter, r *http.Request) { s.serveResource(w, r, kindWHEP) })
	cfg.Logger.Info("webrtc: ICE listening", "udp", eng.addrString())
	return s, nil
}

// Patterns returns the http.ServeMux patterns the server answers (all
// methods), for mounting on a shared mux next to other routes:
//
//	for _, p := range srv.Patterns() {
//		mux.Handle(p, srv)
//	}
func (s *Server) Patterns() []string {
	p := s.cfg.PathPrefix
	return []string{p + "/{stream}/whip", p + "/{stream}/whip/{session}", p + "/{stream}/whep", p + "/{stream}/whep/{session}"}
}

// ServeHTTP routes WHIP/WHEP requests; other paths get 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// ICEAddrs returns the UDP addresses ICE listens on.
func (s *Server) ICEAddrs() []net.Addr { return append([]net.Addr(nil), s.eng.addrs...) }

// Close refuses new sessions (503), ends every session, waits for all of
// the server's goroutines and closes the ICE port. It is idempotent.
func (s *Server) Close() error {
	var err error
	s.closeMu.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel() // every session context derives from s.ctx
		s.wg.Wait()
		err = s.eng.close()
	})
	return err
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	st := Stats{
		PublishSessions:           s.stats.publishSessions.Load(),
		ViewSessions:              s.stats.viewSessions.Load(),
		Rejected:                  s.stats.rejected.Load(),
		PacketsIn:                 s.stats.packetsIn.Load(),
		BytesIn:                   s.stats.bytesIn.Load(),
		PacketsOut:                s.stats.packetsOut.Load(),
		BytesOut:                  s.stats.bytesOut.Load(),
		FramesOut:                 s.stats.framesOut.Load(),
		KeyframeRequests:          s.stats.kfSent.Load(),
		KeyframeRequestsThrottled: s.stats.kfThrottled.Load(),
		ViewerKeyframeRequests:    s.stats.viewerKF.Load(),
	}
	s.mu.Lock()
	for _, sess := range s.sessions {
		if sess.kind == kindWHIP {
			st.Publishers++
		} else {
			st.Viewers++
		}
	}
	s.mu.Unlock()
	return st
}

// kind tells WHIP from WHEP.
type kind uint8

const (
	kindWHIP kind = iota
	kindWHEP
)

func (k kind) String() string {
	if k == kindWHIP {
		return "whip"
	}
	return "whep"
}

// session is what the server knows of any session; the kind-specific part
// lives in the run goroutine's closure.
type session struct {
	id, stream string
	kind       kind
	cancel     context.CancelFunc
	done       chan struct{} // closed when the session goroutine is finished
}

// ticket is a reserved session slot held by a handler while it negotiates.
type ticket struct {
	s      *Server
	kind   kind
	stream string
	used   bool // registered as a session
	done   bool // released
}

// admit reserves a slot: 503 when closed or full, 409 when stream already
// has a publisher (WHIP).
func (s *Server) admit(k kind, stream string) (*ticket, *httpError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errorf(http.StatusServiceUnavailable, "server shutting down")
	}
	if k == kindWHIP {
		if _, busy := s.publishers[stream]; busy {
			return nil, errorf(http.StatusConflict, "stream %s already has a publisher", stream)
		}
	}
	if len(s.sessions)+s.pending >= s.cfg.MaxSessions {
		return nil, errorf(http.StatusServiceUnavailable, "session limit (%d) reached", s.cfg.MaxSessions)
	}
	s.pending++
	if k == kindWHIP {
		s.publishers[stream] = nil
	}
	s.wg.Add(1)
	return &ticket{s: s, kind: k, stream: stream}, nil
}

// register turns the ticket into a running session: run is started on its
// own goroutine, counted in the server's WaitGroup. It fails when the
// server closed meanwhile.
func (t *ticket) register(sess *session, ws *whipSession, run func()) error {
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	t.used = true
	s.pending--
	s.sessions[sess.id] = sess
	if ws != nil {
		s.publishers[t.stream] = ws
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(sess.done)
		defer s.unregister(sess)
		run()
	}()
	return nil
}

// release gives back an unused reservation and the handler's WaitGroup
// count. Only the first call counts.
func (t *ticket) release() {
	s := t.s
	s.mu.Lock()
	if t.done {
		s.mu.Unlock()
		return
	}
	t.done = true
	if !t.used {
		s.pending--
		if t.kind == kindWHIP {
			delete(s.publishers, t.stream)
		}
	}
	s.mu.Unlock()
	s.wg.Done()
}

func (s *Server) unregister(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, sess.id)
	if sess.kind == kindWHIP {
		if ws := s.publishers[sess.stream]; ws != nil && ws.id == sess.id {
			delete(s.publishers, sess.stream)
		}
	}
}

// serveEndpoint handles {prefix}/{stream}/whip and /whep.
func (s *Server) serveEndpoint(w http.ResponseWriter, r *http.Request, k kind) {
	s.cors(w)
	stream := r.PathValue("stream")
	switch r.Method {
	case http.MethodOptions:
		// RFC 9725 §4.2 and CORS preflight.
		w.Header().Set("Allow", "OPTIONS, POST")
		w.Header().Set("Accept-Post", sdpType)
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "OPTIONS, POST")
		writeError(w, errorf(http.StatusMethodNotAllowed, "%s not allowed on a %s endpoint", r.Method, k))
		return
	}
	var herr *httpError
	if !validStream(stream) {
		herr = errorf(http.StatusBadRequest, "invalid stream name %q: want 1-64 of [A-Za-z0-9._-]", stream)
	} else if k == kindWHIP {
		herr = s.postWHIP(w, r, stream)
	} else {
		herr = s.postWHEP(w, r, stream)
	}
	if herr != nil {
		s.stats.rejected.Add(1)
		s.cfg.Logger.Debug("webrtc: offer refused", "kind", k, "stream", stream, "status", herr.code, "reason", herr.msg)
		writeError(w, herr)
	}
}

// serveResource handles {prefix}/{stream}/whip/{session} and /whep/...
func (s *Server) serveResource(w http.ResponseWriter, r *http.Request, k kind) {
	s.cors(w)
	const allow = "OPTIONS, DELETE"
	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("Allow", allow)
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodDelete:
	case http.MethodPatch:
		// RFC 9725 §4.3.1: a resource without trickle ICE or ICE restart
		// answers PATCH with 405.
		w.Header().Set("Allow", allow)
		writeError(w, errorf(http.StatusMethodNotAllowed,
			"trickle ICE and ICE restart are not supported: send a complete (non-trickle) offer in a new POST"))
		return
	default:
		w.Header().Set("Allow", allow)
		writeError(w, errorf(http.StatusMethodNotAllowed, "%s not allowed on a %s session", r.Method, k))
		return
	}
	stream, id := r.PathValue("stream"), r.PathValue("session")
	check := s.cfg.Authorize
	if k == kindWHEP {
		check = s.cfg.AuthorizeView
	}
	if herr := authorize(w, r, stream, check); herr != nil {
		writeError(w, herr)
		return
	}
	s.mu.Lock()
	sess := s.sessions[id]
	s.mu.Unlock()
	if sess == nil || sess.kind != k || sess.stream != stream {
		writeError(w, errorf(http.StatusNotFound, "no %s session %s on stream %s", k, id, stream))
		return
	}
	sess.cancel()
	select {
	case <-sess.done:
		w.WriteHeader(http.StatusOK)
	case <-r.Context().Done():
	}
}

// waitGathering waits for ICE gathering to complete (non-trickle: the
// answer carries every candidate, RFC 9725 §4.3.1).
func (s *Server) waitGathering(ctx context.Context, done <-chan struct{}) *httpError {
	t := time.NewTimer(s.cfg.GatherTimeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		return errorf(http.StatusServiceUnavailable, "ICE gathering did not finish within %s", s.cfg.GatherTimeout)
	case <-ctx.Done():
		return errorf(http.StatusServiceUnavailable, "request cancelled")
	case <-s.ctx.Done():
		return errorf(http.StatusServiceUnavailable, "server shutting down")
	}
}

// writeAnswer sends the 201 with the answer and the session's Location
// (RFC 9725 §4.2).
func (s *Server) writeAnswer(w http.ResponseWriter, k kind, stream, id, answer string) {
	w.Header().Set("Content-Type", sdpType)
	w.Header().Set("Location", fmt.Sprintf("%s/%s/%s/%s", s.cfg.PathPrefix, stream, k, id))
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(answer))
}

// refusal maps a Publisher or Source error to a status.
func refusal(err error, what string) *httpError {
	switch {
	case errors.Is(err, ErrStreamBusy):
		return errorf(http.StatusConflict, "%s: %v", what, err)
	case errors.Is(err, ErrNoStream):
		return errorf(http.StatusNotFound, "%s: %v", what, err)
	}
	return errorf(http.StatusServiceUnavailable, "%s: %v", what, err)
}
