package analytics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// Event is one input record as a query sees it.
type Event struct {
	Stream  string
	Record  spool.StoredRecord
	Arrival time.Time
}

// Output is one result row: a JSON record for the output stream (keyed
// by Key) and/or a message for an MQTT topic — or a late record for the
// LATE INTO stream.
type Output struct {
	Key   string // partition key in the output stream
	Data  []byte // the row as JSON
	Topic string // "": not published
	// Stream, when set, is where the record goes instead of the app's
	// output stream (a late record, as it was stored); it is not
	// published.
	Stream string
}

// Query is a compiled statement: it turns events into outputs, keeps its
// windows, and can save and restore them exactly.
type Query interface {
	// Process handles one event. An error is about the record (counted,
	// the app goes on); the outputs are whatever it produced.
	Process(ev Event) ([]Output, error)
	// Advance closes what time has closed (arrival-time windows, session
	// gaps) as of now.
	Advance(now time.Time) []Output
	// Snapshot and Restore save and load the query's state.
	Snapshot() ([]byte, error)
	Restore([]byte) error
	// Stats: late records so far, and the state's size (groups/windows);
	// called on the app's goroutine, as the rest.
	Late() int64
	StateSize() int
	// LimitHits counts records refused by a memory cap (groups, windows,
	// distinct values).
	LimitHits() int64
}

// Publisher publishes MQTT messages (the gateway's broker).
type Publisher interface {
	Publish(topic string, payload []byte, retain bool, qos byte) error
}

// AppConfig describes one app.
type AppConfig struct {
	Name    string
	Sources []string            // the streams it reads
	Tables  []string            // of them, those read from their start (joined tables)
	From    spool.StartPosition // a shard without a checkpoint starts here
	Output  string              // the INSERT INTO stream ("": none)
	Query   Query
	MQTT    Publisher // for outputs with a Topic (nil: they are dropped and counted)
	// Sink, when set, is given every output after its commit (an ad-hoc
	// query streaming to a terminal).
	Sink   func(Output)
	Tick   time.Duration
	Logger *slog.Logger
}

// AppStatus is an app's counters, for the admin API and metrics.
type AppStatus struct {
	State        string // running, stopped, failed
	RecordsIn    int64
	RecordsOut   int64
	Published    int64
	Errors       int64 // records that could not be processed (bad JSON, a type error)
	Late         int64
	LimitHits    int64 // records refused by a memory cap (groups, windows, distinct values)
	StateSize    int
	LagMillis    int64 // arrival of the newest processed record, behind now
	LastError    string
	LastErrorAt  time.Time
	PublishFails int64
}

// App runs a query over its sources: pages in, outputs, checkpoint and
// state out, in one spool transaction per page (see the package doc).
type App struct {
	cfg AppConfig
	sp  *spool.Spool
	log *slog.Logger
	in  *Input

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	status AppStatus
}

// stateKey is where an app keeps its query state (owner: its consumer).
const stateKey = "query"

func (c *AppConfig) consumer() string { return "sql:" + c.Name }

