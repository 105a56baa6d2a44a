package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/firmware-sim/internal/camera"
	"github.com/tributary-edge/tributary/firmware-sim/internal/report"
)

const cameraAbout = `
Simulates IP cameras that publish H.264 video: each loops a short clip
(640x360 test pattern, 25 fps, ~300 kbit/s, an IDR every 2 s, embedded in the
binary; --clip for another Annex-B baseline clip without B-frames), paced by
a drift-free schedule, with RTP timestamps from that schedule (90 kHz).

--whip URL publishes over WebRTC as a WHIP client (RFC 9725): one
PeerConnection per camera with a sendonly H.264 track; the offer carries every
ICE candidate (no trickle) and is POSTed with "Authorization: Bearer TOKEN";
the session URL from the 201 answer is DELETEd when the camera stops. A PLI or
FIR from the server makes the camera skip to the clip's next keyframe. No STUN
server is used unless --stun is given.

--rtp HOST:PORT sends plain RTP over UDP instead (payload type 96, no RTCP);
the SDP a receiver needs (e.g. ffplay -protocol_whitelist file,udp,rtp -i
cam.sdp) is written to --sdp FILE, or printed on stderr.

{n} in --whip, --rtp and --sdp is replaced by the camera number (from 1),
e.g. --whip http://127.0.0.1:4567/video/cam{n}/whip; several cameras need it
in --whip and --sdp. An --rtp address without {n} gives camera n the port
PORT+2(n-1).

--bitrate reaches a target above the clip's own with filler-data NAL units
(type 12), which decoders discard; the target counts H.264 bytes.

Faults act per RTP packet, drawn from --seed: --loss drops packets (they are
not in the NACK buffer either), --reorder sends a packet after its successor,
--jitter delays packets by up to the duration but keeps their order.
--disconnect-after cuts the network and stops the camera without a DELETE.

A summary is printed on stderr every second and a JSON report on stdout at the
end (also to --report FILE).

Exit status: 1 if a camera failed (WHIP refused, ICE/DTLS did not connect,
connection lost, DELETE failed) or no frame was sent; 2 for usage errors.
`

// cameraFlags are the flags of "camera".
type cameraFlags struct {
	whip, rtp, sdp, token, clip       string
	count                             int
	fps                               float64
	bitrate                           string
	duration, jitter, disconnectAfter time.Duration
	loss, reorder                     float64
	seed                              uint64
	iceIP, iceInterface, stun         string
	connectTimeout                    time.Duration
	reportFile                        string
	quiet                             bool
}

func (f *cameraFlags) register(fs *flagSet) {
	fs.StringVar(&f.whip, "whip", "", "publish with WHIP to the endpoint `URL` ({n}: camera number)")
	fs.StringVar(&f.rtp, "rtp", "", "send plain RTP over UDP to `HOST:PORT` ({n}: camera number)")
	fs.StringVar(&f.sdp, "sdp", "", "with --rtp, write the receiver's SDP to `FILE` ({n}: camera number)")
	fs.IntVar(&f.count, "count", 1, "number of cameras")
	fs.StringVar(&f.token, "token", "", "WHIP bearer `TOKEN` (default $FIRMWARE_SIM_WHIP_TOKEN)")
	fs.Float64Var(&f.fps, "fps", camera.DefaultFPS, "frames per second (the clip's own is 25)")
	fs.StringVar(&f.bitrate, "bitrate", "0", "target H.264 `RATE` per camera, e.g. 4M or 800k, padded with filler NAL units (0 = the clip's own)")
	fs.DurationVar(&f.duration, "duration", 0, "how long each camera sends once connected (0 = until interrupted)")
	fs.Float64Var(&f.loss, "loss", 0, "probability that an RTP packet is dropped")
	fs.Float64Var(&f.reorder, "reorder", 0, "probability that an RTP packet is sent after the next one")
	fs.DurationVar(&f.jitter, "jitter", 0, "delay each RTP packet by a random time up to this long, order kept")
	fs.DurationVar(&f.disconnectAfter, "disconnect-after", 0, "drop the connection abruptly (no WHIP DELETE) after this long")
	fs.Uint64Var(&f.seed, "seed", 0, "random seed for SSRCs, sequence numbers, timestamps and faults (default: random, printed in the report)")
	fs.StringVar(&f.clip, "clip", "", "loop this H.264 Annex-B `FILE` instead of the embedded clip")
	fs.StringVar(&f.iceIP, "ice-ip", "", "gather ICE candidates on these `IP`s only (comma-separated), e.g. 127.0.0.1")
	fs.StringVar(&f.iceInterface, "ice-interface", "", "gather ICE candidates on the network interface `NAME` only")
	fs.StringVar(&f.stun, "stun", "", "STUN/TURN server `URLs` (comma-separated), e.g. stun:stun.example.org:3478")
	fs.DurationVar(&f.connectTimeout, "connect-timeout", camera.DefaultConnectTimeout, "limit for the WHIP exchange and ICE/DTLS setup")
	fs.StringVar(&f.reportFile, "report", "", "also write the JSON report to `FILE`")
	fs.BoolVar(&f.quiet, "quiet", false, "no live summary on stderr")
}

