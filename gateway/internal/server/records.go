package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/spool"
)

// Admin API put limits (the Kinesis API keeps Kinesis' own). At most
// maxConcurrentPuts bodies of maxPutBody are decoded at once, so put memory
// is bounded by configuration, not by how many clients send at once.
const (
	maxPutRecords     = 10000
	maxPutBody        = 8 << 20
	maxConcurrentPuts = 4
)

func (g *Gateway) putRecords(w http.ResponseWriter, r *http.Request) {
	stream := r.PathValue("name")
	select {
	case g.puts <- struct{}{}:
		defer func() { <-g.puts }()
	case <-r.Context().Done():
		return // the client went away while waiting
	}
	var req api.PutRecords
	if !decodeBody(w, r, maxPutBody, &req) {
		return
	}
	if len(req.Records) == 0 || len(req.Records) > maxPutRecords {
		writeError(w, http.StatusBadRequest, api.CodeInvalidArgument, fmt.Sprintf("records: %d records (want 1 to %d)", len(req.Records), maxPutRecords))
		return
	}
	recs := make([]spool.Record, len(req.Records))
	for i, pr := range req.Records {
		recs[i] = spool.Record{PartitionKey: pr.PartitionKey, ExplicitHashKey: pr.ExplicitHashKey, Data: pr.Data}
	}
	results, err := g.spool.Append(r.Context(), stream, recs)
	if err != nil {
		writeSpoolError(w, err)
		return
	}
	out := api.PutRecordsResult{Records: make([]api.PutRecordResult, len(results))}
	for i, res := range results {
		if res.Err != nil {
			code, _ := errorCode(res.Err)
			out.Records[i] = api.PutRecordResult{ErrorCode: code, Error: fmt.Sprintf("records[%d]: %v", i, res.Err)}
			out.FailedCount++
			continue
		}
		out.Records[i] = api.PutRecordResult{ShardID: res.ShardID, SequenceNumber: res.SequenceNumber()}
	}
	writeJSON(w, http.StatusOK, out)
}

// tailStart is where GET …/records starts.
type tailStart struct {
	pos   spool.StartPosition
	shard string // "" = every shard
}

// parseFrom reads ?from=: trim_horizon, latest, a sequence number (which
// names its shard), an RFC 3339 time or a duration ago ("10m").
func parseFrom(from string, now time.Time) (tailStart, error) {
	switch strings.ToLower(from) {
	case "", "trim_horizon":
		return tailStart{pos: spool.StartPosition{Type: spool.TrimHorizon}}, nil
	case "latest":
		return tailStart{pos: spool.StartPosition{Type: spool.Latest}}, nil
	}
	if sn, err := spool.ParseSeqNum(from); err == nil {
		return tailStart{pos: spool.StartPosition{Type: spool.AtSequenceNumber, SequenceNumber: from}, shard: spool.ShardID(sn.Shard)}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, from); err == nil {
		return tailStart{pos: spool.StartPosition{Type: spool.AtTimestamp, Timestamp: t}}, nil
	}
	if d, err := time.ParseDuration(from); err == nil && d > 0 {
		return tailStart{pos: spool.StartPosition{Type: spool.AtTimestamp, Timestamp: now.Add(-d)}}, nil
	}
	return tailStart{}, fmt.Errorf("%w: from=%q (want trim_horizon, latest, a sequence number, an RFC 3339 time or a duration ago like 10m)", spool.ErrInvalidArgument, from)
}

// getRecords streams a stream's records as NDJSON. Shards are read in
// parallel; a child shard starts once all its parents are read to their end,
// so order per partition key holds across resharding. Without follow the
// answer ends when every shard is read to its current end.
func (g *Gateway) getRecords(w http.ResponseWriter, r *http.Request) {
	stream := r.PathValue("name")
	q := r.URL.Query()
	start, err := parseFrom(q.Get("from"), time.Now())
	if err != nil {
		writeSpoolError(w, err)
		return
	}
	follow, _ := strconv.ParseBool(q.Get("follow"))
	limit := 0
	if l := q.Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 0 {
			writeError(w, http.StatusBadRequest, api.CodeInvalidArgument, fmt.Sprintf("limit=%q is not a non-negative integer", l))
			return
		}
	}
	if sh := q.Get("shard"); sh != "" {
		if start.shard != "" && start.shard != sh {
			writeError(w, http.StatusBadRequest, api.CodeInvalidArgument, fmt.Sprintf("from=%s belongs to %s, not shard=%s", q.Get("from"), start.shard, sh))
			return
		}
		start.shard = sh
	}
	info, err := g.spool.DescribeStream(stream)
	if err != nil {
		writeSpoolError(w, err)
		return
	}
	t := &tailer{g: g, stream: stream, start: start, follow: follow, info: info, out: make(chan []api.Record, 4), started: map[string]bool{}, finished: map[string]bool{}}
	// validate the start on every shard before sending 200
	if err := t.check(); err != nil {
		writeSpoolError(w, err)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(g.pollCtx, cancel)() // shutdown ends a follow
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	go t.run(ctx)
	enc := json.NewEncoder(w)
	sent := 0
	for batch := range t.out {
		for _, rec := range batch {
			if err := enc.Encode(rec); err != nil {
				cancel()
				continue
			}
			sent++
			if limit > 0 && sent >= limit {
				cancel()
				break
			}
		}
		if flusher != nil {
			flusher.Flush()
		}
		if limit > 0 && sent >= limit {
			break
		}
	}
	stopped := ctx.Err() != nil // client gone, limit reached or shutting down
	cancel()
	for range t.out { // let readers exit
	}
	if err := t.err(); err != nil && !stopped {
		// the status line is sent; report the error as the last line
		code, _ := errorCode(err)
		enc.Encode(api.Error{Err: api.ErrorBody{Code: code, Message: err.Error()}})
	}
}

