package depack

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// H.264 NAL unit types (ITU-T H.264 table 7-1) and RTP packet types (RFC
// 6184 5.2, table 1).
const (
	nalSlice    = 1
	nalIDR      = 5
	nalSPS      = 7
	nalPPS      = 8
	nalAUD      = 9
	nalFiller   = 12
	nalMaxType  = 23
	nalSTAPA    = 24
	nalFUA      = 28
	nalTypeMask = 0x1f
	nalForbid   = 0x80
)

// maxParamSet bounds a remembered SPS or PPS; real ones are tens of bytes.
const maxParamSet = 4096

var startCode = []byte{0, 0, 0, 1}

// h264 reassembles access units from RFC 6184 non-interleaved mode packets:
// single NAL unit packets (5.6), STAP-A (5.7.1) and FU-A (5.8).
type h264 struct {
	maxNAL   int
	sps, pps []byte // latest parameter sets, for keyframes that lack them
	scratch  []byte
}

func newH264(o Options) *h264 {
	h := &h264{maxNAL: o.MaxNALSize}
	for _, ps := range o.ParameterSets {
		if len(ps) > 0 {
			h.remember(ps)
		}
	}
	return h
}

func (h *h264) remember(nal []byte) {
	if len(nal) > maxParamSet {
		return
	}
	switch nal[0] & nalTypeMask {
	case nalSPS:
		if !bytes.Equal(h.sps, nal) {
			h.sps = append(h.sps[:0], nal...)
		}
	case nalPPS:
		if !bytes.Equal(h.pps, nal) {
			h.pps = append(h.pps[:0], nal...)
		}
	}
}

