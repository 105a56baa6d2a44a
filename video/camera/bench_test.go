package camera

// Video benchmarks for make bench: cameras at 4 Mbit/s over WHIP (CPU,
// RSS), WHEP fan-out to 10 viewers (frame loss), the latency the gateway
// adds between RTP arrival and WHEP send, and clip export speed. Every
// stream is the test clip (whiptest.Clip, 320x240 at 25 fps) with each
// access unit padded to 20,000 bytes, 4 Mbit/s, by an SEI
// user_data_unregistered NAL unit that also numbers the frame (padAU).
// Filler-data NAL units would not do: pion's H.264 payloader drops them
// before sending, and the gateway's depacketizer drops them too, so the
// wire and the store would see the clip's ~0.1 Mbit/s. SEI goes through
// the whole path and into the store.
//
// The results are for the machine they run on: pion peers on loopback
// share its CPUs with the gateway, and a busy machine lengthens latencies.
// TRIBUTARY_VIDEO_BENCH_WINDOW (a Go duration, default 5s) sets the
// measured time of BenchmarkCameras and BenchmarkFanout10.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/video/fragment"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/mp4"
	"github.com/tributary-edge/tributary/video/store"
	"github.com/tributary-edge/tributary/video/webrtc"
	"github.com/tributary-edge/tributary/video/webrtc/whiptest"
)

// benchWindow is the measured time: TRIBUTARY_VIDEO_BENCH_WINDOW or def.
func benchWindow(b *testing.B, def time.Duration) time.Duration {
	v := os.Getenv("TRIBUTARY_VIDEO_BENCH_WINDOW")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		b.Fatalf("TRIBUTARY_VIDEO_BENCH_WINDOW=%q: want a positive Go duration", v)
	}
	return d
}

func mbits(bytes int64, d time.Duration) float64 { return float64(bytes) * 8 / 1e6 / d.Seconds() }

func pctCore(cpu, wall time.Duration) float64 { return 100 * cpu.Seconds() / wall.Seconds() }

// camRun is what one run of BenchmarkCameras measured over its window.
type camRun struct {
	wall                 time.Duration
	gwCPU, pubCPU        time.Duration // this process; the publisher child
	rtpIn                int64         // RTP bytes the server read
	pubFrames, pubBytes  int64         // what the child sent
	frames, fragments    int64         // frames the pipeline took in, fragments it stored
	storedPerFrame       float64       // stored bytes per stored frame, all fragments of the run
	lost, dropped, fails int64         // frames lost by the depacketizers; fragments dropped or not stored
	gwDrops, hostDrops   int64         // UDP receive-buffer drops in the window: the server's socket, the host
	stall                float64       // % of the window the host was short of CPU
	rss, peak            float64       // VmRSS, VmHWM (MiB) at the window's end
}

