// Package h264 holds helpers for H.264 access units as the video store keeps
// them: Annex-B byte streams (ITU-T H.264 Annex B) with SPS and PPS in band on
// keyframes.
//
// It splits an access unit into NAL units, classifies them (Table 7-1),
// converts between Annex-B and the length-prefixed form ISO/IEC 14496-15
// stores in MP4 ("AVCC", 4-byte lengths), removes emulation-prevention bytes
// (7.4.1) and parses the sequence parameter set (7.3.2.1.1) far enough to
// know the profile, level, picture size and VUI timing.
//
// Contracts:
//   - Nothing here panics on malformed input; parsers return an error wrapping
//     one of the sentinels in errors.go.
//   - Returned NAL units alias the input: they are sub-slices, not copies.
//   - Bytes before the first start code are not part of any NAL unit
//     (B.2: a byte stream starts with optional zero bytes and a start code),
//     and empty NAL units (two start codes in a row) are skipped.
package h264
