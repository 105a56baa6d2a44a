package webm

import "encoding/binary"

// opusHead returns the Opus identification header (RFC 7845 5.1) WebM
// carries as CodecPrivate: version 1, no pre-skip (RTP does not carry the
// encoder delay), 48 kHz, no gain, channel mapping family 0 (mono or
// stereo).
func opusHead(channels uint8) []byte {
	h := make([]byte, 0, 19)
	h = append(h, "OpusHead"...)
	h = append(h, 1, channels)
	h = binary.LittleEndian.AppendUint16(h, 0)     // pre-skip
	h = binary.LittleEndian.AppendUint32(h, 48000) // input sample rate
	h = binary.LittleEndian.AppendUint16(h, 0)     // output gain
	return append(h, 0)                            // mapping family
}
