package webm

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestChromium plays a clip in headless Chromium through <video> and
// checks what the page reports: size, duration and every frame decoded.
func TestChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium")
	}
	bin := needTool(t, "chromium")
	src := clipSource(t, true)
	file := writeClip(t, src.fragments(), Options{})

	reports := make(chan url.Values, 16)
	mux := http.NewServeMux()
	mux.HandleFunc("/report", func(w http.ResponseWriter, r *http.Request) {
		select {
		case reports <- r.URL.Query():
		default:
		}
	})
	mux.HandleFunc("/clip.webm", func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "clip.webm", time.Time{}, bytes.NewReader(file))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><video id=v src="/clip.webm" muted></video><script>
const v = document.getElementById('v');
function report(ev, extra) {
  fetch('/report?' + new URLSearchParams(Object.assign({ev: ev, w: v.videoWidth, h: v.videoHeight, d: v.duration,
    decoded: v.webkitDecodedFrameCount, audio: v.webkitAudioDecodedByteCount}, extra || {})));
}
v.addEventListener('canplay', () => v.play().catch(e => report('error', {msg: String(e)})), {once: true});
v.addEventListener('ended', () => report('ended'));
v.addEventListener('error', () => report('error', {code: v.error.code, msg: v.error.message}));
</script></body></html>`)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--mute-audio", "--user-data-dir="+t.TempDir(), "http://"+ln.Addr().String()+"/")
	// Stop Chromium the way a user would, so it takes its helper
	// processes down with it; kill it only if that takes too long.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 15 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
	}()

	select {
	case r := <-reports:
		if r.Get("ev") != "ended" {
			t.Fatalf("browser reported %v", r)
		}
		if r.Get("w") != "320" || r.Get("h") != "240" || r.Get("decoded") != "50" {
			t.Errorf("ended %v", r)
		}
		if d, _ := strconv.ParseFloat(r.Get("d"), 64); d < 1.98 || d > 2.06 {
			t.Errorf("duration %s", r.Get("d"))
		}
		if n, _ := strconv.Atoi(r.Get("audio")); n == 0 {
			t.Error("no audio decoded")
		}
	case <-time.After(90 * time.Second):
		t.Fatal("no report from the browser")
	}
}
