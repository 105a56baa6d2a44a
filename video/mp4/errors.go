package mp4

import (
	"errors"

	"github.com/tributary-edge/tributary/video/media"
)

var (
	// ErrNoFrames means there was nothing to write.
	ErrNoFrames = errors.New("mp4: no frames")
	// ErrUnsupportedCodec means a track's codec cannot be stored in MP4 by
	// this package (only H.264 and Opus can).
	ErrUnsupportedCodec = errors.New("mp4: unsupported codec")
	// ErrBadTrack means a frame names a track its fragment does not have, or
	// the fragments of a clip disagree on their tracks.
	ErrBadTrack = errors.New("mp4: bad track")
	// ErrNoKeyframe means a video track does not start with a keyframe.
	ErrNoKeyframe = errors.New("mp4: video does not start with a keyframe")
	// ErrNoParameterSets means no usable H.264 SPS and PPS were found for a
	// video track.
	ErrNoParameterSets = errors.New("mp4: no usable SPS/PPS")
	// ErrTimestamp means timestamps cannot be stored: PTS out of range, not
	// increasing within a track and fragment, or a decode time below zero.
	ErrTimestamp = errors.New("mp4: bad timestamp")
	// ErrTooLarge means a field would overflow its box (e.g. a segment over
	// 2 GiB).
	ErrTooLarge = errors.New("mp4: too large")
	// ErrChanged means frame payloads changed while they were being written.
	ErrChanged = errors.New("mp4: frames changed during write")
	// ErrInvalidBox means ReadBoxes met a box whose size does not fit.
	ErrInvalidBox = errors.New("mp4: invalid box")
)

// placerErrors are the errors the shared clip timeline reports as ours.
var placerErrors = media.PlacerErrors{BadTrack: ErrBadTrack, Timestamp: ErrTimestamp}
