package camera

// Helpers for bench_test.go: 4 Mbit/s numbered test streams, a gateway on
// loopback for benchmarks, a WHIP publisher child process, the process's CPU
// time and RSS, and the taps that time frames through the gateway.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/tributary-edge/tributary/video/depack"
	"github.com/tributary-edge/tributary/video/live"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/store"
	"github.com/tributary-edge/tributary/video/webrtc"
	"github.com/tributary-edge/tributary/video/webrtc/whiptest"
)

const (
	// benchFPS and benchFrameBytes make 4 Mbit/s: 25 × 20,000 × 8.
	benchFPS        = whiptest.ClipFPS
	benchFrameBytes = 20000
	// childEnv, when set, makes the test binary a WHIP publisher child
	// (runPublisherChild) for the space-separated WHIP URLs it holds.
	childEnv = "TRIBUTARY_BENCH_WHIP_CHILD"
)

// TestMain runs the publisher child when childEnv is set, else the tests.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runPublisherChild())
	}
	os.Exit(m.Run())
}

// seiUUID starts the payload of the padding SEI; it holds no zero byte, so
// the SEI needs no emulation prevention (H.264 §7.4.1).
var seiUUID = []byte("tributary-bench!")

// padAU appends to dst the access unit au with an SEI NAL unit of type
// user_data_unregistered (H.264 §7.3.2.3.1, D.1.6: payloadType 5, a 16-byte
// UUID, then payload bytes) inserted ahead of its first slice (§7.4.1.2.3),
// sized so that the access unit is size bytes (or just over, when au alone
// is near size). The SEI's payload carries seq as 8 hex digits after the
// UUID, so a frame can be recognised anywhere along the path. Filler data
// (type 12) would not do: pion's payloader drops it before it is sent, and
// so does the gateway's depacketizer; SEI is kept end to end.
func padAU(dst, au []byte, size int, seq uint32) []byte {
	const minPayload = 16 + 8
	seiLen := func(ps int) int { return 4 + 1 + 1 + (ps/255 + 1) + ps + 1 } // start code, header, type, size, payload, trailing bits
	ps := max(size-len(au)-seiLen(0), minPayload)
	for ps > minPayload && len(au)+seiLen(ps) > size {
		ps--
	}
	nals := whiptest.NALUnits(au)
	inserted := false
	for _, nal := range nals {
		if t := nal[0] & 0x1f; !inserted && (t == 1 || t == 5) {
			dst = append(dst, 0, 0, 0, 1, 0x06, 0x05)
			for n := ps; ; n -= 255 {
				if n < 255 {
					dst = append(dst, byte(n))
					break
				}
				dst = append(dst, 0xff)
			}
			dst = append(dst, seiUUID...)
			dst = fmt.Appendf(dst, "%08x", seq)
			for range ps - minPayload {
				dst = append(dst, 'x')
			}
			dst = append(dst, 0x80) // rbsp_trailing_bits
			inserted = true
		}
		dst = append(append(dst, 0, 0, 0, 1), nal...)
	}
	return dst
}

// The benchmarks' padding reaches the store: an access unit padAU made is
// benchFrameBytes long, numbered, and comes out of pion's payloader (what
// whiptest's publisher uses) and the gateway's depacketizer byte for byte;
// filler data, the other way to pad, does not survive the payloader.
func TestBenchPadding(t *testing.T) {
	clip := whiptest.Clip()
	p := rtp.NewPacketizerWithOptions(1200, &codecs.H264Payloader{}, rtp.NewRandomSequencer(), 90000)
	d := depack.New(media.CodecH264, depack.Options{})
	var want [][]byte
	var got []media.Frame
	at := time.Unix(0, 0)
	for i, au := range clip {
		seq := uint32(i) + 0xab<<24
		padded := padAU(nil, au, benchFrameBytes, seq)
		if len(padded) < benchFrameBytes-1 || len(padded) > benchFrameBytes {
			t.Fatalf("unit %d: padded to %d bytes, want %d", i, len(padded), benchFrameBytes)
		}
		if s, ok := seqOf(padded); !ok || s != seq {
			t.Fatalf("unit %d: seqOf = %x, %v; want %x", i, s, ok, seq)
		}
		want = append(want, padded)
		for _, pkt := range p.Packetize(padded, 90000/benchFPS) {
			at = at.Add(time.Millisecond)
			fs, err := d.Push(pkt, at)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fs...)
		}
	}
	fs, _ := d.Flush()
	got = append(got, fs...)
	if len(got) != len(want) {
		t.Fatalf("%d frames out of the depacketizer, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].Data, want[i]) {
			t.Fatalf("frame %d: %d bytes differ from the %d sent", i, len(got[i].Data), len(want[i]))
		}
	}
	filler := append([]byte{0, 0, 0, 1, 0x0c}, bytes.Repeat([]byte{0xff}, 5000)...)
	filler = append(append(filler, 0x80), clip[1]...)
	sent := 0
	for _, pl := range (&codecs.H264Payloader{}).Payload(1200, filler) {
		sent += len(pl)
	}
	if sent > len(clip[1])+100 {
		t.Errorf("pion's payloader sent %d bytes of a %d-byte unit with %d bytes of filler: filler is no longer dropped, the benchmarks' doc is out of date", sent, len(filler), len(filler)-len(clip[1]))
	}
}

