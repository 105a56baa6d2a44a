package mp4

import (
	"encoding/binary"
	"math"
)

// boxBuf builds boxes (ISO/IEC 14496-12 4.2) in memory. start writes a
// header with a placeholder size; end fills it in. Only metadata goes
// through it; payloads are written straight to the output.
type boxBuf struct {
	b        []byte
	overflow bool // a box grew past 4 GiB
}

func (w *boxBuf) start(typ string) int {
	off := len(w.b)
	w.b = append(w.b, 0, 0, 0, 0, typ[0], typ[1], typ[2], typ[3])
	return off
}

// startFull starts a FullBox (4.2): version and 24-bit flags follow the
// header.
func (w *boxBuf) startFull(typ string, version uint8, flags uint32) int {
	off := w.start(typ)
	w.u32(uint32(version)<<24 | flags&0xffffff)
	return off
}

func (w *boxBuf) end(off int) {
	n := len(w.b) - off
	if uint64(n) > math.MaxUint32 {
		w.overflow = true
		return
	}
	binary.BigEndian.PutUint32(w.b[off:], uint32(n))
}

func (w *boxBuf) u8(v uint8)      { w.b = append(w.b, v) }
func (w *boxBuf) u16(v uint16)    { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *boxBuf) u32(v uint32)    { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *boxBuf) u64(v uint64)    { w.b = binary.BigEndian.AppendUint64(w.b, v) }
func (w *boxBuf) bytes(p []byte)  { w.b = append(w.b, p...) }
func (w *boxBuf) zeros(n int)     { w.b = append(w.b, make([]byte, n)...) }
func (w *boxBuf) fourcc(s string) { w.b = append(w.b, s[0], s[1], s[2], s[3]) }

// matrix writes the identity transformation matrix of mvhd and tkhd
// (8.2.2.3, 8.3.2.3).
func (w *boxBuf) matrix() {
	for _, v := range [9]uint32{0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000} {
		w.u32(v)
	}
}

// timeVersion returns the version of a box with 32- or 64-bit times: 1 when
// any of vs does not fit 32 bits.
func timeVersion(vs ...uint64) uint8 {
	for _, v := range vs {
		if v > math.MaxUint32 {
			return 1
		}
	}
	return 0
}

// times writes values as 32-bit fields for version 0, 64-bit for version 1.
func (w *boxBuf) times(version uint8, vs ...uint64) {
	for _, v := range vs {
		if version == 1 {
			w.u64(v)
		} else {
			w.u32(uint32(v))
		}
	}
}
