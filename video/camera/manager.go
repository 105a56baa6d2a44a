package camera

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/tributary-edge/tributary/video/live"
	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/store"
	"github.com/tributary-edge/tributary/video/webrtc"
)

// Options configure a Manager.
type Options struct {
	// WriteQueue bounds the fragments waiting for the store (default two
	// per stream, at least 4: streams asked for keyframes together finish
	// their fragments together).
	WriteQueue int
	// Tick is how often sessions release buffered packets and the
	// schedules are checked (default 20ms).
	Tick time.Duration
	// Now is the clock (default time.Now); schedules read its local time.
	Now    func() time.Time
	Logger *slog.Logger
}

// Manager runs the configured video streams.
type Manager struct {
	st   *store.Store
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	cams    map[string]*cam
	closed  bool
	writes  chan write
	done    chan struct{}
	stopped context.CancelFunc
	wg      sync.WaitGroup
}

// cam is one configured stream; its fields are under Manager.mu.
type cam struct {
	cfg     Config
	sess    *session // the publishing session, or nil
	hub     *live.Hub
	tracks  []media.Track
	record  bool  // recording now
	manual  *bool // SetRecording's override until the schedule's next boundary
	lastWin bool  // the schedule's state at the last check
	kf      webrtc.KeyframeRequester
	stats   counters
}

// New starts a manager over st for cfgs; each stream's retention is set
// in the store.
func New(st *store.Store, cfgs []Config, opts Options) (*Manager, error) {
	if opts.WriteQueue <= 0 {
		opts.WriteQueue = max(4, 2*len(cfgs))
	}
	if opts.Tick <= 0 {
		opts.Tick = 20 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	m := &Manager{st: st, opts: opts, log: opts.Logger, cams: map[string]*cam{}, writes: make(chan write, opts.WriteQueue), done: make(chan struct{})}
	now := opts.Now()
	for i := range cfgs {
		c := cfgs[i]
		if err := c.Validate(); err != nil {
			return nil, err
		}
		if _, dup := m.cams[c.Name]; dup {
			return nil, fmt.Errorf("%w: stream %q configured twice", ErrInvalidConfig, c.Name)
		}
		if err := st.SetLimits(c.Name, c.Retention); err != nil {
			return nil, fmt.Errorf("video stream %s: retention: %w", c.Name, err)
		}
		k := &cam{cfg: c, record: c.Record}
		if len(c.Schedule) > 0 {
			k.lastWin = scheduled(c.Schedule, now.Local())
			k.record = k.lastWin
		}
		m.cams[c.Name] = k
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.stopped = cancel
	m.wg.Add(2)
	go m.runWriter()
	go m.runClock(ctx)
	return m, nil
}

// Close ends every session, stores what they hold and waits.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	var sessions []*session
	for _, k := range m.cams {
		if k.sess != nil {
			sessions = append(sessions, k.sess)
		}
	}
	m.mu.Unlock()
	for _, s := range sessions {
		s.Close()
	}
	m.stopped()
	close(m.done)
	m.wg.Wait()
}

// Authorize implements the WHIP server's check: a configured stream and
// its token.
func (m *Manager) Authorize(stream, token string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.cams[stream]
	return k != nil && (k.cfg.Token == "" || k.cfg.Token == token)
}

// AuthorizeView is the WHEP check.
func (m *Manager) AuthorizeView(stream, token string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.cams[stream]
	return k != nil && (k.cfg.ViewToken == "" || k.cfg.ViewToken == token)
}

// Publish implements webrtc.Publisher (and serves the RTP listener).
func (m *Manager) Publish(stream string, tracks []media.Track, kf webrtc.KeyframeRequester) (webrtc.Sink, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	k := m.cams[stream]
	if k == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownStream, stream)
	}
	if k.sess != nil {
		return nil, fmt.Errorf("%w: %s already has a publisher", webrtc.ErrStreamBusy, stream)
	}
	next, err := m.st.NextNumber(stream)
	if err != nil {
		return nil, err
	}
	s := newSession(m, k, tracks, kf, next)
	k.sess, k.tracks, k.kf = s, tracks, kf
	k.hub = s.hub
	k.stats.sessions.Add(1)
	m.log.Info("video publisher connected", "stream", stream, "tracks", trackNames(tracks), "recording", k.record)
	return s, nil
}

