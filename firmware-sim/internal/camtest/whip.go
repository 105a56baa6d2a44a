package camtest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// Frame is one access unit a Session reassembled.
type Frame struct {
	Types    []byte // NAL unit types, in order
	Keyframe bool   // holds an IDR slice (type 5)
	Size     int
	At       time.Time // when it was popped from the sample builder
}

// Receiver is a WHIP endpoint (RFC 9725) for tests, at
// URL + "/video/{name}/whip". Each POST gets a pion PeerConnection that
// gathers UDP4 candidates on 127.0.0.1 only, answers, and reassembles the
// H.264 track with samplebuilder. The resource URL in Location is
// relative, "/video/{name}/whip/{id}", so clients must resolve it.
type Receiver struct {
	URL string

	// Token, when set, is the bearer token POSTs need; others get
	// 401 with the body "invalid token".
	Token string
	// PLIAfter, when > 0, makes each session send one PLI once it has
	// reassembled that many frames.
	PLIAfter int

	t        testing.TB
	srv      *httptest.Server
	api      *webrtc.API
	mu       sync.Mutex
	sessions map[string]*Session // by stream name
	next     int
	deletes  []string // names of DELETEd sessions
	wg       sync.WaitGroup
}

// NewReceiver starts a Receiver; the test's Cleanup closes it.
func NewReceiver(t testing.TB) *Receiver {
	r := &Receiver{t: t, sessions: map[string]*Session{}}
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		t.Fatal(err)
	}
	var s webrtc.SettingEngine
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	r.api = webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(s))

	mux := http.NewServeMux()
	mux.HandleFunc("POST /video/{name}/whip", r.post)
	mux.HandleFunc("DELETE /video/{name}/whip/{id}", r.delete)
	r.srv = httptest.NewServer(mux)
	r.URL = r.srv.URL
	t.Cleanup(r.close)
	return r
}

func (r *Receiver) post(w http.ResponseWriter, req *http.Request) {
	name := req.PathValue("name")
	auth := req.Header.Get("Authorization")
	if r.Token != "" && auth != "Bearer "+r.Token {
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/sdp" {
		http.Error(w, "want application/sdp, not "+ct, http.StatusUnsupportedMediaType)
		return
	}
	offer, err := io.ReadAll(io.LimitReader(req.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	if _, dup := r.sessions[name]; dup {
		r.mu.Unlock()
		http.Error(w, "stream "+name+" is already published", http.StatusConflict)
		return
	}
	r.next++
	s := &Session{Name: name, Auth: auth, ID: fmt.Sprintf("s%d", r.next), r: r}
	r.sessions[name] = s
	r.mu.Unlock()

	answer, err := s.start(string(offer))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/video/"+name+"/whip/"+s.ID)
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, answer)
}

func (r *Receiver) delete(w http.ResponseWriter, req *http.Request) {
	name, id := req.PathValue("name"), req.PathValue("id")
	r.mu.Lock()
	s := r.sessions[name]
	if s == nil || s.ID != id {
		r.mu.Unlock()
		http.Error(w, "no such session", http.StatusNotFound)
		return
	}
	r.deletes = append(r.deletes, name)
	r.mu.Unlock()
	s.closePC()
	w.WriteHeader(http.StatusOK)
}

// Session returns the session of stream name, waiting up to 10s for it.
func (r *Receiver) Session(name string) *Session {
	r.t.Helper()
	var s *Session
	waitFor(r.t, 10*time.Second, "session "+name, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		s = r.sessions[name]
		return s != nil
	})
	return s
}

// Sessions returns the names of every session posted so far.
func (r *Receiver) Sessions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var names []string
	for n := range r.sessions {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Deletes returns the names of the sessions DELETEd so far.
func (r *Receiver) Deletes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.deletes)
}

func (r *Receiver) close() {
	r.srv.Close()
	r.mu.Lock()
	ss := make([]*Session, 0, len(r.sessions))
	for _, s := range r.sessions {
		ss = append(ss, s)
	}
	r.mu.Unlock()
	for _, s := range ss {
		s.closePC()
	}
	r.wg.Wait()
}

// Session is one published stream.
type Session struct {
	Name, ID string
	Auth     string // the POST's Authorization header

	r         *Receiver
	pc        *webrtc.PeerConnection
	closeOnce sync.Once

	mu       sync.Mutex
	frames   []Frame
	packets  int
	pliFrame int // frames reassembled when the PLI was sent; -1 before
}

func (s *Session) start(offer string) (string, error) {
	pc, err := s.r.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", err
	}
	s.pc = pc
	s.pliFrame = -1
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return "", err
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		s.r.wg.Add(1)
		go s.read(tr)
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		return "", fmt.Errorf("ICE gathering did not complete")
	}
	return pc.LocalDescription().SDP, nil
}

// read reassembles the track until the PeerConnection closes.
func (s *Session) read(tr *webrtc.TrackRemote) {
	defer s.r.wg.Done()
	sb := samplebuilder.New(512, &codecs.H264Packet{}, tr.Codec().ClockRate)
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.packets++
		s.mu.Unlock()
		sb.Push(p)
		for smp := sb.Pop(); smp != nil; smp = sb.Pop() {
			types := NALTypes(smp.Data)
			f := Frame{Types: types, Keyframe: slices.Contains(types, 5), Size: len(smp.Data), At: time.Now()}
			s.mu.Lock()
			s.frames = append(s.frames, f)
			n := len(s.frames)
			sendPLI := s.r.PLIAfter > 0 && n == s.r.PLIAfter
			if sendPLI {
				s.pliFrame = n
			}
			s.mu.Unlock()
			if sendPLI {
				_ = s.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
			}
		}
	}
}

// Frames returns the frames reassembled so far.
func (s *Session) Frames() []Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.frames)
}

// Packets returns how many RTP packets arrived.
func (s *Session) Packets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.packets
}

// PLIFrame returns how many frames had been reassembled when the PLI was
// sent, -1 if it was not.
func (s *Session) PLIFrame() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pliFrame
}

// WaitFrames waits up to timeout for n frames.
func (s *Session) WaitFrames(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, fmt.Sprintf("%d frames on %s", n, s.Name), func() bool { return len(s.Frames()) >= n })
}

// Close closes the session's PeerConnection, as a server ending it would.
func (s *Session) Close() { s.closePC() }

func (s *Session) closePC() {
	s.closeOnce.Do(func() {
		if s.pc != nil {
			_ = s.pc.GracefulClose()
		}
	})
}

// waitFor polls cond every 10ms until it holds, failing t after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
