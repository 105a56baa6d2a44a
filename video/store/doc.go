// Package store keeps cameras' video as fragments (media.Fragment: a
// keyframe-led run of about two seconds of frames) in a Badger database of
// its own, separate from the spool and tuned for large values: fragment
// payloads (100 KB–8 MB) live in the value log, and the LSM tree holds only
// small keys and index entries.
//
// # Model
//
// A video stream is named by a string (1–255 bytes) and created by its
// first Put or SetLimits. Each fragment has a number, unique and increasing
// within its stream; numbers survive restarts and deletion of old fragments
// (NextNumber tells the ingest side where to continue after a restart).
// Fragments are indexed by server time, the time their first frame
// arrived here; List and Range return the fragments that overlap a time
// range, in server-time order. "Oldest" means earliest server time, so
// after the wall clock jumps back, fragments stored since sort (and are
// evicted) before those stored just before the jump.
//
// # Key layout
//
// All integers are big-endian. A server time is its Unix nanoseconds with
// the sign bit flipped (t XOR 1<<63), so byte order is time order even
// before 1970, and a time-range listing is one Seek.
//
//	'n'                                  -> next stream id (u32)
//	'm' sid:u32                          -> stream meta (stream.go): name, limits
//	's' sid:u32                          -> stream stats (stream.go): next number,
//	                                        stored bytes, fragment count, longest
//	                                        duration, server time of the last Put
//	'i' sid:u32 time:u64 number:u64      -> index entry (info.go): producer time,
//	                                        duration, size, frame and keyframe
//	                                        counts, tracks
//	'f' sid:u32 number:u64               -> the fragment, encoded (codec.go)
//	'd' sid:u32                          -> the stream is being deleted
//	'x'                                  -> scratch key, written and dropped to
//	                                        flush the memtables (reclaim.go)
//
// Index entries are ~30–60 bytes and stay in the LSM tree (under the 1 KiB
// value threshold); fragment values go to the value log. List, Usage and
// retention read only 'i', 's' and 'm' keys, never payloads; Get reads one
// 'f' key. List seeks to (from - the longest duration stored), so a
// fragment overlapping the start of the range is found by the same Seek.
// Stream ids are never reused, so keys a crash left behind during a
// deletion cannot reappear under a new stream.
//
// # Writes and durability
//
// Put writes the fragment, its index entry, the updated stats and the
// deletions of fragments evicted to make room in one transaction, so the
// stats key always agrees with the index: usage is exact after any crash
// and nothing is rescanned on Open. With DurabilityFsync (the default) Put
// returns only after the value log and the memtable's write-ahead log are
// synced: a kill -9 or a power loss loses at most the fragment whose Put
// had not returned. DurabilityInterval syncs every SyncInterval and
// DurabilityNone leaves it to the OS (a kill -9 still loses nothing that
// Put acknowledged; a power loss may). After a failed sync every later
// write fails until the store is reopened, since the kernel may have
// dropped the pages.
//
// Puts to one stream are serialized; Puts to different streams run
// concurrently. All methods are safe for concurrent use.
//
// # Retention
//
// Each stream has Limits: MaxAge (a fragment that ended MaxAge ago or
// earlier on the injected clock is deleted by the janitor, at Open and
// every RetentionInterval) and MaxBytes (the sum of stored fragment
// sizes) with a policy for when a Put would exceed it, as the Kinesis
// Video Streams Edge Agent defines them: PolicyDeleteOldest evicts the
// oldest fragments (by server time) in the Put's transaction;
// PolicyDenyNew refuses the Put with ErrFull and evicts nothing, so only
// age retention frees space. SetLimits applies new limits before it
// returns.
//
// DeleteRange deletes a stream's fragments that start within a server-time
// range, in transactions like retention's (index entries, fragments and
// stats together): the scheduled upload of video/clips uses it to delete
// what it has uploaded.
//
// Stored size counts the encoded fragment (payload plus 4–8 bytes per
// frame and ~45 per fragment), not Badger's overhead. Deleted fragments'
// space returns to the file system when value-log GC deletes or rewrites
// the value-log file that held them. Badger only learns that a file is
// garbage when compaction drops the deleted keys, which with small keys
// and large values could take gigabytes of video; so the janitor flushes
// and compacts the LSM tree once the value log exceeds the live data by
// ReclaimThreshold, then runs GC (reclaim.go). The value log therefore
// stays within about the streams' MaxBytes plus ReclaimThreshold plus two
// value-log files.
//
// # Disk space
//
// Put fails with ErrDiskFull when free space under Dir would fall below
// the reserve: MinFreeDisk, and never less than what Badger writes through
// memory maps (the rest of a value-log file and the memtables), because a
// write through a map to a full disk kills the process with SIGBUS rather
// than returning an error. On 32-bit ARM every value-log file is mapped for
// the life of the database, so the value log is also capped by
// MaxValueLogBytes (default 1 GiB there) and Put returns ErrDiskFull past it.
//
// # Reads
//
// Get returns one fragment. Range calls a function with one fragment at a
// time and holds no Badger iterator while it runs, so memory stays bounded
// by the largest fragment and a slow consumer does not hold value-log files
// back from GC. A fragment deleted between listing and reading is skipped.
// Decoded frames share one buffer per fragment, owned by the caller.
package store
