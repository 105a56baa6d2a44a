package h264

// A test-only SPS encoder (7.3.2.1.1), so the parser can be checked against
// syntax x264 never emits (scaling lists, POC type 1, monochrome, ...) and
// against ffmpeg with those SPSs spliced into a real stream.

type bitWriter struct {
	b []byte
	n int // bits used in the last byte
}

func (w *bitWriter) u(bits int, v uint64) {
	for i := bits - 1; i >= 0; i-- {
		if w.n == 0 {
			w.b = append(w.b, 0)
		}
		w.b[len(w.b)-1] |= byte(v>>uint(i)&1) << (7 - w.n)
		w.n = (w.n + 1) % 8
	}
}

func (w *bitWriter) flag(f bool) {
	if f {
		w.u(1, 1)
	} else {
		w.u(1, 0)
	}
}

func (w *bitWriter) ue(v uint32) {
	x := uint64(v) + 1
	bits := 0
	for x>>uint(bits) > 1 {
		bits++
	}
	w.u(bits, 0)
	w.u(bits+1, x)
}

func (w *bitWriter) se(v int32) {
	if v > 0 {
		w.ue(uint32(2*v - 1))
	} else {
		w.ue(uint32(-2 * v))
	}
}

// trailing writes rbsp_trailing_bits.
func (w *bitWriter) trailing() []byte {
	w.u(1, 1)
	w.n = 0
	return w.b
}

type vuiFields struct {
	sarIDC             uint8 // 0: no aspect ratio info
	sarW, sarH         uint16
	overscan           bool
	signal, colour     bool
	chromaLoc          bool
	timing             *Timing
	cutAfterTimingFlag bool // end the NAL unit right after timing_info_present_flag
}

type spsFields struct {
	profile, constraints, level uint8
	id                          uint32
	chroma                      uint32
	separate                    bool
	depthL, depthC              uint32 // minus 8
	// scaling is nil for no matrix; otherwise one entry per list, nil for
	// "not present", {0} for "use the default", else the scale values.
	scaling      [][]int32
	log2MaxFrame uint32
	pocType      uint32
	pocLSB       uint32
	pocCycle     []int32
	maxRef       uint32
	widthMBs     uint32 // minus 1 coded
	heightUnits  uint32 // minus 1 coded
	frameMBsOnly bool
	crop         *[4]uint32
	vui          *vuiFields
}

func (f spsFields) encode() []byte {
	w := &bitWriter{}
	w.u(8, 0x67)
	w.u(8, uint64(f.profile))
	w.u(8, uint64(f.constraints))
	w.u(8, uint64(f.level))
	w.ue(f.id)
	if hasChromaInfo(f.profile) {
		w.ue(f.chroma)
		if f.chroma == 3 {
			w.flag(f.separate)
		}
		w.ue(f.depthL)
		w.ue(f.depthC)
		w.flag(false)
		w.flag(f.scaling != nil)
		for _, list := range f.scaling {
			w.flag(list != nil)
			if list != nil {
				writeScalingList(w, list)
			}
		}
	}
	w.ue(f.log2MaxFrame)
	w.ue(f.pocType)
	switch f.pocType {
	case 0:
		w.ue(f.pocLSB)
	case 1:
		w.flag(false)
		w.se(-3)
		w.se(2)
		w.ue(uint32(len(f.pocCycle)))
		for _, o := range f.pocCycle {
			w.se(o)
		}
	}
	w.ue(f.maxRef)
	w.flag(false)
	w.ue(f.widthMBs)
	w.ue(f.heightUnits)
	w.flag(f.frameMBsOnly)
	if !f.frameMBsOnly {
		w.flag(true)
	}
	w.flag(true)
	w.flag(f.crop != nil)
	if f.crop != nil {
		for _, c := range f.crop {
			w.ue(c)
		}
	}
	w.flag(f.vui != nil)
	if v := f.vui; v != nil {
		w.flag(v.sarIDC != 0)
		if v.sarIDC != 0 {
			w.u(8, uint64(v.sarIDC))
			if v.sarIDC == 255 {
				w.u(16, uint64(v.sarW))
				w.u(16, uint64(v.sarH))
			}
		}
		w.flag(v.overscan)
		if v.overscan {
			w.flag(true)
		}
		w.flag(v.signal)
		if v.signal {
			w.u(3, 5)
			w.flag(true)
			w.flag(v.colour)
			if v.colour {
				w.u(24, 0x010101)
			}
		}
		w.flag(v.chromaLoc)
		if v.chromaLoc {
			w.ue(1)
			w.ue(2)
		}
		w.flag(v.timing != nil)
		if v.cutAfterTimingFlag {
			return addEmulationPrevention(w.b)
		}
		if t := v.timing; t != nil {
			w.u(32, uint64(t.NumUnitsInTick))
			w.u(32, uint64(t.TimeScale))
			w.flag(t.FixedFrameRate)
		}
		w.flag(false) // nal_hrd_parameters_present_flag
		w.flag(false) // vcl_hrd_parameters_present_flag
		w.flag(false) // pic_struct_present_flag
		w.flag(false) // bitstream_restriction_flag
	}
	return addEmulationPrevention(w.trailing())
}

func writeScalingList(w *bitWriter, list []int32) {
	last := int32(8)
	for j, v := range list {
		if v == 0 || (j > 0 && allEqual(list[j:], last)) {
			// nextScale 0: at j == 0 "use the default matrix", later
			// "repeat the last scale to the end".
			w.se(wrapDelta(-last))
			return
		}
		w.se(wrapDelta(v - last))
		last = v
	}
}

func allEqual(s []int32, v int32) bool {
	for _, x := range s {
		if x != v {
			return false
		}
	}
	return true
}

func wrapDelta(d int32) int32 {
	for d > 127 {
		d -= 256
	}
	for d < -128 {
		d += 256
	}
	return d
}

// addEmulationPrevention inserts 03 after every 00 00 that precedes a byte
// <= 03 (7.4.1).
func addEmulationPrevention(rbsp []byte) []byte {
	out := make([]byte, 0, len(rbsp)+8)
	zeros := 0
	for _, b := range rbsp {
		if zeros >= 2 && b <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, b)
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}
