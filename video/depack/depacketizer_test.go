package depack

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/video/media"
)

func annexB(nals ...[]byte) []byte {
	var b []byte
	for _, n := range nals {
		b = append(append(b, startCode...), n...)
	}
	return b
}

// TestParameterSetInsertion checks the exact bytes of keyframes that lack
// SPS, PPS or both: the remembered sets go ahead of the first slice, the SPS
// ahead of an in-band PPS, after an in-band SEI.
func TestParameterSetInsertion(t *testing.T) {
	sps, sps2, pps, idr, sei := testNALs["sps"], testNALs["sps2"], testNALs["pps"], testNALs["idr"], testNALs["sei"]
	pps2 := []byte{0x68, 0xce, 0x3c, 0x81}
	tests := []struct {
		name string
		au   [][]byte // single NAL unit packets of the keyframe
		want []byte
	}{
		{"complete", [][]byte{sps2, pps2, idr}, annexB(sps2, pps2, idr)},
		{"none", [][]byte{idr}, annexB(sps, pps, idr)},
		{"after SEI", [][]byte{sei, idr}, annexB(sei, sps, pps, idr)},
		{"PPS only", [][]byte{pps2, idr}, annexB(sps, pps2, idr)},
		{"SPS only", [][]byte{sps2, idr}, annexB(sps2, pps, idr)},
		{"SPS, SEI", [][]byte{sps2, sei, idr}, annexB(sps2, sei, pps, idr)},
		{"two slices", [][]byte{idr, testNALs["idr2"]}, annexB(sps, pps, idr, testNALs["idr2"])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(media.CodecH264, Options{ReorderPackets: 1, ParameterSets: [][]byte{sps, pps}})
			var got []media.Frame
			for i, n := range tt.au {
				frames, err := d.Push(testPacket(uint16(i), 0, i == len(tt.au)-1, n), time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, frames...)
			}
			frames, _ := d.Flush()
			got = append(got, frames...)
			if len(got) != 1 || !got[0].Keyframe || !bytes.Equal(got[0].Data, tt.want) {
				t.Fatalf("got %d frames: %+v\nwant keyframe %x", len(got), got, tt.want)
			}
		})
	}
}

// TestNoRetention: Push does not keep the caller's payload, even for packets
// that wait in the reorder buffer, and frames do not share memory.
func TestNoRetention(t *testing.T) {
	d := New(media.CodecH264, Options{ReorderPackets: 8, ParameterSets: [][]byte{testNALs["sps"], testNALs["pps"]}})
	now := time.Unix(0, 0)
	buf := make([]byte, 64)
	push := func(seq uint16, ts uint32, marker bool, payload []byte) []media.Frame {
		n := copy(buf, payload)
		frames, err := d.Push(testPacket(seq, ts, marker, buf[:n]), now)
		if err != nil {
			t.Fatal(err)
		}
		for i := range buf {
			buf[i] = 0xee // the caller reuses its buffer
		}
		return frames
	}
	fu := func(pos string) []byte { b, _ := tokenBytes("fu(idr," + pos + ")"); return b }
	push(1, 0, false, fu("S"))
	push(3, 0, true, fu("E")) // waits for 2
	frames := push(2, 0, false, fu("M"))
	now = now.Add(time.Second)
	more, _ := d.Advance(now)
	frames = append(frames, more...)
	if len(frames) != 1 || !bytes.Equal(frames[0].Data, annexB(testNALs["sps"], testNALs["pps"], testNALs["idr"])) {
		t.Fatalf("frames %+v", frames)
	}
	first := bytes.Clone(frames[0].Data)
	push(4, 3000, true, testNALs["p"])
	if !bytes.Equal(frames[0].Data, first) {
		t.Fatal("a returned frame changed after the next Push")
	}
}

// TestConcurrentStats reads Stats and NeedKeyframe while another goroutine
// pushes (run with -race).
func TestConcurrentStats(t *testing.T) {
	d := New(media.CodecOpus, Options{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_ = d.Stats()
				_ = d.NeedKeyframe()
			}
		}
	})
	now := time.Unix(0, 0)
	for i := range 2000 {
		now = now.Add(20 * time.Millisecond)
		if _, err := d.Push(testPacket(uint16(i), uint32(i*960), false, []byte{0xfc}), now); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if s := d.Stats(); s.Packets != 2000 || s.Frames < 1990 {
		t.Fatalf("stats %+v", s)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		o  Options
		ok bool
	}{
		{Options{}, true},
		{Options{ReorderPackets: 4096, ReorderDelay: time.Second, MaxFrameSize: 100, MaxNALSize: 100}, true},
		{Options{ReorderPackets: -1}, false},
		{Options{ReorderPackets: 4097}, false},
		{Options{ReorderDelay: -1}, false},
		{Options{MaxFrameSize: -1}, false},
		{Options{MaxNALSize: -1}, false},
		{Options{MaxFrameSize: 10, MaxNALSize: 11}, false},
		{Options{MaxForwardJump: -1}, false},
		{Options{MaxBackwardJump: -1}, false},
	}
	for _, tt := range tests {
		err := tt.o.Validate()
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidOptions)) {
			t.Errorf("%+v: Validate() = %v, want ok=%v", tt.o, err, tt.ok)
		}
		d := tt.o.withDefaults()
		if d.ReorderPackets < 1 || d.ReorderPackets > maxReorderPackets || d.ReorderDelay <= 0 ||
			d.MaxFrameSize <= 0 || d.MaxNALSize <= 0 || d.MaxNALSize > d.MaxFrameSize {
			t.Errorf("%+v: defaults %+v out of range", tt.o, d)
		}
	}
}

// TestClockWraparound walks the timestamp across 2^32 several times in
// steps up to the jump bounds, forwards and backwards.
func TestClockWraparound(t *testing.T) {
	c := newClock(90000, 10*time.Second, time.Second, 3000)
	ts := uint32(0xffff0000)
	var want int64
	steps := []int64{3000, 899999, -89999, 900000, 1 << 20 / 2, -90000, 3000}
	at := time.Unix(0, 0)
	c.pts(ts, at)
	for i := range 20000 {
		s := steps[i%len(steps)]
		ts += uint32(s)
		want += s
		at = at.Add(time.Millisecond)
		got, jumped := c.pts(ts, at)
		if got != want || jumped {
			t.Fatalf("step %d: pts %d jumped=%v, want %d", i, got, jumped, want)
		}
	}
	if want < 1<<32 {
		t.Fatalf("test did not wrap twice: %d", want)
	}
	if got, _ := c.peek(ts + 90000); got != want+90000 {
		t.Fatalf("peek: %d, want %d", got, want+90000)
	}
}
