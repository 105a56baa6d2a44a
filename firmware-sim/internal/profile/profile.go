// Package profile generates the JSON payloads of simulated devices.
//
// Every payload of a sequenced message is a JSON object that starts with
// the same header (see Header):
//
//	{"device_id":"sim-0001","run":"9f3a1c2e","seq":12,"ts":"2026-03-01T12:00:00.123456789Z","profile":"thermostat",…}
//
// followed by the profile's own fields. "seq" starts at 1 and increases by
// one per message of a device; "run" tells the messages of one
// firmware-sim run from those of earlier runs in the same stream.
//
// A Generator is deterministic: the same profile, device, run and seed
// and the same timestamps give the same payloads, byte for byte. A
// Generator is not safe for concurrent use; each device owns its own.
package profile

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// model is one profile's state: it fills in the profile fields of the
// next message. dt is the time since the previous message (0 for the
// first one).
type model interface {
	next(rng *rand.Rand, dt time.Duration) any
}

// follower is a model that sometimes asks for messages to follow the
// current one at once (the door profile's flapping bursts).
type follower interface {
	follow(rng *rand.Rand) int
}

// profiles maps a profile name to a constructor of its initial state.
var profiles = map[string]func(rng *rand.Rand) model{
	"thermostat": newThermostat,
	"meter":      newMeter,
	"tracker":    newTracker,
	"door":       newDoor,
}

// Names returns the profile names in alphabetical order.
func Names() []string {
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Options select a generator's device, run and randomness.
type Options struct {
	DeviceID string
	RunID    string
	Seed     uint64 // with Index, seeds the generator's random source
	Index    uint64 // the device's number within the run
}

// Generator makes the payloads of one device.
type Generator struct {
	name   string
	opts   Options
	model  model
	rng    *rand.Rand
	seq    uint64
	lastTS time.Time
}

// New returns the generator of the named profile, or an error that lists
// the known profiles.
func New(name string, o Options) (*Generator, error) {
	mk, ok := profiles[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q (known: %s)", ErrUnknownProfile, name, strings.Join(Names(), ", "))
	}
	// The second PCG word mixes a constant in so profile randomness differs
	// from the device's fault draws, which use (Seed, Index) as well.
	rng := rand.New(rand.NewPCG(o.Seed, o.Index^0x70726f66696c65))
	return &Generator{name: name, opts: o, model: mk(rng), rng: rng}, nil
}

// Message is one generated message.
type Message struct {
	Seq     uint64
	Payload []byte
	// Follow is how many more messages the profile wants sent right after
	// this one (0 for most messages).
	Follow int
}

// Seq returns the sequence number of the last message made by Next (0
// before the first).
func (g *Generator) Seq() uint64 { return g.seq }

// Next returns the next sequenced message, stamped with ts.
func (g *Generator) Next(ts time.Time) Message {
	var dt time.Duration
	if !g.lastTS.IsZero() {
		dt = min(max(ts.Sub(g.lastTS), 0), time.Hour)
	}
	g.lastTS = ts
	g.seq++
	fields := g.model.next(g.rng, dt)
	m := Message{Seq: g.seq, Payload: g.encode(g.seq, ts, fields)}
	if f, ok := g.model.(follower); ok {
		m.Follow = f.follow(g.rng)
	}
	return m
}

// encode writes the header and then fields' JSON object members.
func (g *Generator) encode(seq uint64, ts time.Time, fields any) []byte {
	h, err := json.Marshal(Header{DeviceID: g.opts.DeviceID, RunID: g.opts.RunID, Seq: seq, TS: ts.UTC(), Profile: g.name})
	if err != nil {
		panic(err) // a Header always marshals
	}
	f, err := json.Marshal(fields)
	if err != nil {
		panic(err) // the models' field structs always marshal
	}
	if len(f) <= 2 { // "{}"
		return h
	}
	out := make([]byte, 0, len(h)+len(f))
	out = append(out, h[:len(h)-1]...)
	out = append(out, ',')
	return append(out, f[1:]...)
}

// Malformed returns a payload that is not valid JSON: the start of what
// the next message would look like, cut short, as a device with a buggy
// serialiser or a torn write would send. It does not advance the sequence.
func (g *Generator) Malformed(ts time.Time) []byte {
	fields := g.model.next(g.rng, 0)
	full := g.encode(g.seq+1, ts, fields)
	cut := len(full)/3 + g.rng.IntN(len(full)/2)
	out := append([]byte(nil), full[:cut]...)
	switch g.rng.IntN(3) {
	case 0: // truncated
	case 1:
		out = append(out, ",,}"...)
	case 2:
		out = append(out, 0xff, 0xfe, '}')
	}
	return out
}

// OversizeBytes is the size of an Oversize payload: 300 KiB.
const OversizeBytes = 300 << 10

// Oversize returns a valid JSON payload of exactly OversizeBytes that
// carries the device and run but no sequence number, so a verifier does
// not take it for a sequenced message.
func (g *Generator) Oversize(ts time.Time) []byte {
	head := fmt.Sprintf(`{"device_id":%q,"run":%q,"ts":%q,"profile":%q,"oversize":true,"pad":"`,
		g.opts.DeviceID, g.opts.RunID, ts.UTC().Format(time.RFC3339Nano), g.name)
	const tail = `"}`
	out := make([]byte, 0, OversizeBytes)
	out = append(out, head...)
	for len(out) < OversizeBytes-len(tail) {
		out = append(out, 'x')
	}
	return append(out, tail...)
}

// round returns x rounded to d decimal places.
func round(x float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(x*p) / p
}

// clamp returns x limited to [lo, hi].
func clamp(x, lo, hi float64) float64 { return min(max(x, lo), hi) }
