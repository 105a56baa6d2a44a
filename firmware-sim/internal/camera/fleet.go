package camera

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// End says why a camera stopped.
type End string

// Ends.
const (
	EndDuration   End = "duration"   // Config.Duration elapsed
	EndStopped    End = "stopped"    // the context ended
	EndDisconnect End = "disconnect" // the DisconnectAfter fault
	EndLost       End = "lost"       // the connection failed or the server closed it
	EndError      End = "error"      // setup failed; see Result.Error
)

// Result is one camera's outcome; it is also the report's JSON.
type Result struct {
	N         int       `json:"n"`
	Target    string    `json:"target"`             // WHIP URL or RTP HOST:PORT
	Resource  string    `json:"resource,omitempty"` // WHIP session URL (Location)
	SDPFile   string    `json:"sdp_file,omitempty"`
	SDP       string    `json:"sdp,omitempty"`    // RTP mode
	Started   time.Time `json:"started,omitzero"` // when sending began
	DurationS float64   `json:"duration_s"`       // time spent sending
	Stats
	KbitS   float64 `json:"kbit_s"` // RTP bytes sent per second of DurationS, in kbit/s
	End     End     `json:"end"`
	Deleted bool    `json:"deleted"` // WHIP: the session was DELETEd
	Error   string  `json:"error,omitempty"`

	Err error `json:"-"` // the error behind Error
}

// Fleet is a set of cameras run together.
type Fleet struct {
	cfg     Config
	cams    []*Counters
	sending atomic.Int64
}

// New validates cfg and returns its fleet. The error wraps
// ErrInvalidConfig.
func New(cfg Config) (*Fleet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	f := &Fleet{cfg: cfg, cams: make([]*Counters, cfg.Count)}
	for i := range f.cams {
		f.cams[i] = new(Counters)
	}
	return f, nil
}

// Config returns the fleet's configuration, defaults applied.
func (f *Fleet) Config() Config { return f.cfg }

// Snapshot returns every camera's counters, camera 1 first.
func (f *Fleet) Snapshot() []Stats {
	out := make([]Stats, len(f.cams))
	for i, c := range f.cams {
		out[i] = c.Snapshot()
	}
	return out
}

// Sending returns how many cameras are sending now.
func (f *Fleet) Sending() int { return int(f.sending.Load()) }

// Run runs every camera until its Duration elapses, ctx ends, a fault
// disconnects it or its connection fails, and returns their results,
// camera 1 first. Cameras that cannot be set up report an error and do
// not hold the others back.
func (f *Fleet) Run(ctx context.Context) []Result {
	res := make([]Result, len(f.cams))
	var wg sync.WaitGroup
	for i := range f.cams {
		wg.Go(func() { res[i] = f.runCamera(ctx, i+1) })
	}
	wg.Wait()
	f.cfg.HTTPClient.CloseIdleConnections()
	return res
}

// link is where a camera's packets go.
type link interface {
	write(p *rtp.Packet) error
	lost() <-chan struct{} // closed when the connection is gone; nil: never
	close(clean bool) error
}

func (f *Fleet) runCamera(ctx context.Context, n int) Result {
	cfg, c := f.cfg, f.cams[n-1]
	r := Result{N: n, Target: cfg.TargetOf(n), End: EndError}
	fail := func(err error) Result {
		r.Err = fmt.Errorf("camera %d: %w", n, err)
		r.Error = r.Err.Error()
		return r
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(n)))
	var sending atomic.Pointer[sender] // set once sending starts; a PLI before that is moot
	onPLI := func() {
		c.PLIs.Add(1)
		if s := sending.Load(); s != nil {
			s.keyframeWanted.Store(true)
		}
	}
	var l link
	switch cfg.Mode {
	case WHIP:
		wl, err := dialWHIP(ctx, cfg, r.Target, onPLI)
		if err != nil {
			return fail(err)
		}
		r.Resource, l = wl.resource, wl
	case RTP:
		sdp, err := SDP(cfg.Clip, r.Target, n)
		if err != nil {
			return fail(err)
		}
		r.SDP, r.SDPFile = sdp, cfg.SDPFileOf(n)
		if r.SDPFile != "" {
			if err := os.WriteFile(r.SDPFile, []byte(sdp), 0o644); err != nil {
				return fail(err)
			}
		}
		rl, err := dialRTP(r.Target)
		if err != nil {
			return fail(err)
		}
		l = rl
	}

	start := time.Now()
	r.Started = start.UTC()
	s := newSender(cfg, rng, rtpPayloadType, start, c) // pion sets WHIP's payload type
	sending.Store(s)
	f.sending.Add(1)
	end, err := stream(ctx, cfg, s, l, start, c)
	f.sending.Add(-1)
	r.End = end
	r.DurationS = time.Since(start).Seconds()
	cerr := l.close(end != EndDisconnect && end != EndLost)
	r.Deleted = cfg.Mode == WHIP && end != EndDisconnect && end != EndLost && cerr == nil
	r.Stats = c.Snapshot()
	if r.DurationS > 0 {
		r.KbitS = math.Round(float64(r.Bytes)*8/r.DurationS/100) / 10 // kbit/s, one decimal
	}
	if err == nil && cerr != nil {
		err = fmt.Errorf("closing: %w", cerr)
	}
	if err != nil {
		r.Err = fmt.Errorf("camera %d: %w", n, err)
		r.Error = r.Err.Error()
	}
	return r
}

// stream runs s over l until the camera's end and says which it was.
func stream(ctx context.Context, cfg Config, s *sender, l link, start time.Time, c *Counters) (End, error) {
	write := func(p *rtp.Packet) {
		if err := l.write(p); err != nil {
			c.SendErrors.Add(1)
			return
		}
		c.Packets.Add(1)
		c.Bytes.Add(int64(p.MarshalSize()))
	}
	var stopAt, cutAt time.Time
	if cfg.Duration > 0 {
		stopAt = start.Add(cfg.Duration)
	}
	if cfg.Faults.DisconnectAfter > 0 {
		cutAt = start.Add(cfg.Faults.DisconnectAfter)
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		now := time.Now()
		// A late wake-up first sends the frames due before the end
		// (catch-up), so a run of D seconds sends D·FPS frames.
		switch {
		case !cutAt.IsZero() && !now.Before(cutAt):
			s.step(cutAt.Add(-1), write)
			return EndDisconnect, nil
		case !stopAt.IsZero() && !now.Before(stopAt):
			s.step(stopAt.Add(-1), write)
			s.finish(write)
			return EndDuration, nil
		}
		next := s.step(now, write)
		for _, t := range []time.Time{stopAt, cutAt} {
			if !t.IsZero() && t.Before(next) {
				next = t
			}
		}
		timer.Reset(next.Sub(now))
		select {
		case <-ctx.Done():
			s.finish(write)
			return EndStopped, nil
		case <-l.lost():
			return EndLost, fmt.Errorf("%w while sending", ErrConnectionLost)
		case <-timer.C:
		}
	}
}
