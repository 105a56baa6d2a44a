package device

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/tributary-edge/tributary/firmware-sim/internal/profile"
	"github.com/tributary-edge/tributary/firmware-sim/internal/stats"
)

// Fleet is a set of simulated devices that run together.
type Fleet struct {
	cfg      Config
	counters stats.Counters
	latency  stats.Histogram
	devices  []*device
}

// New validates c and prepares its devices; it does no I/O.
func New(c Config) (*Fleet, error) {
	return newFleet(c, nil)
}

// newFleet is New with a dialer (nil: paho).
func newFleet(c Config, dial dialer) (*Fleet, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	f := &Fleet{cfg: c.withDefaults()}
	if dial == nil {
		dial = pahoDialer(f.cfg)
	}
	for n := 1; n <= c.Count; n++ {
		id := DeviceID(c.IDPrefix, n, c.Count)
		gen, err := profile.New(c.Profile, profile.Options{DeviceID: id, RunID: c.RunID, Seed: c.Seed, Index: uint64(n)})
		if err != nil {
			return nil, err // Validate checked the profile
		}
		d := &device{
			cfg:      &f.cfg,
			id:       id,
			topic:    TopicFor(c.Topic, id),
			gen:      gen,
			rng:      rand.New(rand.NewPCG(c.Seed, uint64(n))),
			counters: &f.counters,
			latency:  &f.latency,
			dial:     dial,
			kick:     make(chan struct{}, 1),
			lost:     make(chan conn),
			done:     make(chan struct{}),
		}
		if s := c.Faults.Skew; s > 0 {
			d.skew = time.Duration((2*d.rng.Float64() - 1) * float64(s))
		}
		d.res = Result{ID: id, Topic: d.topic, Skew: d.skew}
		f.devices = append(f.devices, d)
	}
	return f, nil
}

// Counters returns the fleet's live counters.
func (f *Fleet) Counters() *stats.Counters { return &f.counters }

// Latency returns the fleet's live publish-to-PUBACK histogram.
func (f *Fleet) Latency() *stats.Histogram { return &f.latency }

// Run starts every device and returns when all are done: when the
// configured duration has passed or every device sent its messages, or
// when ctx ends — then devices stop sending, wait for what is in flight
// (at most the ack timeout), and disconnect. Run may be called once.
func (f *Fleet) Run(ctx context.Context) FleetResult {
	start := time.Now()
	if f.cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.cfg.Duration)
		defer cancel()
	}
	var wg sync.WaitGroup
	if f.cfg.Faults.Storm > 0 {
		stormCtx, stopStorm := context.WithCancel(ctx)
		defer wg.Wait()
		defer stopStorm()
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.storm(stormCtx)
		}()
	}
	results := make([]Result, len(f.devices))
	var dwg sync.WaitGroup
	for i, d := range f.devices {
		dwg.Add(1)
		go func() {
			defer dwg.Done()
			results[i] = d.run(ctx)
		}()
	}
	dwg.Wait()
	return FleetResult{
		Started:  start,
		Elapsed:  time.Since(start),
		Counters: f.counters.Snapshot(),
		Latency:  f.latency.Snapshot(),
		Devices:  results,
	}
}

// storm asks every device to drop its connection every Faults.Storm.
func (f *Fleet) storm(ctx context.Context) {
	t := time.NewTicker(f.cfg.Faults.Storm)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, d := range f.devices {
				select {
				case d.kick <- struct{}{}:
				default:
				}
			}
		}
	}
}