// seqOf finds the sequence number padAU put in data: an access unit, or an
// RTP payload that holds the start of the SEI.
func seqOf(data []byte) (uint32, bool) {
	i := bytes.Index(data, seiUUID)
	if i < 0 || i+len(seiUUID)+8 > len(data) {
		return 0, false
	}
	i += len(seiUUID)
	v, err := strconv.ParseUint(string(data[i:i+8]), 16, 32)
	return uint32(v), err == nil
}

// player sends the test clip on a WHIP publisher at 25 fps, each access
// unit padded to benchFrameBytes and numbered base+n (n from 0), looping;
// like a camera it answers a keyframe request by jumping to the clip's next
// keyframe.
type player struct {
	pub    *whiptest.Publisher
	base   uint32
	onSend func(seq uint32, at time.Time) // optional, called before each send
	next   atomic.Int64                   // frames sent
	bytes  atomic.Int64                   // access-unit bytes sent
}

func (p *player) run(ctx context.Context) error {
	clip := whiptest.Clip()
	key := make([]bool, len(clip))
	for i, au := range clip {
		key[i] = whiptest.IsH264Keyframe(au)
	}
	d := time.Second / benchFPS
	tick := time.NewTicker(d)
	defer tick.Stop()
	buf := make([]byte, 0, benchFrameBytes+len(clip[0]))
	for i := 0; ; {
		select {
		case <-ctx.Done():
			return nil
		case <-p.pub.Keyframes():
			for n := 1; n < len(clip); n++ {
				if j := (i + n) % len(clip); key[j] {
					i = j
					break
				}
			}
			continue
		case <-tick.C:
		}
		seq := p.base + uint32(p.next.Load())
		buf = padAU(buf[:0], clip[i], benchFrameBytes, seq)
		if p.onSend != nil {
			p.onSend(seq, time.Now())
		}
		if err := p.pub.WriteSample(0, buf, d); err != nil {
			return err
		}
		p.next.Add(1)
		p.bytes.Add(int64(len(buf)))
		i = (i + 1) % len(clip)
	}
}

// publishConnected publishes H.264 to url and waits until connected.
func publishConnected(ctx context.Context, url string) (*whiptest.Publisher, error) {
	p, err := whiptest.Publish(ctx, url, "", media.CodecH264)
	if err != nil {
		return nil, err
	}
	select {
	case <-p.Connected():
		return p, nil
	case <-ctx.Done():
		p.Abandon()
		return nil, fmt.Errorf("publisher %s not connected: %w", url, ctx.Err())
	}
}

// benchGW is a gateway on loopback: a WHIP/WHEP server in front of a
// Manager over a fresh store, or of a publisher that discards.
type benchGW struct {
	st  *store.Store // nil when discarding
	m   *Manager     // nil when discarding
	srv *webrtc.Server
	hs  *httptest.Server
}

func (g *benchGW) url(stream, kind string) string { return g.hs.URL + "/video/" + stream + "/" + kind }