// runCameras publishes n 4 Mbit/s streams from a child process into a
// recording gateway (pipeline) or into a server whose sinks discard, waits
// for the streams to settle, and measures one window.
func runCameras(b *testing.B, n int, pipeline bool, window time.Duration) camRun {
	b.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("cam%d", i)
	}
	var g *benchGW
	if pipeline {
		debug.FreeOSMemory()
		resetPeakRSS()
		g = startGW(b, names, nil)
	} else {
		g = startDiscardGW(b)
	}
	defer g.close()
	urls := make([]string, n)
	for i, name := range names {
		urls[i] = g.url(name, "whip")
	}
	c := startPublisherChild(b, urls)
	fatal := func(err error) {
		b.Helper()
		b.Fatal(err, "; ", c.wait()) // the child's error quotes its stderr
	}
	if _, err := c.expect("ready", time.Minute); err != nil {
		fatal(err)
	}
	// warm-up: two seconds of every stream read, and in the pipeline the
	// first fragment of every stream stored (recording starts at a
	// keyframe)
	streamBytes := func(d time.Duration) uint64 {
		return uint64(n) * benchFPS * benchFrameBytes * uint64(d/time.Millisecond) / 1000
	}
	if !mqtttest.Within(time.Minute, func() bool { return g.srv.Stats().BytesIn >= streamBytes(2*time.Second) }) {
		fatal(fmt.Errorf("the streams did not start: %d bytes read", g.srv.Stats().BytesIn))
	}
	status := func() (st []Status) {
		for _, name := range names {
			s, _ := g.m.StreamStatus(name)
			st = append(st, s)
		}
		return st
	}
	if pipeline && !mqtttest.Within(30*time.Second, func() bool {
		for _, s := range status() {
			if s.Fragments < 1 {
				return false
			}
		}
		return true
	}) {
		fatal(fmt.Errorf("not every stream stored a fragment: %+v", status()))
	}

	var r camRun
	var before []Status
	if pipeline {
		before = status()
	}
	if err := c.say("start"); err != nil {
		fatal(err)
	}
	cpu0, t0, in0 := cpuTime(), time.Now(), g.srv.Stats().BytesIn
	gw0, host0, stall0 := g.socketDrops(), udpRcvbufErrors(), cpuStall()
	// the measured window: until the streams' window of bytes has been
	// read (the wall time it took is measured)
	if !mqtttest.Within(10*window, func() bool { return g.srv.Stats().BytesIn-in0 >= streamBytes(window) }) {
		fatal(fmt.Errorf("the window's bytes did not arrive within %v", 10*window))
	}
	if err := c.say("stop"); err != nil {
		fatal(err)
	}
	r.gwCPU, r.wall, r.rtpIn = cpuTime()-cpu0, time.Since(t0), int64(g.srv.Stats().BytesIn-in0)
	r.stall = stallPct(stall0, cpuStall(), r.wall)
	r.gwDrops, r.hostDrops = g.socketDrops()-gw0, udpRcvbufErrors()-host0
	r.rss, r.peak = procMiB("VmRSS"), procMiB("VmHWM")
	var after []Status
	if pipeline {
		after = status()
	}
	line, err := c.expect("done", 30*time.Second)
	if err != nil {
		fatal(err)
	}
	var cpuNs, wallNs, fails int64
	if _, err := fmt.Sscanf(line, "done %d %d %d %d %d", &cpuNs, &wallNs, &r.pubFrames, &r.pubBytes, &fails); err != nil {
		fatal(fmt.Errorf("publisher child: %q: %v", line, err))
	}
	r.pubCPU = time.Duration(cpuNs)
	if err := c.wait(); err != nil {
		b.Fatal(err)
	}
	if fails > 0 {
		b.Fatalf("%d publishers failed to send", fails)
	}
	if !pipeline {
		return r
	}
	// the depacketizers' losses are counted when their sessions end
	if !mqtttest.Within(20*time.Second, func() bool {
		for _, s := range status() {
			if s.Live {
				return false
			}
		}
		return true
	}) {
		b.Fatalf("publishers still live after they closed: %+v", status())
	}
	for i, s := range status() {
		r.frames += after[i].Frames - before[i].Frames
		r.fragments += after[i].Fragments - before[i].Fragments
		r.lost += s.LostFrames
		r.dropped += s.Dropped
		r.fails += s.Denied + s.WriteErrs
	}
	var size, frames int64
	for _, name := range names {
		infos, err := g.st.List(name, time.Time{}, time.Time{}, 0)
		if err != nil {
			b.Fatal(err)
		}
		for _, in := range infos {
			size, frames = size+in.Size, frames+int64(in.Frames)
		}
	}
	if frames > 0 {
		r.storedPerFrame = float64(size) / float64(frames)
	}
	return r
}

