// Package clips uploads the video that matters: event clips cut around
// triggers, and scheduled uploads of everything a camera recorded (the
// KVS Edge Agent's "scheduled upload"), to S3 or an HTTP endpoint, paced
// by the gateway's shared uplink.Link.
//
// # Event clips (Worker)
//
// A Rule names a camera (a video stream in package store), a trigger
// stream in the spool, Pre and Post. Every record of the trigger stream is
// a trigger — the gateway fills the stream with a SQL app such as
// INSERT INTO motion_cam1 SELECT * FROM events WHERE kind = 'motion' — and
// asks for the camera's video from t−Pre to t+Post, where t is the
// record's arrival time or, with Rule.TimeField, the time in that JSON
// field (TriggerTime). The trigger stream must have exactly one shard and
// must not be resharded: its order is the order clips are made in.
//
// A Worker reads the trigger stream after its checkpoint (consumer
// ConsumerName(rule), TRIM_HORIZON the first time), waits until the store
// holds the clip's video — the camera's last fragment ends at or after
// the clip's end — or until Options.Quiet has passed since the clip's
// end (the camera is off or stalled; Options.MaxWait caps the wait after
// the end was last set, for trigger times in the future), then cuts the
// fragments that overlap the clip's window (store.Range) into one MP4
// (H.264, package mp4) or WebM (VP8, package webm) file, uploads it,
// and only then commits the checkpoint of the clip's last trigger: at
// least once, and a repeated upload replaces the object it repeats.
//
// # Merge rule
//
// Triggers are taken in stream order. The clip a trigger opens has the
// window [t−Pre, t+Post], its start raised to the end of the video of the
// last uploaded clip (kept in the spool with the checkpoint), so clips
// never repeat video.
//
//   - While a clip waits for its video, a trigger whose window starts at
//     or before the clip's end (t−Pre ≤ end) is merged into it and
//     extends its end to t+Post — one clip for one continuing event —
//     unless that would make the clip longer than Rule.MaxDuration
//     (default 10 min).
//   - A trigger that is not merged closes the clip (cut as soon as its
//     video is in) and opens the next one, starting where the closed
//     clip's video ends if they overlap: long events become consecutive
//     clips without gaps or repeats.
//   - A trigger read when no clip is open whose window ends by the end of
//     the last uploaded clip's video (t+Post ≤ that end) is covered: it is
//     counted (Status.Covered) and checkpointed, and nothing is uploaded.
//
// A clip whose window holds no fragment (the camera was off) is skipped
// and counted (Status.Empty). A clip holds at most Options.MaxClipBytes of
// fragment payload (default 100 MiB, KVS GetClip's cap) and one track
// layout; beyond, it is cut short and counted (Status.Truncated).
//
// # Scheduled upload (Scheduler)
//
// A Schedule uploads a camera's recording every Interval (default 1 h),
// only inside its daily Window if set ("22:00-06:00"): the fragments after
// its checkpoint in server-time order, in chunks of at most Chunk (default
// 10 min, first fragment's start to last one's end) and MaxClipBytes, one
// object each. The checkpoint — the last uploaded fragment's server time
// and number — is spool state (owner SchedulerOwner(name), key
// "checkpoint"; see state.go), committed after each chunk. With
// DeleteAfterUpload a chunk's fragments are deleted from the store
// (store.DeleteRange) once the destination has it, before the checkpoint
// moves, so a crash in between uploads the chunk again under the same key.
// Fragments stored with a server time before the checkpoint (the wall
// clock went back) are not uploaded by the schedule.
//
// # Objects
//
// Keys, below the destination's prefix (names other than A-Z a-z 0-9 . _ -
// escaped as %XX; times ISO 8601 basic, UTC):
//
//	{camera}/{rule}/{YYYY}/{MM}/{DD}/{camera}-{window start}-{first trigger seq}.{mp4|webm}
//	recording/{camera}/{YYYY}/{MM}/{DD}/{camera}-{first fragment start}-{first fragment number}.{mp4|webm}
//
// The same clip always gets the same key (the window start follows from
// the triggers and the stored video end), so a retry or a repeat after a
// crash overwrites. S3Dest writes the clip with its metadata as
// x-amz-meta-* and then a JSON sidecar (key + ".json"); HTTPDest POSTs it
// with X-Tributary-* headers and an Idempotency-Key. See each for the
// metadata and which failures are permanent.
//
// # Failures
//
// An upload that fails for a reason retrying can fix (5xx, 408, 429, the
// network, S3 access errors) is retried with Options.Backoff until it
// succeeds or the worker is closed; the checkpoint stays put meanwhile
// (Status.Retrying). One refused for good (ErrPermanent: an HTTP 4xx, an
// invalid S3 request, fragments the container cannot hold) is skipped,
// counted (Status.Failed) and logged with the reason.
//
// # Bandwidth
//
// Uploads read their body through Options.Link at Options.Priority: give
// event clips a higher priority than scheduled recording (and deliveries,
// which use 2p and 2p+1 for their priority p), so a thin link sends the
// alerts first. Memory per uploader is one clip's fragments while its
// file is written (MaxClipBytes) plus small buffers; the file itself goes
// to Options.TempDir.
package clips