// startGW starts a recording Manager over a store in a temporary directory
// (fsync durability, the default) for streams, behind a server that
// accepts only loopback candidates. tap, when set, wraps the Manager as the
// server's Publisher and Source.
func startGW(b *testing.B, streams []string, tap func(*Manager) (webrtc.Publisher, webrtc.Source)) *benchGW {
	b.Helper()
	quiet := slog.New(slog.DiscardHandler)
	st, err := store.Open(store.Options{Dir: b.TempDir(), MinFreeDisk: -1, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	cfgs := make([]Config, len(streams))
	for i, s := range streams {
		cfgs[i] = Config{Name: s, Record: true}
	}
	m, err := New(st, cfgs, Options{Logger: quiet})
	if err != nil {
		st.Close()
		b.Fatal(err)
	}
	var pub webrtc.Publisher = m
	var src webrtc.Source = m
	if tap != nil {
		pub, src = tap(m)
	}
	g := &benchGW{st: st, m: m}
	g.serve(b, pub, src, m.Authorize)
	return g
}

// startDiscardGW starts the same server with a Publisher whose sinks drop
// every packet: what WHIP reception costs without the pipeline.
func startDiscardGW(b *testing.B) *benchGW {
	b.Helper()
	g := &benchGW{}
	g.serve(b, discardPublisher{}, nil, func(string, string) bool { return true })
	return g
}

func (g *benchGW) serve(b *testing.B, pub webrtc.Publisher, src webrtc.Source, auth func(string, string) bool) {
	b.Helper()
	srv, err := webrtc.New(webrtc.Config{
		ICEAddr: "127.0.0.1:0", IPFilter: func(ip net.IP) bool { return ip.IsLoopback() },
		Authorize: auth, Logger: slog.New(slog.DiscardHandler),
	}, pub, src)
	if err != nil {
		g.close()
		b.Fatal(err)
	}
	g.srv = srv
	mux := http.NewServeMux()
	for _, p := range srv.Patterns() {
		mux.Handle(p, srv)
	}
	g.hs = httptest.NewServer(mux)
}

// close stops the gateway in the fixture's order: HTTP, server, manager,
// store.
func (g *benchGW) close() {
	if g.hs != nil {
		g.hs.Close()
	}
	if g.srv != nil {
		g.srv.Close()
	}
	if g.m != nil {
		g.m.Close()
	}
	if g.st != nil {
		g.st.Close()
	}
	http.DefaultClient.CloseIdleConnections()
}

// hubOf returns the live hub of a published stream, or nil.
func hubOf(m *Manager, stream string) *live.Hub {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k := m.cams[stream]; k != nil {
		return k.hub
	}
	return nil
}

type discardPublisher struct{}

func (discardPublisher) Publish(string, []media.Track, webrtc.KeyframeRequester) (webrtc.Sink, error) {
	return discardSink{}, nil
}

type discardSink struct{}

func (discardSink) WriteRTP(int, *rtp.Packet, time.Time)                 {}
func (discardSink) WriteSenderReport(int, *rtcp.SenderReport, time.Time) {}
func (discardSink) Close()                                               {}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procMiB reads a kB field of /proc/self/status (VmRSS, VmHWM) in MiB; 0
// where there is none.
func procMiB(field string) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// udpRcvbufErrors is the kernel's count of UDP datagrams dropped because a
// socket's receive buffer was full (RcvbufErrors in /proc/net/snmp). It is
// for the whole network namespace, so other programs' drops count too; -1
// where it cannot be read.
func udpRcvbufErrors() int64 {
	raw, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return -1
	}
	var names []string
	for line := range strings.Lines(string(raw)) {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(f) {
				v, err := strconv.ParseInt(f[i], 10, 64)
				if err != nil {
					return -1
				}
				return v
			}
		}
	}
	return -1
}

// socketDrops is the kernel's count of datagrams dropped at the server's
// ICE socket (the drops column of /proc/net/udp, found by local port): its
// receive buffer was full because the gateway did not read fast enough;
// -1 where it cannot be read.
func (g *benchGW) socketDrops() int64 {
	var port int
	for _, a := range g.srv.ICEAddrs() {
		if u, ok := a.(*net.UDPAddr); ok {
			port = u.Port
		}
	}
	raw, err := os.ReadFile("/proc/net/udp")
	if err != nil || port == 0 {
		return -1
	}
	suffix := fmt.Sprintf(":%04X", port)
	for line := range strings.Lines(string(raw)) {
		f := strings.Fields(line)
		if len(f) < 13 || !strings.HasSuffix(f[1], suffix) {
			continue
		}
		v, err := strconv.ParseInt(f[len(f)-1], 10, 64)
		if err != nil {
			return -1
		}
		return v
	}
	return -1
}

// cpuStall is the host's total time (since boot) in which some runnable
// task waited for a CPU: the "some" line of /proc/pressure/cpu (PSI, Linux
// 4.20+); -1 where it cannot be read. Over a window, its growth divided by
// the window is the share of time the machine was short of CPU.
func cpuStall() time.Duration {
	raw, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(raw)) {
		rest, ok := strings.CutPrefix(line, "some ")
		if !ok {
			continue
		}
		for _, f := range strings.Fields(rest) {
			if v, ok := strings.CutPrefix(f, "total="); ok {
				us, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return -1
				}
				return time.Duration(us) * time.Microsecond
			}
		}
	}
	return -1
}

