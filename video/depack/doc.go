// Package depack turns the RTP packets of one track into media.Frames: H.264
// access units (RFC 6184), VP8 frames (RFC 7741) and Opus packets (RFC 7587).
//
// One Depacketizer serves one track (one SSRC at a time) and is driven by one
// goroutine: Push, Advance, Flush and PTS must not be called concurrently.
// Stats and NeedKeyframe may be called from any goroutine.
//
// Contracts:
//
//   - Order. Packets pass a reorder buffer keyed by the extended (unwrapped,
//     RFC 3550 appendix A.1) sequence number, bounded by Options.ReorderPackets
//     packets and Options.ReorderDelay of arrival time. Out-of-order packets
//     are put back in order, duplicates are dropped, and a gap that has not
//     filled ReorderDelay after the first packet behind it arrived (or that
//     the window no longer covers) is declared lost. Time only moves when the
//     caller says so: Push passes the packet's arrival time (one clock, never
//     going backwards; with zero times only the window releases packets),
//     and Advance lets an idle stream's buffered packets out. A new stream
//     also waits up to
//     ReorderDelay before its first packet is released, so that packets which
//     overtook the first one are not lost.
//   - Time. Frame.PTS is the RTP timestamp unwrapped to 64 bits and counted
//     from the stream's first frame (PTS 0). A step of more than Options.MaxForwardJump
//     forwards or Options.MaxBackwardJump backwards (camera restarted, clock
//     reset) is not taken: PTS continues from the previous frame by the
//     larger of one frame and the arrival time elapsed, so it stays monotonic
//     and continuous (counted in Stats.TimestampJumps). A new SSRC restarts
//     sequence and reorder state and requires a keyframe; PTS continues the
//     same way.
//   - Loss. After a loss in a video track, frames are dropped until the next
//     keyframe, because a decoder cannot use them, and NeedKeyframe reports
//     true until that keyframe has been returned. Sending the PLI (RFC 4585
//     6.3.1) or FIR, and rate-limiting it, is the caller's job.
//   - Memory. An access unit larger than Options.MaxFrameSize, or a NAL unit
//     larger than Options.MaxNALSize, is dropped as soon as it exceeds the
//     bound (Stats.Oversize); the reorder buffer holds at most ReorderPackets
//     packets. Nothing grows with the input.
//   - Garbage. Malformed payloads (truncated, reserved NAL types 0/30/31,
//     interleaved-mode packets, FU without start, ...) never panic: the
//     packet's frame is dropped, Stats.Malformed counts it, and Push returns
//     an error wrapping ErrMalformed while the Depacketizer carries on.
//   - Ownership. Push does not retain pkt or its payload. Every returned
//     Frame.Data is a fresh slice the caller owns.
//
// Payload conventions (see package media): H.264 frames are Annex-B access
// units with 4-byte start codes; access unit delimiters and filler data are
// dropped; a keyframe is an access unit holding an IDR slice (nal_unit_type
// 5), and the latest SPS and PPS (or those given in Options.ParameterSets,
// from SDP sprop-parameter-sets) are inserted in band ahead of the first
// slice when the keyframe lacks them. VP8 frames have the payload descriptor
// removed; a keyframe has P=0 in the frame tag (RFC 6386 9.1). Every Opus
// packet is one frame and a keyframe.
package depack
