//go:build linux

package browsertest

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/video/webrtc"
	"github.com/tributary-edge/tributary/video/webrtc/whiptest"
)

// testToken is the bearer token the harness's server accepts for
// publishing (viewing needs none).
const testToken = "browsertest-secret"

// pageEvent is what a test page reports (page.js report()).
type pageEvent struct {
	Tag  string `json:"tag"`  // the page's tag parameter
	Page string `json:"page"` // its path
	// Type is "log", "error" or a page's milestone: "publishing",
	// "playing", "deleted".
	Type      string `json:"type"`
	Ms        int    `json:"ms"` // milliseconds since the page started loading
	Msg       string `json:"msg"`
	Status    int    `json:"status"` // HTTP status (errors, "deleted")
	Auth      string `json:"auth"`   // WWW-Authenticate of an error
	Codec     string `json:"codec"`  // MIME type of the video codec in use
	Frames    int    `json:"frames"` // frames encoded or decoded
	Keyframes int    `json:"keyframes"`
	Presented int    `json:"presented"` // frames presented (requestVideoFrameCallback)
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	Session   string `json:"session"`
}

// harness is a webrtc.Server with whiptest.Relay as Publisher and Source,
// served with the test pages over HTTP on 127.0.0.1 (inside the test's
// namespace), ICE on iceIP.
type harness struct {
	t      *testing.T
	relay  *whiptest.Relay
	srv    *webrtc.Server
	pages  string // base URL of the test pages and /event
	api    string // base URL of WHIP/WHEP: pages, or another origin
	events chan pageEvent
	lost   atomic.Int64 // events refused because events was full
	logs   *tailBuffer
	start  time.Time // when the harness started, for the event log
	// preflights counts OPTIONS requests (CORS preflights) served.
	preflights atomic.Int64
}

// newHarness starts a harness; it is closed when the test ends, and its
// server log shown if the test failed. With crossOrigin the pages are
// served from http://localhost:P and WHIP/WHEP from http://127.0.0.1:Q,
// another origin, with Config.AllowOrigin naming the pages' origin (pages
// take the API base from their api parameter); otherwise all is on one
// origin.
func newHarness(t *testing.T, crossOrigin bool) *harness {
	t.Helper()
	if _, err := os.Stat(filepath.Join("testdata", "publish.html")); err != nil {
		t.Fatalf("test pages not found (run from the package directory): %v", err)
	}
	h := &harness{t: t, relay: whiptest.NewRelay(), events: make(chan pageEvent, 64),
		logs: newTailBuffer(1 << 20), start: time.Now()}
	t.Cleanup(func() {
		if h.srv != nil {
			if err := h.srv.Close(); err != nil {
				t.Errorf("webrtc server Close: %v", err)
			}
		}
		if n := h.lost.Load(); n > 0 {
			t.Errorf("%d page events lost (queue full)", n)
		}
		if t.Failed() {
			t.Logf("server log (tail):\n%s", h.logs)
		}
	})

	pageMux := http.NewServeMux()
	pageMux.HandleFunc("POST /event", h.postEvent)
	pageMux.Handle("/", http.FileServer(http.Dir("testdata")))
	pageLn := h.listen()
	h.pages = "http://127.0.0.1:" + port(pageLn)
	cfg := webrtc.Config{
		ICEAddr:   net.JoinHostPort(iceIP.String(), "0"),
		IPFilter:  func(ip net.IP) bool { return ip.Equal(iceIP) },
		Authorize: func(_, token string) bool { return token == testToken },
		Logger:    slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if crossOrigin {
		// localhost is a secure context too, and another origin than
		// 127.0.0.1 (RFC 6454 §4: origins compare hosts as strings).
		h.pages = "http://localhost:" + port(pageLn)
		cfg.AllowOrigin = h.pages
	}
	srv, err := webrtc.New(cfg, h.relay, h.relay)
	if err != nil {
		_ = pageLn.Close()
		t.Fatalf("webrtc.New: %v", err)
	}
	h.srv = srv
	t.Logf("ICE on %v", srv.ICEAddrs())

	apiMux := pageMux
	if crossOrigin {
		apiMux = http.NewServeMux()
	}
	for _, p := range srv.Patterns() {
		apiMux.Handle(p, srv)
	}
	h.api = h.pages
	if crossOrigin {
		apiLn := h.listen()
		h.api = "http://127.0.0.1:" + port(apiLn)
		h.serve(apiLn, apiMux)
	}
	h.serve(pageLn, pageMux)
	return h
}

// listen opens a TCP listener on 127.0.0.1, port 0.
func (h *harness) listen() net.Listener {
	h.t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		h.t.Fatalf("listen: %v", err)
	}
	return ln
}

