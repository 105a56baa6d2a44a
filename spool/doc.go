// Package spool is Tributary's durable stream store: Kinesis-shaped streams of
// shards kept in one Badger database on local disk.
//
// # Model
//
// A stream has shards; each open shard owns an inclusive range of the 128-bit
// hash-key space. A record's partition key is hashed with MD5 (read as a
// big-endian unsigned 128-bit integer, see ../shared/spec/kinesis.md §3.1) or
// given as an explicit hash key, and lands in the open shard whose range holds
// the hash. Each shard numbers its records with a counter that starts at 1 and
// only grows; the public sequence number (SeqNum) encodes the shard index and
// that counter as a fixed-width decimal string, so it is big-integer ordered,
// lexically ordered and names its shard (§3.3).
//
// # Writes
//
// One writer goroutine owns every mutable piece of the catalog. Appends from
// all producers queue to it; it gathers what is waiting, assigns sequence
// numbers, commits everything in one Badger transaction (group commit) and, in
// fsync mode, syncs once before releasing every waiter. Records of one shard
// committed together form one chunk, so a busy spool writes one key per shard
// per commit rather than one per record. Metadata changes (create, delete,
// reshard, trims by retention) run on the same goroutine between commits.
//
// # Key layout
//
// All integers are big-endian, so a shard is one contiguous key range and a
// sequence seek is one Seek.
//
//	'm' streamID:u32                          -> stream metadata (JSON, streamMeta)
//	'n'                                       -> next stream ID (u32)
//	'c'                                       -> spool clock: spoolMs:i64 wallMs:i64
//	's' streamID:u32 shard:u32                -> shard stats (shardStats, binary)
//	'r' streamID:u32 shard:u32 lastSeq:u64    -> chunk: the records ending at lastSeq
//	'k' len:u8 consumer streamID:u32 shard:u32 -> checkpoint: seq:u64
//	'a' len:u8 owner key                       -> a consumer's state (opaque bytes)
//
// A chunk value is
//
//	version:u8=1 count:uvarint wallMs:varint spoolMs:varint
//	count × (keyLen:uvarint key dataLen:uvarint data)
//
// Its records have the sequence counters lastSeq-count+1 … lastSeq. All
// records of a chunk share one arrival time (they were committed together).
//
// # Time
//
// Pis often boot at 1970 until NTP corrects the clock, and clocks jump. Two
// clocks are kept: the wall clock, clamped so that arrival times never go
// backwards within a shard (they feed AT_TIMESTAMP and
// ApproximateArrivalTimestamp), and the spool clock, which advances only with
// the monotonic clock while the process runs and is persisted with every
// commit. Retention ages are measured on the spool clock, so a wall-clock jump
// in either direction expires nothing. Time spent powered off counts towards
// age only when both the saved and the current wall clock are plausible
// (after 2024) and the wall clock moved forwards.
//
// # Deletion
//
// Nothing is deleted because it was read. Chunks leave by retention (age),
// by the stream's size cap with the drop_oldest policy, or when their stream
// is deleted. Each shard's stats key carries its high-water sequence number,
// so counters never repeat even when every chunk of a shard has expired.
package spool
