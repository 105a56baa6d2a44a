package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/firmware-sim/internal/camera"
	"github.com/tributary-edge/tributary/firmware-sim/internal/camtest"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
)

// runCamera runs "camera" with args in-process (at most 60s) and decodes
// its report; rep is zero when stdout held none.
func runCamera(t *testing.T, ctx context.Context, args ...string) (code int, rep cameraReport, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code = run(ctx, append([]string{"camera", "--quiet"}, args...), &out, &errb)
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("report: %v\n%s", err, out.String())
		}
	}
	return code, rep, errb.String()
}

func whipURL(r *camtest.Receiver) string { return r.URL + "/video/cam{n}/whip" }

// checkH264 checks that frames start with a keyframe carrying SPS and
// PPS, and that P frames follow.
func checkH264(t *testing.T, name string, frames []camtest.Frame) {
	t.Helper()
	if len(frames) == 0 {
		t.Fatalf("%s: no frame", name)
	}
	f := frames[0]
	if !f.Keyframe || !slices.Contains(f.Types, 7) || !slices.Contains(f.Types, 8) {
		t.Errorf("%s: first frame has NAL types %v, want SPS (7), PPS (8) and IDR (5)", name, f.Types)
	}
	if !slices.ContainsFunc(frames, func(f camtest.Frame) bool { return slices.Equal(f.Types, []byte{1}) }) {
		t.Errorf("%s: no P frame (a single NAL unit of type 1)", name)
	}
}

func TestCameraWHIP(t *testing.T) {
	r := camtest.NewReceiver(t)
	r.Token = "s3cret"
	r.PLIAfter = 8 // mid-GOP: the clip's next IDR is 42 frames away
	code, rep, errOut := runCamera(t, context.Background(), "--whip", whipURL(r), "--token", "s3cret",
		"--ice-ip", "127.0.0.1", "--duration", "2s", "--seed", "1")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	s := r.Session("cam1")
	if s.Auth != "Bearer s3cret" {
		t.Errorf("Authorization %q, want %q", s.Auth, "Bearer s3cret")
	}
	if d := r.Deletes(); !slices.Equal(d, []string{"cam1"}) {
		t.Errorf("DELETEs %v, want [cam1]", d)
	}
	c := rep.Cameras[0]
	if c.Frames < 49 || c.Frames > 51 {
		t.Errorf("sent %d frames in 2s at 25 fps, want 50±1", c.Frames)
	}
	if c.End != camera.EndDuration || !c.Deleted || c.Resource != r.URL+"/video/cam1/whip/s1" {
		t.Errorf("end %q, deleted %v, resource %q", c.End, c.Deleted, c.Resource)
	}
	// The DELETE closed the receiver's side, so every frame it will
	// reassemble has arrived: all but the one still in the builder.
	frames := s.Frames()
	if len(frames) < int(c.Frames)*9/10 || len(frames) > int(c.Frames) {
		t.Errorf("receiver reassembled %d frames of %d sent", len(frames), c.Frames)
	}
	checkH264(t, "cam1", frames)

	// The PLI after frame 8 brings an IDR long before the clip's own at
	// frame 50.
	at := s.PLIFrame()
	if at < 0 {
		t.Fatal("the receiver sent no PLI")
	}
	next := slices.IndexFunc(frames[at:], func(f camtest.Frame) bool { return f.Keyframe })
	t.Logf("sent %d frames, reassembled %d; PLI after frame %d, keyframe %d frames later", c.Frames, len(frames), at, next)
	if next < 0 || next > 15 {
		t.Errorf("PLI after frame %d: next keyframe %d frames later, want within 15", at, next)
	}
	if c.PLIs < 1 || c.KeyframeJumps < 1 {
		t.Errorf("report: plis %d, keyframe_jumps %d", c.PLIs, c.KeyframeJumps)
	}
}

func TestCameraWHIPDisconnect(t *testing.T) {
	r := camtest.NewReceiver(t)
	start := time.Now()
	code, rep, errOut := runCamera(t, context.Background(), "--whip", whipURL(r), "--ice-ip", "127.0.0.1",
		"--duration", "30s", "--disconnect-after", "1s")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("the run took %v; --disconnect-after 1s should end it", el)
	}
	c := rep.Cameras[0]
	if c.End != camera.EndDisconnect || c.Deleted {
		t.Errorf("end %q, deleted %v; want disconnect without DELETE", c.End, c.Deleted)
	}
	if c.Frames < 20 || c.Frames > 30 {
		t.Errorf("sent %d frames in 1s: %+v", c.Frames, c)
	}
	s := r.Session("cam1")
	s.WaitFrames(t, 10, 10*time.Second)
	if d := r.Deletes(); len(d) != 0 {
		t.Errorf("DELETEs %v after an abrupt disconnect", d)
	}
}