// BenchmarkCameras: 1, 4 and 8 cameras each publishing 4 Mbit/s (the
// padded clip at 25 fps) over WHIP to a gateway that records every stream
// (fsync durability, 2 s fragments) — what the issue's target "4 cameras at
// 4 Mbit/s in ≤ 25 % of one core" is about.
//
// Method. The publishers (pion WHIP clients) run in a child process (this
// test binary re-run, see pubChild), so the benchmark process is the
// gateway alone: its CPU time (getrusage RUSAGE_SELF, user + system) over
// the measured window is the gateway's. Each case runs twice, each time
// with a fresh child and a fresh server: first with a Publisher that
// discards every packet (the cost of WHIP reception: ICE, DTLS, SRTP, RTCP,
// pion's interceptors), then with the Manager (depacketizing, the live
// hub, fragmenting, the store's fsynced writes). After connecting, each run
// waits 2 s and, in the pipeline, for a fragment of every stream, then
// measures one window (5 s unless TRIBUTARY_VIDEO_BENCH_WINDOW says).
// Reported, per case:
//
//	cpu-%core          the pipeline alone: gateway minus discard baseline
//	cpu-%core-gateway  the gateway process: WHIP reception + pipeline
//	cpu-%core-whip     the discard baseline: WHIP reception alone
//	cpu-%core-total    gateway + publisher child
//	rss-MiB            the gateway's VmRSS at the window's end
//	rss-peak-MiB       its VmHWM since the pipeline run started (reset
//	                   through /proc/self/clear_refs where allowed)
//	Mbit/s-in          RTP bytes (header + payload) the server read, all cameras
//	fps/cam            frames per second per camera into the pipeline (25
//	                   unless the publishers were starved of CPU)
//	B/frame-stored     stored bytes per stored frame over the run (about
//	                   20,000: the padding reaches the store)
//	fragments          fragments stored in the window
//	frames-lost        frames the depacketizers dropped (after a packet loss,
//	                   until a keyframe), over the whole run
//	frags-dropped      fragments dropped (write queue full) or refused, over
//	                   the whole run (recording starts with the warm-up)
//	udp-drops-gw       datagrams the kernel dropped in the window because
//	                   the server's ICE socket's receive buffer was full
//	udp-drops-host     the same for every UDP socket of the host
//	                   (RcvbufErrors of /proc/net/snmp: not only this test's)
//	cpu-stall-%        the share of the window in which some task on the
//	                   host waited for a CPU (/proc/pressure/cpu "some"; -1
//	                   where unavailable); past ~20 the host was too busy
//	                   for the publishers, the loss and the latencies to hold
//
// The publisher child and the benchmark's own goroutines share the
// machine's cores with the gateway, so CPU time, not wall time, is the
// measure: %core is CPU seconds per wall second × 100.
func BenchmarkCameras(b *testing.B) {
	window := benchWindow(b, 5*time.Second)
	for _, n := range []int{1, 4, 8} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			base := runCameras(b, n, false, window)
			r := runCameras(b, n, true, window)
			gw, whip := pctCore(r.gwCPU, r.wall), pctCore(base.gwCPU, base.wall)
			for _, run := range []struct {
				name string
				r    camRun
			}{{"discard baseline", base}, {"pipeline", r}} {
				if got, want := mbits(run.r.pubBytes, run.r.wall), 4*float64(n); got < 0.9*want {
					b.Logf("WARNING: %s run: the publishers sent %.1f Mbit/s, not %.0f: they were starved of CPU (machine busy?), so the figures are low; rerun on an idle machine",
						run.name, got, want)
				}
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(gw-whip, "cpu-%core")
			b.ReportMetric(gw, "cpu-%core-gateway")
			b.ReportMetric(whip, "cpu-%core-whip")
			b.ReportMetric(pctCore(r.gwCPU+r.pubCPU, r.wall), "cpu-%core-total")
			b.ReportMetric(r.rss, "rss-MiB")
			b.ReportMetric(r.peak, "rss-peak-MiB")
			b.ReportMetric(mbits(r.rtpIn, r.wall), "Mbit/s-in")
			b.ReportMetric(float64(r.frames)/r.wall.Seconds()/float64(n), "fps/cam")
			b.ReportMetric(r.storedPerFrame, "B/frame-stored")
			b.ReportMetric(float64(r.fragments), "fragments")
			b.ReportMetric(float64(r.lost), "frames-lost")
			b.ReportMetric(float64(r.dropped+r.fails), "frags-dropped")
			b.ReportMetric(float64(r.gwDrops), "udp-drops-gw")
			b.ReportMetric(float64(r.hostDrops), "udp-drops-host")
			b.ReportMetric(r.stall, "cpu-stall-%")
			b.Logf("%d cameras × 4 Mbit/s for %.1fs: gateway %.1f%% of a core (WHIP reception %.1f%%, pipeline %.1f%%), publishers %.1f%%; "+
				"sent %.2f Mbit/s of access units (SEI-padded: kept end to end), server read %.2f Mbit/s of RTP, stored %.0f bytes per frame; "+
				"%.1f frames/s per camera into the pipeline, %d fragments stored, %d frames lost, %d fragments dropped, %d not stored; UDP datagrams dropped for a full receive buffer: %d at the gateway, %d host-wide; RSS %.1f MiB, peak %.1f MiB; host short of CPU %.0f%% of the time (baseline run %.0f%%)",
				n, r.wall.Seconds(), gw, whip, gw-whip, pctCore(r.pubCPU, r.wall),
				mbits(r.pubBytes, r.wall), mbits(r.rtpIn, r.wall), r.storedPerFrame,
				float64(r.frames)/r.wall.Seconds()/float64(n), r.fragments, r.lost, r.dropped, r.fails, r.gwDrops, r.hostDrops, r.rss, r.peak, r.stall, base.stall)
		})
	}
}