// tailer reads the shards of one stream for getRecords.
type tailer struct {
	g      *Gateway
	stream string
	start  tailStart
	follow bool
	info   spool.StreamInfo
	out    chan []api.Record

	wg       sync.WaitGroup
	mu       sync.Mutex
	started  map[string]bool
	finished map[string]bool
	firstErr error
}

func (t *tailer) check() error {
	if t.start.shard != "" {
		_, err := t.g.spool.Seek(t.stream, t.start.shard, t.start.pos)
		return err
	}
	for _, sh := range t.info.Shards {
		if _, err := t.g.spool.Seek(t.stream, sh.ID, t.start.pos); err != nil {
			return err
		}
	}
	return nil
}

func (t *tailer) err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.firstErr
}

func (t *tailer) run(ctx context.Context) {
	defer close(t.out)
	if t.start.shard != "" {
		t.launch(ctx, t.start.shard, t.start.pos)
	} else {
		for _, sh := range t.info.Shards {
			t.maybeLaunch(ctx, sh, false)
		}
	}
	t.wg.Wait()
}

// maybeLaunch starts a shard reader once all its parents are finished.
// With LATEST, closed shards have nothing new and count as finished. A
// shard found later (a child of a shard read to its end) is read from its
// start: it continues where its parents ended.
func (t *tailer) maybeLaunch(ctx context.Context, sh spool.ShardInfo, found bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started[sh.ID] {
		return
	}
	if t.start.pos.Type == spool.Latest && !sh.Open() {
		t.started[sh.ID], t.finished[sh.ID] = true, true
		return
	}
	for _, p := range sh.ParentShardIDs {
		if t.known(p) && !t.finished[p] {
			return
		}
	}
	t.started[sh.ID] = true
	pos := t.start.pos
	if found && t.start.pos.Type != spool.AtTimestamp {
		pos = spool.StartPosition{Type: spool.TrimHorizon}
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		t.read(ctx, sh.ID, pos)
	}()
}

func (t *tailer) known(id string) bool {
	for _, s := range t.info.Shards {
		if s.ID == id {
			return true
		}
	}
	return false
}

func (t *tailer) launch(ctx context.Context, id string, pos spool.StartPosition) {
	t.mu.Lock()
	t.started[id] = true
	t.mu.Unlock()
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		t.read(ctx, id, pos)
	}()
}

func (t *tailer) fail(err error) {
	t.mu.Lock()
	if t.firstErr == nil {
		t.firstErr = err
	}
	t.mu.Unlock()
}

func (t *tailer) read(ctx context.Context, shardID string, pos spool.StartPosition) {
	cur, err := t.g.spool.Seek(t.stream, shardID, pos)
	if err != nil {
		t.fail(err)
		return
	}
	for ctx.Err() == nil {
		res, err := t.g.spool.Read(cur, spool.ReadLimits{MaxRecords: 500, MaxBytes: 1 << 20})
		if err != nil {
			t.fail(err)
			return
		}
		if len(res.Records) > 0 {
			batch := make([]api.Record, len(res.Records))
			for i, rec := range res.Records {
				batch[i] = api.Record{Stream: t.stream, ShardID: shardID, SequenceNumber: rec.SequenceNumber(), PartitionKey: rec.PartitionKey, Arrival: rec.Arrival, Data: rec.Data}
			}
			select {
			case t.out <- batch:
			case <-ctx.Done():
				return
			}
		}
		cur = res.Next
		if res.EndOfShard {
			t.mu.Lock()
			t.finished[shardID] = true
			t.mu.Unlock()
			if t.start.shard == "" {
				t.refreshAndLaunch(ctx, res.ChildShards)
			}
			return
		}
		if len(res.Records) > 0 {
			continue
		}
		if !t.follow {
			return
		}
		if err := t.g.spool.Wait(ctx, cur); err != nil {
			if !errors.Is(err, context.Canceled) {
				t.fail(err)
			}
			return
		}
	}
}

// refreshAndLaunch picks up shards created after the tail began.
func (t *tailer) refreshAndLaunch(ctx context.Context, children []spool.ShardInfo) {
	if info, err := t.g.spool.DescribeStream(t.stream); err == nil {
		t.mu.Lock()
		t.info = info
		t.mu.Unlock()
	}
	for _, c := range children {
		t.maybeLaunch(ctx, c, true)
	}
}
