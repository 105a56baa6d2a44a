package h264

import (
	"encoding/binary"
	"fmt"
)

// AVCCLengthSize is the size of the NAL unit length prefix this package
// writes: 4 bytes, lengthSizeMinusOne = 3 in the AVCDecoderConfigurationRecord
// (ISO/IEC 14496-15 5.3.3.1).
const AVCCLengthSize = 4

// AVCCSize returns the size of au after AnnexBToAVCC.
func AVCCSize(au []byte) int {
	n := 0
	ForEachNAL(au, func(nal []byte) bool {
		n += AVCCLengthSize + len(nal)
		return true
	})
	return n
}

// AnnexBToAVCC appends to dst the NAL units of the Annex-B access unit au,
// each led by its 4-byte big-endian length (ISO/IEC 14496-15 5.3.2), and
// returns the extended slice.
func AnnexBToAVCC(dst, au []byte) []byte {
	ForEachNAL(au, func(nal []byte) bool {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(nal)))
		dst = append(dst, nal...)
		return true
	})
	return dst
}

// AVCCToAnnexB appends to dst the NAL units of the length-prefixed access
// unit avcc (4-byte lengths), each led by the start code 00 00 00 01, and
// returns the extended slice. Zero-length units are dropped. It returns an
// error wrapping ErrInvalidAVCC when a length runs past the end.
func AVCCToAnnexB(dst, avcc []byte) ([]byte, error) {
	for len(avcc) > 0 {
		if len(avcc) < AVCCLengthSize {
			return dst, fmt.Errorf("%w: %d bytes left for a length", ErrInvalidAVCC, len(avcc))
		}
		n := binary.BigEndian.Uint32(avcc)
		avcc = avcc[AVCCLengthSize:]
		if uint64(n) > uint64(len(avcc)) {
			return dst, fmt.Errorf("%w: length %d, %d bytes left", ErrInvalidAVCC, n, len(avcc))
		}
		if n > 0 {
			dst = append(dst, 0, 0, 0, 1)
			dst = append(dst, avcc[:n]...)
		}
		avcc = avcc[n:]
	}
	return dst, nil
}

// RemoveEmulationPrevention appends to dst the RBSP of a NAL unit's payload
// ebsp: every emulation_prevention_three_byte (the 03 of 00 00 03, 7.4.1) is
// removed. It returns the extended slice.
func RemoveEmulationPrevention(dst, ebsp []byte) []byte {
	zeros := 0
	for _, b := range ebsp {
		if zeros >= 2 && b == 3 {
			zeros = 0
			continue
		}
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
		dst = append(dst, b)
	}
	return dst
}
