package live

import (
	"sync"
	"sync/atomic"

	"github.com/tributary-edge/tributary/video/media"
)

// DefaultQueueLen is the queue length Subscribe uses when asked for less
// than one frame.
const DefaultQueueLen = 64

// Options configure a Hub.
type Options struct {
	// OnKeyframeNeeded, when set, is called once per Subscribe, after the
	// new viewer is registered and without any hub lock held, so the caller
	// can ask the source for a keyframe. It must not block for long.
	OnKeyframeNeeded func()
}

// Stats is a snapshot of a hub's counters.
type Stats struct {
	// Viewers is the number of viewers subscribed now.
	Viewers int
	// FramesIn counts frames published.
	FramesIn uint64
	// FramesOut counts frames queued to viewers (one per viewer per frame).
	FramesOut uint64
	// Drops counts frames lost because a viewer's queue was full.
	Drops uint64
	// Skips counts delta frames not sent because the viewer's track was
	// waiting for a keyframe (after joining or after a drop).
	Skips uint64
}

// Hub fans frames out to viewers. Its methods are safe for concurrent use.
// The zero value is not usable; use NewHub.
type Hub struct {
	opts Options

	mu      sync.Mutex
	viewers map[*Viewer]struct{}
	closed  bool

	framesIn  atomic.Uint64
	framesOut atomic.Uint64
	drops     atomic.Uint64
	skips     atomic.Uint64
}

// NewHub returns an open hub with no viewers.
func NewHub(opts Options) *Hub {
	return &Hub{opts: opts, viewers: make(map[*Viewer]struct{})}
}

// Publish offers f to every viewer and returns without waiting for any of
// them. After Close it does nothing.
func (h *Hub) Publish(f media.Frame) {
	h.framesIn.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	for v := range h.viewers {
		v.offer(f)
	}
}

// Subscribe registers a viewer with a queue of queueLen frames (values below
// one mean DefaultQueueLen). Every track of the viewer starts at its next
// keyframe. After Close it returns a viewer whose Frames channel is closed.
func (h *Hub) Subscribe(queueLen int) *Viewer {
	if queueLen < 1 {
		queueLen = DefaultQueueLen
	}
	v := &Viewer{hub: h, ch: make(chan media.Frame, queueLen)}
	v.waitAll()
	h.mu.Lock()
	if h.closed {
		v.closed = true
		close(v.ch)
		h.mu.Unlock()
		return v
	}
	h.viewers[v] = struct{}{}
	h.mu.Unlock()
	if h.opts.OnKeyframeNeeded != nil {
		h.opts.OnKeyframeNeeded()
	}
	return v
}

// Close closes every viewer (their Frames channels close once drained) and
// makes later Publish calls no-ops. It is idempotent.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for v := range h.viewers {
		v.closeLocked()
	}
}

// Stats returns a snapshot of the hub's counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	n := len(h.viewers)
	h.mu.Unlock()
	return Stats{
		Viewers:   n,
		FramesIn:  h.framesIn.Load(),
		FramesOut: h.framesOut.Load(),
		Drops:     h.drops.Load(),
		Skips:     h.skips.Load(),
	}
}

func (h *Hub) remove(v *Viewer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if v.closed {
		return
	}
	delete(h.viewers, v)
	v.closeLocked()
}
