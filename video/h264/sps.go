package h264

import "fmt"

// SPS is what the store needs from a sequence parameter set
// (ITU-T H.264 7.3.2.1.1 and 7.4.2.1.1).
type SPS struct {
	ProfileIDC uint8
	// Constraints is the byte holding constraint_set0_flag..constraint_set5_flag
	// and reserved_zero_2bits, as carried in avcC and RFC 6381 codec strings.
	Constraints uint8
	LevelIDC    uint8
	ID          uint32
	// ChromaFormatIDC is 0 (monochrome), 1 (4:2:0), 2 (4:2:2) or 3 (4:4:4);
	// 1 when the profile does not signal it.
	ChromaFormatIDC     uint32
	SeparateColourPlane bool
	BitDepthLuma        uint32 // 8 unless a high profile signals more
	BitDepthChroma      uint32
	FrameMBsOnly        bool
	// Width and Height are the cropped picture size in luma samples: what a
	// player shows.
	Width, Height int
	// Timing is the VUI timing information, nil when absent or when the
	// VUI does not parse.
	Timing *Timing
}

// Timing is the timing_info of the VUI (E.1.1, E.2.1).
type Timing struct {
	NumUnitsInTick uint32
	TimeScale      uint32
	FixedFrameRate bool
}

// FrameRate returns the frame rate the timing implies for progressive video
// (time_scale / (2 * num_units_in_tick), E.2.1), or 0 when unknown.
func (t *Timing) FrameRate() float64 {
	if t == nil || t.NumUnitsInTick == 0 {
		return 0
	}
	return float64(t.TimeScale) / (2 * float64(t.NumUnitsInTick))
}

// CodecString returns the RFC 6381 codecs parameter of the stream, for
// example "avc1.42c01e" (profile_idc, the constraint byte and level_idc in
// hex), as HLS CODECS and MSE want it.
func (s *SPS) CodecString() string {
	return fmt.Sprintf("avc1.%02x%02x%02x", s.ProfileIDC, s.Constraints, s.LevelIDC)
}

// maxMBs limits the picture to 4095 macroblocks a side (65520 luma
// samples): far beyond level 6.2 (8192x4320), and every size fits the
// 16-bit fields of an MP4 sample entry.
const maxMBs = 1<<12 - 1

// ParseSPS parses the SPS NAL unit nal (header byte included, emulation
// prevention bytes still in). It returns an error wrapping ErrNotSPS,
// ErrTruncated or ErrInvalidSPS when nal is not a usable SPS.
func ParseSPS(nal []byte) (SPS, error) {
	var s SPS
	if Type(nal) != NALSPS {
		return s, fmt.Errorf("%w: type %d", ErrNotSPS, Type(nal))
	}
	// The fixed part and the Exp-Golomb fields of an SPS are a few dozen
	// bytes, plus up to 12 scaling lists and the VUI: never more than a
	// few hundred bytes, so copying out the RBSP is cheap.
	r := bitReader{b: RemoveEmulationPrevention(make([]byte, 0, len(nal)), nal[1:])}
	s.ProfileIDC = uint8(r.u(8))
	s.Constraints = uint8(r.u(8))
	s.LevelIDC = uint8(r.u(8))
	s.ID = r.ue()
	if r.err == nil && s.ID > 31 {
		return s, fmt.Errorf("%w: seq_parameter_set_id %d", ErrInvalidSPS, s.ID)
	}
	s.ChromaFormatIDC, s.BitDepthLuma, s.BitDepthChroma = 1, 8, 8
	if hasChromaInfo(s.ProfileIDC) {
		if err := parseChromaInfo(&r, &s); err != nil {
			return s, err
		}
	}
	if log2MaxFrameNum := r.ue(); log2MaxFrameNum > 12 {
		return s, fmt.Errorf("%w: log2_max_frame_num_minus4 %d", ErrInvalidSPS, log2MaxFrameNum)
	}
	switch pocType := r.ue(); pocType {
	case 0:
		if v := r.ue(); v > 12 {
			return s, fmt.Errorf("%w: log2_max_pic_order_cnt_lsb_minus4 %d", ErrInvalidSPS, v)
		}
	case 1:
		r.flag() // delta_pic_order_always_zero_flag
		r.se()   // offset_for_non_ref_pic
		r.se()   // offset_for_top_to_bottom_field
		n := r.ue()
		if n > 255 {
			return s, fmt.Errorf("%w: num_ref_frames_in_pic_order_cnt_cycle %d", ErrInvalidSPS, n)
		}
		for i := uint32(0); i < n && r.err == nil; i++ {
			r.se() // offset_for_ref_frame[i]
		}
	case 2:
	default:
		if r.err == nil {
			return s, fmt.Errorf("%w: pic_order_cnt_type %d", ErrInvalidSPS, pocType)
		}
	}
	r.ue()   // max_num_ref_frames
	r.flag() // gaps_in_frame_num_value_allowed_flag
	widthMBs := uint64(r.ue()) + 1
	heightMapUnits := uint64(r.ue()) + 1
	s.FrameMBsOnly = r.flag()
	if !s.FrameMBsOnly {
		r.flag() // mb_adaptive_frame_field_flag
	}
	r.flag() // direct_8x8_inference_flag
	var cropL, cropR, cropT, cropB uint64
	if r.flag() { // frame_cropping_flag
		cropL, cropR, cropT, cropB = uint64(r.ue()), uint64(r.ue()), uint64(r.ue()), uint64(r.ue())
	}
	if r.err != nil {
		return s, fmt.Errorf("h264: SPS: %w", r.err)
	}
	heightMBs := heightMapUnits
	if !s.FrameMBsOnly {
		heightMBs *= 2 // FrameHeightInMbs = (2 - frame_mbs_only_flag) * PicHeightInMapUnits
	}
	if widthMBs > maxMBs || heightMBs > maxMBs {
		return s, fmt.Errorf("%w: %dx%d macroblocks", ErrInvalidSPS, widthMBs, heightMBs)
	}
	// CropUnitX/CropUnitY, equations 7-19 to 7-22.
	cropX, cropY := uint64(1), uint64(1)
	if !s.FrameMBsOnly {
		cropY = 2
	}
	if !s.SeparateColourPlane && s.ChromaFormatIDC != 0 {
		subW, subH := uint64(2), uint64(2) // Table 6-1
		switch s.ChromaFormatIDC {
		case 2:
			subH = 1
		case 3:
			subW, subH = 1, 1
		}
		cropX, cropY = subW, subH*cropY
	}
	w, h := widthMBs*16, heightMBs*16
	if cropX*(cropL+cropR) >= w || cropY*(cropT+cropB) >= h {
		return s, fmt.Errorf("%w: cropping %d,%d,%d,%d of %dx%d", ErrInvalidSPS, cropL, cropR, cropT, cropB, w, h)
	}
	s.Width = int(w - cropX*(cropL+cropR))
	s.Height = int(h - cropY*(cropT+cropB))

	if r.flag() { // vui_parameters_present_flag
		// Some cameras send a VUI cut short; the size is known by now, so a
		// VUI that does not parse only leaves Timing nil.
		s.Timing, _ = parseVUITiming(&r)
	}
	return s, nil
}