func TestCameraWHIPWrongToken(t *testing.T) {
	r := camtest.NewReceiver(t)
	r.Token = "right"
	code, rep, errOut := runCamera(t, context.Background(), "--whip", whipURL(r), "--token", "wrong",
		"--ice-ip", "127.0.0.1", "--duration", "5s")
	if code != exitFailure {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"401 Unauthorized", "invalid token", "/video/cam1/whip"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if rep.Failed != 1 || rep.Cameras[0].End != camera.EndError || rep.Totals.Frames != 0 {
		t.Errorf("report: failed %d, end %q, frames %d", rep.Failed, rep.Cameras[0].End, rep.Totals.Frames)
	}
}

func TestCameraWHIPCount(t *testing.T) {
	r := camtest.NewReceiver(t)
	code, rep, errOut := runCamera(t, context.Background(), "--whip", whipURL(r), "--count", "3",
		"--ice-ip", "127.0.0.1", "--duration", "1s")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	want := []string{"cam1", "cam2", "cam3"}
	if got := r.Sessions(); !slices.Equal(got, want) {
		t.Fatalf("sessions %v, want %v", got, want)
	}
	if d := r.Deletes(); len(d) != 3 {
		t.Errorf("DELETEs %v, want 3", d)
	}
	for i, name := range want {
		checkH264(t, name, r.Session(name).Frames())
		if c := rep.Cameras[i]; c.Target != r.URL+"/video/"+name+"/whip" || c.Frames < 20 {
			t.Errorf("camera %d: target %q, %d frames", i+1, c.Target, c.Frames)
		}
	}
}

// rtpRun sends --duration 2s of RTP to a fresh UDP receiver, waits for
// every packet the report counts, and returns both.
func rtpRun(t *testing.T, args ...string) (cameraReport, []camtest.Packet) {
	t.Helper()
	u := camtest.ListenUDP(t)
	code, rep, errOut := runCamera(t, context.Background(), append([]string{"--rtp", u.Addr, "--duration", "2s"}, args...)...)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	c := rep.Cameras[0]
	if c.SendErrors != 0 {
		t.Fatalf("%d send errors", c.SendErrors)
	}
	u.WaitPackets(t, int(c.Packets), 10*time.Second)
	pkts, bad := u.Packets()
	if bad != 0 || len(pkts) != int(c.Packets) {
		t.Fatalf("received %d RTP packets (and %d others), report says %d sent", len(pkts), bad, c.Packets)
	}
	return rep, pkts
}

// seqGaps returns how many sequence numbers are missing and how many
// packets arrived with a lower sequence number than one before them.
func seqGaps(pkts []camtest.Packet) (missing, late int) {
	seen := map[uint16]bool{}
	first, maxExt := int64(pkts[0].SequenceNumber), int64(pkts[0].SequenceNumber)
	var ext int64
	for i, p := range pkts {
		// unwrap against the highest so far
		d := int16(p.SequenceNumber - uint16(maxExt))
		ext = maxExt + int64(d)
		if i > 0 && ext < maxExt {
			late++
		}
		maxExt = max(maxExt, ext)
		first = min(first, ext)
		seen[p.SequenceNumber] = true
	}
	return int(maxExt-first+1) - len(seen), late
}

func TestCameraRTP(t *testing.T) {
	rep, pkts := rtpRun(t, "--seed", "7", "--fps", "50")
	c := rep.Cameras[0]
	if c.Frames < 99 || c.Frames > 101 {
		t.Errorf("%d frames in 2s at 50 fps, want 100±1", c.Frames)
	}
	if missing, late := seqGaps(pkts); missing != 0 || late != 0 {
		t.Errorf("%d missing, %d out of order, want none", missing, late)
	}
	// One timestamp per frame, 90000/50 apart; the marker ends each.
	frames := 0
	for i, p := range pkts {
		if p.SSRC != pkts[0].SSRC || p.PayloadType != 96 || p.Size > camera.MTU {
			t.Fatalf("packet %d: SSRC %x, PT %d, %d bytes", i, p.SSRC, p.PayloadType, p.Size)
		}
		if i > 0 && p.Timestamp != pkts[i-1].Timestamp {
			if d := p.Timestamp - pkts[i-1].Timestamp; d != 1800 || !pkts[i-1].Marker {
				t.Fatalf("packet %d: timestamp step %d after marker %v, want 1800 after a marker", i, d, pkts[i-1].Marker)
			}
		}
		if p.Marker {
			frames++
		}
	}
	if frames != int(c.Frames) {
		t.Errorf("%d markers, %d frames", frames, c.Frames)
	}
	// Same seed, same stream start.
	rep2, pkts2 := rtpRun(t, "--seed", "7", "--fps", "50")
	if pkts2[0].SSRC != pkts[0].SSRC || pkts2[0].SequenceNumber != pkts[0].SequenceNumber || pkts2[0].Timestamp != pkts[0].Timestamp {
		t.Errorf("seed 7 twice: %+v then %+v", pkts[0].Header, pkts2[0].Header)
	}
	if rep2.Seed != 7 {
		t.Errorf("report seed %d", rep2.Seed)
	}
}

func TestCameraRTPLossAndBitrate(t *testing.T) {
	rep, pkts := rtpRun(t, "--loss", "0.1", "--seed", "1", "--bitrate", "2M")
	c := rep.Cameras[0]
	missing, late := seqGaps(pkts)
	sent := len(pkts) + missing
	if missing != int(c.Lost) || late != 0 {
		t.Errorf("%d missing, %d late; report lost %d", missing, late, c.Lost)
	}
	t.Logf("lost %d of %d packets", missing, sent)
	if ratio := float64(missing) / float64(sent); ratio < 0.07 || ratio > 0.13 {
		t.Errorf("lost %d of %d packets (%.3f), want about 0.1", missing, sent, ratio)
	}
	// 2 Mbit/s of H.264 (as sent, before the loss) over the run.
	payload := 0
	for _, p := range pkts {
		payload += p.PayloadSize
	}
	kbits := float64(payload) / 0.9 * 8 / 2 / 1000
	if kbits < 1700 || kbits > 2300 {
		t.Errorf("about %.0f kbit/s of payload, want about 2000", kbits)
	}
	if c.FillerBytes == 0 {
		t.Error("no filler")
	}
}

func TestCameraRTPReorderAndJitter(t *testing.T) {
	rep, pkts := rtpRun(t, "--reorder", "0.05", "--seed", "3")
	missing, late := seqGaps(pkts)
	t.Logf("%d of %d packets arrived after their successor", late, len(pkts))
	if c := rep.Cameras[0]; missing != 0 || late == 0 || late != int(c.Reordered) {
		t.Errorf("%d missing, %d late; report reordered %d", missing, late, c.Reordered)
	}

	rep, pkts = rtpRun(t, "--jitter", "30ms", "--seed", "3")
	if missing, late := seqGaps(pkts); missing != 0 || late != 0 {
		t.Errorf("jitter: %d missing, %d late; want none, in order", missing, late)
	}
	// Packets of one frame leave spread over up to 30ms.
	spread := time.Duration(0)
	for i := 1; i < len(pkts); i++ {
		if pkts[i].Timestamp == pkts[i-1].Timestamp {
			spread = max(spread, pkts[i].At.Sub(pkts[i-1].At))
		}
	}
	t.Logf("packets of one frame up to %v apart", spread)
	if spread < 2*time.Millisecond {
		t.Errorf("packets of a frame at most %v apart with --jitter 30ms", spread)
	}
}

// freeUDPPortPair returns an even port P on 127.0.0.1 with P and P+1
// free (for RTP and RTCP) at the time of the call.
func freeUDPPortPair(t *testing.T) int {
	t.Helper()
	for range 50 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port &^ 1
		c.Close()
		a, err1 := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
		b, err2 := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p + 1})
		if a != nil {
			a.Close()
		}
		if b != nil {
			b.Close()
		}
		if err1 == nil && err2 == nil {
			return p
		}
	}
	t.Fatal("no free UDP port pair")
	return 0
}

