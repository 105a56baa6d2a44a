// Package media holds the types every part of video/ shares: codecs, frames
// (one access unit of one track) and fragments (a keyframe-led run of frames,
// the unit the store keeps and playback serves).
//
// Payload conventions, so that every producer and consumer agrees:
//
//   - H.264 frames are one access unit in Annex-B form (NAL units each led by
//     the 4-byte start code 00 00 00 01). A keyframe carries its SPS and PPS in
//     band, ahead of the IDR slice; the depacketizer inserts the latest ones
//     when the camera sent them separately.
//   - VP8 frames are one whole VP8 frame (RFC 6386), payload descriptors removed.
//   - Opus frames are one Opus packet (RFC 6716).
//
// Times: PTS is in the track's clock (ClockRate ticks per second, 90 kHz for
// video, 48 kHz for Opus), unwrapped to 64 bits and counted from the start of
// the source, so it never jumps backwards on RTP timestamp wraparound.
package media
