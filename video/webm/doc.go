// Package webm writes the video store's VP8 fragments, with optional Opus
// audio, as one WebM file (a Matroska subset, https://www.webmproject.org/docs/container/,
// element semantics in RFC 9559), using github.com/at-wat/ebml-go/webm.
//
// WriteClip takes the same input as mp4.WriteClip and lays the fragments on
// one timeline the same way (see Options.MaxGap). Details:
//
//   - Track n of a fragment (Fragment.Tracks[n]) is TrackNumber n+1: VP8
//     ("V_VP8", size from the first key frame header, RFC 6386 9.1) and
//     Opus ("A_OPUS", CodecPrivate an OpusHead, RFC 7845 5.1; SeekPreRoll
//     80 ms as the WebM guidelines ask). H.264 cannot go in WebM and makes
//     the write fail with ErrUnsupportedCodec; use package mp4.
//   - Frames become SimpleBlocks with the key frame flag, in time order
//     across tracks; timestamps are in milliseconds (TimecodeScale 1 ms). A
//     cluster starts at each video key frame.
//   - Segment Info carries the duration. When w is an io.WriteSeeker at
//     offset 0 (a file), SeekHead and Cues are written too, and the
//     duration is then that of the last frame's start.
//   - Frames with no payload are left out, and so is a track with no
//     frames.
//   - Memory is one small index entry per frame plus one block at a time;
//     payloads are not gathered into one buffer.
//   - Malformed input gives an error wrapping a sentinel of errors.go before
//     anything is written; an error from w is returned wrapped.
package webm
