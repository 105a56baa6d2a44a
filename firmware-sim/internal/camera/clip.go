package camera

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"sync"
)

// defaultClip is testdata/clip.h264, made once with
//
//	ffmpeg -f lavfi -i testsrc2=size=640x360:rate=25 -t 10 -pix_fmt yuv420p \
//	  -c:v libx264 -profile:v baseline -level 3.1 -bf 0 -g 50 -b:v 300k \
//	  -bsf:v h264_mp4toannexb -f h264 clip.h264
//
// 250 frames, 640x360, constrained baseline, an IDR (with SPS and PPS)
// every 50 frames, about 300 kbit/s at 25 fps.
//
//go:embed testdata/clip.h264
var defaultClip []byte

// DefaultFPS is the frame rate the embedded clip was made for.
const DefaultFPS = 25

// MaxClipSize is the largest clip ReadClip accepts.
const MaxClipSize = 64 << 20

// Frame is one access unit of a clip: Annex-B NAL units with 4-byte start
// codes; a keyframe holds an IDR slice and carries SPS and PPS in band.
type Frame struct {
	Data     []byte
	Keyframe bool
}

// Clip is a parsed H.264 clip, ready to loop: it starts with a keyframe.
// It is read-only once made and may be shared by many cameras.
type Clip struct {
	Frames []Frame
	SPS    []byte // the first sequence parameter set, without start code
	PPS    []byte // the first picture parameter set, without start code
	Bytes  int    // total size of Frames' data
}

// Default returns the embedded clip (see DefaultFPS). It is parsed once
// and shared.
func Default() *Clip { return parsedDefault() }

var parsedDefault = sync.OnceValue(func() *Clip {
	c, err := ParseClip(defaultClip)
	if err != nil {
		panic("camera: embedded clip: " + err.Error()) // the build is broken
	}
	return c
})

// ReadClip reads and parses an Annex-B file of at most MaxClipSize bytes.
func ReadClip(name string) (*Clip, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.Size() > MaxClipSize {
		return nil, fmt.Errorf("%w: %s is %d bytes, more than %d", ErrClip, name, fi.Size(), MaxClipSize)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	c, err := ParseClip(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// ParseClip splits an H.264 Annex-B byte stream into access units
// (§7.4.1.2.3). Frames before the first IDR picture preceded by an SPS
// and a PPS are dropped; a
// keyframe without SPS or PPS in band gets the latest ones seen inserted
// ahead of its slices; AUD and filler NAL units are dropped. The clip must
// hold SPS, PPS and at least one IDR picture, and no B-frames (frames are
// sent in stream order with rising timestamps); it returns an error
// wrapping ErrClip otherwise. The result does not share memory with b.
func ParseClip(b []byte) (*Clip, error) {
	var (
		c                      Clip
		sps, pps               []byte   // the latest parameter sets
		au                     [][]byte // NAL units of the access unit being built
		inPicture              bool     // au holds a slice
		hasSPS, hasPPS, hasIDR bool     // au holds an SPS, a PPS, an IDR slice
	)
	flush := func() {
		// The clip starts at the first IDR picture whose parameter sets
		// are known; later ones always know them.
		usable := hasIDR && sps != nil && pps != nil
		if inPicture && (usable || len(c.Frames) > 0) {
			c.Frames = append(c.Frames, buildFrame(au, hasIDR, hasSPS, hasPPS, sps, pps))
		}
		au, inPicture, hasSPS, hasPPS, hasIDR = au[:0], false, false, false, false
	}
	for _, n := range splitNALs(b) {
		t := nalType(n)
		if n[0]&0x80 != 0 { // forbidden_zero_bit
			return nil, fmt.Errorf("%w: NAL unit with forbidden_zero_bit set", ErrClip)
		}
		if inPicture && startsAccessUnit(n) {
			flush()
		}
		switch {
		case t == nalAUD || t == nalFiller:
			continue
		case t == nalSPS:
			hasSPS = true
			sps = n
			if c.SPS == nil {
				c.SPS = bytes.Clone(n)
			}
		case t == nalPPS:
			hasPPS = true
			pps = n
			if c.PPS == nil {
				c.PPS = bytes.Clone(n)
			}
		case isVCL(t):
			if isBSlice(n) {
				return nil, fmt.Errorf("%w: B slice in frame %d (want no B-frames)", ErrClip, len(c.Frames))
			}
			inPicture = true
			hasIDR = hasIDR || t == nalIDR
		}
		au = append(au, n)
	}
	flush()
	switch {
	case c.SPS == nil || c.PPS == nil:
		return nil, fmt.Errorf("%w: no SPS or PPS", ErrClip)
	case len(c.Frames) == 0:
		return nil, fmt.Errorf("%w: no IDR picture", ErrClip)
	case len(c.SPS) < 4:
		return nil, fmt.Errorf("%w: SPS of %d bytes", ErrClip, len(c.SPS))
	}
	for _, f := range c.Frames {
		c.Bytes += len(f.Data)
	}
	return &c, nil
}

// buildFrame writes an access unit in Annex-B form, inserting sps and pps
// ahead of a keyframe's first NAL unit when it lacks them.
func buildFrame(au [][]byte, key, hasSPS, hasPPS bool, sps, pps []byte) Frame {
	var out []byte
	add := func(n []byte) {
		out = append(out, startCode...)
		out = append(out, n...)
	}
	if key && !hasSPS && sps != nil {
		add(sps)
	}
	if key && !hasPPS && pps != nil {
		add(pps)
	}
	for _, n := range au {
		add(n)
	}
	return Frame{Data: out, Keyframe: key}
}

// NextKeyframe returns the index of the first keyframe after frame i,
// wrapping around to the clip's start.
func (c *Clip) NextKeyframe(i int) int {
	for j := 1; j <= len(c.Frames); j++ {
		k := (i + j) % len(c.Frames)
		if c.Frames[k].Keyframe {
			return k
		}
	}
	return 0
}

// Bitrate returns the clip's own bitrate in bit/s when played at fps.
func (c *Clip) Bitrate(fps float64) float64 {
	return float64(c.Bytes) * 8 * fps / float64(len(c.Frames))
}

// ProfileLevelID returns the SDP profile-level-id (RFC 6184 §8.1): the
// SPS's profile_idc, constraint flags and level_idc, in hex.
func (c *Clip) ProfileLevelID() string {
	return fmt.Sprintf("%02x%02x%02x", c.SPS[1], c.SPS[2], c.SPS[3])
}