// serve serves handler on ln until the test ends, logging each request.
func (h *harness) serve(ln net.Listener, handler http.Handler) {
	hs := &http.Server{Handler: h.logRequests(handler), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	h.t.Cleanup(func() {
		_ = hs.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			h.t.Errorf("http server: %v", err)
		}
	})
}

// port is ln's port number.
func port(ln net.Listener) string { return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) }

// logRequests writes one line per request (method, path, status) to the
// harness log and counts preflights.
func (h *harness) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			h.preflights.Add(1)
		}
		sr := &statusRecorder{ResponseWriter: rw, status: http.StatusOK}
		next.ServeHTTP(sr, r)
		fmt.Fprintf(h.logs, "http: %s %s %d\n", r.Method, r.URL.Path, sr.status)
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// postEvent queues a page's event.
func (h *harness) postEvent(w http.ResponseWriter, r *http.Request) {
	var ev pageEvent
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	select {
	case h.events <- ev:
		w.WriteHeader(http.StatusNoContent)
	default:
		h.lost.Add(1)
		http.Error(w, "event queue full", http.StatusServiceUnavailable)
	}
}

// pageURL is the URL of a test page with query parameters, and the api
// parameter when WHIP/WHEP are on another origin.
func (h *harness) pageURL(page string, q url.Values) string {
	if h.api != h.pages {
		q.Set("api", h.api)
	}
	return h.pages + "/" + page + "?" + q.Encode()
}

// endpoint is the WHIP or WHEP endpoint ("whip", "whep") of stream.
func (h *harness) endpoint(stream, kind string) string {
	return h.api + "/video/" + stream + "/" + kind
}

// waitEvents waits until every tag in want has reported an event of the
// wanted type, and returns those events by tag. Log events are logged; an
// unexpected "error" event, one of the browsers exiting or the deadline
// fail the test.
func (h *harness) waitEvents(d time.Duration, want map[string]string, browsers ...*browser) map[string]pageEvent {
	h.t.Helper()
	got := make(map[string]pageEvent)
	timer := time.NewTimer(d)
	defer timer.Stop()
	exited := make(chan *browser, len(browsers))
	done := make(chan struct{})
	defer close(done)
	for _, b := range browsers {
		go func() {
			select {
			case <-b.exited:
				exited <- b
			case <-done:
			}
		}()
	}
	for len(got) < len(want) {
		select {
		case ev := <-h.events:
			switch typ, ok := want[ev.Tag]; {
			case ev.Type == "log":
				h.t.Logf("%s page %s at %d ms: %s", h.since(), ev.Tag, ev.Ms, ev.Msg)
			case ok && ev.Type == typ:
				h.t.Logf("%s page %s at %d ms: %s", h.since(), ev.Tag, ev.Ms, ev.Type)
				got[ev.Tag] = ev
			case ev.Type == "error":
				h.t.Fatalf("page %s reported an error: %s (status %d)", ev.Tag, ev.Msg, ev.Status)
			default:
				h.t.Logf("page %s: unexpected %q event: %+v", ev.Tag, ev.Type, ev)
			}
		case b := <-exited:
			h.t.Fatalf("chromium (pid %d) exited before the pages reported: %v", b.cmd.Process.Pid, b.err)
		case <-timer.C:
			var missing []string
			for tag, typ := range want {
				if _, ok := got[tag]; !ok {
					missing = append(missing, tag+":"+typ)
				}
			}
			sort.Strings(missing)
			h.t.Fatalf("no %s event within %v", strings.Join(missing, ", "), d)
		}
	}
	return got
}

// since is the time since the harness started, for log lines.
func (h *harness) since() string {
	return fmt.Sprintf("[+%.1fs]", time.Since(h.start).Seconds())
}

// waitEvent is waitEvents for one tag of one browser.
func (h *harness) waitEvent(b *browser, d time.Duration, tag, typ string) pageEvent {
	h.t.Helper()
	return h.waitEvents(d, map[string]string{tag: typ}, b)[tag]
}