// ended is called by a session's Close.
func (m *Manager) ended(k *cam, s *session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k.sess == s {
		k.sess, k.hub, k.kf = nil, nil, nil
	}
	m.log.Info("video publisher gone", "stream", k.cfg.Name)
}

// View implements webrtc.Source.
func (m *Manager) View(stream string, queueLen int) ([]media.Track, webrtc.Subscription, error) {
	m.mu.Lock()
	k := m.cams[stream]
	if k == nil || k.hub == nil {
		m.mu.Unlock()
		return nil, nil, fmt.Errorf("%w: nobody publishes %q", webrtc.ErrNoStream, stream)
	}
	hub, tracks := k.hub, k.tracks
	m.mu.Unlock()
	return tracks, hub.Subscribe(queueLen), nil
}

// RequestKeyframe implements webrtc.Source.
func (m *Manager) RequestKeyframe(stream string) {
	m.mu.Lock()
	var kf webrtc.KeyframeRequester
	if k := m.cams[stream]; k != nil {
		kf = k.kf
	}
	m.mu.Unlock()
	if kf != nil {
		kf.RequestKeyframe()
	}
}

// SetRecording starts or stops recording a stream; with a schedule, until
// the schedule's next boundary.
func (m *Manager) SetRecording(stream string, on bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.cams[stream]
	if k == nil {
		return fmt.Errorf("%w: %q", ErrUnknownStream, stream)
	}
	k.manual = &on
	m.setRecord(k, on)
	return nil
}

// setRecord changes a stream's recording state (m.mu held).
func (m *Manager) setRecord(k *cam, on bool) {
	if k.record == on {
		return
	}
	k.record = on
	m.log.Info("video recording", "stream", k.cfg.Name, "on", on)
	if k.sess != nil {
		k.sess.setRecording(on)
	}
}

// runClock checks the schedules and lets sessions release what their
// reorder buffers hold.
func (m *Manager) runClock(ctx context.Context) {
	defer m.wg.Done()
	t := time.NewTicker(m.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := m.opts.Now()
		var sessions []*session
		m.mu.Lock()
		for _, k := range m.cams {
			if len(k.cfg.Schedule) > 0 {
				win := scheduled(k.cfg.Schedule, now.Local())
				if win != k.lastWin {
					k.lastWin, k.manual = win, nil // a boundary ends an override
				}
				if k.manual == nil {
					m.setRecord(k, win)
				}
			}
			if k.sess != nil {
				sessions = append(sessions, k.sess)
			}
		}
		m.mu.Unlock()
		for _, s := range sessions {
			s.advance(now)
		}
	}
}

// Status is one stream's state and counters.
type Status struct {
	Name       string
	Live       bool
	Recording  bool
	Tracks     []media.Track
	Viewers    int
	Sessions   int64 // publishing sessions so far
	Frames     int64 // frames received
	Fragments  int64 // fragments stored
	Dropped    int64 // fragments dropped: the write queue was full
	Denied     int64 // fragments refused by a full store (deny_new)
	WriteErrs  int64 // other store errors
	LostFrames int64 // frames dropped for loss until a keyframe
	Usage      store.Usage
	Limits     store.Limits
	LastError  string
}

// Status returns every stream's state, by name.
func (m *Manager) Status() []Status {
	m.mu.Lock()
	out := make([]Status, 0, len(m.cams))
	for _, k := range m.cams {
		s := Status{Name: k.cfg.Name, Live: k.sess != nil, Recording: k.record, Tracks: k.tracks, Limits: k.cfg.Retention}
		if k.hub != nil {
			s.Viewers = k.hub.Stats().Viewers
		}
		k.stats.fill(&s)
		out = append(out, s)
	}
	m.mu.Unlock()
	for i := range out {
		u, err := m.st.Usage(out[i].Name)
		if err == nil {
			out[i].Usage = u
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// StreamStatus returns one stream's state.
func (m *Manager) StreamStatus(stream string) (Status, error) {
	for _, s := range m.Status() {
		if s.Name == stream {
			return s, nil
		}
	}
	return Status{}, fmt.Errorf("%w: %q", ErrUnknownStream, stream)
}

// Has reports whether stream is configured.
func (m *Manager) Has(stream string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cams[stream] != nil
}

func trackNames(ts []media.Track) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Codec.String()
	}
	return out
}
