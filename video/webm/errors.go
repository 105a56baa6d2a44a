package webm

import (
	"errors"

	"github.com/tributary-edge/tributary/video/media"
)

var (
	// ErrNoFrames means there was nothing to write.
	ErrNoFrames = errors.New("webm: no frames")
	// ErrUnsupportedCodec means a track's codec cannot be stored in WebM by
	// this package (only VP8 and Opus can).
	ErrUnsupportedCodec = errors.New("webm: unsupported codec")
	// ErrBadTrack means a frame names a track its fragment does not have, or
	// the fragments of a clip disagree on their tracks.
	ErrBadTrack = errors.New("webm: bad track")
	// ErrNoKeyframe means a video track does not start with a key frame
	// whose header parses.
	ErrNoKeyframe = errors.New("webm: video does not start with a key frame")
	// ErrTimestamp means timestamps cannot be stored: PTS out of range or
	// not increasing within a track and fragment.
	ErrTimestamp = errors.New("webm: bad timestamp")
	// ErrVP8Header means a VP8 key frame header does not parse.
	ErrVP8Header = errors.New("webm: invalid VP8 key frame header")
)

// placerErrors are the errors the shared clip timeline reports as ours.
var placerErrors = media.PlacerErrors{BadTrack: ErrBadTrack, Timestamp: ErrTimestamp}
