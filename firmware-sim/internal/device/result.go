package device

import (
	"time"

	"github.com/tributary-edge/tributary/firmware-sim/internal/seqset"
	"github.com/tributary-edge/tributary/firmware-sim/internal/stats"
)

// Result is what one device did.
type Result struct {
	ID    string
	Topic string
	Skew  time.Duration // the clock offset of the skew fault

	Sent       int64 // publishes of every kind
	Acked      int64 // publishes completed without error
	Errors     int64 // failed connection attempts and failed publishes
	Connects   int64
	Reconnects int64 // disconnects made by the reconnect fault and storms

	// LastSeq is the highest sequence number published.
	LastSeq uint64
	// AckedSeqs holds the sequence numbers whose publish got a PUBACK
	// (QoS 1 only: a QoS 0 publish is never acknowledged).
	AckedSeqs seqset.Set
	// DuplicatedSeqs holds the sequence numbers the duplicate fault
	// published twice.
	DuplicatedSeqs seqset.Set
}

// FleetResult is what a fleet did.
type FleetResult struct {
	Started  time.Time
	Elapsed  time.Duration // from Run's start until the last device finished
	Counters stats.CounterSnapshot
	Latency  stats.Snapshot // publish-to-PUBACK of sequenced messages
	Devices  []Result
}