func TestCameraRTPFFprobe(t *testing.T) {
	ffprobe, err := exec.LookPath("ffprobe")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("ffprobe not installed")
		}
		t.Fatal("ffprobe is required under CI")
	}
	dir := t.TempDir()
	sdp := filepath.Join(dir, "cam{n}.sdp")
	port := freeUDPPortPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		code int
		rep  cameraReport
		err  string
	}
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run(ctx, []string{"camera", "--quiet", "--rtp", fmt.Sprintf("127.0.0.1:%d", port), "--sdp", sdp, "--duration", "30s"}, &out, &errb)
		var rep cameraReport
		_ = json.Unmarshal(out.Bytes(), &rep)
		done <- result{code, rep, errb.String()}
	}()
	file := filepath.Join(dir, "cam1.sdp")
	if !mqtttest.Within(10*time.Second, func() bool {
		b, err := os.ReadFile(file)
		return err == nil && bytes.HasSuffix(b, []byte("\r\n"))
	}) {
		cancel()
		t.Fatalf("no SDP file; camera: %+v", <-done)
	}
	pctx, pcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer pcancel()
	out, err := exec.CommandContext(pctx, ffprobe, "-v", "error", "-protocol_whitelist", "file,udp,rtp",
		"-show_entries", "stream=codec_name,width,height", "-of", "default=nw=1", "-i", file).CombinedOutput()
	cancel()
	res := <-done
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	for _, want := range []string{"codec_name=h264", "width=640", "height=360"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("ffprobe output lacks %q:\n%s", want, out)
		}
	}
	if res.code != exitOK || res.rep.Cameras[0].End != camera.EndStopped {
		t.Errorf("camera: exit %d, stderr %s", res.code, res.err)
	}
}

func TestCameraUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{}, "--whip URL or --rtp HOST:PORT is required"},
		{[]string{"--whip", "http://a/w", "--rtp", "127.0.0.1:5004"}, "exclude each other"},
		{[]string{"--whip", "127.0.0.1:4567/whip"}, "want an http:// or https:// URL"},
		{[]string{"--whip", "http://a/video/cam/whip", "--count", "2"}, "need {n} in the WHIP URL"},
		{[]string{"--rtp", "127.0.0.1:5004", "--count", "2", "--sdp", "cam.sdp"}, "need {n} in the SDP file name"},
		{[]string{"--rtp", "127.0.0.1"}, "want HOST:PORT"},
		{[]string{"--rtp", "127.0.0.1:5004", "--token", "x"}, "for WHIP mode only"},
		{[]string{"--whip", "http://a/w", "--sdp", "x.sdp"}, "for RTP mode only"},
		{[]string{"--whip", "http://a/w", "--loss", "1.5"}, "loss 1.5"},
		{[]string{"--whip", "http://a/w", "--bitrate", "4X"}, `bitrate "4X"`},
		{[]string{"--whip", "http://a/w", "--fps", "0"}, "--fps 0"},
		{[]string{"--whip", "http://a/w", "--jitter", "5s"}, "jitter 5s"},
		{[]string{"--whip", "http://a/w", "--ice-ip", "localhost"}, "not an IP address"},
		{[]string{"--whip", "http://a/w", "--stun", "stun.example.org"}, "want a stun:"},
		{[]string{"--whip", "http://a/w", "--clip", "/nonexistent.h264"}, "no such file"},
		{[]string{"--whip", "http://a/w", "--count", "0"}, "count 0"},
	}
	for _, c := range cases {
		code, _, errOut := runMain(t, append([]string{"camera"}, c.args...)...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

func TestCameraHelpLiveSummaryAndReport(t *testing.T) {
	code, out, _ := runMain(t, "help")
	if code != exitOK || !strings.Contains(out, "camera ") || !strings.Contains(out, "/video/cam{n}/whip") {
		t.Errorf("help: exit %d:\n%s", code, out)
	}
	code, out, _ = runMain(t, "help", "camera")
	if code != exitOK || !strings.Contains(out, "-whip URL") || !strings.Contains(out, "RFC 9725") {
		t.Errorf("help camera: exit %d:\n%s", code, out)
	}

	u := camtest.ListenUDP(t)
	file := filepath.Join(t.TempDir(), "run.json")
	var stdout, stderr bytes.Buffer
	code = run(context.Background(), []string{"camera", "--rtp", u.Addr, "--duration", "1500ms", "--report", file}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	_, port, _ := net.SplitHostPort(u.Addr)
	for _, want := range []string{"SDP of camera 1", "m=video " + port + " RTP/AVP 96", "sending 1/1  frames "} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	b, err := os.ReadFile(file)
	if err != nil || !bytes.Equal(b, stdout.Bytes()) {
		t.Errorf("--report file (%v) differs from stdout:\n%s\n---\n%s", err, b, stdout.String())
	}
	var rep cameraReport
	if err := json.Unmarshal(b, &rep); err != nil || rep.Command != "camera" || rep.Mode != "rtp" || rep.Totals.Frames < 36 {
		t.Errorf("report: %v, %+v", err, rep)
	}
}
