package media

import (
	"testing"
	"time"
)

func TestTicksToDuration(t *testing.T) {
	for _, c := range []struct {
		ticks int64
		rate  uint32
		want  time.Duration
	}{
		{0, 90000, 0},
		{3600, 90000, 40 * time.Millisecond},
		{90000 * 3600 * 24 * 365, 90000, 365 * 24 * time.Hour}, // no overflow for a year of ticks
		{960, 48000, 20 * time.Millisecond},
		{-90000, 90000, -time.Second},
	} {
		if got := TicksToDuration(c.ticks, c.rate); got != c.want {
			t.Errorf("TicksToDuration(%d, %d) = %v, want %v", c.ticks, c.rate, got, c.want)
		}
	}
}

func TestFragment(t *testing.T) {
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f := Fragment{ServerTime: start, Duration: 2 * time.Second, Frames: []Frame{{Data: make([]byte, 10)}, {Data: make([]byte, 5)}}}
	if f.Size() != 15 || !f.End().Equal(start.Add(2*time.Second)) {
		t.Errorf("size %d, end %v", f.Size(), f.End())
	}
	if CodecH264.String() != "H264" || CodecOpus.ClockRate() != 48000 || !CodecVP8.IsVideo() || CodecOpus.IsVideo() {
		t.Error("codec properties")
	}
}