// hasChromaInfo reports whether an SPS of the profile carries
// chroma_format_idc and what follows it (the if in 7.3.2.1.1).
func hasChromaInfo(profile uint8) bool {
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		return true
	}
	return false
}

// parseChromaInfo reads chroma_format_idc through the scaling matrices.
func parseChromaInfo(r *bitReader, s *SPS) error {
	s.ChromaFormatIDC = r.ue()
	if s.ChromaFormatIDC > 3 {
		return fmt.Errorf("%w: chroma_format_idc %d", ErrInvalidSPS, s.ChromaFormatIDC)
	}
	if s.ChromaFormatIDC == 3 {
		s.SeparateColourPlane = r.flag()
	}
	luma, chroma := r.ue(), r.ue()
	if luma > 6 || chroma > 6 {
		return fmt.Errorf("%w: bit depth minus 8 %d/%d", ErrInvalidSPS, luma, chroma)
	}
	s.BitDepthLuma, s.BitDepthChroma = luma+8, chroma+8
	r.flag()      // qpprime_y_zero_transform_bypass_flag
	if r.flag() { // seq_scaling_matrix_present_flag
		n := 8
		if s.ChromaFormatIDC == 3 {
			n = 12
		}
		for i := 0; i < n && r.err == nil; i++ {
			if !r.flag() { // seq_scaling_list_present_flag[i]
				continue
			}
			size := 16
			if i >= 6 {
				size = 64
			}
			skipScalingList(r, size)
		}
	}
	if r.err != nil {
		return fmt.Errorf("h264: SPS: %w", r.err)
	}
	return nil
}

// skipScalingList reads scaling_list() (7.3.2.1.1.1) without keeping it.
// After a delta makes nextScale 0 the remaining entries repeat the last
// scale and are not coded.
func skipScalingList(r *bitReader, size int) {
	last, next := int32(8), int32(8)
	for j := 0; j < size && r.err == nil; j++ {
		if next != 0 {
			delta := r.se()
			if delta < -128 || delta > 127 {
				r.err = ErrInvalidSPS
				return
			}
			next = (last + delta + 256) % 256
		}
		if next != 0 {
			last = next
		}
	}
}

// parseVUITiming reads vui_parameters() (E.1.1) up to and including the
// timing information, the part the store uses.
func parseVUITiming(r *bitReader) (*Timing, error) {
	if r.flag() { // aspect_ratio_info_present_flag
		if r.u(8) == 255 { // aspect_ratio_idc == Extended_SAR
			r.u(16) // sar_width
			r.u(16) // sar_height
		}
	}
	if r.flag() { // overscan_info_present_flag
		r.flag() // overscan_appropriate_flag
	}
	if r.flag() { // video_signal_type_present_flag
		r.u(3)        // video_format
		r.flag()      // video_full_range_flag
		if r.flag() { // colour_description_present_flag
			r.u(24) // colour_primaries, transfer_characteristics, matrix_coefficients
		}
	}
	if r.flag() { // chroma_loc_info_present_flag
		r.ue() // chroma_sample_loc_type_top_field
		r.ue() // chroma_sample_loc_type_bottom_field
	}
	if !r.flag() { // timing_info_present_flag
		if r.err != nil {
			return nil, fmt.Errorf("h264: SPS VUI: %w", r.err)
		}
		return nil, nil
	}
	t := &Timing{NumUnitsInTick: r.u(32), TimeScale: r.u(32), FixedFrameRate: r.flag()}
	if r.err != nil {
		return nil, fmt.Errorf("h264: SPS VUI: %w", r.err)
	}
	return t, nil
}
