package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"time"

	"github.com/tributary-edge/tributary/video/media"
)

// The fragment encoding, version 1. Integers are big-endian unless marked
// (u)varint (encoding/binary's varints); times are Unix nanoseconds, with
// math.MinInt64 standing for the zero time.
//
//	version:u8=1 number:u64 serverTime:i64 producerTime:i64 duration:i64
//	trackCount:u8 trackCount × (codec:u8 channels:u8)
//	frameCount:uvarint frameCount × (track:u8 flags:u8 pts:varint len:uvarint data)
//	crc:u32 (CRC-32C of everything before it)
//
// Frame flags: bit 0 is Keyframe; the other bits must be zero. A decoder
// refuses an unknown version, so a change of layout needs a new version
// and a decoder for every version still on disk.
const fragmentVersion = 1

// MaxFrames bounds the frames of one fragment (two seconds of 60 fps video
// and 50 Hz audio are ~220), so that a corrupt count cannot make a decoder
// allocate much.
const MaxFrames = 1 << 16

const (
	fragHeaderLen = 1 + 8 + 8 + 8 + 8
	crcLen        = 4
	flagKeyframe  = 1
	zeroTimeNs    = math.MinInt64
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// EncodedSize returns the length of f's encoding, or an error if f cannot
// be encoded (see AppendFragment).
func EncodedSize(f *media.Fragment) (int, error) {
	if err := checkEncodable(f); err != nil {
		return 0, err
	}
	return encodedSize(f), nil
}

func encodedSize(f *media.Fragment) int {
	n := fragHeaderLen + 1 + 2*len(f.Tracks) + uvarintLen(uint64(len(f.Frames))) + crcLen
	for i := range f.Frames {
		fr := &f.Frames[i]
		n += 2 + varintLen(fr.PTS) + uvarintLen(uint64(len(fr.Data))) + len(fr.Data)
	}
	return n
}

func checkEncodable(f *media.Fragment) error {
	if f == nil {
		return fmt.Errorf("%w: nil fragment", ErrInvalidArgument)
	}
	if len(f.Tracks) > math.MaxUint8 {
		return fmt.Errorf("%w: %d tracks (at most 255)", ErrInvalidArgument, len(f.Tracks))
	}
	if len(f.Frames) > MaxFrames {
		return fmt.Errorf("%w: %d frames (at most %d)", ErrInvalidArgument, len(f.Frames), MaxFrames)
	}
	if f.Duration < 0 {
		return fmt.Errorf("%w: negative duration %v", ErrInvalidArgument, f.Duration)
	}
	for _, t := range []time.Time{f.ServerTime, f.ProducerTime} {
		if !t.IsZero() && (!t.After(minTime) || t.After(maxTime)) {
			return fmt.Errorf("%w: time %v outside the encodable range", ErrInvalidArgument, t)
		}
	}
	for i := range f.Frames {
		if int(f.Frames[i].Track) >= len(f.Tracks) {
			return fmt.Errorf("%w: frame %d names track %d of %d", ErrInvalidArgument, i, f.Frames[i].Track, len(f.Tracks))
		}
	}
	return nil
}

// AppendFragment appends the encoding of f to dst. It fails with
// ErrInvalidArgument for a fragment with more than 255 tracks or MaxFrames
// frames, a frame naming a missing track, a negative duration or a time
// outside what UnixNano can hold.
func AppendFragment(dst []byte, f *media.Fragment) ([]byte, error) {
	if err := checkEncodable(f); err != nil {
		return dst, err
	}
	start := len(dst)
	if need := encodedSize(f); cap(dst)-len(dst) < need {
		grown := make([]byte, len(dst), len(dst)+need)
		copy(grown, dst)
		dst = grown
	}
	dst = append(dst, fragmentVersion)
	dst = binary.BigEndian.AppendUint64(dst, f.Number)
	dst = binary.BigEndian.AppendUint64(dst, uint64(timeNs(f.ServerTime)))
	dst = binary.BigEndian.AppendUint64(dst, uint64(timeNs(f.ProducerTime)))
	dst = binary.BigEndian.AppendUint64(dst, uint64(f.Duration))
	dst = append(dst, byte(len(f.Tracks)))
	for _, t := range f.Tracks {
		dst = append(dst, byte(t.Codec), t.Channels)
	}
	dst = binary.AppendUvarint(dst, uint64(len(f.Frames)))
	for i := range f.Frames {
		fr := &f.Frames[i]
		var flags byte
		if fr.Keyframe {
			flags |= flagKeyframe
		}
		dst = append(dst, fr.Track, flags)
		dst = binary.AppendVarint(dst, fr.PTS)
		dst = binary.AppendUvarint(dst, uint64(len(fr.Data)))
		dst = append(dst, fr.Data...)
	}
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli)), nil
}