func malformed(a *frameBuf, format string, args ...any) error {
	a.broken = true
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func (h *h264) add(a *frameBuf, p []byte) error {
	if p[0]&nalForbid != 0 {
		return malformed(a, "H.264 forbidden_zero_bit set") // RFC 6184 5.3
	}
	typ := p[0] & nalTypeMask
	if a.fuActive && typ != nalFUA {
		return malformed(a, "H.264 FU-A interrupted by NAL type %d", typ) // RFC 6184 5.8
	}
	switch {
	case typ >= 1 && typ <= nalMaxType:
		return h.nal(a, p)
	case typ == nalSTAPA:
		return h.stapA(a, p[1:])
	case typ == nalFUA:
		return h.fuA(a, p)
	case typ >= 25 && typ <= 29:
		a.broken = true
		return fmt.Errorf("%w: H.264 packet type %d (interleaved mode)", ErrUnsupported, typ)
	}
	return malformed(a, "H.264 NAL type %d", typ) // 0, 30, 31: reserved (RFC 6184 5.4)
}

// stapA splits a STAP-A payload (RFC 6184 5.7.1): 16-bit sizes, each
// followed by that many bytes of NAL unit.
func (h *h264) stapA(a *frameBuf, p []byte) error {
	if len(p) == 0 {
		return malformed(a, "empty STAP-A")
	}
	for len(p) > 0 {
		if len(p) < 2 {
			return malformed(a, "STAP-A truncated size")
		}
		n := int(binary.BigEndian.Uint16(p))
		p = p[2:]
		if n == 0 || n > len(p) {
			return malformed(a, "STAP-A NAL size %d of %d bytes left", n, len(p))
		}
		if p[0]&nalForbid != 0 {
			return malformed(a, "STAP-A NAL forbidden_zero_bit set")
		}
		if t := p[0] & nalTypeMask; t == 0 || t > nalMaxType {
			return malformed(a, "STAP-A holds NAL type %d", t)
		}
		if err := h.nal(a, p[:n]); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// nal appends one whole NAL unit of type 1..23.
func (h *h264) nal(a *frameBuf, n []byte) error {
	typ := n[0] & nalTypeMask
	if typ == nalAUD || typ == nalFiller {
		return nil // dropped: a frame is exactly one access unit anyway
	}
	if len(n) > h.maxNAL {
		return a.oversize(fmt.Errorf("%w: NAL unit of %d bytes over %d", ErrOversize, len(n), h.maxNAL))
	}
	if err := a.grow(len(startCode) + len(n)); err != nil {
		return err
	}
	h.mark(a, typ)
	a.buf = append(append(a.buf, startCode...), n...)
	if typ == nalSPS || typ == nalPPS {
		h.remember(n)
	}
	return nil
}

// mark records the NAL unit of type typ about to start at the end of a.buf.
func (h *h264) mark(a *frameBuf, typ byte) {
	switch {
	case typ == nalSPS || typ == nalPPS:
		a.hasSPS = a.hasSPS || typ == nalSPS
		a.hasPPS = a.hasPPS || typ == nalPPS
		if a.paramOff < 0 {
			a.paramOff = len(a.buf)
		}
	case typ >= nalSlice && typ <= nalIDR:
		a.hasIDR = a.hasIDR || typ == nalIDR
		if a.vclOff < 0 {
			a.vclOff = len(a.buf)
		}
	}
}

// fuA reassembles a fragmented NAL unit (RFC 6184 5.8). A fragment without
// a start, or a start before the previous end, breaks the access unit.
func (h *h264) fuA(a *frameBuf, p []byte) error {
	if len(p) < 2 {
		return malformed(a, "FU-A of %d bytes", len(p))
	}
	ind, hdr := p[0], p[1]
	start, end, typ := hdr&0x80 != 0, hdr&0x40 != 0, hdr&nalTypeMask
	switch {
	case start && end:
		return malformed(a, "FU-A with start and end bits") // RFC 6184 5.8: MUST NOT
	case typ == 0 || typ > nalMaxType:
		return malformed(a, "FU-A of NAL type %d", typ)
	case start && a.fuActive:
		return malformed(a, "FU-A start before the previous end")
	case !start && !a.fuActive:
		return malformed(a, "FU-A without start")
	case !start && typ != a.fuType:
		return malformed(a, "FU-A type changed from %d to %d", a.fuType, typ)
	}
	if start {
		if typ == nalAUD || typ == nalFiller {
			return malformed(a, "fragmented NAL type %d", typ)
		}
		if err := a.grow(len(startCode) + 1 + len(p) - 2); err != nil {
			return err
		}
		h.mark(a, typ)
		a.buf = append(a.buf, startCode...)
		a.fuActive, a.fuType, a.fuStart = true, typ, len(a.buf)
		a.buf = append(a.buf, ind&0xe0|typ) // F and NRI from the indicator
	} else if err := a.grow(len(p) - 2); err != nil {
		return err
	}
	if len(a.buf)-a.fuStart+len(p)-2 > h.maxNAL {
		return a.oversize(fmt.Errorf("%w: fragmented NAL unit over %d bytes", ErrOversize, h.maxNAL))
	}
	a.buf = append(a.buf, p[2:]...)
	if end {
		a.fuActive = false
		if typ == nalSPS || typ == nalPPS {
			h.remember(a.buf[a.fuStart:])
		}
	}
	return nil
}

// finish checks the access unit and makes a keyframe self-contained.
func (h *h264) finish(a *frameBuf) ([]byte, bool, bool, error) {
	if a.broken {
		return nil, false, false, nil
	}
	if a.fuActive {
		a.broken = true
		return nil, false, false, nil // the end of a fragmented NAL unit was lost
	}
	if a.vclOff < 0 {
		// Parameter sets or SEI sent on their own: remembered, not a frame.
		return nil, false, false, nil
	}
	// The first slice must start the picture: first_mb_in_slice, the first
	// ue(v) of the slice header (H.264 7.3.3), is 0 exactly when its first
	// bit is 1. Otherwise the packets before it were lost.
	if i := a.vclOff + len(startCode) + 1; i >= len(a.buf) || a.buf[i]&0x80 == 0 {
		a.broken = true
		return nil, false, false, nil
	}
	if !a.hasIDR || (a.hasSPS && a.hasPPS) {
		return a.buf, a.hasIDR, true, nil
	}
	if (!a.hasSPS && h.sps == nil) || (!a.hasPPS && h.pps == nil) {
		// An IDR nobody can decode from scratch: let it pass as a delta frame.
		return a.buf, false, true, nil
	}
	return h.insertParams(a), true, true, nil
}

// insertParams returns a.buf with the remembered SPS and/or PPS inserted:
// the SPS ahead of any in-band PPS or else the first slice, the PPS ahead of
// the first slice.
func (h *h264) insertParams(a *frameBuf) []byte {
	out := h.scratch[:0]
	spsAt := a.vclOff
	if a.hasPPS {
		spsAt = a.paramOff
	}
	at := 0
	if !a.hasSPS {
		out = append(out, a.buf[:spsAt]...)
		out = append(append(out, startCode...), h.sps...)
		at = spsAt
	}
	out = append(out, a.buf[at:a.vclOff]...)
	if !a.hasPPS {
		out = append(append(out, startCode...), h.pps...)
	}
	out = append(out, a.buf[a.vclOff:]...)
	h.scratch = out
	return out
}
