// Package fragment cuts a source's frames (from video/depack) into
// media.Fragments: keyframe-led runs of frames, the unit the store keeps.
//
// A Builder serves one source and is driven by one goroutine: Add, Flush and
// SetSenderReport must not be called concurrently. Stats and NeedKeyframe may
// be called from any goroutine.
//
// Cutting rules. The reference track is the first video track, or track 0
// when the source has no video.
//
//   - A fragment starts at a reference keyframe (every audio frame is one,
//     so an audio-only source is cut every TargetDuration). Frames of any
//     track that arrive while no fragment is open are dropped: audio before
//     the first video keyframe, video until a keyframe.
//   - It is closed at the first reference keyframe whose PTS is at least
//     TargetDuration after the fragment's first (2.0 s cuts, 1.99 s does
//     not); that keyframe starts the next fragment.
//   - Bounds. When adding a frame would exceed MaxBytes of payload or
//     MaxFrames frames, or a reference frame is MaxDuration or more past the
//     start (or MaxDuration of arrival time has passed) without a keyframe
//     to cut at, the fragment is closed, the frame is dropped, and so are
//     the frames after it until the next reference keyframe; NeedKeyframe
//     reports true meanwhile (the caller sends a PLI). A keyframe that alone
//     exceeds MaxBytes is dropped (Stats.Oversize).
//   - Gaps. A reference PTS step larger than MaxGap closes the fragment at
//     its last frame; the next fragment starts at a keyframe.
//
// Times. Number increases by one per fragment from Options.FirstNumber
// (the store recovers it after a restart). Duration runs from the first
// reference frame's PTS to the next fragment's first (for a cut), to the
// frame that broke a bound, or to the last reference frame plus its
// estimated duration (Flush, gaps). ServerTime is the arrival time of the
// first frame, with one refinement that keeps the timeline contiguous: a
// fragment that follows a cut starts exactly where the previous one ends
// (ServerTime + Duration). When the camera clock (PTS) and the arrival
// clock disagree by more than MaxClockSkew over a fragment (PTS advanced
// 10 s while 2 s of wall time passed), arrival time wins: that fragment's
// Duration becomes the arrival time elapsed and the next one starts at its
// first frame's arrival (Stats.ClockResyncs). Fragments never overlap and
// ServerTimes strictly increase. ProducerTime maps the first frame's PTS
// through the reference track's latest RTCP sender report
// (SetSenderReport), else equals ServerTime.
//
// Ownership. The Builder keeps the frames it is given (it does not copy
// Frame.Data); a returned Fragment belongs to the caller.
package fragment