// stallPct is the share (%) of wall in which the host was short of CPU,
// from cpuStall readings s0 and s1 (-1 when either is missing).
func stallPct(s0, s1, wall time.Duration) float64 {
	if s0 < 0 || s1 < 0 {
		return -1
	}
	return 100 * (s1 - s0).Seconds() / wall.Seconds()
}

// resetPeakRSS makes VmHWM start again from VmRSS (Linux 4.0+: writing 5
// to clear_refs); it does nothing where that is not possible.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// pubChild is the test binary re-run as WHIP publishers, so that their CPU
// time is not the gateway's. It speaks lines: it prints "ready" once every
// publisher is connected and sending; "start" and "stop" on its stdin mark
// the measured window, after which it prints
// "done CPU_NS WALL_NS FRAMES BYTES ERRORS" (its own CPU time in the window,
// the frames and access-unit bytes it sent) and exits.
type pubChild struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	lines  chan string
	stderr bytes.Buffer
}

func startPublisherChild(b *testing.B, urls []string) *pubChild {
	b.Helper()
	c := &pubChild{lines: make(chan string, 16)}
	c.cmd = exec.Command(os.Args[0], "-test.run=^$")
	c.cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(urls, " "))
	c.cmd.Stderr = &c.stderr
	var err error
	if c.in, err = c.cmd.StdinPipe(); err != nil {
		b.Fatal(err)
	}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	return c
}

// expect waits for the child's next line, which must start with prefix.
func (c *pubChild) expect(prefix string, timeout time.Duration) (string, error) {
	select {
	case l, ok := <-c.lines:
		if !ok {
			return "", fmt.Errorf("publisher child ended before %q", prefix)
		}
		if !strings.HasPrefix(l, prefix) {
			return "", fmt.Errorf("publisher child said %q, want %q", l, prefix)
		}
		return l, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("publisher child: no %q within %v", prefix, timeout)
	}
}

func (c *pubChild) say(line string) error {
	_, err := io.WriteString(c.in, line+"\n")
	return err
}

// wait closes its stdin and waits for it to exit (killing it after a
// while); the error quotes its stderr.
func (c *pubChild) wait() error {
	_ = c.in.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("publisher child: %v: %s", err, c.stderr.String())
		}
		return nil
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
		return fmt.Errorf("publisher child killed: it did not exit: %s", c.stderr.String())
	}
}

// runPublisherChild is the child's main (see pubChild).
func runPublisherChild() int {
	urls := strings.Fields(os.Getenv(childEnv))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pubs := make([]*whiptest.Publisher, len(urls))
	errs := make([]error, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() { pubs[i], errs[i] = publishConnected(ctx, u) })
	}
	wg.Wait()
	closeAll := func() {
		var wg sync.WaitGroup
		for _, p := range pubs {
			if p != nil {
				wg.Go(func() { _ = p.Close(context.Background()) })
			}
		}
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			closeAll()
			return 1
		}
	}
	playCtx, stop := context.WithCancel(ctx)
	players := make([]*player, len(pubs))
	var failures atomic.Int64
	var playing sync.WaitGroup
	for i, p := range pubs {
		players[i] = &player{pub: p, base: uint32(i) << 24}
		playing.Go(func() {
			if err := players[i].run(playCtx); err != nil {
				failures.Add(1)
				fmt.Fprintln(os.Stderr, "player:", err)
			}
		})
	}
	defer func() { stop(); playing.Wait(); closeAll() }()
	sent := func() (frames, bytes int64) {
		for _, p := range players {
			frames += p.next.Load()
			bytes += p.bytes.Load()
		}
		return
	}
	fmt.Println("ready")
	var cpu0 time.Duration
	var t0 time.Time
	var frames0, bytes0 int64
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "start":
			cpu0, t0 = cpuTime(), time.Now()
			frames0, bytes0 = sent()
		case "stop":
			cpu, wall := cpuTime()-cpu0, time.Since(t0)
			frames, bytes := sent()
			fmt.Printf("done %d %d %d %d %d\n", cpu, wall, frames-frames0, bytes-bytes0, failures.Load())
			return 0
		}
	}
	return 1 // stdin closed early: the parent is gone
}

// latency times frames through the gateway, keyed by the sequence number
// in their padding SEI. Its methods are safe for concurrent use.
type latency struct {
	active atomic.Bool // record only while set

	mu      sync.Mutex
	pubSent map[uint32]time.Time // the publisher's WriteSample
	arrived map[uint32]time.Time // the frame's last RTP packet at the gateway
	dequeue []time.Duration      // arrival → the WHEP writer takes the frame
	sent    []time.Duration      // arrival → the WHEP writer has sent it
	e2e     []time.Duration      // WriteSample → the viewer's frame complete
}

