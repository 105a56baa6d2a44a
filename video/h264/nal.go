package h264

// NALType is nal_unit_type, ITU-T H.264 Table 7-1.
type NALType uint8

// NAL unit types the store cares about (Table 7-1).
const (
	NALSlice    NALType = 1  // coded slice of a non-IDR picture
	NALSliceA   NALType = 2  // slice data partition A
	NALIDR      NALType = 5  // coded slice of an IDR picture
	NALSEI      NALType = 6  // supplemental enhancement information
	NALSPS      NALType = 7  // sequence parameter set
	NALPPS      NALType = 8  // picture parameter set
	NALAUD      NALType = 9  // access unit delimiter
	NALEndSeq   NALType = 10 // end of sequence
	NALEndStrm  NALType = 11 // end of stream
	NALFiller   NALType = 12 // filler data
	NALSPSExt   NALType = 13 // sequence parameter set extension
	NALSubSPS   NALType = 15 // subset sequence parameter set
	NALSliceExt NALType = 20 // coded slice extension (SVC/MVC)
)

// Type returns the nal_unit_type of a NAL unit (without start code), or 0
// for an empty one.
func Type(nal []byte) NALType {
	if len(nal) == 0 {
		return 0
	}
	return NALType(nal[0] & 0x1f)
}

// ForEachNAL calls fn with each NAL unit of the Annex-B access unit au, in
// order, without its start code and without trailing zero bytes
// (trailing_zero_8bits, B.1). It stops early when fn returns false. It does
// not allocate.
func ForEachNAL(au []byte, fn func(nal []byte) bool) {
	start := -1 // first byte of the current NAL unit, -1 before the first start code
	i := 0
	for i+2 < len(au) {
		// Look for 00 00 01. Skip fast when the third byte cannot end one.
		if au[i+2] > 1 {
			i += 3
			continue
		}
		if au[i] != 0 || au[i+1] != 0 || au[i+2] != 1 {
			i++
			continue
		}
		if start >= 0 && !emit(au[start:i], fn) {
			return
		}
		i += 3
		start = i
	}
	if start >= 0 {
		emit(au[start:], fn)
	}
}

// emit trims the zero bytes that belong to the next start code (the leading
// zero of a 4-byte start code, or trailing_zero_8bits) and skips empty units.
func emit(nal []byte, fn func([]byte) bool) bool {
	for len(nal) > 0 && nal[len(nal)-1] == 0 {
		nal = nal[:len(nal)-1]
	}
	if len(nal) == 0 {
		return true
	}
	return fn(nal)
}

// Split returns the NAL units of the Annex-B access unit au (see ForEachNAL).
// The units alias au.
func Split(au []byte) [][]byte {
	var nals [][]byte
	ForEachNAL(au, func(nal []byte) bool {
		nals = append(nals, nal)
		return true
	})
	return nals
}

// IsKeyframe reports whether the Annex-B access unit au holds a coded slice
// of an IDR picture, where a decoder can start.
func IsKeyframe(au []byte) bool {
	key := false
	ForEachNAL(au, func(nal []byte) bool {
		key = Type(nal) == NALIDR
		return !key
	})
	return key
}

// ParameterSets returns the first SPS and the first PPS in the Annex-B access
// unit au; either is nil when absent. They alias au.
func ParameterSets(au []byte) (sps, pps []byte) {
	ForEachNAL(au, func(nal []byte) bool {
		switch Type(nal) {
		case NALSPS:
			if sps == nil {
				sps = nal
			}
		case NALPPS:
			if pps == nil {
				pps = nal
			}
		}
		return sps == nil || pps == nil
	})
	return sps, pps
}