// config turns the flags into a camera configuration, or returns a usage
// problem.
func (f *cameraFlags) config(fs *flagSet) (camera.Config, error) {
	c := camera.Config{
		Count: f.count, FPS: f.fps, Duration: f.duration, Seed: f.seed, ConnectTimeout: f.connectTimeout,
		Faults:  camera.Faults{Loss: f.loss, Reorder: f.reorder, Jitter: f.jitter, DisconnectAfter: f.disconnectAfter},
		SDPFile: f.sdp, Token: f.token, ICEInterface: f.iceInterface,
	}
	switch {
	case f.whip != "" && f.rtp != "":
		return c, fmt.Errorf("--whip and --rtp exclude each other")
	case f.whip != "":
		c.Mode, c.Target = camera.WHIP, f.whip
		if c.Token == "" {
			c.Token = os.Getenv("FIRMWARE_SIM_WHIP_TOKEN")
		}
	case f.rtp != "":
		c.Mode, c.Target = camera.RTP, f.rtp
	default:
		return c, fmt.Errorf("--whip URL or --rtp HOST:PORT is required")
	}
	if f.fps == 0 {
		return c, fmt.Errorf("--fps 0: want more than 0")
	}
	b, err := camera.ParseBitrate(f.bitrate)
	if err != nil {
		return c, fmt.Errorf("--bitrate: %v", err)
	}
	c.Bitrate = b
	for _, s := range splitList(f.iceIP) {
		ip := net.ParseIP(s)
		if ip == nil {
			return c, fmt.Errorf("--ice-ip %q: not an IP address", s)
		}
		c.ICEIPs = append(c.ICEIPs, ip)
	}
	c.ICEServers = splitList(f.stun)
	if f.clip != "" {
		if c.Clip, err = camera.ReadClip(f.clip); err != nil {
			return c, fmt.Errorf("--clip: %v", err)
		}
	}
	if !fs.isSet("seed") {
		c.Seed = randomUint64()
	}
	return c, c.Validate()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// cameraReport is the JSON report of "camera".
type cameraReport struct {
	Tool          string          `json:"tool"`    // "firmware-sim"
	Command       string          `json:"command"` // "camera"
	Version       string          `json:"version"`
	Mode          string          `json:"mode"`   // "whip" or "rtp"
	Target        string          `json:"target"` // as given, {n} unexpanded
	Count         int             `json:"count"`
	FPS           float64         `json:"fps"`
	BitrateTarget int64           `json:"bitrate_target"` // bit/s of H.264 per camera; 0 = the clip's own
	Clip          string          `json:"clip"`           // "embedded" or the --clip file
	ClipKbitS     float64         `json:"clip_kbit_s"`    // the clip's own bitrate at FPS
	Seed          uint64          `json:"seed"`
	Faults        cameraFaults    `json:"faults"`
	Started       time.Time       `json:"started"`
	DurationS     float64         `json:"duration_s"` // wall time of the run, setup included
	Totals        camera.Stats    `json:"totals"`
	KbitS         float64         `json:"kbit_s"` // sum of the cameras' kbit_s
	Failed        int             `json:"failed"` // cameras with an error
	Cameras       []camera.Result `json:"cameras"`
}

type cameraFaults struct {
	Loss             float64 `json:"loss"`
	Reorder          float64 `json:"reorder"`
	JitterMS         float64 `json:"jitter_ms"`
	DisconnectAfterS float64 `json:"disconnect_after_s"`
}

func cameraCmd(e *env, args []string) int {
	fs := newFlagSet("camera", "(--whip URL | --rtp HOST:PORT) [--count N] [--fps F] [--bitrate RATE] [FLAGS]", cameraAbout)
	var f cameraFlags
	f.register(fs)
	if code, ok := fs.parse(e, args); !ok {
		return code
	}
	cfg, err := f.config(fs)
	if err != nil {
		return fs.usageError(e, "%v", err)
	}
	fleet, err := camera.New(cfg)
	if err != nil {
		return fs.usageError(e, "%v", err)
	}
	cfg = fleet.Config()
	if !f.quiet {
		fmt.Fprintf(e.stderr, "firmware-sim: seed %d: %d camera(s) -> %s (%s), %g fps, %s\n",
			cfg.Seed, cfg.Count, cfg.Target, cfg.Mode, cfg.FPS, rateText(cfg))
		if cfg.Mode == camera.RTP && cfg.SDPFile == "" {
			for n := 1; n <= cfg.Count; n++ {
				if sdp, err := camera.SDP(cfg.Clip, cfg.TargetOf(n), n); err == nil {
					fmt.Fprintf(e.stderr, "SDP of camera %d (save as a .sdp file for the receiver):\n%s", n, sdp)
				}
			}
		}
	}
	started := time.Now()
	results := runCamerasWithLiveSummary(e, fleet, f.quiet)
	rep := cameraReport{
		Tool: report.Tool, Command: "camera", Version: currentVersion(), Mode: cfg.Mode.String(), Target: cfg.Target,
		Count: cfg.Count, FPS: cfg.FPS, BitrateTarget: cfg.Bitrate, Clip: "embedded",
		ClipKbitS: round1(cfg.Clip.Bitrate(cfg.FPS) / 1000), Seed: cfg.Seed,
		Faults: cameraFaults{Loss: cfg.Faults.Loss, Reorder: cfg.Faults.Reorder,
			JitterMS: float64(cfg.Faults.Jitter) / float64(time.Millisecond), DisconnectAfterS: cfg.Faults.DisconnectAfter.Seconds()},
		Started: started.UTC(), DurationS: time.Since(started).Seconds(), Cameras: results,
	}
	if f.clip != "" {
		rep.Clip = f.clip
	}
	for _, r := range results {
		rep.Totals = rep.Totals.Add(r.Stats)
		rep.KbitS += r.KbitS
		if r.Err != nil {
			rep.Failed++
		}
	}
	rep.KbitS = round1(rep.KbitS)
	b, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Fprintf(e.stdout, "%s\n", b)

	code := exitOK
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(e.stderr, "error: %v\n", r.Err)
			code = exitFailure
		}
	}
	if rep.Totals.Frames == 0 && code == exitOK {
		fmt.Fprintln(e.stderr, "error: no frame was sent")
		code = exitFailure
	}
	if f.reportFile != "" {
		if err := os.WriteFile(f.reportFile, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintf(e.stderr, "error: --report: %v\n", err)
			return exitFailure
		}
	}
	return code
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

