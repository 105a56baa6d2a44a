// Package mp4 writes the video store's fragments as ISO base media files
// (ISO/IEC 14496-12, "ISO BMFF") with H.264 video (ISO/IEC 14496-15, 'avc1'
// sample entry with 'avcC') and Opus audio ('Opus' sample entry with 'dOps',
// "Encapsulation of Opus in ISO Base Media File Format",
// https://opus-codec.org/docs/opus_in_isobmff.html).
//
// Two outputs:
//
//   - WriteClip writes a progressive file for downloads and <video>:
//     ftyp, moov, mdat, with moov first ("faststart") so a browser can play
//     while downloading. Samples are stored in arrival order, one chunk per
//     run of consecutive samples of one track.
//   - WriteInit and WriteSegment write fragmented MP4 for HLS (RFC 8216
//     3.3): an initialisation segment (ftyp, moov with mvex/trex, empty
//     sample tables) and one media segment per stored fragment (styp, moof
//     with mfhd and one traf per track carrying tfhd, tfdt and trun, then
//     mdat).
//
// Conventions shared by both:
//   - Track n of a fragment (Fragment.Tracks[n]) is track_ID n+1. Tracks
//     of codecs MP4 cannot carry here (VP8) make the write fail with
//     ErrUnsupportedCodec; use package webm for those.
//   - Each track's media timescale is its RTP clock (90 kHz video, 48 kHz
//     Opus), so sample durations are exact differences of PTS. The movie
//     timescale is 1000.
//   - H.264 access units are converted from Annex-B to 4-byte length
//     prefixes; the in-band SPS/PPS stay in the samples, and the first ones
//     of the track also go into 'avcC'. There are no B-frames, so decode
//     order is presentation order and there is no 'ctts'.
//   - A frame's duration is the next frame's PTS (same track) minus its own;
//     the last frame repeats the previous duration, a lone frame gets 1/25 s
//     (video) or 20 ms (audio).
//   - Frames with no payload (empty, or H.264 without any NAL unit) are
//     left out. A track with no frames is left out of a clip.
//   - Writers stream: they compute the layout from frame sizes first, then
//     write payloads straight from the frames through a 64 KiB buffer, so
//     memory is the sample tables (about 20 bytes a frame), not the payload.
//   - Malformed input gives an error wrapping a sentinel of errors.go, never
//     a panic, and is found before the first byte is written; an error from
//     w is returned wrapped. After a write error, what reached w is not a
//     valid file.
//
// Codecs gives the RFC 6381 codecs parameter for HLS playlists and Media
// Source Extensions. ReadBoxes parses a file back into its box tree; tests
// and fuzzers use it to check that every output is structurally sound.
package mp4
