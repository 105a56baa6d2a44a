package kinesis

import (
	"errors"
	"math"
	"math/big"
	"slices"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// The data plane: PutRecord(s), GetShardIterator, GetRecords
// (kinesis.md §3.1, §3.5–3.7).

const (
	maxPutRecordsBytes = 5 << 20  // data plus keys per PutRecords
	maxGetRecordsBytes = 10 << 20 // per GetRecords
)

var maxHashKey = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))

// checkHashKey refuses an ExplicitHashKey outside [0, 2^128-1].
func checkHashKey(k string) *apiError {
	if k == "" {
		return nil
	}
	if b, ok := new(big.Int).SetString(k, 10); !ok || b.Sign() < 0 || b.Cmp(maxHashKey) > 0 {
		return newError(errInvalidArgument, "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was %s", k)
	}
	return nil
}

type putRecordOut struct {
	ShardId        string `json:"ShardId"`
	SequenceNumber string `json:"SequenceNumber"`
	EncryptionType string `json:"EncryptionType"`
}

func (h *Handler) putRecord(q *request) (any, *apiError) {
	name, e := h.streamName(q)
	if e != nil {
		return nil, e
	}
	rec := spool.Record{PartitionKey: q.in["PartitionKey"].(string), Data: q.in["Data"].([]byte)}
	rec.ExplicitHashKey, _ = q.in["ExplicitHashKey"].(string)
	if e := checkHashKey(rec.ExplicitHashKey); e != nil {
		return nil, e
	}
	if s, ok := q.in["SequenceNumberForOrdering"].(string); ok {
		if _, err := spool.ParseSeqNum(s); err != nil && s != "0" {
			return nil, newError(errInvalidArgument, "ExclusiveMinimumSequenceNumber %s used in PutRecord on stream %s under account %s is invalid.", s, name, h.cfg.AccountID)
		}
	}
	if e := h.checkRecordSize(name, rec); e != nil {
		return nil, e
	}
	if shard, ok := shardFor(h.openShards(name), rec); ok && !h.limits.allowPut(name, shard, 1, len(rec.Data)+len(rec.PartitionKey), true) {
		return nil, h.throttled(name, shard)
	}
	res, err := h.sp.Append(q.ctx, name, []spool.Record{rec})
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		return nil, h.spoolError(err, name)
	}
	return putRecordOut{res[0].ShardID, res[0].SequenceNumber(), "NONE"}, nil
}

func (h *Handler) checkRecordSize(name string, rec spool.Record) *apiError {
	if n := len(rec.Data) + len(rec.PartitionKey); n > h.cfg.MaxRecordSize {
		return newError(errInvalidArgument, "Record size %d bytes (data plus partition key) exceeds the %d-byte limit of stream %s under account %s.", n, h.cfg.MaxRecordSize, name, h.cfg.AccountID)
	}
	return nil
}

// openShards returns the stream's open shards when throughput limits are
// on (nil otherwise), for shardFor.
func (h *Handler) openShards(name string) []spool.ShardInfo {
	if !h.cfg.Throughput {
		return nil
	}
	info, err := h.sp.DescribeStream(name)
	if err != nil {
		return nil
	}
	return slices.DeleteFunc(info.Shards, func(s spool.ShardInfo) bool { return !s.Open() })
}

// shardFor returns the open shard a record routes to, for throughput
// accounting; ok is false when open is empty (limits off).
func shardFor(open []spool.ShardInfo, rec spool.Record) (string, bool) {
	hk := spool.HashPartitionKey(rec.PartitionKey)
	if rec.ExplicitHashKey != "" {
		hk, _ = spool.ParseHashKey(rec.ExplicitHashKey)
	}
	for _, s := range open {
		if s.HashRange.Contains(hk) {
			return s.ID, true
		}
	}
	return "", false
}

func (h *Handler) throttled(name, shard string) *apiError {
	return newError(errThroughput, "Rate exceeded for shard %s in stream %s under account %s.", shard, name, h.cfg.AccountID)
}

type putRecordsEntry struct {
	SequenceNumber string `json:"SequenceNumber,omitempty"`
	ShardId        string `json:"ShardId,omitempty"`
	ErrorCode      string `json:"ErrorCode,omitempty"`
	ErrorMessage   string `json:"ErrorMessage,omitempty"`
}

type putRecordsOut struct {
	FailedRecordCount int               `json:"FailedRecordCount"`
	Records           []putRecordsEntry `json:"Records"`
	EncryptionType    string            `json:"EncryptionType"`
}

// putRecords stores a batch. Whole-request problems (size, a bad hash key,
// an unknown stream) fail the call; anything else fails only its record,
// and the results come back in request order (kinesis.md §3.7).
func (h *Handler) putRecords(q *request) (any, *apiError) {
	name, e := h.streamName(q)
	if e != nil {
		return nil, e
	}
	in := q.in["Records"].([]any)
	recs := make([]spool.Record, len(in))
	for i, r := range in {
		m := r.(map[string]any)
		recs[i] = spool.Record{PartitionKey: m["PartitionKey"].(string), Data: m["Data"].([]byte)}
		recs[i].ExplicitHashKey, _ = m["ExplicitHashKey"].(string)
	}
	return h.storeRecords(q, name, recs)
}