// NewApp checks cfg and returns an app ready to Start.
func NewApp(sp *spool.Spool, cfg AppConfig) (*App, error) {
	if cfg.Name == "" || len(cfg.Name) > 100 {
		return nil, fmt.Errorf("%w: app name %q must be 1 to 100 characters", ErrInvalid, cfg.Name)
	}
	if len(cfg.Sources) == 0 || cfg.Query == nil {
		return nil, fmt.Errorf("%w: app %s needs sources and a query", ErrInvalid, cfg.Name)
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	if cfg.From.Type == "" {
		cfg.From = spool.StartPosition{Type: spool.Latest}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &App{cfg: cfg, sp: sp, log: cfg.Logger.With("app", cfg.Name), status: AppStatus{State: "stopped"}}, nil
}

// Start restores the query's state from the last commit and begins.
func (a *App) Start(ctx context.Context) error {
	if b, ok, err := a.sp.GetState(a.cfg.consumer(), stateKey); err != nil {
		return err
	} else if ok {
		if err := a.cfg.Query.Restore(b); err != nil {
			return fmt.Errorf("app %s: restoring its state: %w", a.cfg.Name, err)
		}
	}
	a.ctx, a.cancel = context.WithCancel(ctx)
	a.done = make(chan struct{})
	a.in = NewInput(a.sp, a.cfg.consumer(), a.cfg.Sources, a.cfg.From)
	for _, t := range a.cfg.Tables {
		a.in.StartAt(t, spool.StartPosition{Type: spool.TrimHorizon})
	}
	a.in.Start(a.ctx)
	a.record(func(s *AppStatus) { s.State = "running" })
	go a.run()
	return nil
}

// Close stops the app and waits; what was not committed is processed
// again after the next Start (with the state of the last commit).
func (a *App) Close() {
	if a.cancel == nil {
		return
	}
	a.cancel()
	<-a.done
	a.in.Close()
	a.record(func(s *AppStatus) {
		if s.State == "running" {
			s.State = "stopped"
		}
	})
}

// Status returns the app's counters.
func (a *App) Status() AppStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

func (a *App) record(fn func(*AppStatus)) {
	a.mu.Lock()
	fn(&a.status)
	a.mu.Unlock()
}

// Commit batching: pages waiting are processed together and committed
// once (one state snapshot per commit, not per page), up to these.
const (
	batchPages = 32
	batchWait  = 20 * time.Millisecond
)

func (a *App) run() {
	defer close(a.done)
	t := time.NewTicker(a.cfg.Tick)
	defer t.Stop()
	for {
		var err error
		select {
		case <-a.ctx.Done():
			return
		case p := <-a.in.Pages():
			err = a.batch(p)
		case now := <-t.C:
			err = a.commit(nil, a.cfg.Query.Advance(now))
		}
		if err != nil && a.ctx.Err() == nil {
			// The spool refused the commit (disk full, too large): the
			// app stops rather than skip or repeat; its state is that of
			// the last commit.
			a.log.Error("app stopped: cannot commit", "err", err)
			a.record(func(s *AppStatus) { s.State, s.LastError, s.LastErrorAt = "failed", err.Error(), time.Now() })
			return
		}
	}
}

// batch processes p and the pages that are already waiting (a bounded
// number, for a bounded time), then commits them once.
func (a *App) batch(p Page) error {
	deadline := time.Now().Add(batchWait)
	cps := map[string]spool.Checkpoint{}
	var outs []Output
	for n := 0; ; n++ {
		outs = append(outs, a.page(p)...)
		if p.Last != (spool.SeqNum{}) {
			cps[p.Stream+"/"+p.ShardID] = spool.Checkpoint{Consumer: a.cfg.consumer(), Stream: p.Stream, ShardID: p.ShardID, SequenceNumber: p.Last.String()}
		}
		if n+1 == batchPages || time.Now().After(deadline) || a.urgent(outs) {
			break
		}
		select {
		case p = <-a.in.Pages():
			continue
		default:
		}
		break
	}
	outs = append(outs, a.cfg.Query.Advance(time.Now())...)
	list := make([]spool.Checkpoint, 0, len(cps))
	for _, cp := range cps {
		list = append(list, cp)
	}
	return a.commit(list, outs)
}

// urgent reports outputs for MQTT: alerts do not wait for a fuller batch.
func (a *App) urgent(outs []Output) bool {
	for _, o := range outs {
		if o.Topic != "" {
			return true
		}
	}
	return false
}

// page runs one page's records through the query.
func (a *App) page(p Page) []Output {
	var outs []Output
	var bad int64
	var lastErr error
	for _, r := range p.Records {
		o, err := a.cfg.Query.Process(Event{Stream: p.Stream, Record: r, Arrival: r.Arrival})
		if err != nil {
			bad++
			lastErr = fmt.Errorf("%s/%s record %s: %w", p.Stream, p.ShardID, r.SequenceNumber(), err)
		}
		outs = append(outs, o...)
	}
	a.record(func(s *AppStatus) {
		s.RecordsIn += int64(len(p.Records))
		s.Errors += bad
		if lastErr != nil {
			s.LastError, s.LastErrorAt = lastErr.Error(), time.Now()
		}
		if n := len(p.Records); n > 0 {
			s.LagMillis = time.Since(p.Records[n-1].Arrival).Milliseconds()
		}
	})
	return outs
}

// commit writes outputs, the checkpoint and the state in one transaction,
// then publishes the MQTT outputs.
func (a *App) commit(cps []spool.Checkpoint, outs []Output) error {
	if len(cps) == 0 && len(outs) == 0 {
		return nil
	}
	state, err := a.cfg.Query.Snapshot()
	if err != nil {
		return err
	}
	parts := []spool.StreamRecords{{Stream: a.cfg.Output}}
	lateParts := map[string]int{} // LATE INTO streams: index in parts
	var results int
	for _, o := range outs {
		switch {
		case o.Stream != "":
			i, ok := lateParts[o.Stream]
			if !ok {
				i = len(parts)
				lateParts[o.Stream] = i
				parts = append(parts, spool.StreamRecords{Stream: o.Stream})
			}
			parts[i].Records = append(parts[i].Records, spool.Record{PartitionKey: o.Key, Data: o.Data})
		case a.cfg.Output != "" && o.Data != nil:
			parts[0].Records = append(parts[0].Records, spool.Record{PartitionKey: o.Key, Data: o.Data})
		}
		if o.Stream == "" {
			results++
		}
	}
	res, err := a.sp.CommitStreams(context.WithoutCancel(a.ctx), parts, cps, []spool.State{{Owner: a.cfg.consumer(), Key: stateKey, Value: state}})
	if err != nil {
		for i, pr := range res {
			for _, r := range pr {
				if r.Err != nil {
					return fmt.Errorf("output record for %s: %w", parts[i].Stream, r.Err)
				}
			}
		}
		return err
	}
	if a.cfg.Sink != nil {
		for _, o := range outs {
			if o.Stream == "" {
				a.cfg.Sink(o)
			}
		}
	}
	var published, failed int64
	for _, o := range outs {
		if o.Topic == "" || o.Stream != "" {
			continue
		}
		if a.cfg.MQTT == nil {
			failed++
			continue
		}
		if err := a.cfg.MQTT.Publish(o.Topic, o.Data, false, 1); err != nil {
			failed++
			continue
		}
		published++
	}
	late, size, hits := a.cfg.Query.Late(), a.cfg.Query.StateSize(), a.cfg.Query.LimitHits() // the query is this goroutine's
	a.record(func(s *AppStatus) {
		s.RecordsOut += int64(results)
		s.Published += published
		s.PublishFails += failed
		s.Late, s.StateSize, s.LimitHits = late, size, hits
	})
	return nil
}

// ErrInvalid marks an app configuration that cannot run.
var ErrInvalid = errors.New("invalid app")
