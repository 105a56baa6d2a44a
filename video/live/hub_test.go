package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tributary-edge/tributary/video/media"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// gop returns frame n of a video track with a keyframe every gopLen frames;
// the PTS is the frame number so gaps are visible.
func gop(n, gopLen int) media.Frame {
	return media.Frame{Track: 0, PTS: int64(n), Keyframe: n%gopLen == 0, Data: []byte{byte(n)}}
}

// decodable reports an error unless, per track, the first frame is a
// keyframe and every later frame directly follows the previous one or is a
// keyframe.
func decodable(frames []media.Frame) error {
	last := map[uint8]int64{}
	for i, f := range frames {
		prev, seen := last[f.Track]
		switch {
		case !seen && !f.Keyframe:
			return fmt.Errorf("frame %d (track %d pts %d) is a delta frame at the start", i, f.Track, f.PTS)
		case seen && f.PTS != prev+1 && !f.Keyframe:
			return fmt.Errorf("frame %d (track %d) jumps from pts %d to delta pts %d", i, f.Track, prev, f.PTS)
		}
		last[f.Track] = f.PTS
	}
	return nil
}

func checkDecodable(t *testing.T, name string, frames []media.Frame) {
	t.Helper()
	if err := decodable(frames); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func TestFastAndStalledViewer(t *testing.T) {
	const total, gopLen = 500, 25
	var kfCalls int
	h := NewHub(Options{OnKeyframeNeeded: func() { kfCalls++ }})
	defer h.Close()

	fast := h.Subscribe(total + 2*gopLen) // never full: must get everything
	stalled := h.Subscribe(4)
	if kfCalls != 2 {
		t.Fatalf("OnKeyframeNeeded called %d times for 2 subscribes", kfCalls)
	}

	var got []media.Frame
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for f := range fast.Frames() {
			got = append(got, f)
		}
	}()

	published := make(chan struct{})
	go func() {
		defer close(published)
		for n := 3; n < total; n++ { // start mid-GOP: viewers must skip to frame 25
			h.Publish(gop(n, gopLen))
		}
	}()
	select {
	case <-published:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked behind a stalled viewer")
	}

	// The stalled viewer kept the first 4 frames from the first keyframe.
	var stalledGot []media.Frame
	for range 4 {
		stalledGot = append(stalledGot, <-stalled.Frames())
	}
	if stalledGot[0].PTS != gopLen || !stalledGot[0].Keyframe {
		t.Fatalf("stalled viewer starts at pts %d keyframe=%v, want %d keyframe", stalledGot[0].PTS, stalledGot[0].Keyframe, gopLen)
	}
	st := stalled.Stats()
	if st.Queued != 4 || st.Dropped == 0 {
		t.Fatalf("stalled viewer stats %+v, want 4 queued and drops", st)
	}

	// Now drained, it resumes at the next keyframe, never at a delta frame.
	for n := total; n < total+2*gopLen; n++ {
		h.Publish(gop(n, gopLen))
	}
	for range 2 * gopLen {
		stalledGot = append(stalledGot, <-stalled.Frames())
		if len(stalled.Frames()) == 0 {
			break
		}
	}
	checkDecodable(t, "stalled", stalledGot)
	if f := stalledGot[4]; f.PTS != int64(total) || !f.Keyframe {
		t.Fatalf("stalled viewer resumed at pts %d keyframe=%v, want keyframe %d", f.PTS, f.Keyframe, total)
	}

	fast.Close()
	wg.Wait()
	checkDecodable(t, "fast", got)
	if want := total + 2*gopLen - gopLen; len(got) != want {
		t.Fatalf("fast viewer got %d frames, want every frame from pts %d (%d)", len(got), gopLen, want)
	}
	if fs := fast.Stats(); fs.Dropped != 0 {
		t.Fatalf("fast viewer dropped %d", fs.Dropped)
	}

	hs := h.Stats()
	if hs.Viewers != 1 || hs.FramesIn != uint64(total-3+2*gopLen) || hs.Drops != stalled.Stats().Dropped {
		t.Fatalf("hub stats %+v", hs)
	}
	if hs.FramesOut != fast.Stats().Queued+stalled.Stats().Queued {
		t.Fatalf("hub FramesOut %d != sum of viewers' queued", hs.FramesOut)
	}
}

