package live

import (
	"context"
	"sync/atomic"

	"github.com/tributary-edge/tributary/video/media"
)

// ViewerStats is a snapshot of one viewer's counters.
type ViewerStats struct {
	// Queued counts frames put in the viewer's queue.
	Queued uint64
	// Dropped counts frames lost because the queue was full.
	Dropped uint64
	// Skipped counts delta frames not sent while a track waited for a
	// keyframe.
	Skipped uint64
}

// Viewer receives the frames of a Hub through a bounded queue.
type Viewer struct {
	hub *Hub
	ch  chan media.Frame

	// Guarded by hub.mu.
	waiting [4]uint64 // bit t set: track t waits for a keyframe
	closed  bool

	queued  atomic.Uint64
	dropped atomic.Uint64
	skipped atomic.Uint64
}

// Frames returns the viewer's queue. It is closed after Close (of the viewer
// or the hub) once the frames queued before that are read.
func (v *Viewer) Frames() <-chan media.Frame { return v.ch }

// Next returns the next frame, waiting for one until ctx ends. It returns
// ErrClosed when the viewer is closed and drained, or ctx's error.
func (v *Viewer) Next(ctx context.Context) (media.Frame, error) {
	select {
	case f, ok := <-v.ch:
		if !ok {
			return media.Frame{}, ErrClosed
		}
		return f, nil
	case <-ctx.Done():
		return media.Frame{}, ctx.Err()
	}
}

// Close unsubscribes the viewer. It is idempotent and safe to call
// concurrently with Publish.
func (v *Viewer) Close() { v.hub.remove(v) }

// Stats returns a snapshot of the viewer's counters.
func (v *Viewer) Stats() ViewerStats {
	return ViewerStats{Queued: v.queued.Load(), Dropped: v.dropped.Load(), Skipped: v.skipped.Load()}
}

// offer queues f unless its track waits for a keyframe or the queue is full.
// Called with hub.mu held.
func (v *Viewer) offer(f media.Frame) {
	word, bit := f.Track/64, uint64(1)<<(f.Track%64)
	if v.waiting[word]&bit != 0 {
		if !f.Keyframe {
			v.skipped.Add(1)
			v.hub.skips.Add(1)
			return
		}
		v.waiting[word] &^= bit
	}
	select {
	case v.ch <- f:
		v.queued.Add(1)
		v.hub.framesOut.Add(1)
	default:
		// The frames after this one may depend on it: resume the track at
		// its next keyframe.
		v.waiting[word] |= bit
		v.dropped.Add(1)
		v.hub.drops.Add(1)
	}
}

func (v *Viewer) waitAll() {
	for i := range v.waiting {
		v.waiting[i] = ^uint64(0)
	}
}

// closeLocked closes the queue. Called with hub.mu held.
func (v *Viewer) closeLocked() {
	if v.closed {
		return
	}
	v.closed = true
	close(v.ch)
}
