package camera

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/store"
)

// write is one fragment for the store.
type write struct {
	k    *cam
	frag *media.Fragment
}

// counters are a stream's, updated from its session and the writer.
type counters struct {
	sessions, frames, fragments, dropped, denied, writeErrs, lost atomic.Int64
	mu                                                            sync.Mutex
	lastErr                                                       string
}

func (c *counters) fill(s *Status) {
	s.Sessions, s.Frames, s.Fragments = c.sessions.Load(), c.frames.Load(), c.fragments.Load()
	s.Dropped, s.Denied, s.WriteErrs, s.LostFrames = c.dropped.Load(), c.denied.Load(), c.writeErrs.Load(), c.lost.Load()
	c.mu.Lock()
	s.LastError = c.lastErr
	c.mu.Unlock()
}

func (c *counters) fail(err error) {
	c.mu.Lock()
	c.lastErr = err.Error()
	c.mu.Unlock()
}

// enqueue hands a fragment to the writer without waiting: when the queue
// is full it is dropped and counted (the camera never waits for the disk).
func (m *Manager) enqueue(k *cam, f *media.Fragment) {
	select {
	case m.writes <- write{k, f}:
	default:
		k.stats.dropped.Add(1)
		m.log.Warn("video fragment dropped: the store is behind", "stream", k.cfg.Name, "fragment", f.Number)
	}
}

// runWriter stores fragments one at a time until Close, then what is
// queued.
func (m *Manager) runWriter() {
	defer m.wg.Done()
	for {
		select {
		case w := <-m.writes:
			m.put(w)
		case <-m.done:
			for {
				select {
				case w := <-m.writes:
					m.put(w)
				default:
					return
				}
			}
		}
	}
}

func (m *Manager) put(w write) {
	err := m.st.Put(w.k.cfg.Name, w.frag)
	switch {
	case err == nil:
		w.k.stats.fragments.Add(1)
	case errors.Is(err, store.ErrFull):
		w.k.stats.denied.Add(1)
		w.k.stats.fail(err)
	default:
		w.k.stats.writeErrs.Add(1)
		w.k.stats.fail(err)
		m.log.Error("video fragment not stored", "stream", w.k.cfg.Name, "fragment", w.frag.Number, "err", err)
	}
}
