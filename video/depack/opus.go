package depack

// opus passes Opus packets through: one RTP packet carries one Opus packet
// (RFC 7587 4.2), which is one frame and always a keyframe.
type opus struct{}

func (opus) add(a *frameBuf, p []byte) error {
	if err := a.grow(len(p)); err != nil {
		return err
	}
	a.buf = append(a.buf, p...)
	return nil
}

func (opus) finish(a *frameBuf) ([]byte, bool, bool, error) {
	if a.broken || len(a.buf) == 0 {
		return nil, false, false, nil
	}
	return a.buf, true, true, nil
}
