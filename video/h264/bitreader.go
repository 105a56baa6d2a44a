package h264

// bitReader reads the bits of an RBSP most significant first. Reading past
// the end sets err to ErrTruncated and yields zeros, so a parser may read a
// run of fields and check once.
type bitReader struct {
	b   []byte
	pos int // in bits
	err error
}

func (r *bitReader) u(n int) uint32 {
	var v uint32
	for ; n > 0; n-- {
		v = v<<1 | uint32(r.bit())
	}
	return v
}

func (r *bitReader) flag() bool { return r.bit() == 1 }

func (r *bitReader) bit() uint8 {
	if r.pos >= len(r.b)*8 {
		r.err = ErrTruncated
		return 0
	}
	v := r.b[r.pos/8] >> (7 - r.pos%8) & 1
	r.pos++
	return v
}

// ue reads ue(v), Exp-Golomb coded unsigned (9.1). Codes longer than 32
// bits cannot occur in a conforming SPS and set err.
func (r *bitReader) ue() uint32 {
	zeros := 0
	for r.bit() == 0 {
		if r.err != nil {
			return 0
		}
		zeros++
		if zeros > 31 {
			r.err = ErrInvalidSPS
			return 0
		}
	}
	return uint32((uint64(1)<<zeros - 1) + uint64(r.u(zeros)))
}

// se reads se(v), Exp-Golomb coded signed (9.1.1).
func (r *bitReader) se() int32 {
	k := int64(r.ue())
	if k%2 == 1 {
		return int32((k + 1) / 2)
	}
	return int32(-k / 2)
}
