package clips

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tributary-edge/tributary/video/media"
	"github.com/tributary-edge/tributary/video/mp4"
	"github.com/tributary-edge/tributary/video/webm"
)

// gather collects the fragments of one clip, in order, up to a payload cap
// and while they share the first one's tracks (a container holds one
// track layout; a camera that changed codec mid-clip ends the clip there).
type gather struct {
	maxBytes  int64
	frags     []*media.Fragment
	bytes     int64
	truncated bool // a fragment was left out for the cap or its tracks
}

// errFull stops a store.Range once the clip is full.
var errFull = errors.New("clip full")

// add takes f, or returns errFull (and marks the clip truncated) when f
// does not fit.
func (g *gather) add(f *media.Fragment) error {
	size := int64(f.Size())
	if len(g.frags) > 0 && (g.bytes+size > g.maxBytes || !slices.Equal(f.Tracks, g.frags[0].Tracks)) {
		g.truncated = true
		return errFull
	}
	g.frags = append(g.frags, f)
	g.bytes += size
	return nil
}

// clipFile is a clip written to a temporary file.
type clipFile struct {
	f           *os.File
	size        int64
	sum         [32]byte
	format, ext string
	contentType string

	start, end  time.Time // server times of the video
	first, last uint64    // fragment numbers
	fragments   int
	frames      int // video frames
}

// remove closes and deletes the file.
func (c *clipFile) remove() {
	c.f.Close()
	os.Remove(c.f.Name())
}

// describe fills the video fields of m.
func (c *clipFile) describe(m *Metadata) {
	m.ClipStart, m.ClipEnd = c.start, c.end
	m.FirstFragment, m.LastFragment = c.first, c.last
	m.Fragments, m.Frames, m.Format = c.fragments, c.frames, c.format
}

// clipFormat resolves a rule's format against the fragments' tracks.
func clipFormat(format string, tracks []media.Track) string {
	if format != FormatAuto {
		return format
	}
	for _, t := range tracks {
		if t.Codec == media.CodecVP8 {
			return FormatWebM
		}
	}
	return FormatMP4
}

// writeClip writes frags (at least one) in format to a new file in dir,
// named prefix + random + extension, and hashes it. Fragments the container cannot hold (see mp4 and webm) give
// an error wrapping ErrPermanent; I/O errors are returned as they are.
func writeClip(dir, prefix, format string, frags []*media.Fragment) (*clipFile, error) {
	format = clipFormat(format, frags[0].Tracks)
	c := &clipFile{format: format, ext: format, contentType: "video/" + format,
		start: frags[0].ServerTime, end: frags[len(frags)-1].End(),
		first: frags[0].Number, last: frags[len(frags)-1].Number, fragments: len(frags)}
	for _, f := range frags {
		for i := range f.Frames {
			if int(f.Frames[i].Track) < len(f.Tracks) && f.Tracks[f.Frames[i].Track].Codec.IsVideo() {
				c.frames++
			}
		}
	}
	f, err := os.CreateTemp(dir, prefix+"*."+c.ext)
	if err != nil {
		return nil, fmt.Errorf("clip file: %w", err)
	}
	c.f = f
	switch format {
	case FormatWebM:
		err = webm.WriteClip(f, frags, webm.Options{})
	default:
		err = mp4.WriteClip(f, frags, mp4.ClipOptions{})
	}
	if err == nil {
		err = c.hash()
	}
	if err != nil {
		c.remove()
		if malformed(err) {
			return nil, fmt.Errorf("%w: write %s: %w", ErrPermanent, format, err)
		}
		return nil, fmt.Errorf("write %s clip: %w", format, err)
	}
	return c, nil
}

func (c *clipFile) hash() error {
	if _, err := c.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(h, c.f)
	if err != nil {
		return err
	}
	c.size = n
	copy(c.sum[:], h.Sum(nil))
	return nil
}

// malformed reports whether a container writer refused its input (rather
// than failing to write).
func malformed(err error) bool {
	for _, s := range []error{
		mp4.ErrNoFrames, mp4.ErrUnsupportedCodec, mp4.ErrBadTrack, mp4.ErrNoKeyframe,
		mp4.ErrNoParameterSets, mp4.ErrTimestamp, mp4.ErrTooLarge, mp4.ErrChanged,
		webm.ErrNoFrames, webm.ErrUnsupportedCodec, webm.ErrBadTrack, webm.ErrNoKeyframe,
		webm.ErrTimestamp, webm.ErrVP8Header,
	} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// removeStale deletes the files a crashed uploader left in dir: those
// named prefix + random + extension, as writeClip names them.
func removeStale(dir, prefix string) {
	for _, ext := range []string{FormatMP4, FormatWebM} {
		names, _ := filepath.Glob(filepath.Join(dir, prefix+"*."+ext)) // prefix: a validated name
		for _, n := range names {
			os.Remove(n)
		}
	}
}
