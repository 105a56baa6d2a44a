// Package verify reads a stream back through the gateway's admin API and
// checks it against what a firmware-sim run had acknowledged:
//
//   - every acknowledged (device, seq) is stored — a missing one is a
//     durability bug (an ack was sent for data the gateway does not have);
//   - within one shard, each device's new sequence numbers come in
//     increasing order (the gateway keys records by topic, so one device
//     is one partition key and one shard);
//   - a (device, seq) stored twice is a duplicate: allowed for QoS 1
//     (at-least-once) and reported, and expected where the duplicate
//     fault published it twice;
//   - stored but never acknowledged is fine (the PUBACK was lost).
//
// A record's data is the device's payload, or the gateway's MQTT envelope
// ({"topic",…,"payload"}) around it. Records that are not the JSON of a
// sequenced firmware-sim message (malformed and oversize payloads, other
// producers), or that belong to another run or to devices outside the
// run, are counted and ignored.
package verify

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/tributary-edge/tributary/firmware-sim/internal/profile"
	"github.com/tributary-edge/tributary/firmware-sim/internal/seqset"
)

// Expect is what a run acknowledged.
type Expect struct {
	RunID   string
	QoS     byte
	Devices []Device
}

// Device is what one device of the run sent and had acknowledged.
type Device struct {
	ID         string
	LastSeq    uint64      // highest seq published
	Acked      *seqset.Set // seqs with a PUBACK
	Duplicated *seqset.Set // seqs the duplicate fault published twice (may be nil)
}

// maxDisorderExamples bounds the out-of-order examples kept per device.
const maxDisorderExamples = 5

// Disorder is one record whose seq came after a higher one of the same
// device in the same shard.
type Disorder struct {
	Shard          string `json:"shard_id"`
	SequenceNumber string `json:"sequence_number"`
	Seq            uint64 `json:"seq"`
	After          uint64 `json:"after"`
}

// devState is the checker's view of one device.
type devState struct {
	exp        *Device
	seen       seqset.Set
	maxInShard map[string]uint64
	stored     uint64 // records, duplicates included
	dups       uint64
	injected   uint64 // duplicates of seqs in exp.Duplicated
	unknown    uint64 // seq > LastSeq: never sent by this run
	disorder   uint64
	examples   []Disorder
}

// Checker consumes records one at a time, in the order the gateway sends
// them, and then gives the Result. It is not safe for concurrent use.
type Checker struct {
	exp     Expect
	devs    map[string]*devState
	records uint64
	ignored Ignored
}

// NewChecker returns a checker of e.
func NewChecker(e Expect) *Checker {
	c := &Checker{exp: e, devs: make(map[string]*devState, len(e.Devices))}
	for i := range e.Devices {
		d := &e.Devices[i]
		if d.Acked == nil {
			d.Acked = &seqset.Set{}
		}
		c.devs[d.ID] = &devState{exp: d, maxInShard: map[string]uint64{}}
	}
	return c
}

// Add checks one record.
func (c *Checker) Add(r Record) {
	c.records++
	h, err := profile.ParseHeader(r.Data)
	if err != nil {
		if p, ok := envelopePayload(r.Data); ok {
			h, err = profile.ParseHeader(p)
		}
	}
	switch {
	case err != nil:
		c.ignored.NotSim++
		return
	case h.RunID != c.exp.RunID:
		c.ignored.OtherRun++
		return
	}
	d := c.devs[h.DeviceID]
	if d == nil {
		c.ignored.OtherDevice++
		return
	}
	d.stored++
	if h.Seq > d.exp.LastSeq {
		d.unknown++
		return
	}
	if !d.seen.Add(h.Seq) {
		d.dups++
		if d.exp.Duplicated != nil && d.exp.Duplicated.Contains(h.Seq) {
			d.injected++
		}
		return
	}
	if m := d.maxInShard[r.ShardID]; h.Seq < m {
		d.disorder++
		if len(d.examples) < maxDisorderExamples {
			d.examples = append(d.examples, Disorder{Shard: r.ShardID, SequenceNumber: r.SequenceNumber, Seq: h.Seq, After: m})
		}
		return
	}
	d.maxInShard[r.ShardID] = h.Seq
}

// envelopePayload returns the payload of a record stored by an MQTT route
// with "envelope: true" ({"topic","client_id",…,"payload"}), when the
// payload is a JSON object.
func envelopePayload(data []byte) ([]byte, bool) {
	var env struct {
		Topic   string          `json:"topic"`
		Payload json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(data, &env) != nil || env.Topic == "" || len(env.Payload) == 0 || env.Payload[0] != '{' {
		return nil, false
	}
	return env.Payload, true
}

// Result summarises what was checked.
func (c *Checker) Result() Result {
	res := Result{RunID: c.exp.RunID, QoS: c.exp.QoS, Records: c.records, Ignored: c.ignored, Devices: len(c.devs)}
	ids := make([]string, 0, len(c.devs))
	for id := range c.devs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		d := c.devs[id]
		missing := d.exp.Acked.Diff(&d.seen)
		ackedStored := d.exp.Acked.Len() - missing.Len()
		dr := DeviceResult{
			ID:            id,
			Acked:         d.exp.Acked.Len(),
			Stored:        d.seen.Len(),
			Missing:       missing,
			MissingCount:  missing.Len(),
			Duplicates:    d.dups,
			Injected:      d.injected,
			UnackedStored: d.seen.Len() - ackedStored,
			Unknown:       d.unknown,
			OutOfOrder:    d.disorder,
			Examples:      d.examples,
			Shards:        len(d.maxInShard),
		}
		res.Acked += dr.Acked
		res.Stored += dr.Stored
		res.Missing += dr.MissingCount
		res.Duplicates += dr.Duplicates
		res.InjectedDuplicates += dr.Injected
		res.UnackedStored += dr.UnackedStored
		res.Unknown += dr.Unknown
		res.OutOfOrder += dr.OutOfOrder
		if dr.Shards > 1 {
			res.MultiShardDevices++
		}
		if dr.MissingCount > 0 || dr.OutOfOrder > 0 || dr.Unknown > 0 || dr.Duplicates > dr.Injected {
			res.Problems = append(res.Problems, dr)
		}
	}
	return res
}

// Run describes stream, reads it through client from trim_horizon to its
// end and checks every record against e.
func Run(ctx context.Context, client *Client, stream string, e Expect) (Result, error) {
	info, err := client.Describe(ctx, stream)
	if err != nil {
		return Result{}, err
	}
	c := NewChecker(e)
	if err := client.Records(ctx, stream, func(r Record) error {
		c.Add(r)
		return nil
	}); err != nil {
		return Result{}, err
	}
	res := c.Result()
	res.Stream, res.Shards = stream, len(info.Shards)
	return res, nil
}
