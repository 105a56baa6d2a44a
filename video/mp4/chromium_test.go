package mp4

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests play the output in headless Chromium, the browser the
// gateway's UI targets: a progressive clip through <video> while it is
// still downloading, and the fragmented stream through Media Source
// Extensions, as hls.js feeds it.

// browserEvents collects what the test page reports.
type browserEvents struct {
	mu     sync.Mutex
	events map[string]url.Values
	notify chan struct{}
}

func newBrowserEvents() *browserEvents {
	return &browserEvents{events: map[string]url.Values{}, notify: make(chan struct{}, 1)}
}

func (b *browserEvents) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.events[r.URL.Query().Get("ev")] = r.URL.Query()
	b.mu.Unlock()
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

// wait returns the values of event ev, or of "error" if that comes first.
func (b *browserEvents) wait(t *testing.T, ev string, deadline time.Time) url.Values {
	t.Helper()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		b.mu.Lock()
		v, ok := b.events[ev]
		errV, failed := b.events["error"]
		b.mu.Unlock()
		if failed {
			t.Fatalf("browser reported an error: %v", errV)
		}
		if ok {
			return v
		}
		select {
		case <-b.notify:
		case <-timer.C:
			t.Fatalf("no %q event from the browser before the deadline", ev)
		}
	}
}

// runChromium serves mux on 127.0.0.1 and opens page in headless
// Chromium until the test ends.
func runChromium(t *testing.T, mux *http.ServeMux, page string) {
	t.Helper()
	bin := needTool(t, "chromium")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--headless=new", "--no-sandbox", "--disable-gpu",
		"--no-first-run", "--autoplay-policy=no-user-gesture-required", "--mute-audio",
		"--user-data-dir="+t.TempDir(), "http://"+ln.Addr().String()+page)
	// Stop Chromium the way a user would, so it takes its helper
	// processes down with it; kill it only if that takes too long.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 15 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
}

// reportJS reports media events of the video element v to /report.
const reportJS = `
function report(ev, extra) {
  const q = new URLSearchParams(Object.assign({ev: ev, w: v.videoWidth, h: v.videoHeight, d: v.duration,
    t: v.currentTime, decoded: v.webkitDecodedFrameCount, audio: v.webkitAudioDecodedByteCount}, extra || {}));
  fetch('/report?' + q);
}
v.addEventListener('loadedmetadata', () => report('meta'));
v.addEventListener('playing', () => report('playing'));
v.addEventListener('ended', () => report('ended'));
v.addEventListener('canplay', () => report('canplay', {buffered: v.buffered.length ? v.buffered.end(0) : 0}));
v.addEventListener('error', () => report('error', {code: v.error.code, msg: v.error.message}));
`

func TestChromiumProgressive(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium")
	}
	needTool(t, "chromium")
	// Eight seconds: the test clip four times over, each copy starting
	// with its IDR picture, so that the file spans several of Chromium's
	// 32 KiB media cache blocks.
	src := clipSource(t, true)
	src.video = slices.Concat(src.video, src.video, src.video, src.video)
	src.audio = slices.Concat(src.audio[:100], src.audio[:100], src.audio[:100], src.audio[:100])
	file, _ := writeClip(t, src.fragments(), ClipOptions{})
	events := newBrowserEvents()
	deadline := time.Now().Add(90 * time.Second)

	// The server sends the first half of the file, then holds the rest
	// back until the browser can play: with moov at the end it could not.
	var heldBack sync.Once
	released := make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/report", events)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><video id=v src="/clip.mp4" muted></video><script>const v = document.getElementById('v');`+reportJS+`
