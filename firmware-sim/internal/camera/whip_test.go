package camera

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"

	"github.com/tributary-edge/tributary/firmware-sim/internal/camtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// whipServer serves h on 127.0.0.1 and returns a client for it.
func whipServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *whipClient) {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return srv, &whipClient{http: &http.Client{Transport: tr, Timeout: 5 * time.Second}, token: "tok"}
}

func TestWHIPOffer(t *testing.T) {
	var gotAuth, gotType, gotBody string
	srv, c := whipServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old":
			http.Redirect(w, r, "/video/a/whip", http.StatusTemporaryRedirect)
		case "/video/a/whip":
			b, _ := io.ReadAll(r.Body)
			gotAuth, gotType, gotBody = r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b)
			w.Header().Set("Location", "whip/s1") // relative to the URL that answered
			w.Header().Set("Content-Type", "application/sdp")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, "v=0 answer")
		}
	})
	answer, resource, err := c.offer(context.Background(), srv.URL+"/old", "v=0 offer")
	if err != nil {
		t.Fatal(err)
	}
	if answer != "v=0 answer" || resource != srv.URL+"/video/a/whip/s1" {
		t.Errorf("answer %q, resource %q", answer, resource)
	}
	if gotAuth != "Bearer tok" || gotType != "application/sdp" || gotBody != "v=0 offer" {
		t.Errorf("server got Authorization %q, Content-Type %q, body %q", gotAuth, gotType, gotBody)
	}
}

func TestWHIPOfferErrors(t *testing.T) {
	for name, c := range map[string]struct {
		h    http.HandlerFunc
		want string
	}{
		"401": {func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "invalid\n  token", http.StatusUnauthorized)
		}, "WHIP POST http://HOST/whip: 401 Unauthorized: invalid token"},
		"503 long body": {func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, strings.Repeat("x", 5000), http.StatusServiceUnavailable)
		}, "503 Service Unavailable: " + strings.Repeat("x", maxErrorBody)},
		"200 instead of 201": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/sdp")
			io.WriteString(w, "v=0")
		}, "200 OK"},
		"no Location": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/sdp")
			w.WriteHeader(http.StatusCreated)
		}, "201 without a Location header"},
		"not SDP": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "/s")
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusCreated)
		}, `answer of type "text/html"`},
		"huge answer": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "/s")
			w.Header().Set("Content-Type", "application/sdp")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, strings.Repeat("a", maxAnswer+1))
		}, "answer larger than"},
	} {
		srv, cl := whipServer(t, c.h)
		_, _, err := cl.offer(context.Background(), srv.URL+"/whip", "v=0")
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		msg := strings.ReplaceAll(err.Error(), strings.TrimPrefix(srv.URL, "http://"), "HOST")
		if !errors.Is(err, ErrWHIP) || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %v; want ErrWHIP and %q", name, msg, c.want)
		}
	}
	// Nobody listening.
	cl := &whipClient{http: &http.Client{Timeout: 5 * time.Second}}
	if _, _, err := cl.offer(context.Background(), "http://127.0.0.1:1/whip", "v=0"); !errors.Is(err, ErrWHIP) {
		t.Errorf("unreachable: %v", err)
	}
}

func TestWHIPDelete(t *testing.T) {
	var method, auth string
	srv, c := whipServer(t, func(w http.ResponseWriter, r *http.Request) {
		method, auth = r.Method, r.Header.Get("Authorization")
		if r.URL.Path == "/gone" {
			http.NotFound(w, r)
		}
	})
	if err := c.delete(context.Background(), srv.URL+"/s1"); err != nil || method != "DELETE" || auth != "Bearer tok" {
		t.Errorf("err %v, method %s, auth %q", err, method, auth)
	}
	var se *StatusError
	if err := c.delete(context.Background(), srv.URL+"/gone?secret=1"); !errors.As(err, &se) || se.Code != 404 || strings.Contains(se.URL, "secret") {
		t.Errorf("DELETE of a gone session: %v", err)
	}
}

