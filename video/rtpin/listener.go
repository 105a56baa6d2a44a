package rtpin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-edge/tributary/video/webrtc"
)

// Listener receives one stream of plain RTP over UDP and hands it to a
// webrtc.Publisher, one session at a time.
type Listener struct {
	cfg    Config
	pub    webrtc.Publisher
	tracks []TrackInfo
	binds  []string // per track, the address the RTP socket binds
	ssrc   uint32   // ours, for the RTCP we send
	tick   time.Duration
	ctr    counters

	// lastPacket is the Config.Now of the last packet handed to a Sink,
	// in Unix nanoseconds; active is whether a session runs. Both are
	// written under mu and read without it.
	lastPacket atomic.Int64
	byeAt      atomic.Int64 // the session's byeAt in Unix nanoseconds; 0 for none
	active     atomic.Bool
	source     atomic.Pointer[string]

	wg        sync.WaitGroup
	closeOnce sync.Once

	// mu guards what follows and serializes every call on a Sink.
	mu       sync.Mutex
	started  bool
	closing  bool
	socks    []*trackSocket
	stopCtx  func() bool
	sess     *session
	pending  []pendingSR // per track
	retryAt  time.Time   // no Publish before this, after a refusal
	refusals int         // consecutive refusals, for the log
}

// New checks cfg, reads cfg.SDPFile if set, and returns a Listener that
// publishes to pub once started. It opens no socket.
func New(cfg Config, pub webrtc.Publisher) (*Listener, error) {
	if pub == nil {
		return nil, fmt.Errorf("%w: Publisher is nil", ErrConfig)
	}
	cfg = cfg.withDefaults()
	if err := cfg.validateFields(); err != nil {
		return nil, err
	}
	text := cfg.SDP
	if cfg.SDPFile != "" {
		var err error
		if text, err = readSDPFile(cfg.SDPFile); err != nil {
			return nil, err
		}
	}
	tracks, binds, err := cfg.plan(text)
	if err != nil {
		return nil, err
	}
	l := &Listener{
		cfg: cfg, pub: pub, tracks: tracks, binds: binds,
		ssrc:    rand.Uint32(),
		tick:    min(max(cfg.IdleTimeout/4, 10*time.Millisecond), 250*time.Millisecond),
		pending: make([]pendingSR, len(tracks)),
	}
	return l, nil
}

// readSDPFile reads at most MaxSDPSize bytes of an SDP file.
func readSDPFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%w: SDPFile: %w", ErrConfig, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSDPSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: SDPFile %q: %w", ErrConfig, name, err)
	}
	if len(b) > MaxSDPSize {
		return nil, fmt.Errorf("%w: SDPFile %q: larger than %d bytes", ErrConfig, name, MaxSDPSize)
	}
	return b, nil
}

// Tracks returns the tracks in Publish order (SDP m-line order), with
// what the depacketizer of each needs. The result is the caller's.
func (l *Listener) Tracks() []TrackInfo {
	out := make([]TrackInfo, len(l.tracks))
	for i, t := range l.tracks {
		out[i] = t.clone()
	}
	return out
}

// Endpoints returns, per track, the addresses its sockets are bound to;
// nil before Start.
func (l *Listener) Endpoints() []Endpoint {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.socks == nil {
		return nil
	}
	out := make([]Endpoint, len(l.socks))
	for i, s := range l.socks {
		out[i] = s.endpoint()
	}
	return out
}

// Start opens one RTP socket per track (and, unless Config.NoRTCP, an RTCP
// socket on the port above it when that port is free) and starts one
// goroutine per socket. Cancelling ctx closes the Listener as Close does.
// A failed Start leaves nothing open, and may be retried.
func (l *Listener) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closing:
		return ErrClosed
	case l.started:
		return ErrStarted
	}
	socks := make([]*trackSocket, 0, len(l.binds))
	for i, addr := range l.binds {
		s, err := openTrackSocket(i, addr, !l.cfg.NoRTCP, l.cfg.ReadBuffer, l.cfg.Logger)
		if err != nil {
			for _, s := range socks {
				s.close()
			}
			return fmt.Errorf("rtpin: track %d (%s): %w", i, l.tracks[i].Track.Codec, err)
		}
		socks = append(socks, s)
	}
	l.started, l.socks = true, socks
	for _, s := range socks {
		l.wg.Add(1)
		go l.readRTP(s)
		if s.rtcp != nil {
			l.wg.Add(1)
			go l.readRTCP(s)
		}
		l.cfg.Logger.Info("rtpin: listening", "stream", l.cfg.Stream, "track", s.index,
			"codec", l.tracks[s.index].Track.Codec.String(), "rtp", s.endpoint().RTP.String(), "rtcp", s.endpoint().RTCP.String())
	}
	l.stopCtx = context.AfterFunc(ctx, func() { _ = l.Close() })
	return nil
}

// Close stops receiving, waits for the socket goroutines to exit and ends
// the running session (Sink.Close). It is idempotent: every call returns
// after the first has finished. A Listener cannot be started again.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closing = true
		socks, stop := l.socks, l.stopCtx
		l.mu.Unlock()
		if stop != nil {
			stop()
		}
		var errs []error
		for _, s := range socks {
			errs = append(errs, s.close())
		}
		l.wg.Wait()
		l.mu.Lock()
		l.endLocked("listener closed")
		l.mu.Unlock()
		if err := errors.Join(errs...); err != nil {
			l.cfg.Logger.Warn("rtpin: closing sockets", "stream", l.cfg.Stream, "err", err)
		}
	})
	return nil
}
