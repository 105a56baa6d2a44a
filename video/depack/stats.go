package depack

import "sync/atomic"

// Stats is a snapshot of a Depacketizer's counters.
type Stats struct {
	// Packets counts every packet passed to Push.
	Packets int64
	// Lost counts sequence numbers declared lost.
	Lost int64
	// Reordered counts packets that arrived after a later one and were put
	// back in order.
	Reordered int64
	// Duplicates counts packets dropped because the same sequence number was
	// already buffered or delivered.
	Duplicates int64
	// Late counts packets dropped because they arrived after their gap was
	// declared lost, or so far out of sequence that they probe a restart
	// (RFC 3550 appendix A.1).
	Late int64
	// SequenceResets counts restarts of the sequence number space within
	// one SSRC (two consecutive packets far outside the window).
	SequenceResets int64
	// SSRCChanges counts switches to a new SSRC.
	SSRCChanges int64
	// Frames counts frames returned.
	Frames int64
	// DroppedFrames counts frames dropped: incomplete, malformed, oversize,
	// or undecodable while waiting for a keyframe.
	DroppedFrames int64
	// Oversize counts frames or NAL units dropped for exceeding a size bound.
	Oversize int64
	// Malformed counts packets whose payload broke its payload format or
	// used a part of it the depacketizer does not support (ErrMalformed,
	// ErrUnsupported).
	Malformed int64
	// TimestampJumps counts RTP timestamp steps that were rebased.
	TimestampJumps int64
}

// counters are the live, atomically updated Stats.
type counters struct {
	packets, lost, reordered, duplicates, late         atomic.Int64
	sequenceResets, ssrcChanges, frames, droppedFrames atomic.Int64
	oversize, malformed, timestampJumps                atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Packets:        c.packets.Load(),
		Lost:           c.lost.Load(),
		Reordered:      c.reordered.Load(),
		Duplicates:     c.duplicates.Load(),
		Late:           c.late.Load(),
		SequenceResets: c.sequenceResets.Load(),
		SSRCChanges:    c.ssrcChanges.Load(),
		Frames:         c.frames.Load(),
		DroppedFrames:  c.droppedFrames.Load(),
		Oversize:       c.oversize.Load(),
		Malformed:      c.malformed.Load(),
		TimestampJumps: c.timestampJumps.Load(),
	}
}