func TestCutNet(t *testing.T) {
	n, err := newCutNet()
	if err != nil {
		t.Fatal(err)
	}
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	tx, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	buf := make([]byte, 16)
	send := func(s string) {
		if _, err := tx.WriteTo([]byte(s), rx.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	send("before")
	rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	if k, _, err := rx.ReadFrom(buf); err != nil || string(buf[:k]) != "before" {
		t.Fatalf("before the cut: %q, %v", buf[:k], err)
	}
	n.pull()
	send("after")
	send("again")
	// Nothing arrives: prove it with a marker sent around the cut socket.
	other, _ := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	defer other.Close()
	other.Write([]byte("marker"))
	if k, _, err := rx.ReadFrom(buf); err != nil || string(buf[:k]) != "marker" {
		t.Fatalf("after the cut: %q, %v", buf[:k], err)
	}
	// And what arrives at the cut socket is swallowed until it closes.
	rx.WriteTo([]byte("in"), tx.LocalAddr())
	tx.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if k, _, err := tx.ReadFrom(buf); err == nil {
		t.Fatalf("the cut socket read %q", buf[:k])
	}
}

func TestFleetConnectionLost(t *testing.T) {
	r := camtest.NewReceiver(t)
	f, err := New(Config{Mode: WHIP, Target: r.URL + "/video/cam{n}/whip", Count: 1, Duration: time.Minute,
		ICEIPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []Result, 1)
	go func() { done <- f.Run(context.Background()) }()
	s := r.Session("cam1")
	s.WaitFrames(t, 5, 10*time.Second)
	s.Close() // the server ends the session
	select {
	case res := <-done:
		if res[0].End != EndLost || !errors.Is(res[0].Err, ErrConnectionLost) || res[0].Deleted {
			t.Errorf("end %q, err %v, deleted %v", res[0].End, res[0].Err, res[0].Deleted)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the camera did not notice the server closing the session")
	}
}

func TestFleetStopsOnContext(t *testing.T) {
	u := camtest.ListenUDP(t)
	f, err := New(Config{Mode: RTP, Target: u.Addr, Count: 1, Faults: Faults{Jitter: 50 * time.Millisecond, Reorder: 0.2}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan []Result, 1)
	go func() { done <- f.Run(ctx) }()
	u.WaitPackets(t, 20, 10*time.Second)
	if f.Sending() != 1 {
		t.Errorf("sending %d", f.Sending())
	}
	cancel()
	select {
	case res := <-done:
		r := res[0]
		if r.End != EndStopped || r.Err != nil {
			t.Fatalf("end %q, err %v", r.End, r.Err)
		}
		// What the faults held back went out at the stop.
		u.WaitPackets(t, int(r.Packets), 5*time.Second)
		if pkts, _ := u.Packets(); len(pkts) != int(r.Packets) {
			t.Errorf("%d packets arrived, %d sent", len(pkts), r.Packets)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestFleetConnectTimeout(t *testing.T) {
	// The server answers with a PeerConnection it closes at once: ICE
	// never connects, and the camera DELETEs the session it created.
	var deleted atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("POST /whip", func(w http.ResponseWriter, r *http.Request) {
		offer, _ := io.ReadAll(r.Body)
		var s webrtc.SettingEngine
		s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		s.SetIncludeLoopbackCandidate(true)
		s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		m := &webrtc.MediaEngine{}
		_ = m.RegisterDefaultCodecs()
		pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(s), webrtc.WithMediaEngine(m)).NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer pc.GracefulClose()
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		answer, _ := pc.CreateAnswer(nil)
		gathered := webrtc.GatheringCompletePromise(pc)
		_ = pc.SetLocalDescription(answer)
		<-gathered
		w.Header().Set("Location", "/whip/s1")
		w.Header().Set("Content-Type", "application/sdp")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, pc.LocalDescription().SDP)
	})
	mux.HandleFunc("DELETE /whip/s1", func(w http.ResponseWriter, r *http.Request) { deleted.Store(true) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	f, err := New(Config{Mode: WHIP, Target: srv.URL + "/whip", Count: 1, ConnectTimeout: time.Second,
		ICEIPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	res := f.Run(context.Background())[0]
	if !errors.Is(res.Err, ErrConnect) || !strings.Contains(res.Error, "not done within 1s") || res.End != EndError {
		t.Errorf("end %q, err %v", res.End, res.Err)
	}
	if !deleted.Load() {
		t.Error("the session the server created was not DELETEd")
	}
}
