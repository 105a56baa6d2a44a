package media

import (
	"fmt"
	"time"
)

// Codec names a codec the video package can carry.
type Codec uint8

const (
	CodecUnknown Codec = iota
	CodecH264
	CodecVP8
	CodecOpus
)

// String returns the codec's name as SDP spells it ("H264", "VP8", "opus").
func (c Codec) String() string {
	switch c {
	case CodecH264:
		return "H264"
	case CodecVP8:
		return "VP8"
	case CodecOpus:
		return "opus"
	}
	return fmt.Sprintf("codec(%d)", uint8(c))
}

// IsVideo reports whether c is a video codec.
func (c Codec) IsVideo() bool { return c == CodecH264 || c == CodecVP8 }

// ClockRate returns the RTP clock rate of c in ticks per second.
func (c Codec) ClockRate() uint32 {
	if c == CodecOpus {
		return 48000
	}
	return 90000
}

// Track describes one elementary stream of a source.
type Track struct {
	Codec Codec
	// Channels is the number of audio channels (Opus: 2 in SDP, 1 or 2 in
	// the stream); zero for video.
	Channels uint8
}

// Frame is one access unit of one track.
type Frame struct {
	// Track is the index of the frame's track in the fragment's Tracks.
	Track uint8
	// PTS is the presentation time in the track's clock, unwrapped.
	PTS int64
	// Keyframe is true for a frame a decoder can start at (H.264 IDR, VP8
	// key frame). Audio frames are always keyframes.
	Keyframe bool
	Data     []byte
}

// Fragment is a run of frames that starts at a video keyframe: the unit of
// storage, retention, listing and playback.
type Fragment struct {
	// Number increases by one per fragment of a stream and survives restarts.
	Number uint64
	// ServerTime is when the first frame arrived here; fragments are indexed
	// and listed by it.
	ServerTime time.Time
	// ProducerTime is the source's own idea of the first frame's time (from
	// RTCP sender reports or the publisher), or ServerTime when it gave none.
	ProducerTime time.Time
	// Duration is from the first frame to the end of the last one.
	Duration time.Duration
	Tracks   []Track
	// Frames are in arrival order; within a track PTS increases.
	Frames []Frame
}

// Size returns the bytes of frame payload in f.
func (f *Fragment) Size() int {
	n := 0
	for i := range f.Frames {
		n += len(f.Frames[i].Data)
	}
	return n
}

// End returns the server time at which f ends.
func (f *Fragment) End() time.Time { return f.ServerTime.Add(f.Duration) }

// TicksToDuration converts ticks of a clock with the given rate to a duration.
func TicksToDuration(ticks int64, rate uint32) time.Duration {
	return time.Duration(ticks/int64(rate)*int64(time.Second) + ticks%int64(rate)*int64(time.Second)/int64(rate))
}
