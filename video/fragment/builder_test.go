package fragment

import (
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/video/media"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		o  Options
		ok bool
	}{
		{Options{}, true},
		{Options{TargetDuration: 10 * time.Second}, true},
		{Options{TargetDuration: 11 * time.Second}, false},
		{Options{TargetDuration: 3 * time.Second, MaxDuration: 2 * time.Second}, false},
		{Options{TargetDuration: -1}, false},
		{Options{MaxGap: -1}, false},
		{Options{MaxClockSkew: -1}, false},
		{Options{MaxBytes: -1}, false},
		{Options{MaxFrames: -1}, false},
	}
	for _, tt := range tests {
		err := tt.o.Validate()
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidOptions)) {
			t.Errorf("%+v: Validate() = %v, want ok=%v", tt.o, err, tt.ok)
		}
		if d := tt.o.withDefaults(); d.TargetDuration <= 0 || d.MaxDuration < d.TargetDuration || d.MaxBytes <= 0 || d.MaxFrames <= 0 {
			t.Errorf("%+v: defaults %+v out of range", tt.o, d)
		}
	}
}

// TestConcurrentStats reads Stats and NeedKeyframe while another goroutine
// adds frames (run with -race).
func TestConcurrentStats(t *testing.T) {
	b := NewBuilder([]media.Track{{Codec: media.CodecVP8}}, Options{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_, _ = b.Stats(), b.NeedKeyframe()
			}
		}
	})
	at := time.Unix(0, 0)
	frags := 0
	for i := range 1000 {
		at = at.Add(40 * time.Millisecond)
		frags += len(b.Add(media.Frame{PTS: int64(i) * 3600, Keyframe: i%25 == 0, Data: []byte{1}}, at))
	}
	close(stop)
	wg.Wait()
	if s := b.Stats(); s.Fragments != int64(frags) || frags != 19 || s.Frames != 1000 {
		t.Fatalf("%d fragments, stats %+v", frags, s)
	}
}

// FuzzBuilder adds arbitrary frames to a two-track builder and checks what
// every fragment promises, whatever the input.
//
// Input: a byte of options, then frames of 6 bytes: flags (bit 0 track,
// bit 1 keyframe, bit 2 Flush after), PTS step (int8, in 10 ms), arrival
// step (uint8, in 10 ms), size (uint16), SR (1: a sender report).
func FuzzBuilder(f *testing.F) {
	f.Add([]byte{0, 2, 4, 4, 0, 100, 0, 1, 2, 2, 0, 10, 0, 0, 4, 4, 0, 100, 0, 2, 200, 4, 0, 100, 0})
	f.Add([]byte{3, 2, 0, 0, 1, 0, 0, 2, 127, 1, 0, 10, 1, 6, 128, 0, 0, 1, 0, 3, 1, 1, 255, 255, 0})
	f.Fuzz(fuzzBody)
}

// zeros backs every fuzz frame: the Builder does not write to Data.
var zeros = make([]byte, 1<<16)

func fuzzBody(t *testing.T, data []byte) {
	{
		if len(data) == 0 {
			return
		}
		o := Options{FirstNumber: uint64(data[0]), MaxBytes: 1 + int(data[0]&3)*500, MaxFrames: 1 + int(data[0]>>2&7)*10,
			MaxGap: time.Duration(1+data[0]>>5) * time.Second}
		tracks := []media.Track{{Codec: media.CodecOpus, Channels: 2}, {Codec: media.CodecH264}}
		if data[0]&0x80 != 0 {
			tracks = tracks[:1] // audio only
		}
		b := NewBuilder(tracks, o)
		o = o.withDefaults()
		var last *media.Fragment
		check := func(frags ...*media.Fragment) {
			for _, f := range frags {
				if f == nil {
					continue
				}
				if len(f.Frames) == 0 || int(f.Frames[0].Track) != b.ref || !f.Frames[0].Keyframe {
					t.Fatalf("fragment %d does not start with a reference keyframe", f.Number)
				}
				if f.Size() > o.MaxBytes || len(f.Frames) > o.MaxFrames || f.Duration <= 0 {
					t.Fatalf("fragment %d: %d bytes, %d frames, %v", f.Number, f.Size(), len(f.Frames), f.Duration)
				}
				if last == nil && f.Number != o.FirstNumber || last != nil && f.Number != last.Number+1 {
					t.Fatalf("fragment %d out of sequence", f.Number)
				}
				if last != nil && (f.ServerTime.Before(last.End()) || !f.ServerTime.After(last.ServerTime)) {
					t.Fatalf("fragment %d at %v overlaps %d ending %v", f.Number, f.ServerTime, last.Number, last.End())
				}
				for _, fr := range f.Frames {
					if int(fr.Track) >= len(tracks) {
						t.Fatalf("frame of track %d", fr.Track)
					}
				}
				last = f
			}
		}
		pts := map[uint8]int64{}
		at := time.Unix(1e9, 0)
		for p := data[1:]; len(p) >= 6; p = p[6:] {
			tr := p[0] & 1
			pts[tr] += int64(int8(p[1])) * int64(tracks[min(int(tr), len(tracks)-1)].Codec.ClockRate()) / 100
			at = at.Add(time.Duration(p[2]) * 10 * time.Millisecond)
			if p[5] == 1 {
				b.SetSenderReport(tr, at, pts[tr])
			}
			check(b.Add(media.Frame{Track: tr, PTS: pts[tr], Keyframe: p[0]&2 != 0, Data: zeros[:binary.BigEndian.Uint16(p[3:])]}, at)...)
			if p[0]&4 != 0 {
				check(b.Flush())
			}
		}
		check(b.Flush())
		s := b.Stats()
		if last != nil && s.Fragments != int64(last.Number-o.FirstNumber+1) {
			t.Fatalf("stats %+v, last fragment %d", s, last.Number)
		}
	}
}
