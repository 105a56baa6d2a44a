package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/webrtc/whiptest"
)

func videoGateway(t *testing.T, streams ...config.VideoStream) (*Gateway, *api.Client) {
	t.Helper()
	return startGateway(t, func(c *config.Config) {
		c.Video.ICEAddr = "127.0.0.1:0"
		c.Video.MinFreeDisk = 0
		c.Video.Streams = streams
	})
}

func videoStream(name, token string) config.VideoStream {
	s := config.DefaultVideoStream(name)
	s.Token = token
	return s
}

// A camera through the gateway: WHIP in, WHEP out, fragments listed, and
// recording stopped and started through the admin API.
func TestVideoThroughTheGateway(t *testing.T) {
	g, c := videoGateway(t, videoStream("shop", "s3cret"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := "http://" + g.Addr() + "/video/shop/"
	if _, err := whiptest.Publish(ctx, base+"whip", "wrong", media.CodecH264); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a wrong token: %v", err)
	}
	pub, err := whiptest.Publish(ctx, base+"whip", "s3cret", media.CodecH264)
	if err != nil {
		t.Fatal(err)
	}
	playCtx, stop := context.WithCancel(ctx)
	played := make(chan error, 1)
	go func() { played <- pub.PlayClip(playCtx, 0, whiptest.Clip(), 25) }()
	defer func() {
		stop()
		<-played
		pub.Close(context.Background())
	}()
	view, err := func() (*whiptest.Viewer, error) {
		var v *whiptest.Viewer
		var err error
		mqtttest.Eventually(t, 10*time.Second, "a viewer accepted", func() bool {
			v, err = whiptest.View(ctx, base+"whep", "")
			return err == nil
		})
		return v, err
	}()
	if err != nil {
		t.Fatal(err)
	}
	defer view.Close(context.Background())
	select {
	case f := <-view.Frames():
		if !f.Keyframe {
			t.Error("the first live frame is not a keyframe")
		}
	case <-ctx.Done():
		t.Fatal("no live frame")
	}
	var frags []api.Fragment
	mqtttest.Eventually(t, 20*time.Second, "two fragments listed", func() bool {
		frags, err = c.ListFragments(ctx, "shop", time.Time{}, time.Time{}, 0)
		return err == nil && len(frags) >= 2
	})
	if f := frags[0]; f.Number != 1 || f.Keyframes < 1 || f.Size <= 0 || f.DurationMs < 1500 || len(f.Tracks) != 1 || f.Tracks[0] != "H264" {
		t.Errorf("fragment %+v", f)
	}
	// a time range: only what overlaps it
	from := frags[1].ServerTime
	later, err := c.ListFragments(ctx, "shop", from, from.Add(time.Millisecond), 0)
	if err != nil || len(later) != 1 || later[0].Number != frags[1].Number {
		t.Errorf("a range holding one fragment: %+v %v", later, err)
	}
	s, err := c.SetRecording(ctx, "shop", false)
	if err != nil || s.Recording || !s.Live || s.Viewers != 1 {
		t.Errorf("stop recording: %+v %v", s, err)
	}
	// (a listed fragment may still be syncing: its Put, and so the
	// stream's counters, can lag the listing by a moment)
	var list []api.VideoStream
	mqtttest.Eventually(t, 10*time.Second, "two fragments counted", func() bool {
		list, err = c.ListVideoStreams(ctx)
		return err == nil && len(list) == 1 && list[0].Stored >= 2
	})
	if list[0].Name != "shop" || list[0].WhenFull != "delete_oldest" || list[0].Fragments < 2 {
		t.Errorf("list: %+v", list)
	}
	if _, err := c.DescribeVideoStream(ctx, "nope"); !isAPICode(err, api.CodeVideoStreamNotFound) {
		t.Errorf("an unknown stream: %v", err)
	}
	if _, err := c.ListFragments(ctx, "shop", from, from.Add(-time.Second), 0); err == nil || !strings.Contains(err.Error(), "not after start") {
		t.Errorf("an empty range: %v", err)
	}
	resp, err := http.Get("http://" + g.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`tributary_video_live{stream="shop"} 1`, `tributary_video_viewers{stream="shop"} 1`, `tributary_video_fragments_total{result="stored",stream="shop"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Without video streams, /video/ and the video API say so.
func TestVideoOff(t *testing.T) {
	g, c := startGateway(t, nil)
	if _, err := c.ListVideoStreams(context.Background()); !isAPICode(err, api.CodeVideoOff) {
		t.Errorf("video API: %v", err)
	}
	resp, err := http.Post("http://"+g.Addr()+"/video/cam/whip", "application/sdp", strings.NewReader("v=0"))
	if err != nil {
		t.Fatal(err)
	}
	var e api.Error
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(e.Err.Message, "video.streams") {
		t.Errorf("WHIP without video: %d %q", resp.StatusCode, e.Err.Message)
	}
}

func isAPICode(err error, code string) bool {
	var ae *api.APIError
	return errors.As(err, &ae) && ae.Code == code
}

// Clips and HLS of what a camera stored: an MP4 ffprobe reads with the
// frames the fragments hold; a playlist whose init and segments, joined,
// are the same frames; the view token guards them under /video/.
func TestVideoClipAndHLS(t *testing.T) {
	ffprobe := needFFprobe(t)
	s := videoStream("yard", "p")
	s.ViewToken = "look"
	g, c := videoGateway(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, err := whiptest.Publish(ctx, "http://"+g.Addr()+"/video/yard/whip", "p", media.CodecH264)
	if err != nil {
		t.Fatal(err)
	}
	playCtx, stop := context.WithCancel(ctx)
	played := make(chan error, 1)
	go func() { played <- pub.PlayClip(playCtx, 0, whiptest.Clip(), 25) }()
	var frags []api.Fragment
	mqtttest.Eventually(t, 20*time.Second, "three fragments", func() bool {
		frags, err = c.ListFragments(ctx, "yard", time.Time{}, time.Time{}, 0)
		return err == nil && len(frags) >= 3
	})
	stop()
	<-played
	pub.Close(context.Background())
	frags = frags[:3]
	frames := 0
	for _, f := range frags {
		frames += f.Frames
	}
	start, end := frags[0].ServerTime, frags[2].ServerTime.Add(time.Millisecond)
	get := func(url string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, b
	}
	q := "start=" + start.Format(time.RFC3339Nano) + "&end=" + end.Format(time.RFC3339Nano)
	resp, clip := get("http://" + g.Addr() + "/api/v1/video/streams/yard/clip?" + q)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "video/mp4" {
		t.Fatalf("clip: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), clip)
	}
	probe := ffprobeFrames(t, ffprobe, clip, "mp4")
	if probe.codec != "h264" || probe.frames != frames || probe.width != 320 {
		t.Errorf("clip: %+v, want h264 320 wide with %d frames", probe, frames)
	}
	if resp, _ := get("http://" + g.Addr() + "/video/yard/clip?" + q); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a clip under /video/ without the view token: %d", resp.StatusCode)
	}
	if resp, _ := get("http://" + g.Addr() + "/api/v1/video/streams/yard/clip?start=" + start.Format(time.RFC3339Nano)); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a clip without an end: %d", resp.StatusCode)
	}

	resp, pl := get("http://" + g.Addr() + "/video/yard/hls/index.m3u8?token=look&" + q)
	if resp.StatusCode != 200 || !strings.HasPrefix(string(pl), "#EXTM3U") || !strings.Contains(string(pl), "#EXT-X-ENDLIST") {
		t.Fatalf("playlist: %d\n%s", resp.StatusCode, pl)
	}
	var joined []byte
	for _, line := range strings.Split(string(pl), "\n") {
		uri := ""
		switch {
		case strings.HasPrefix(line, "#EXT-X-MAP:URI=\""):
			uri = strings.TrimSuffix(strings.TrimPrefix(line, "#EXT-X-MAP:URI=\""), "\"")
		case strings.HasPrefix(line, "seg/"):
			uri = line
		default:
			continue
		}
		resp, b := get("http://" + g.Addr() + "/video/yard/hls/" + uri)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", uri, resp.StatusCode, b)
		}
		joined = append(joined, b...)
	}
	if strings.Count(string(pl), "seg/") != 3 {
		t.Errorf("playlist of %d segments, want 3:\n%s", strings.Count(string(pl), "seg/"), pl)
	}
	if probe := ffprobeFrames(t, ffprobe, joined, "mp4"); probe.codec != "h264" || probe.frames != frames {
		t.Errorf("HLS segments: %+v, want h264 with %d frames", probe, frames)
	}
}

type probeResult struct {
	codec         string
	width, frames int
}

func needFFprobe(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ffprobe")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ffprobe is missing (CI installs ffmpeg)")
		}
		t.Skip("no ffprobe")
	}
	return p
}

func ffprobeFrames(t *testing.T, ffprobe string, data []byte, ext string) probeResult {
	t.Helper()
	f := filepath.Join(t.TempDir(), "clip."+ext)
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ffprobe, "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=codec_name,width,nb_read_frames", "-of", "json", f).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	var r struct {
		Streams []struct {
			Codec  string `json:"codec_name"`
			Width  int    `json:"width"`
			Frames string `json:"nb_read_frames"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &r); err != nil || len(r.Streams) != 1 {
		t.Fatalf("ffprobe said %s (%v)", out, err)
	}
	n, _ := strconv.Atoi(r.Streams[0].Frames)
	return probeResult{codec: r.Streams[0].Codec, width: r.Streams[0].Width, frames: n}
}

// ffmpeg sends a camera as plain RTP: the stream goes live, fragments are
// stored, and a clip of them decodes.
func TestVideoRTPFromFFmpeg(t *testing.T) {
	ffprobe := needFFprobe(t)
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("no ffmpeg")
	}
	s := videoStream("ipcam", "")
	s.RTP = config.VideoRTP{Listen: "127.0.0.1:0", Codec: "H264"}
	g, c := videoGateway(t, s)
	if len(g.rtpIns) != 1 || len(g.rtpIns[0].Endpoints()) != 1 {
		t.Fatalf("rtp inputs %v", g.rtpIns)
	}
	port := g.rtpIns[0].Endpoints()[0].RTP.Port()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "6",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-bf", "0", "-g", "25",
		"-f", "rtp", "-payload_type", "96", fmt.Sprintf("rtp://127.0.0.1:%d?pkt_size=1200", port))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	var frags []api.Fragment
	mqtttest.Eventually(t, 20*time.Second, "fragments of the RTP stream", func() bool {
		frags, err = c.ListFragments(ctx, "ipcam", time.Time{}, time.Time{}, 0)
		return err == nil && len(frags) >= 2
	})
	frames := 0
	for _, f := range frags {
		frames += f.Frames
	}
	last := frags[len(frags)-1]
	var clip bytes.Buffer
	if _, err := c.GetClip(ctx, "ipcam", frags[0].ServerTime, last.ServerTime.Add(time.Duration(last.DurationMs)*time.Millisecond), "mp4", &clip); err != nil {
		t.Fatal(err)
	}
	if p := ffprobeFrames(t, ffprobe, clip.Bytes(), "mp4"); p.codec != "h264" || p.width != 320 || p.frames != frames {
		t.Errorf("the clip: %+v, want h264 320 wide, %d frames", p, frames)
	}
	if frames < 100 {
		t.Errorf("%d frames of 150 sent stored", frames)
	}
}

