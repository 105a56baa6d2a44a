// Package camera runs Tributary's video streams: it is the Publisher and
// Source behind the WHIP/WHEP server (package webrtc) and the plain-RTP
// listener, and the pipeline between them and the fragment store.
//
// For each publishing session of a stream:
//
//	RTP packets ─> depack (one per track) ─> frames ─┬─> live.Hub ─> WHEP viewers
//	                                                  └─> fragment.Builder ─> writer ─> store
//
// Contracts:
//
//   - One publisher per stream at a time (a second gets ErrStreamBusy, 409);
//     only configured streams can be published, with their bearer token.
//   - The live path never waits for the disk: fragments go to one writer
//     goroutine through a bounded queue (Options.WriteQueue fragments); when
//     it is full the fragment is dropped and counted, never the camera.
//   - Recording: a stream records when its config says so, or when its
//     schedule's window is open; SetRecording (the admin API) overrides
//     that until the schedule's next boundary. A recording that starts
//     begins at the next keyframe; one that stops stores what it has.
//   - Loss: a depacketizer or fragmenter that needs a keyframe asks the
//     publisher for one (PLI, rate-limited by the webrtc server), and so
//     does every viewer that joins.
//   - Durability: a fragment is on disk once the store's Put returns; a
//     kill -9 loses at most the fragment being built (about 2 s) and the
//     queue.
package camera
