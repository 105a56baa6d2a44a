// Package uplink delivers streams upstream, Firehose-style: a delivery
// reads one or more spool streams from its own checkpoints and sends
// buffered batches to one destination whenever it is reachable.
//
// The contract, per delivery and shard:
//
//   - A batch is a range of one shard, [first, last] sequence number,
//     closed when its records reach the size hint or the interval hint has
//     passed since its first record was read, whichever comes first
//     (Firehose's BufferingHints). A batch is never held in memory: the
//     sink reads it from the spool as it writes the request, and reads it
//     again on a retry.
//   - The checkpoint moves to a batch's last sequence number only after
//     the sink has confirmed it (invariant 3: nothing is deleted or
//     skipped because it was read). A crash between the two resends the
//     batch; its identity (delivery, stream, shard, first and last
//     sequence number; Batch.ID) is the same, so a sink that can
//     deduplicate does (invariant 4): a batch closed by time has its end
//     recorded before it is sent (consumer uplink-pending:<name>) and is
//     cut there again; one closed by the size hint or the record limit is
//     cut the same way again from its start (unless those settings
//     changed in between: then that one batch has a new identity).
//   - Order per partition key is kept: a shard's batches go one at a
//     time, in order, and a child shard starts only when its parents are
//     delivered to their end.
//   - A transient failure is retried with exponential backoff and jitter
//     (1 s doubling, capped at 120 s by default), forever: a delivery never
//     gives up and never deletes. A permanent failure (ErrPermanent: e.g.
//     HTTP 413) sends the batch to the error output and moves on.
//
// Sinks implement Sink: http.go (the Firehose HTTP endpoint contract),
// s3.go, kinesis.go, firehose.go, mqtt.go, kafka.go, nats.go. A sink may
// refuse single records (too large for the destination) and write them to
// the error output itself (refuse.go). drain.go cuts the batches
// (oldest first, or newest first after an outage); link.go shares
// bandwidth between deliveries by priority.
package uplink
