package live

import (
	"testing"

	"github.com/tributary-edge/tributary/video/media"
)

// FuzzHub drives a hub with an arbitrary sequence of publishes (two tracks,
// arbitrary keyframe pattern), reads, subscribes and closes, and checks the
// package contract: every viewer's frames are decodable per track and the
// counters add up.
func FuzzHub(f *testing.F) {
	f.Add([]byte{0x10, 0x00, 0x01, 0x02, 0x40, 0x01, 0x80, 0x00, 0x03, 0xc0})
	f.Add([]byte{0x10, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x40, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, ops []byte) {
		h := NewHub(Options{})
		defer h.Close()
		type sub struct {
			v   *Viewer
			got []media.Frame
		}
		var subs []*sub
		pts := [2]int64{}
		for _, op := range ops {
			arg := int(op & 0x3f)
			switch op >> 6 {
			case 0: // publish on track arg&1; keyframe when bit 1 set
				tr := arg & 1
				pts[tr]++
				h.Publish(media.Frame{Track: uint8(tr), PTS: pts[tr], Keyframe: arg&2 != 0})
			case 1: // read one frame from viewer arg
				if len(subs) == 0 {
					continue
				}
				s := subs[arg%len(subs)]
				select {
				case fr, ok := <-s.v.Frames():
					if ok {
						s.got = append(s.got, fr)
					}
				default:
				}
			case 2: // subscribe with queue 1..8
				subs = append(subs, &sub{v: h.Subscribe(1 + arg%8)})
			case 3: // close viewer arg
				if len(subs) > 0 {
					subs[arg%len(subs)].v.Close()
				}
			}
		}
		h.Close()
		var queued, dropped uint64
		for i, s := range subs {
			for fr := range s.v.Frames() {
				s.got = append(s.got, fr)
			}
			if err := decodable(s.got); err != nil {
				t.Fatalf("viewer %d: %v", i, err)
			}
			st := s.v.Stats()
			if st.Queued != uint64(len(s.got)) {
				t.Fatalf("viewer %d: queued %d, received %d", i, st.Queued, len(s.got))
			}
			queued += st.Queued
			dropped += st.Dropped
		}
		if hs := h.Stats(); hs.FramesOut != queued || hs.Drops != dropped {
			t.Fatalf("hub stats %+v, viewers queued %d dropped %d", hs, queued, dropped)
		}
	})
}