// viewerLog collects the sequence numbers of the video frames a viewer
// received.
type viewerLog struct {
	mu   sync.Mutex
	seqs map[uint32]int // times received
	max  atomic.Int64   // highest sequence number, -1 before any
}

func (v *viewerLog) add(seq uint32) {
	v.mu.Lock()
	v.seqs[seq]++
	v.mu.Unlock()
	for {
		m := v.max.Load()
		if int64(seq) <= m || v.max.CompareAndSwap(m, int64(seq)) {
			return
		}
	}
}

// count returns how many of first..last it received, and how many it
// received more than once.
func (v *viewerLog) count(first, last uint32) (got, dup int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for s := first; s <= last; s++ {
		if n := v.seqs[s]; n > 0 {
			got++
			dup += n - 1
		}
	}
	return got, dup
}

// viewAll opens n WHEP viewers of url and reads their video frames into
// logs until quit closes; on each frame it calls onFrame if set.
func viewAll(ctx context.Context, b *testing.B, url string, n int, quit chan struct{}, readers *sync.WaitGroup,
	onFrame func(seq uint32, at time.Time),
) ([]*whiptest.Viewer, []*viewerLog) {
	b.Helper()
	vs := make([]*whiptest.Viewer, n)
	logs := make([]*viewerLog, n)
	for i := range vs {
		v, err := whiptest.View(ctx, url, "")
		if err != nil {
			closeViewers(vs)
			b.Fatal(err)
		}
		vs[i] = v
		logs[i] = &viewerLog{seqs: map[uint32]int{}}
		logs[i].max.Store(-1)
		readers.Go(func() {
			for {
				select {
				case <-quit:
					return
				case f := <-v.Frames():
					at := time.Now()
					if f.Track != 0 {
						continue
					}
					if seq, ok := seqOf(f.Data); ok {
						logs[i].add(seq)
						if onFrame != nil {
							onFrame(seq, at)
						}
					}
				}
			}
		})
	}
	return vs, logs
}

func closeViewers(vs []*whiptest.Viewer) {
	var wg sync.WaitGroup
	for _, v := range vs {
		if v != nil {
			wg.Go(func() { _ = v.Close(context.Background()) })
		}
	}
	wg.Wait()
}

