package main

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/webrtc/whiptest"
)

// TestKill9WhileRecording kills the gateway with SIGKILL while a camera
// publishes, twice. Every fragment listed before a kill is there after it,
// intact (a clip of all of them is served); what a kill loses is at most
// the fragment being built and the one being written; numbers keep
// increasing across restarts.
func TestKill9WhileRecording(t *testing.T) {
	if testing.Short() {
		t.Skip("a camera through two kills: not in -short runs")
	}
	dataDir := t.TempDir()
	cfgFile := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(cfgFile, []byte(`
mqtt:
  listen: ""
video:
  ice_addr: 127.0.0.1:0
  min_free_disk: 0
  streams:
    - name: cam
      fragment_duration: 1s
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var before []api.Fragment
	for round := range 2 {
		c := startChild(t, dataDir, "-c", cfgFile)
		cl := &api.Client{Base: c.base}
		pub, err := whiptest.Publish(ctx, c.base+"/video/cam/whip", "", media.CodecH264)
		if err != nil {
			t.Fatal(err)
		}
		playCtx, stop := context.WithCancel(ctx)
		played := make(chan error, 1)
		go func() { played <- pub.PlayClip(playCtx, 0, whiptest.Clip(), 25) }()
		var listed []api.Fragment
		mqtttest.Eventually(t, 60*time.Second, "three more fragments", func() bool {
			listed, err = cl.ListFragments(ctx, "cam", time.Time{}, time.Time{}, 0)
			return err == nil && len(listed) >= len(before)+3
		})
		c.cmd.Process.Signal(syscall.SIGKILL)
		killed := time.Now()
		<-c.done
		stop()
		<-played
		pub.Abandon()

		c = startChild(t, dataDir, "-c", cfgFile)
		cl = &api.Client{Base: c.base}
		after, err := cl.ListFragments(ctx, "cam", time.Time{}, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		have := map[uint64]api.Fragment{}
		for i, f := range after {
			have[f.Number] = f
			if i > 0 && f.Number <= after[i-1].Number {
				t.Fatalf("round %d: fragment numbers %d then %d", round, after[i-1].Number, f.Number)
			}
		}
		for _, f := range listed {
			if g, ok := have[f.Number]; !ok || g.Size != f.Size || g.Frames != f.Frames {
				t.Fatalf("round %d: fragment %d (%+v) listed before the kill is gone or changed after it (%+v)", round, f.Number, f, g)
			}
		}
		last := after[len(after)-1]
		end := last.ServerTime.Add(time.Duration(last.DurationMs) * time.Millisecond)
		// a fragment is about 1-2 s here (cut at the first keyframe after
		// 1 s, keyframes every second); the kill loses the one being built
		// and at most the one being written
		if lost := killed.Sub(end); lost > 5*time.Second {
			t.Errorf("round %d: the last stored fragment ends %v before the kill", round, lost)
		}
		var clip countingWriter
		if _, err := cl.GetClip(ctx, "cam", after[0].ServerTime, end, "mp4", &clip); err != nil || clip.n < 1000 {
			t.Errorf("round %d: a clip of everything stored: %d bytes, %v", round, clip.n, err)
		}
		before = after
		c.cmd.Process.Signal(syscall.SIGTERM)
		<-c.done
	}
	t.Logf("%d fragments survived two kills", len(before))
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// TestFirmwareSimCameras runs the README's camera command against the
// real binaries: two simulated cameras publish over WHIP (one with packet
// loss) and the gateway stores fragments of each.
func TestFirmwareSimCameras(t *testing.T) {
	if testing.Short() {
		t.Skip("two cameras through the real binaries: not in -short runs")
	}
	cfgFile := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(cfgFile, []byte(`
mqtt:
  listen: ""
video:
  ice_addr: 127.0.0.1:0
  min_free_disk: 0
  streams:
    - {name: cam1, fragment_duration: 1s}
    - {name: cam2, fragment_duration: 1s}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startChild(t, t.TempDir(), "-c", cfgFile)
	defer func() { c.cmd.Process.Signal(syscall.SIGTERM); <-c.done }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := sim(ctx, "camera", "--whip", c.base+"/video/cam{n}/whip", "--count", "2", "--duration", "4s",
		"--ice-ip", "127.0.0.1", "--loss", "0.01", "--seed", "7", "--quiet").CombinedOutput()
	if err != nil {
		t.Fatalf("firmware-sim camera: %v\n%s", err, out)
	}
	cl := &api.Client{Base: c.base}
	for _, cam := range []string{"cam1", "cam2"} {
		var frags []api.Fragment
		mqtttest.Eventually(t, 20*time.Second, cam+"'s fragments", func() bool {
			frags, err = cl.ListFragments(ctx, cam, time.Time{}, time.Time{}, 0)
			return err == nil && len(frags) >= 2
		})
		if frags[0].Keyframes < 1 || frags[0].Tracks[0] != "H264" {
			t.Errorf("%s: first fragment %+v", cam, frags[0])
		}
	}
}
