package mp4

import (
	"fmt"
	"strings"

	"github.com/tributary-edge/tributary/video/h264"
	"github.com/tributary-edge/tributary/video/media"
)

// trackInfo is what the sample description of one track needs.
type trackInfo struct {
	id        uint32 // track_ID: index in Fragment.Tracks + 1
	codec     media.Codec
	timescale uint32
	// H.264
	sps, pps []byte
	info     h264.SPS
	// Opus
	channels uint8
}

func (t *trackInfo) isVideo() bool { return t.codec.IsVideo() }

// fallbackDuration is the duration in ticks of a track's only frame.
func (t *trackInfo) fallbackDuration() uint32 {
	if t.isVideo() {
		return t.timescale / 25
	}
	return t.timescale / 50
}

// newTrackInfo describes track index idx of codec tr. For H.264 it takes
// the parameter sets from the first frame that has both an SPS that parses
// and a PPS; frames yields that track's frames in order until it returns
// false.
func newTrackInfo(idx int, tr media.Track, frames func(fn func(*media.Frame) bool)) (*trackInfo, error) {
	t := &trackInfo{id: uint32(idx) + 1, codec: tr.Codec, timescale: tr.Codec.ClockRate()}
	switch tr.Codec {
	case media.CodecH264:
		var lastErr error
		frames(func(f *media.Frame) bool {
			sps, pps := h264.ParameterSets(f.Data)
			if sps == nil || pps == nil {
				return true
			}
			info, err := h264.ParseSPS(sps)
			if err != nil {
				lastErr = err
				return true
			}
			t.sps, t.pps, t.info = sps, pps, info
			return false
		})
		if t.sps == nil {
			if lastErr != nil {
				return nil, fmt.Errorf("%w: track %d: %w", ErrNoParameterSets, idx, lastErr)
			}
			return nil, fmt.Errorf("%w: track %d", ErrNoParameterSets, idx)
		}
		if len(t.sps) > 0xffff || len(t.pps) > 0xffff {
			return nil, fmt.Errorf("%w: track %d: parameter set over 64 KiB", ErrNoParameterSets, idx)
		}
	case media.CodecOpus:
		// Mapping family 0 (RFC 7845 5.1.1.1) carries mono or stereo.
		t.channels = tr.Channels
		if t.channels == 0 || t.channels > 2 {
			t.channels = 2
		}
	default:
		return nil, fmt.Errorf("%w: track %d is %v", ErrUnsupportedCodec, idx, tr.Codec)
	}
	return t, nil
}

// checkCodecs fails for tracks of codecs this package cannot write.
func checkCodecs(tracks []media.Track) error {
	for i, tr := range tracks {
		if tr.Codec != media.CodecH264 && tr.Codec != media.CodecOpus {
			return fmt.Errorf("%w: track %d is %v", ErrUnsupportedCodec, i, tr.Codec)
		}
	}
	return nil
}

// writeSampleEntry writes the track's entry of stsd.
func (t *trackInfo) writeSampleEntry(w *boxBuf) {
	if t.isVideo() {
		t.writeAVC1(w)
	} else {
		t.writeOpus(w)
	}
}

// writeAVC1 writes an AVCSampleEntry (ISO/IEC 14496-15 5.4.2.1), a
// VisualSampleEntry (ISO/IEC 14496-12 12.1.3) followed by its avcC.
func (t *trackInfo) writeAVC1(w *boxBuf) {
	entry := w.start("avc1")
	w.zeros(6) // reserved
	w.u16(1)   // data_reference_index
	w.zeros(16)
	w.u16(uint16(t.info.Width))
	w.u16(uint16(t.info.Height))
	w.u32(0x00480000) // horizresolution, 72 dpi
	w.u32(0x00480000) // vertresolution
	w.u32(0)          // reserved
	w.u16(1)          // frame_count
	w.zeros(32)       // compressorname
	w.u16(0x0018)     // depth
	w.u16(0xffff)     // pre_defined = -1

	// AVCDecoderConfigurationRecord, ISO/IEC 14496-15 5.3.3.1.
	avcC := w.start("avcC")
	w.u8(1) // configurationVersion
	w.u8(t.sps[1])
	w.u8(t.sps[2])
	w.u8(t.sps[3])
	w.u8(0xfc | (h264.AVCCLengthSize - 1)) // reserved '111111', lengthSizeMinusOne
	w.u8(0xe0 | 1)                         // reserved '111', numOfSequenceParameterSets
	w.u16(uint16(len(t.sps)))
	w.bytes(t.sps)
	w.u8(1) // numOfPictureParameterSets
	w.u16(uint16(len(t.pps)))
	w.bytes(t.pps)
	switch t.info.ProfileIDC {
	case 100, 110, 122, 144: // the record's extension for high profiles
		w.u8(0xfc | uint8(t.info.ChromaFormatIDC))
		w.u8(0xf8 | uint8(t.info.BitDepthLuma-8))
		w.u8(0xf8 | uint8(t.info.BitDepthChroma-8))
		w.u8(0) // numOfSequenceParameterSetExt
	}
	w.end(avcC)
	w.end(entry)
}

// writeOpus writes an OpusSampleEntry ("Encapsulation of Opus in ISO Base
// Media File Format" 4.3.1), an AudioSampleEntry (ISO/IEC 14496-12 12.2.3),
// with its OpusSpecificBox dOps (4.3.2).
func (t *trackInfo) writeOpus(w *boxBuf) {
	entry := w.start("Opus")
	w.zeros(6) // reserved
	w.u16(1)   // data_reference_index
	w.zeros(8) // reserved
	w.u16(uint16(t.channels))
	w.u16(16)          // samplesize
	w.u16(0)           // pre_defined
	w.u16(0)           // reserved
	w.u32(48000 << 16) // samplerate, 16.16

	dOps := w.start("dOps")
	w.u8(0) // Version
	w.u8(t.channels)
	w.u16(0)     // PreSkip: RTP does not carry the encoder delay; a few ms stay in
	w.u32(48000) // InputSampleRate
	w.u16(0)     // OutputGain
	w.u8(0)      // ChannelMappingFamily
	w.end(dOps)
	w.end(entry)
}

// Codecs returns the RFC 6381 codecs parameter for frag's tracks as
// WriteInit describes them, for HLS CODECS attributes and Media Source
// Extensions, e.g. "avc1.42c01e,opus" ("opus" per the Opus in ISOBMFF
// encapsulation, 4.1).
func Codecs(frag *media.Fragment) (string, error) {
	if frag == nil || len(frag.Tracks) == 0 {
		return "", ErrNoFrames
	}
	if err := checkCodecs(frag.Tracks); err != nil {
		return "", err
	}
	var codecs []string
	for i, tr := range frag.Tracks {
		if tr.Codec == media.CodecOpus {
			codecs = append(codecs, "opus")
			continue
		}
		info, err := newTrackInfo(i, tr, trackFrames([]*media.Fragment{frag}, i))
		if err != nil {
			return "", err
		}
		codecs = append(codecs, info.info.CodecString())
	}
	return strings.Join(codecs, ","), nil
}
