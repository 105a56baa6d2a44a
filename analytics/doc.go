// Package analytics runs continuous SQL over streams (Kinesis Data
// Analytics at the edge): apps read streams from their own checkpoints,
// evaluate a query (analytics/sql parses it, analytics/eval computes
// values, analytics/window keeps windows and aggregates), and write
// results to streams and MQTT topics.
//
// Exactly once, because the spool is local: an app commits its output
// records, its input checkpoints and its window state in one spool
// transaction (spool.CommitState), so a crash or restart replays from the
// last commit with the state of that commit: no duplicate outputs, no
// gaps. (MQTT outputs are published after the commit; a crash between
// the two loses those alerts' publication, not their records.)
//
// Input reads the source streams: a reader per shard, children after
// their parents, pages through a bounded queue.
package analytics
