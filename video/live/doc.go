// Package live fans the frames of one video stream out to its live viewers.
//
// A Hub has one publisher and any number of viewers. Contracts:
//
//   - Publish never blocks: every viewer has its own bounded queue, and a
//     frame that does not fit is dropped for that viewer only (counted in
//     the viewer's and the hub's drops). The publisher and the other viewers
//     are never slowed by a slow one.
//   - A viewer never receives a delta frame that depends on a frame it did
//     not receive: each track of a viewer starts at that track's next
//     keyframe, and after a drop the track skips frames until its next
//     keyframe. Audio frames are always keyframes, so audio resumes at once.
//   - Subscribe calls Options.OnKeyframeNeeded so the ingest can ask the
//     camera for a keyframe (RTCP PLI) instead of making the new viewer wait
//     for the next scheduled one.
//   - Frames are shared, not copied: the publisher must not modify a
//     Frame's Data after Publish, and viewers must treat it as read-only.
//   - Within a track, a viewer receives frames in publish order.
//
// The hub keeps no frames of its own: memory is bounded by the sum of the
// viewers' queue lengths.
package live
