package camera

// maxFillerFrames caps the filler added to one access unit, in frames'
// worth of the target rate, so a long run of small frames after a large
// keyframe does not turn into one huge filler burst.
const maxFillerFrames = 4

// maxDebtFrames bounds, in frames' worth of the target rate, how far the
// frames may have overspent the budget.
const maxDebtFrames = 100

// padder decides how many filler bytes to add to each frame so that the
// H.264 bytes sent average a target bitrate. It keeps a byte budget:
// each frame adds target/fps, the frame and its filler spend it. A frame
// larger than its share (a keyframe) goes over budget and the following
// frames get less filler until the average is back on target.
type padder struct {
	perFrame float64 // target bytes per frame; 0 = no filler
	budget   float64
}

// newPadder returns a padder for bitrate bit/s at fps; bitrate 0 adds
// nothing.
func newPadder(bitrate int64, fps float64) *padder {
	return &padder{perFrame: float64(bitrate) / 8 / fps}
}

// minFiller is the smallest filler NAL unit: start code, header byte
// and the stop bit's byte.
const minFiller = 4 + 2

// fill returns the filler NAL unit size (start code included) to append to
// a frame of size bytes, 0 for none.
func (p *padder) fill(size int) int {
	if p.perFrame == 0 {
		return 0
	}
	p.budget += p.perFrame - float64(size)
	// A target below the clip's own bitrate never pays its debt: keep
	// the number bounded.
	p.budget = max(p.budget, -maxDebtFrames*p.perFrame)
	n := int(min(p.budget, maxFillerFrames*p.perFrame))
	if n < minFiller {
		return 0
	}
	p.budget -= float64(n)
	return n
}

// fillerPayloads returns the RTP payloads of one filler data NAL unit
// (H.264 §7.3.2.7: header 0x0c, 0xff bytes, rbsp_stop_one_bit) of size
// bytes counted with its 4-byte start code, as a single NAL unit packet
// when it fits in mtu bytes and as FU-A fragments otherwise (RFC 6184
// §5.6, §5.8). nal_ref_idc is 0: the unit is never referenced. size must
// be at least 6.
func fillerPayloads(size int, mtu int) [][]byte {
	nal := make([]byte, size-len(startCode))
	nal[0] = nalFiller
	for i := 1; i < len(nal)-1; i++ {
		nal[i] = 0xff
	}
	nal[len(nal)-1] = 0x80
	if len(nal) <= mtu {
		return [][]byte{nal}
	}
	var out [][]byte
	body := nal[1:]
	for first := true; len(body) > 0; first = false {
		n := min(len(body), mtu-2)
		fu := make([]byte, 2+n)
		fu[0] = nalFUA // F=0, NRI=0
		fu[1] = nalFiller
		if first {
			fu[1] |= 0x80 // S
		}
		if n == len(body) {
			fu[1] |= 0x40 // E
		}
		copy(fu[2:], body[:n])
		out = append(out, fu)
		body = body[n:]
	}
	return out
}
