package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/webrtc/whiptest"
)

func TestE2EVideo(t *testing.T) {
	srv := startGateway(t, func(c *config.Config) {
		c.Video.ICEAddr = "127.0.0.1:0"
		c.Video.MinFreeDisk = 0
		c.Video.Streams = []config.VideoStream{config.DefaultVideoStream("porch")}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, err := whiptest.Publish(ctx, srv+"/video/porch/whip", "", media.CodecH264)
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
	var frags api.FragmentList
	mqtttest.Eventually(t, 20*time.Second, "two fragments", func() bool {
		out := mustCLI(t, srv, "", "video", "fragments", "porch", "--start", "10m", "-o", "json")
		return json.Unmarshal([]byte(out), &frags) == nil && len(frags.Fragments) >= 2
	})
	out := mustCLI(t, srv, "", "video", "ls")
	for _, want := range []string{"NAME", "porch", "true", "H264", "delete_oldest"} {
		if !strings.Contains(out, want) {
			t.Errorf("video ls lacks %q:\n%s", want, out)
		}
	}
	if out := mustCLI(t, srv, "", "status"); !strings.Contains(out, "video streams (1)") || !strings.Contains(out, "porch") {
		t.Errorf("status lacks the video stream:\n%s", out)
	}
	if out := mustCLI(t, srv, "", "video", "fragments", "porch"); !strings.Contains(out, "NUMBER") || !strings.Contains(out, "H264") {
		t.Errorf("video fragments:\n%s", out)
	}
	file := filepath.Join(t.TempDir(), "porch.mp4")
	mustCLI(t, srv, "", "video", "clip", "porch", "--start", frags.Fragments[0].ServerTime.Format(time.RFC3339Nano),
		"--end", frags.Fragments[1].ServerTime.Format(time.RFC3339Nano), "--out", file)
	b, err := os.ReadFile(file)
	if err != nil || len(b) < 1000 || !bytes.Equal(b[4:8], []byte("ftyp")) {
		t.Errorf("the clip file: %d bytes, %v", len(b), err)
	}
	var s api.VideoStream
	if err := json.Unmarshal([]byte(mustCLI(t, srv, "", "video", "record", "stop", "porch", "-o", "json")), &s); err != nil || s.Recording {
		t.Errorf("record stop: %+v %v", s, err)
	}
	if code, _, errOut := cli(t, srv, "", "video", "record", "pause", "porch"); code != exitUsage || !strings.Contains(errOut, "start or stop") {
		t.Errorf("record pause: %d %s", code, errOut)
	}
	if code, _, errOut := cli(t, srv, "", "video", "describe", "nope"); code == 0 || !strings.Contains(errOut, "VideoStreamNotFound") {
		t.Errorf("describe nope: %d %s", code, errOut)
	}
	if code, _, errOut := cli(t, srv, "", "video", "clip", "porch", "--out", file); code != exitUsage || !strings.Contains(errOut, "--start") {
		t.Errorf("clip without --start: %d %s", code, errOut)
	}
}
