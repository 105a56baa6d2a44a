package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/tributary-edge/tributary/video/media"
)

// Info describes a stored fragment without its frames: what an index
// entry holds (plus the number and server time from its key).
type Info struct {
	Number       uint64
	ServerTime   time.Time
	ProducerTime time.Time
	Duration     time.Duration
	// Size is the fragment's stored size (its encoding), the figure
	// counted against Limits.MaxBytes.
	Size int64
	// Frames counts all frames; Keyframes counts the video keyframes.
	Frames    int
	Keyframes int
	Tracks    []media.Track
}

// End returns the server time at which the fragment ends.
func (i Info) End() time.Time { return i.ServerTime.Add(i.Duration) }

func infoOf(f *media.Fragment, size int) Info {
	in := Info{
		Number:       f.Number,
		ServerTime:   f.ServerTime,
		ProducerTime: f.ProducerTime,
		Duration:     f.Duration,
		Size:         int64(size),
		Frames:       len(f.Frames),
		Tracks:       f.Tracks,
	}
	for i := range f.Frames {
		if fr := &f.Frames[i]; fr.Keyframe && f.Tracks[fr.Track].Codec.IsVideo() {
			in.Keyframes++
		}
	}
	return in
}

// The index entry value, version 1:
//
//	version:u8=1 producerTime:i64 duration:i64 size:uvarint
//	frames:uvarint keyframes:uvarint trackCount:u8 trackCount × (codec:u8 channels:u8)
//	crc:u32 (CRC-32C of everything before it)
const infoVersion = 1

func appendInfo(dst []byte, in Info) []byte {
	start := len(dst)
	dst = append(dst, infoVersion)
	dst = binary.BigEndian.AppendUint64(dst, uint64(timeNs(in.ProducerTime)))
	dst = binary.BigEndian.AppendUint64(dst, uint64(in.Duration))
	dst = binary.AppendUvarint(dst, uint64(in.Size))
	dst = binary.AppendUvarint(dst, uint64(in.Frames))
	dst = binary.AppendUvarint(dst, uint64(in.Keyframes))
	dst = append(dst, byte(len(in.Tracks)))
	for _, t := range in.Tracks {
		dst = append(dst, byte(t.Codec), t.Channels)
	}
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// decodeInfo decodes an index entry; key gives the number and server time.
func decodeInfo(key, v []byte) (Info, error) {
	ns, number, ok := parseIndexKey(key)
	if !ok {
		return Info{}, fmt.Errorf("%w: index key %x", ErrCorrupt, key)
	}
	body, err := checkCRC(v)
	if err != nil {
		return Info{}, fmt.Errorf("index entry: %w", err)
	}
	r := reader{b: body}
	if ver := r.u8(); ver != infoVersion {
		return Info{}, fmt.Errorf("%w: index entry version %d not supported", ErrCorrupt, ver)
	}
	in := Info{Number: number, ServerTime: nsTime(ns)}
	in.ProducerTime = nsTime(int64(r.u64()))
	in.Duration = time.Duration(r.u64())
	size, frames, keyframes := r.uvarint(), r.uvarint(), r.uvarint()
	in.Tracks = r.tracks()
	if r.err == nil && len(r.b) != 0 {
		r.fail("trailing bytes")
	}
	if r.err == nil && (size > 1<<40 || frames > MaxFrames || keyframes > frames || in.Duration < 0) {
		r.fail("field out of range")
	}
	if r.err != nil {
		return Info{}, fmt.Errorf("index entry: %w", r.err)
	}
	in.Size, in.Frames, in.Keyframes = int64(size), int(frames), int(keyframes)
	return in, nil
}