v.addEventListener('canplay', () => { v.playbackRate = 4; v.play().catch(e => report('error', {msg: String(e)})); }, {once: true});
</script></body></html>`)
	})
	mux.HandleFunc("/clip.mp4", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Content-Length", strconv.Itoa(len(file)))
		half := len(file) / 2
		w.Write(file[:half])
		w.(http.Flusher).Flush()
		heldBack.Do(func() {
			select {
			case <-released:
			case <-r.Context().Done():
			}
		})
		w.Write(file[half:])
	})
	runChromium(t, mux, "/")

	meta := events.wait(t, "meta", deadline)
	if meta.Get("w") != "320" || meta.Get("h") != "240" {
		t.Errorf("size %sx%s", meta.Get("w"), meta.Get("h"))
	}
	if d, _ := strconv.ParseFloat(meta.Get("d"), 64); d < 7.98 || d > 8.06 {
		t.Errorf("duration %s", meta.Get("d"))
	}
	// Playable from the first half alone: metadata and enough media to
	// play are there while the rest is still held back.
	canplay := events.wait(t, "canplay", deadline)
	if b, _ := strconv.ParseFloat(canplay.Get("buffered"), 64); b <= 0 || b > 6 {
		t.Errorf("buffered %s s of 8 from half the file", canplay.Get("buffered"))
	}
	close(released)
	ended := events.wait(t, "ended", deadline)
	if ended.Get("decoded") != "200" {
		t.Errorf("decoded %s video frames, want 200", ended.Get("decoded"))
	}
	if n, _ := strconv.Atoi(ended.Get("audio")); n == 0 {
		t.Error("no audio decoded")
	}
}

func TestChromiumMSE(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium")
	}
	needTool(t, "chromium")
	src := clipSource(t, true)
	frags := src.fragments()
	init, segs := writeFragmented(t, frags, SegmentOptions{})
	codecs, err := Codecs(frags[0])
	if err != nil {
		t.Fatal(err)
	}
	mime := `video/mp4; codecs="` + codecs + `"`
	events := newBrowserEvents()
	mux := http.NewServeMux()
	mux.Handle("/report", events)
	var names []string
	for i, seg := range segs {
		name := fmt.Sprintf("/seg%d.m4s", i)
		names = append(names, `"`+name+`"`)
		mux.HandleFunc(name, func(w http.ResponseWriter, r *http.Request) { w.Write(seg) })
	}
	mux.HandleFunc("/init.mp4", func(w http.ResponseWriter, r *http.Request) { w.Write(init) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<html><body><video id=v muted></video><script>const v = document.getElementById('v');%s
const mime = %q;
if (!MediaSource.isTypeSupported(mime)) { report('error', {msg: 'unsupported ' + mime}); }
const ms = new MediaSource();
v.src = URL.createObjectURL(ms);
ms.addEventListener('sourceopen', async () => {
  try {
    const sb = ms.addSourceBuffer(mime);
    for (const u of ["/init.mp4", %s]) {
      const buf = await (await fetch(u)).arrayBuffer();
      await new Promise((ok, bad) => { sb.onupdateend = ok; sb.onerror = bad; sb.appendBuffer(buf); });
    }
    report('appended', {start: sb.buffered.start(0), end: sb.buffered.end(0), ranges: sb.buffered.length});
    ms.endOfStream();
    v.play();
  } catch (e) { report('error', {msg: String(e)}); }
});
</script></body></html>`, reportJS, mime, strings.Join(names, ", "))
	})
	runChromium(t, mux, "/")
	deadline := time.Now().Add(90 * time.Second)
	appended := events.wait(t, "appended", deadline)
	if appended.Get("ranges") != "1" {
		t.Errorf("buffered %s ranges, want 1 (no gaps between segments)", appended.Get("ranges"))
	}
	if end, _ := strconv.ParseFloat(appended.Get("end"), 64); end < 1.98 {
		t.Errorf("buffered to %s s", appended.Get("end"))
	}
	ended := events.wait(t, "ended", deadline)
	if ended.Get("w") != "320" || ended.Get("decoded") != "50" {
		t.Errorf("ended %v", ended)
	}
}
