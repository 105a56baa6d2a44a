package camera

// H.264 NAL unit types used here (ITU-T H.264 Table 7-1).
const (
	nalSlice  = 1  // coded slice of a non-IDR picture
	nalIDR    = 5  // coded slice of an IDR picture
	nalSEI    = 6  // supplemental enhancement information
	nalSPS    = 7  // sequence parameter set
	nalPPS    = 8  // picture parameter set
	nalAUD    = 9  // access unit delimiter
	nalFiller = 12 // filler data
	nalFUA    = 28 // RFC 6184 §5.8 fragmentation unit A
)

// startCode leads every NAL unit this package writes (Annex B.1).
var startCode = []byte{0, 0, 0, 1}

// splitNALs returns the NAL units of an Annex-B byte stream (B.1: each
// led by 00 00 01 or 00 00 00 01), without their start codes and without
// trailing zero bytes (trailing_zero_8bits). Bytes before the first start
// code and empty units are skipped. The units share b's memory.
func splitNALs(b []byte) [][]byte {
	var nals [][]byte
	start := -1 // first byte of the current unit
	for i := 0; i+2 < len(b); {
		if b[i] != 0 || b[i+1] != 0 || b[i+2] != 1 {
			i++
			continue
		}
		if start >= 0 {
			nals = appendNAL(nals, b[start:i])
		}
		i += 3
		start = i
	}
	if start >= 0 {
		nals = appendNAL(nals, b[start:])
	}
	return nals
}

func appendNAL(nals [][]byte, n []byte) [][]byte {
	for len(n) > 0 && n[len(n)-1] == 0 {
		n = n[:len(n)-1]
	}
	if len(n) == 0 {
		return nals
	}
	return append(nals, n)
}

// nalType is the nal_unit_type of a NAL unit (§7.3.1); n is not empty.
func nalType(n []byte) byte { return n[0] & 0x1f }

// isVCL reports whether t is a coded slice type this package groups into
// pictures (1..5).
func isVCL(t byte) bool { return t >= 1 && t <= 5 }

// firstMBIsZero reports whether a slice NAL unit starts a picture:
// first_mb_in_slice, the slice header's first ue(v) (§7.3.3), is 0 exactly
// when the bit after the one-byte NAL header is 1.
func firstMBIsZero(n []byte) bool { return len(n) > 1 && n[1]&0x80 != 0 }

// startsAccessUnit reports whether NAL unit n, following a picture's
// slices in the same stream, begins the next access unit (§7.4.1.2.3):
// an AUD, SEI, SPS, PPS or types 14..18, or the first slice of the next
// picture (first_mb_in_slice 0; arbitrary slice order is not supported).
func startsAccessUnit(n []byte) bool {
	switch t := nalType(n); {
	case t == nalAUD, t == nalSEI, t == nalSPS, t == nalPPS, t >= 14 && t <= 18:
		return true
	case isVCL(t):
		return firstMBIsZero(n)
	}
	return false
}

// isBSlice reports whether slice NAL unit n is a B slice: slice_type
// (the slice header's second ue(v), §7.3.3) is 1 or 6. The header bits
// are read as they are, without removing emulation prevention bytes,
// which cannot occur before slice_type in a real slice header.
func isBSlice(n []byte) bool {
	r := bitReader{b: n[1:]}
	r.ue() // first_mb_in_slice
	t, ok := r.ue()
	return ok && t%5 == 1
}

// bitReader reads Exp-Golomb codes (§9.1) from the front of b.
type bitReader struct {
	b   []byte
	pos int // in bits
}

func (r *bitReader) bit() (uint, bool) {
	if r.pos >= len(r.b)*8 {
		return 0, false
	}
	v := uint(r.b[r.pos/8]>>(7-r.pos%8)) & 1
	r.pos++
	return v, true
}

// ue reads one ue(v); ok is false past the end or for codes above 2^31.
func (r *bitReader) ue() (v uint, ok bool) {
	zeros := 0
	for {
		b, ok := r.bit()
		if !ok {
			return 0, false
		}
		if b == 1 {
			break
		}
		if zeros++; zeros > 31 {
			return 0, false
		}
	}
	v = 1
	for range zeros {
		b, ok := r.bit()
		if !ok {
			return 0, false
		}
		v = v<<1 | b
	}
	return v - 1, true
}