// storeRecords is PutRecords once the request is decoded and its members
// are valid.
func (h *Handler) storeRecords(q *request, name string, recs []spool.Record) (any, *apiError) {
	total := 0
	for _, r := range recs {
		total += len(r.Data) + len(r.PartitionKey)
	}
	if total > maxPutRecordsBytes {
		return nil, newError(errInvalidArgument, "Records size exceeds 5 MB limit")
	}
	for _, r := range recs {
		if e := checkHashKey(r.ExplicitHashKey); e != nil {
			return nil, e
		}
	}
	out := putRecordsOut{Records: make([]putRecordsEntry, len(recs)), EncryptionType: "NONE"}
	// Records refused before the spool (size, throughput) are failed in
	// place; the rest go to the spool in one append, in request order.
	var send []spool.Record
	var sendIdx []int
	open := h.openShards(name)
	for i, r := range recs {
		if e := h.checkRecordSize(name, r); e != nil {
			out.Records[i] = putRecordsEntry{ErrorCode: errInternalFailure, ErrorMessage: e.Message}
			continue
		}
		if shard, ok := shardFor(open, r); ok && !h.limits.allowPut(name, shard, 1, len(r.Data)+len(r.PartitionKey), true) {
			out.Records[i] = putRecordsEntry{ErrorCode: errThroughput, ErrorMessage: h.throttled(name, shard).Message}
			continue
		}
		send = append(send, r)
		sendIdx = append(sendIdx, i)
	}
	if len(send) == 0 {
		// Nothing reaches the spool, whose answer would tell an unknown
		// stream: ask.
		if _, err := h.sp.DescribeStream(name); err != nil {
			return nil, h.spoolError(err, name)
		}
	} else {
		res, err := h.sp.Append(q.ctx, name, send)
		if err != nil {
			return nil, h.spoolError(err, name)
		}
		for j, r := range res {
			i := sendIdx[j]
			if r.Err != nil {
				ae := h.spoolError(r.Err, name)
				code := errInternalFailure
				if ae.Type == errThroughput {
					code = errThroughput
				}
				out.Records[i] = putRecordsEntry{ErrorCode: code, ErrorMessage: ae.Message}
				continue
			}
			out.Records[i] = putRecordsEntry{SequenceNumber: r.SequenceNumber(), ShardId: r.ShardID}
		}
	}
	for _, r := range out.Records {
		if r.ErrorCode != "" {
			out.FailedRecordCount++
		}
	}
	return out, nil
}

func (h *Handler) getShardIterator(q *request) (any, *apiError) {
	name, e := h.streamName(q)
	if e != nil {
		return nil, e
	}
	seq, hasSeq := q.in["StartingSequenceNumber"].(string)
	secs, hasTS := q.in["Timestamp"].(float64)
	cur, e := h.position(name, q.in["ShardId"].(string), q.in["ShardIteratorType"].(string), seq, hasSeq, secs, hasTS)
	if e != nil {
		return nil, e
	}
	return map[string]string{"ShardIterator": h.sealIterator(cur)}, nil
}

// position resolves a starting position in a shard, with GetShardIterator's
// checks and messages (kinesis.md §3.5); SubscribeToShard uses it too.
func (h *Handler) position(name, shardID, typ, seq string, hasSeq bool, secs float64, hasTS bool) (spool.Cursor, *apiError) {
	idx, canon, ok := resolveShardID(shardID)
	if !ok {
		return spool.Cursor{}, newError(errResourceNotFound, "Could not find shard %s in stream %s under account %s.", shardID, name, h.cfg.AccountID)
	}
	notExist := newError(errResourceNotFound, "Shard %s in stream %s under account %s does not exist", canon, name, h.cfg.AccountID)
	info, _, e := h.stream(name)
	if e != nil {
		if e.Type == errResourceNotFound {
			return spool.Cursor{}, notExist
		}
		return spool.Cursor{}, e
	}
	var shard *spool.ShardInfo
	for i := range info.Shards {
		if info.Shards[i].Index == idx {
			shard = &info.Shards[i]
		}
	}
	if shard == nil {
		return spool.Cursor{}, notExist
	}
	pos := spool.StartPosition{Type: spool.IteratorType(typ), SequenceNumber: seq}
	switch typ {
	case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
		if !hasSeq {
			return spool.Cursor{}, newError(errInvalidArgument, "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified %s and no StartingSequenceNumber.", typ)
		}
		sn, err := spool.ParseSeqNum(seq)
		if err != nil {
			return spool.Cursor{}, newError(errInvalidArgument, "StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s under account %s is invalid.", seq, shard.ID, name, h.cfg.AccountID)
		}
		if sn.Shard != shard.Index {
			return spool.Cursor{}, newError(errInvalidArgument, "Invalid StartingSequenceNumber. It encodes %s, while it was used in a call to a shard with %s", spool.ShardID(sn.Shard), shard.ID)
		}
		if last, _ := spool.ParseSeqNum(shard.LastSequence); sn.Counter > max(last.Counter, 1) {
			return spool.Cursor{}, newError(errInvalidArgument, "StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s under account %s is invalid because it did not come from this stream.", seq, shard.ID, name, h.cfg.AccountID)
		}
	case "AT_TIMESTAMP":
		if !hasTS {
			return spool.Cursor{}, newError(errInvalidArgument, "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.")
		}
		now := h.cfg.Now().UnixMilli()
		if math.IsNaN(secs) || secs*1000 > float64(now) {
			return spool.Cursor{}, newError(errInvalidArgument, "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: %.0f, currentTimestampInMillis: %d", secs*1000, now)
		}
		ms := int64(max(secs*1000, 0))
		pos.Timestamp = time.UnixMilli(ms)
	default: // TRIM_HORIZON, LATEST
		if hasSeq {
			return spool.Cursor{}, newError(errInvalidArgument, "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified %s and also a StartingSequenceNumber.", typ)
		}
	}
	cur, err := h.sp.Seek(name, shard.ID, pos)
	if err != nil {
		return spool.Cursor{}, h.spoolError(err, name)
	}
	return cur, nil
}

