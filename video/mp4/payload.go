package mp4

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/tributary-edge/tributary/video/h264"
	"github.com/tributary-edge/tributary/video/media"
)

// writeBufferSize is the buffer between the writers and w.
const writeBufferSize = 64 << 10

// sampleSize returns the size f has as a sample: H.264 in AVCC form, others
// as they are. Zero means the frame is left out.
func sampleSize(codec media.Codec, f *media.Frame) (uint32, error) {
	n := len(f.Data)
	if codec == media.CodecH264 {
		n = h264.AVCCSize(f.Data)
	}
	if uint64(n) > math.MaxUint32 {
		return 0, fmt.Errorf("%w: frame of %d bytes", ErrTooLarge, n)
	}
	return uint32(n), nil
}

// writeSample writes f as a sample and returns the bytes written.
func writeSample(bw *bufio.Writer, codec media.Codec, f *media.Frame) (int64, error) {
	if codec != media.CodecH264 {
		n, err := bw.Write(f.Data)
		return int64(n), err
	}
	var written int64
	var err error
	var prefix [h264.AVCCLengthSize]byte
	h264.ForEachNAL(f.Data, func(nal []byte) bool {
		binary.BigEndian.PutUint32(prefix[:], uint32(len(nal)))
		if _, err = bw.Write(prefix[:]); err != nil {
			return false
		}
		if _, err = bw.Write(nal); err != nil {
			return false
		}
		written += int64(len(prefix) + len(nal))
		return true
	})
	return written, err
}