// DecodeFragment decodes an encoding made by AppendFragment. The frames'
// Data alias b. It returns an error wrapping ErrCorrupt for anything but a
// whole, intact encoding of a supported version, and allocates at most a
// small multiple of len(b).
func DecodeFragment(b []byte) (*media.Fragment, error) {
	body, err := checkCRC(b)
	if err != nil {
		return nil, err
	}
	return decodeFragmentBody(body)
}

func checkCRC(b []byte) ([]byte, error) {
	if len(b) < 1+crcLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(b))
	}
	body := b[:len(b)-crcLen]
	if got, want := crc32.Checksum(body, castagnoli), binary.BigEndian.Uint32(b[len(body):]); got != want {
		return nil, fmt.Errorf("%w: checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	return body, nil
}

func decodeFragmentBody(b []byte) (*media.Fragment, error) {
	r := reader{b: b}
	if v := r.u8(); v != fragmentVersion {
		return nil, fmt.Errorf("%w: version %d not supported", ErrCorrupt, v)
	}
	f := &media.Fragment{Number: r.u64()}
	f.ServerTime = nsTime(int64(r.u64()))
	f.ProducerTime = nsTime(int64(r.u64()))
	f.Duration = time.Duration(r.u64())
	f.Tracks = r.tracks()
	n := r.uvarint()
	if r.err == nil && (n > MaxFrames || n > uint64(len(r.b))/4) {
		return nil, fmt.Errorf("%w: %d frames in %d bytes", ErrCorrupt, n, len(r.b))
	}
	if f.Duration < 0 {
		r.fail("negative duration")
	}
	if r.err != nil {
		return nil, r.err
	}
	f.Frames = make([]media.Frame, n)
	for i := range f.Frames {
		fr := &f.Frames[i]
		fr.Track = r.u8()
		flags := r.u8()
		fr.PTS = r.varint()
		fr.Data = r.bytes(r.uvarint())
		if r.err != nil {
			return nil, fmt.Errorf("frame %d: %w", i, r.err)
		}
		if flags&^flagKeyframe != 0 {
			return nil, fmt.Errorf("%w: frame %d: flags %#x", ErrCorrupt, i, flags)
		}
		if int(fr.Track) >= len(f.Tracks) {
			return nil, fmt.Errorf("%w: frame %d names track %d of %d", ErrCorrupt, i, fr.Track, len(f.Tracks))
		}
		fr.Keyframe = flags&flagKeyframe != 0
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last frame", ErrCorrupt, len(r.b))
	}
	return f, nil
}

func timeNs(t time.Time) int64 {
	if t.IsZero() {
		return zeroTimeNs
	}
	return t.UnixNano()
}

func nsTime(ns int64) time.Time {
	if ns == zeroTimeNs {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// reader consumes a byte slice; the first short read sets err and every
// later read returns zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrCorrupt, what)
	}
	r.b = nil
}

func (r *reader) u8() byte {
	if len(r.b) < 1 {
		r.fail("truncated")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) u64() uint64 {
	if len(r.b) < 8 {
		r.fail("truncated")
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad uvarint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.fail("truncated data")
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) tracks() []media.Track {
	n := int(r.u8())
	if n*2 > len(r.b) {
		r.fail("truncated tracks")
		return nil
	}
	ts := make([]media.Track, n)
	for i := range ts {
		ts[i] = media.Track{Codec: media.Codec(r.b[2*i]), Channels: r.b[2*i+1]}
	}
	r.b = r.b[2*n:]
	return ts
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func varintLen(v int64) int {
	u := uint64(v) << 1
	if v < 0 {
		u = ^u
	}
	return uvarintLen(u)
}