// BenchmarkFanout10: one camera at 4 Mbit/s (recorded) watched by 10 WHEP
// viewers (pion, in this process) — the issue's "10 viewers without frame
// loss". Once every viewer has its first frame, the frames published during
// the window (5 s unless TRIBUTARY_VIDEO_BENCH_WINDOW says) are the
// expected ones; the publisher keeps sending until every viewer has
// received the frame after the window's last (pion's sample builder
// releases a frame when the next one starts). Reported:
//
//	Mbit/s-pub        what the publisher sent in the window (4 unless it was
//	                  starved of CPU)
//	frames-published  frames sent in the window
//	frames-recv-min   the fewest of them any viewer received
//	frames-lost       the sum over the viewers of those they did not receive
//	hub-drops         frames the live hub dropped for full viewer queues
//	client-drops      frames the pion viewers dropped (reader too slow)
//	udp-drops-gw      as in BenchmarkCameras: at the server's socket
//	udp-drops-host    and host-wide, which includes the viewers' sockets
//	cpu-stall-%       as in BenchmarkCameras
//
// It asserts nothing; its log line says whether frames were lost.
func BenchmarkFanout10(b *testing.B) {
	const viewers = 10
	window := benchWindow(b, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	g := startGW(b, []string{"fan"}, nil)
	defer g.close()
	pub, err := publishConnected(ctx, g.url("fan", "whip"))
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close(context.Background())
	pl := &player{pub: pub}
	playCtx, stop := context.WithCancel(ctx)
	var playing sync.WaitGroup
	playing.Go(func() { _ = pl.run(playCtx) })
	defer func() { stop(); playing.Wait() }()
	if !mqtttest.Within(20*time.Second, func() bool { return hubOf(g.m, "fan") != nil }) {
		b.Fatal("the stream is not live")
	}

	quit := make(chan struct{})
	var readers sync.WaitGroup
	vs, logs := viewAll(ctx, b, g.url("fan", "whep"), viewers, quit, &readers, nil)
	defer func() { close(quit); readers.Wait(); closeViewers(vs) }()
	if !mqtttest.Within(30*time.Second, func() bool {
		for _, l := range logs {
			if l.max.Load() < 0 {
				return false
			}
		}
		return true
	}) {
		b.Fatal("not every viewer received a frame")
	}
	hub := hubOf(g.m, "fan")
	hub0 := hub.Stats()
	first, bytes0, t0 := uint32(pl.next.Load()), pl.bytes.Load(), time.Now()
	gw0, host0, stall0 := g.socketDrops(), udpRcvbufErrors(), cpuStall()
	// the measured window: until the window's frames have been published
	if !mqtttest.Within(10*window, func() bool { return uint32(pl.next.Load())-first >= uint32(benchFPS*window/time.Second) }) {
		b.Fatalf("the publisher did not send %v of frames within %v", window, 10*window)
	}
	last, sent, wall := uint32(pl.next.Load())-1, pl.bytes.Load()-bytes0, time.Since(t0)
	mqtttest.Within(5*time.Second, func() bool {
		for _, l := range logs {
			if l.max.Load() <= int64(last) {
				return false
			}
		}
		return true
	})
	hub1 := hub.Stats()
	gwDrops, hostDrops := g.socketDrops()-gw0, udpRcvbufErrors()-host0
	stall := stallPct(stall0, cpuStall(), time.Since(t0))
	published := int(last - first + 1)
	minGot, lost, dups := published, 0, 0
	var clientDrops int64
	for i, l := range logs {
		got, dup := l.count(first, last)
		minGot, lost, dups = min(minGot, got), lost+published-got, dups+dup
		clientDrops += vs[i].Dropped()
	}
	hubDrops := (hub1.Drops - hub0.Drops) + (hub1.Skips - hub0.Skips)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(mbits(sent, wall), "Mbit/s-pub")
	b.ReportMetric(float64(published), "frames-published")
	b.ReportMetric(float64(minGot), "frames-recv-min")
	b.ReportMetric(float64(lost), "frames-lost")
	b.ReportMetric(float64(hubDrops), "hub-drops")
	b.ReportMetric(float64(clientDrops), "client-drops")
	b.ReportMetric(float64(gwDrops), "udp-drops-gw")
	b.ReportMetric(float64(hostDrops), "udp-drops-host")
	b.ReportMetric(stall, "cpu-stall-%")
	if rate := mbits(sent, wall); rate < 0.9*4 {
		b.Logf("WARNING: the publisher sent %.1f Mbit/s, not 4: it was starved of CPU (machine busy?)", rate)
	}
	verdict := "no frame loss"
	if lost > 0 || hubDrops > 0 || clientDrops > 0 {
		verdict = "FRAME LOSS"
	}
	b.Logf("fan-out: %d viewers of one camera at %.2f Mbit/s for %.1fs: %d frames published, each viewer received at least %d of them; "+
		"%d lost in total, %d duplicates, %d hub drops/skips, %d client drops; UDP datagrams dropped for a full receive buffer: %d at the gateway, %d host-wide; host short of CPU %.0f%% of the time: %s",
		viewers, mbits(sent, wall), wall.Seconds(), published, minGot, lost, dups, hubDrops, clientDrops, gwDrops, hostDrops, stall, verdict)
}

// BenchmarkLatency: the latency the gateway adds between a frame's RTP
// arrival and its WHEP send, for two recorded 4 Mbit/s cameras with one
// WHEP viewer each, over 550 frames (11 s; at most 20 s when the machine is
// too busy for 25 fps, and the log says so). Production code is unchanged;
// the gateway's Publisher and Source are wrapped (tapPublisher,
// tapSource):
//
//   - arrival: the time the WHIP server stamps on the last RTP packet
//     (marker bit) of a frame, as its Sink receives it (tapSink): the
//     earliest moment the frame is complete;
//   - dequeue: when the WHEP writer takes the frame from the viewer's
//     queue — the wrapper hands frames over an unbuffered channel (tapSub);
//   - send: when the WHEP writer has written every RTP packet of the frame
//     to pion (SRTP and the UDP socket write happen inside that call): after
//     each frame the wrapper offers a frame of a track the stream does not
//     have, which the writer ignores, and that hand-over completes only
//     when the writer is back waiting for frames.
//
// Frames are matched by the sequence number in their padding SEI. The
// reported latency (p50-ms, p99-ms, max-ms) is arrival → send: depacketizing,
// the live hub, the viewer queue, RTP packetizing, SRTP and the socket
// write, plus the wake-ups of the wrapper's goroutine (a few µs, more on a
// busy machine). dequeue-p50-ms and dequeue-p99-ms are arrival → dequeue.
// e2e-p50-ms and e2e-p99-ms are from the publisher's WriteSample to the pion
// viewer's frame, an upper bound that also holds the publisher, the
// loopback network and the viewer, including ~40 ms (one frame) for which
// pion's sample builder holds each frame until the next one starts.
// Frames the gateway drops (after a packet loss, until a keyframe) are not
// measured. cpu-stall-% is as in BenchmarkCameras: latencies measured while
// the host is short of CPU are scheduling delays more than the gateway's.
func BenchmarkLatency(b *testing.B) {
	const (
		streams = 2
		want    = 550 // frames measured
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l := newLatency()
	names := []string{"lat0", "lat1"}
	g := startGW(b, names, func(m *Manager) (webrtc.Publisher, webrtc.Source) {
		return tapPublisher{m, l}, tapSource{m, l}
	})
	defer g.close()

	var playing sync.WaitGroup
	playCtx, stop := context.WithCancel(ctx)
	var pubs []*whiptest.Publisher
	defer func() {
		stop()
		playing.Wait()
		for _, p := range pubs {
			_ = p.Close(context.Background())
		}
	}()
	for i, name := range names {
		pub, err := publishConnected(ctx, g.url(name, "whip"))
		if err != nil {
			b.Fatal(err)
		}
		pubs = append(pubs, pub)
		pl := &player{pub: pub, base: uint32(i) << 24, onSend: l.published}
		playing.Go(func() { _ = pl.run(playCtx) })
	}
	if !mqtttest.Within(20*time.Second, func() bool { return hubOf(g.m, "lat0") != nil && hubOf(g.m, "lat1") != nil }) {
		b.Fatal("the streams are not live")
	}
	quit := make(chan struct{})
	var readers sync.WaitGroup
	var vs []*whiptest.Viewer
	var logs []*viewerLog
	defer func() { close(quit); readers.Wait(); closeViewers(vs) }()
	for _, name := range names {
		v, lg := viewAll(ctx, b, g.url(name, "whep"), 1, quit, &readers, l.viewed)
		vs, logs = append(vs, v...), append(logs, lg...)
	}
	if !mqtttest.Within(30*time.Second, func() bool { return logs[0].max.Load() >= 0 && logs[1].max.Load() >= 0 }) {
		b.Fatal("a viewer received no frame")
	}
	l.active.Store(true)
	t0, stall0 := time.Now(), cpuStall()
	measured := func() int { l.mu.Lock(); defer l.mu.Unlock(); return len(l.sent) }
	mqtttest.Within(20*time.Second, func() bool { return measured() >= want })
	l.active.Store(false)
	wall := time.Since(t0)
	stall := stallPct(stall0, cpuStall(), wall)

	l.mu.Lock()
	sent, dequeue, e2e := slices.Clone(l.sent), slices.Clone(l.dequeue), slices.Clone(l.e2e)
	l.mu.Unlock()
	if len(sent) < want {
		b.Logf("WARNING: only %d frames measured in %.1fs (want %d)", len(sent), wall.Seconds(), want)
	}
	if fps := float64(len(sent)) / wall.Seconds(); fps < 0.9*streams*benchFPS {
		b.Logf("WARNING: %.1f frames/s measured, not %d: the publishers or viewers were starved of CPU (machine busy?), latencies include that", fps, streams*benchFPS)
	}
	p50, p99, pmax := quantiles(sent)
	d50, d99, _ := quantiles(dequeue)
	e50, e99, _ := quantiles(e2e)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(len(sent)), "frames")
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p99, "p99-ms")
	b.ReportMetric(pmax, "max-ms")
	b.ReportMetric(d50, "dequeue-p50-ms")
	b.ReportMetric(d99, "dequeue-p99-ms")
	b.ReportMetric(e50, "e2e-p50-ms")
	b.ReportMetric(e99, "e2e-p99-ms")
	b.ReportMetric(stall, "cpu-stall-%")
	b.Logf("added latency, RTP arrival (last packet) → WHEP send done, %d frames of %d cameras × 4 Mbit/s in %.1fs: p50 %.2f ms, p99 %.2f ms, max %.2f ms "+
		"(→ WHEP dequeue: p50 %.2f, p99 %.2f); publisher → viewer upper bound incl. ~40 ms sample-builder hold: p50 %.1f, p99 %.1f ms; host short of CPU %.0f%% of the time",
		len(sent), streams, wall.Seconds(), p50, p99, pmax, d50, d99, e50, e99, stall)
}