func TestAudioFlowsWhileVideoWaits(t *testing.T) {
	h := NewHub(Options{})
	defer h.Close()
	v := h.Subscribe(16)
	h.Publish(media.Frame{Track: 0, PTS: 1, Keyframe: false}) // video delta: skipped
	h.Publish(media.Frame{Track: 1, PTS: 1, Keyframe: true})  // audio: delivered
	h.Publish(media.Frame{Track: 0, PTS: 2, Keyframe: true})  // video keyframe: delivered
	h.Publish(media.Frame{Track: 0, PTS: 3, Keyframe: false}) // delivered
	want := []struct {
		track uint8
		pts   int64
	}{{1, 1}, {0, 2}, {0, 3}}
	for _, w := range want {
		f := <-v.Frames()
		if f.Track != w.track || f.PTS != w.pts {
			t.Fatalf("got track %d pts %d, want track %d pts %d", f.Track, f.PTS, w.track, w.pts)
		}
	}
	if s := v.Stats(); s.Skipped != 1 {
		t.Fatalf("skipped %d, want 1", s.Skipped)
	}
}

func TestHighTrackNumbers(t *testing.T) {
	h := NewHub(Options{})
	defer h.Close()
	v := h.Subscribe(4)
	h.Publish(media.Frame{Track: 255, PTS: 1})
	h.Publish(media.Frame{Track: 255, PTS: 2, Keyframe: true})
	if f := <-v.Frames(); f.Track != 255 || f.PTS != 2 {
		t.Fatalf("got %+v", f)
	}
}

func TestClose(t *testing.T) {
	h := NewHub(Options{})
	a := h.Subscribe(2)
	b := h.Subscribe(2)
	h.Publish(media.Frame{PTS: 1, Keyframe: true})
	a.Close()
	a.Close()
	h.Publish(media.Frame{PTS: 2})
	if s := h.Stats(); s.Viewers != 1 {
		t.Fatalf("viewers %d after one Close", s.Viewers)
	}
	// a keeps what was queued, then reports closed.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if f, err := a.Next(ctx); err != nil || f.PTS != 1 {
		t.Fatalf("Next = %+v, %v", f, err)
	}
	if _, err := a.Next(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after close = %v, want ErrClosed", err)
	}

	h.Close()
	h.Close()
	h.Publish(media.Frame{PTS: 3, Keyframe: true}) // no panic, no effect
	n := 0
	for range b.Frames() {
		n++
	}
	if n != 2 {
		t.Fatalf("b got %d frames, want 2", n)
	}
	b.Close()
	c := h.Subscribe(1)
	if _, ok := <-c.Frames(); ok {
		t.Fatal("viewer subscribed after hub Close got a frame")
	}

	short, cancelShort := context.WithCancel(context.Background())
	cancelShort()
	d := NewHub(Options{}).Subscribe(0)
	if cap(d.ch) != DefaultQueueLen {
		t.Fatalf("queue %d, want default %d", cap(d.ch), DefaultQueueLen)
	}
	if _, err := d.Next(short); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next on cancelled ctx = %v", err)
	}
}

// TestConcurrentChurn runs a publisher against viewers that come and go and
// read at different queue lengths; -race checks the locking and every
// viewer's frames must stay decodable.
func TestConcurrentChurn(t *testing.T) {
	h := NewHub(Options{OnKeyframeNeeded: func() {}})
	defer h.Close()
	stop := make(chan struct{})
	var pub sync.WaitGroup
	pub.Add(1)
	go func() {
		defer pub.Done()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			h.Publish(gop(n, 10))
		}
	}()
	var readers sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for range 20 {
				v := h.Subscribe(1 + i)
				var got []media.Frame
				for len(got) < 30 {
					got = append(got, <-v.Frames())
				}
				v.Close()
				if err := decodable(got); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("readers did not finish")
	}
	close(stop)
	pub.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if s := h.Stats(); s.Viewers != 0 {
		t.Fatalf("%d viewers left after all closed", s.Viewers)
	}
}