// A clip rule through the gateway: a "motion" record on the events stream
// cuts [t−1s, t+2s] from the camera and POSTs it, with its metadata; a
// record the condition does not match cuts nothing.
func TestVideoClipRule(t *testing.T) {
	ffprobe := needFFprobe(t)
	type post struct {
		hdr  http.Header
		body []byte
	}
	posts := make(chan post, 8)
	ep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		posts <- post{r.Header.Clone(), b}
	}))
	defer ep.Close()
	g, c := startGateway(t, func(cfg *config.Config) {
		cfg.Video.ICEAddr = "127.0.0.1:0"
		cfg.Video.MinFreeDisk = 0
		cfg.Video.Streams = []config.VideoStream{config.DefaultVideoStream("door")}
		cfg.Video.ClipRules = []config.ClipRule{{Name: "motion", Camera: "door", Source: "events", Condition: "type = 'motion'",
			Pre: config.Duration(time.Second), Post: config.Duration(2 * time.Second), MaxDuration: config.Duration(time.Minute),
			Destination: config.ClipDestination{HTTP: config.ClipHTTP{URL: ep.URL}}}}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pub, err := whiptest.Publish(ctx, "http://"+g.Addr()+"/video/door/whip", "", media.CodecH264)
	if err != nil {
		t.Fatal(err)
	}
	playCtx, stop := context.WithCancel(ctx)
	played := make(chan error, 1)
	go func() { played <- pub.PlayClip(playCtx, 0, whiptest.Clip(), 25) }()
	defer func() {
		stop()
		<-played
		pub.Close(context.Background())
	}()
	mqtttest.Eventually(t, 20*time.Second, "two fragments", func() bool {
		fr, err := c.ListFragments(ctx, "door", time.Time{}, time.Time{}, 0)
		return err == nil && len(fr) >= 2
	})
	if _, err := c.PutRecords(ctx, "events", []api.PutRecord{{PartitionKey: "door", Data: []byte(`{"type":"noise"}`)}, {PartitionKey: "door", Data: []byte(`{"type":"motion","zone":"front"}`)}}); err != nil {
		t.Fatal(err)
	}
	var p post
	select {
	case p = <-posts:
	case <-ctx.Done():
		st, _ := c.ListClips(context.Background())
		apps, _ := c.ListApps(context.Background())
		t.Fatalf("no clip posted: clips %+v, apps %+v", st, apps)
	}
	if p.hdr.Get("Content-Type") != "video/mp4" || p.hdr.Get("X-Tributary-Rule") != "motion" || p.hdr.Get("X-Tributary-Camera") != "door" ||
		!strings.Contains(p.hdr.Get("X-Tributary-Trigger"), "motion") || p.hdr.Get("Idempotency-Key") == "" {
		t.Errorf("clip headers %v", p.hdr)
	}
	if pr := ffprobeFrames(t, ffprobe, p.body, "mp4"); pr.codec != "h264" || pr.frames < 50 {
		t.Errorf("the clip: %+v, want h264 with about 3 s of frames", pr)
	}
	var st []api.ClipRunner
	mqtttest.Eventually(t, 10*time.Second, "the clip counted", func() bool {
		st, err = c.ListClips(ctx)
		return err == nil && len(st) == 1 && st[0].Clips == 1
	})
	if st[0].Triggers != 1 || st[0].Kind != "rule" || st[0].LastKey == "" {
		t.Errorf("clip status %+v (the noise record is no trigger)", st[0])
	}
	select {
	case p := <-posts:
		t.Errorf("a second clip posted: %v", p.hdr)
	default:
	}
}