func rateText(cfg camera.Config) string {
	clip := fmt.Sprintf("clip %.0f kbit/s", cfg.Clip.Bitrate(cfg.FPS)/1000)
	if cfg.Bitrate == 0 {
		return clip
	}
	return fmt.Sprintf("%s padded to %.0f kbit/s", clip, float64(cfg.Bitrate)/1000)
}

// runCamerasWithLiveSummary runs fleet, printing a summary line on stderr
// every second unless quiet.
func runCamerasWithLiveSummary(e *env, fleet *camera.Fleet, quiet bool) []camera.Result {
	if quiet {
		return fleet.Run(e.ctx)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		live := cameraLive{start: time.Now()}
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				fmt.Fprintln(e.stderr, live.line(now, fleet.Snapshot(), fleet.Sending()))
			}
		}
	}()
	res := fleet.Run(e.ctx)
	cancel()
	<-done
	return res
}

// cameraLive makes the one-line summaries printed every second.
type cameraLive struct {
	start    time.Time
	prev     []camera.Stats
	prevTime time.Time
}

// line returns the totals at now and each camera's rate since the
// previous line:
//
//	12s  sending 3/3  frames 900  packets 4210  lost 0  reordered 0  errors 0  5.3 MB  kbit/s per camera 1210 (1195..1230)
func (l *cameraLive) line(now time.Time, cams []camera.Stats, sending int) string {
	var tot camera.Stats
	var sum, lo, hi float64
	for i, c := range cams {
		tot = tot.Add(c)
		var prev camera.Stats // zero at the start
		since := l.start
		if l.prev != nil {
			prev, since = l.prev[i], l.prevTime
		}
		var rate float64
		if now.After(since) {
			rate = float64(c.Bytes-prev.Bytes) * 8 / now.Sub(since).Seconds() / 1000
		}
		sum += rate
		if i == 0 || rate < lo {
			lo = rate
		}
		if i == 0 || rate > hi {
			hi = rate
		}
	}
	l.prev, l.prevTime = cams, now
	s := fmt.Sprintf("%.0fs  sending %d/%d  frames %d  packets %d  lost %d  reordered %d  errors %d  %.1f MB  kbit/s per camera %.0f",
		now.Sub(l.start).Seconds(), sending, len(cams), tot.Frames, tot.Packets, tot.Lost, tot.Reordered, tot.SendErrors,
		float64(tot.Bytes)/1e6, sum/float64(max(len(cams), 1)))
	if len(cams) > 1 {
		s += fmt.Sprintf(" (%.0f..%.0f)", lo, hi)
	}
	return s
}