func newLatency() *latency {
	return &latency{pubSent: map[uint32]time.Time{}, arrived: map[uint32]time.Time{}}
}

func (l *latency) published(seq uint32, at time.Time) {
	if l.active.Load() {
		l.mu.Lock()
		l.pubSent[seq] = at
		l.mu.Unlock()
	}
}

func (l *latency) arrive(seq uint32, at time.Time) {
	if l.active.Load() {
		l.mu.Lock()
		l.arrived[seq] = at
		l.mu.Unlock()
	}
}

func (l *latency) written(seq uint32, taken, sent time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a, ok := l.arrived[seq]; ok {
		delete(l.arrived, seq)
		l.dequeue = append(l.dequeue, taken.Sub(a))
		l.sent = append(l.sent, sent.Sub(a))
	}
}

func (l *latency) viewed(seq uint32, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.pubSent[seq]; ok {
		delete(l.pubSent, seq)
		l.e2e = append(l.e2e, at.Sub(s))
	}
}

// tapPublisher is the Manager as webrtc.Publisher, its sinks wrapped by
// tapSink.
type tapPublisher struct {
	*Manager
	l *latency
}

func (p tapPublisher) Publish(stream string, tracks []media.Track, kf webrtc.KeyframeRequester) (webrtc.Sink, error) {
	s, err := p.Manager.Publish(stream, tracks, kf)
	if err != nil {
		return nil, err
	}
	return &tapSink{Sink: s, l: p.l}, nil
}

// tapSink notes the arrival time the server gives the last packet (marker
// bit) of each video frame whose sequence number it found, then passes the
// packet on. Calls on a Sink never overlap, so it needs no lock.
type tapSink struct {
	webrtc.Sink
	l     *latency
	ts    uint32
	seq   uint32
	found bool
}

func (s *tapSink) WriteRTP(track int, pkt *rtp.Packet, arrival time.Time) {
	if track == 0 {
		if pkt.Timestamp != s.ts {
			s.ts, s.found = pkt.Timestamp, false
		}
		if !s.found {
			s.seq, s.found = seqOf(pkt.Payload)
		}
		if pkt.Marker && s.found {
			s.l.arrive(s.seq, arrival)
		}
	}
	s.Sink.WriteRTP(track, pkt, arrival)
}

// tapSource is the Manager as webrtc.Source, its subscriptions wrapped by
// tapSub.
type tapSource struct {
	*Manager
	l *latency
}

func (s tapSource) View(stream string, queueLen int) ([]media.Track, webrtc.Subscription, error) {
	tracks, sub, err := s.Manager.View(stream, queueLen)
	if err != nil {
		return nil, nil, err
	}
	t := &tapSub{inner: sub, out: make(chan media.Frame), stop: make(chan struct{}), done: make(chan struct{}), l: s.l}
	go t.run()
	return tracks, t, nil
}

// tapSub hands the viewer queue's frames to the WHEP writer through an
// unbuffered channel, so a send completes when the writer takes the frame.
// After each frame it sends a marker frame of a track the stream does not
// have, which the writer ignores (whepSession.write returns at once for a
// track it has no writer for): that send completes only when the writer is
// back in its select, i.e. once it has written every packet of the frame.
type tapSub struct {
	inner      webrtc.Subscription
	out        chan media.Frame
	stop, done chan struct{}
	closeOnce  sync.Once
	l          *latency
}

func (t *tapSub) Frames() <-chan media.Frame { return t.out }

func (t *tapSub) Close() {
	t.closeOnce.Do(func() {
		close(t.stop)
		t.inner.Close()
		<-t.done
	})
}

func (t *tapSub) run() {
	defer close(t.done)
	defer close(t.out)
	marker := media.Frame{Track: 255} // beyond the stream's tracks
	for f := range t.inner.Frames() {
		select {
		case t.out <- f:
		case <-t.stop:
			return
		}
		taken := time.Now()
		select {
		case t.out <- marker:
		case <-t.stop:
			return
		}
		sent := time.Now()
		if f.Track == 0 {
			if seq, ok := seqOf(f.Data); ok {
				t.l.written(seq, taken, sent)
			}
		}
	}
}

// quantiles returns the p50, p99 and maximum of ds in milliseconds.
func quantiles(ds []time.Duration) (p50, p99, maxMS float64) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	return ms(s[len(s)/2]), ms(s[min(len(s)-1, len(s)*99/100)]), ms(s[len(s)-1])
}
