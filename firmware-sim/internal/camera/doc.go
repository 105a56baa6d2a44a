// Package camera simulates IP cameras that publish H.264 video to
// Tributary's gateway, for demos, benchmarks and fault tests.
//
// A camera loops a short Annex-B clip (the embedded one, see Default, or
// any other baseline clip without B-frames), paced at Config.FPS, and
// sends it either
//
//   - over WebRTC as a WHIP client (RFC 9725): a sendonly H.264 track is
//     offered with every ICE candidate gathered (no trickle), POSTed as
//     application/sdp with an optional bearer token; the 201 answer's
//     Location is DELETEd when the camera stops cleanly (§4.2, §4.3); or
//   - as plain RTP over UDP (RFC 3550, H.264 payload format RFC 6184),
//     with an SDP description (RFC 8866) a receiver such as ffmpeg can open.
//
// Contracts:
//
//   - Camera n (from 1) replaces "{n}" in the target and SDP file name; an
//     RTP target without "{n}" is shifted by two ports per camera.
//   - Every access unit is packetized by rtp.Packetizer with
//     codecs.H264Payloader (MTU 1200, single NAL unit, STAP-A for SPS+PPS,
//     FU-A). Frame n is stamped TS0 + n·90000/FPS on the 90 kHz clock: the
//     pacing schedule, not the wall clock, so timestamps never drift.
//     SSRC (RTP mode), first sequence number and TS0 are drawn from the
//     seeded generator; in WHIP mode pion assigns the SSRC.
//   - Pacing: frame n is due at start + n/FPS. A late loop sends every due
//     frame at once (catch-up); more than a second behind, it restarts the
//     schedule from now instead of bursting (counted as LateResets).
//   - Faults act on RTP packets after packetizing, drawn from a generator
//     seeded with Config.Seed and the camera number: Loss drops a packet;
//     Reorder holds a packet back until the next one has gone; Jitter
//     delays each packet by a uniform [0, Jitter) but keeps packet order.
//     Lost packets never reach pion's retransmission buffer, so a NACK
//     cannot recover them. DisconnectAfter drops the connection without a
//     WHIP DELETE (the network is cut first, so not even a DTLS alert
//     leaves) and the camera stops; in RTP mode it just stops sending.
//   - A PLI or FIR from the receiver makes the next frame sent the next
//     keyframe of the clip (skipping ahead), so a new viewer gets a picture
//     within one frame interval.
//   - Bitrate above the clip's own is reached with filler data NAL units
//     (type 12, H.264 §7.3.2.7) appended to access units after their
//     slices; decoders discard them. pion's payloader drops filler NAL
//     units, so they are packetized here (RFC 6184 §5.6 / §5.8). The target
//     counts H.264 bytes, not RTP/UDP/IP headers. A target below the
//     clip's own bitrate changes nothing.
//   - Memory is bounded: the clip (at most MaxClipSize) is shared by all
//     cameras, and each camera's jitter queue holds at most maxQueued
//     packets (older ones are sent early when it is full).
package camera
