package camera

import "sync/atomic"

// Counters are one camera's live counters, safe to read while it runs.
type Counters struct {
	Frames        atomic.Int64 // access units packetized
	Keyframes     atomic.Int64 // of which keyframes
	Packets       atomic.Int64 // RTP packets written
	Bytes         atomic.Int64 // RTP bytes written (header and payload)
	FillerBytes   atomic.Int64 // filler NAL unit bytes added (start codes included)
	Lost          atomic.Int64 // packets dropped by the loss fault
	Reordered     atomic.Int64 // packets sent after their successor by the reorder fault
	SendErrors    atomic.Int64 // packets whose write failed
	PLIs          atomic.Int64 // PLI and FIR messages received
	KeyframeJumps atomic.Int64 // skips ahead to a keyframe after a PLI/FIR
	LateResets    atomic.Int64 // schedule restarts after falling a second behind
}

// Stats is a snapshot of Counters; it is also the report's JSON.
type Stats struct {
	Frames        int64 `json:"frames"`
	Keyframes     int64 `json:"keyframes"`
	Packets       int64 `json:"packets"`
	Bytes         int64 `json:"bytes"`
	FillerBytes   int64 `json:"filler_bytes"`
	Lost          int64 `json:"lost"`
	Reordered     int64 `json:"reordered"`
	SendErrors    int64 `json:"send_errors"`
	PLIs          int64 `json:"plis"`
	KeyframeJumps int64 `json:"keyframe_jumps"`
	LateResets    int64 `json:"late_resets"`
}

// Snapshot reads the counters.
func (c *Counters) Snapshot() Stats {
	return Stats{
		Frames: c.Frames.Load(), Keyframes: c.Keyframes.Load(), Packets: c.Packets.Load(), Bytes: c.Bytes.Load(),
		FillerBytes: c.FillerBytes.Load(), Lost: c.Lost.Load(), Reordered: c.Reordered.Load(),
		SendErrors: c.SendErrors.Load(), PLIs: c.PLIs.Load(), KeyframeJumps: c.KeyframeJumps.Load(),
		LateResets: c.LateResets.Load(),
	}
}

// Add returns the sum of s and t.
func (s Stats) Add(t Stats) Stats {
	return Stats{
		Frames: s.Frames + t.Frames, Keyframes: s.Keyframes + t.Keyframes, Packets: s.Packets + t.Packets,
		Bytes: s.Bytes + t.Bytes, FillerBytes: s.FillerBytes + t.FillerBytes, Lost: s.Lost + t.Lost,
		Reordered: s.Reordered + t.Reordered, SendErrors: s.SendErrors + t.SendErrors, PLIs: s.PLIs + t.PLIs,
		KeyframeJumps: s.KeyframeJumps + t.KeyframeJumps, LateResets: s.LateResets + t.LateResets,
	}
}