// countWriter discards what it is given and counts it.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// BenchmarkClipExport: one minute of one 4 Mbit/s camera (1,500 padded
// frames cut into 2 s fragments by fragment.Builder, as the pipeline cuts
// them) is put in a real store (in a temporary directory, so likely in the
// page cache); one op exports it as the playback API does: store.Range
// collects the fragments, mp4.WriteClip writes the MP4 (here to a counting
// io.Discard instead of a buffer). MB/s is of MP4 output; ms/min-video is
// the time per minute of video (one op); read-ms and mux-ms split it.
func BenchmarkClipExport(b *testing.B) {
	const stream = "clip"
	st, err := store.Open(store.Options{Dir: b.TempDir(), MinFreeDisk: -1, Durability: store.DurabilityNone, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clip := whiptest.Clip()
	fb := fragment.NewBuilder([]media.Track{{Codec: media.CodecH264}}, fragment.Options{})
	put := func(f *media.Fragment) {
		if f == nil || len(f.Frames) == 0 {
			return
		}
		f.Number = 0 // the store numbers it, as in the pipeline
		if err := st.Put(stream, f); err != nil {
			b.Fatal(err)
		}
	}
	const frames = 60 * benchFPS
	frameTicks := int64(90000 / benchFPS)
	for i := range frames {
		au := clip[i%len(clip)]
		f := media.Frame{Track: 0, PTS: int64(i) * frameTicks, Keyframe: whiptest.IsH264Keyframe(au),
			Data: padAU(nil, au, benchFrameBytes, uint32(i))}
		for _, frag := range fb.Add(f, t0.Add(time.Duration(i)*time.Second/benchFPS)) {
			put(frag)
		}
	}
	put(fb.Flush())

	ctx := context.Background()
	export := func() (read, mux time.Duration, size int64, nframes int) {
		start := time.Now()
		var frags []*media.Fragment
		if err := st.Range(ctx, stream, t0, t0.Add(time.Minute), func(f *media.Fragment) error {
			frags = append(frags, f)
			nframes += len(f.Frames)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		var w countWriter
		if err := mp4.WriteClip(&w, frags, mp4.ClipOptions{}); err != nil {
			b.Fatal(err)
		}
		return mid.Sub(start), time.Since(mid), w.n, nframes
	}
	_, _, size, n := export()
	if n != frames {
		b.Fatalf("the clip holds %d frames, want %d", n, frames)
	}
	b.SetBytes(size)
	b.ResetTimer()
	var read, mux time.Duration
	for range b.N {
		r, m, _, _ := export()
		read, mux = read+r, mux+m
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 / float64(b.N) }
	b.ReportMetric(ms(read+mux), "ms/min-video")
	b.ReportMetric(ms(read), "read-ms")
	b.ReportMetric(ms(mux), "mux-ms")
}