type recordOut struct {
	SequenceNumber              string     `json:"SequenceNumber"`
	ApproximateArrivalTimestamp *timestamp `json:"ApproximateArrivalTimestamp"`
	Data                        []byte     `json:"Data"`
	PartitionKey                string     `json:"PartitionKey"`
	EncryptionType              string     `json:"EncryptionType,omitempty"`
}

type childShardOut struct {
	ShardId      string       `json:"ShardId"`
	ParentShards []string     `json:"ParentShards"`
	HashKeyRange hashKeyRange `json:"HashKeyRange"`
}

type getRecordsOut struct {
	Records            []recordOut     `json:"Records"`
	NextShardIterator  string          `json:"NextShardIterator,omitempty"`
	MillisBehindLatest int64           `json:"MillisBehindLatest"`
	ChildShards        []childShardOut `json:"ChildShards,omitempty"`
}

func recordsOut(recs []spool.StoredRecord) []recordOut {
	out := make([]recordOut, len(recs))
	for i, r := range recs {
		data := r.Data
		if data == nil {
			data = []byte{} // "" (or an empty byte string), never null
		}
		out[i] = recordOut{r.SequenceNumber(), ts(r.Arrival), data, r.PartitionKey, "NONE"}
	}
	return out
}

func childShardsOut(children []spool.ShardInfo) []childShardOut {
	out := make([]childShardOut, len(children))
	for i, c := range children {
		out[i] = childShardOut{c.ID, c.ParentShardIDs, hashKeyRange{c.HashRange.Start.String(), c.HashRange.End.String()}}
	}
	return out
}

func (h *Handler) getRecords(q *request) (any, *apiError) {
	it, e := h.openIterator(q.in["ShardIterator"].(string))
	if e != nil {
		return nil, e
	}
	if arn, ok := q.in["StreamARN"].(string); ok {
		name, e := h.parseStreamARN(arn)
		if e != nil {
			return nil, e
		}
		if name != it.cur.Stream {
			return nil, newError(errInvalidArgument, "StreamARN %s does not match the stream %s of the shard iterator.", arn, it.cur.Stream)
		}
	}
	shardID := spool.ShardID(it.cur.Shard)
	if !h.limits.allowGet(it.cur.Stream, shardID, h.cfg.Throughput) {
		return nil, h.throttled(it.cur.Stream, shardID)
	}
	lim := spool.ReadLimits{MaxRecords: 10000, MaxBytes: maxGetRecordsBytes}
	if n, ok := q.in["Limit"].(int64); ok {
		lim.MaxRecords = int(n)
	}
	if h.cfg.Throughput {
		lim.MaxBytes = min(lim.MaxBytes, h.limits.readBudget(it.cur.Stream, shardID))
	}
	res, err := h.sp.Read(it.cur, lim)
	if err != nil {
		if errors.Is(err, spool.ErrShardNotFound) {
			return nil, newError(errResourceNotFound, "Shard %s in stream %s under account %s does not exist", shardID, it.cur.Stream, h.cfg.AccountID)
		}
		return nil, h.spoolError(err, it.cur.Stream)
	}
	bytes := 0
	for _, r := range res.Records {
		bytes += len(r.Data) + len(r.PartitionKey)
	}
	h.limits.readDone(it.cur.Stream, shardID, bytes, h.cfg.Throughput)
	out := getRecordsOut{Records: recordsOut(res.Records), MillisBehindLatest: res.MillisBehind}
	if res.EndOfShard {
		// KCL requires next == null ⇔ ChildShards non-empty (§3.6).
		out.ChildShards = childShardsOut(res.ChildShards)
	} else {
		out.NextShardIterator = h.sealIterator(res.Next)
	}
	return out, nil
}
