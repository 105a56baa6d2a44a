package kinesis

import (
	"errors"
	"math/big"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// SplitShard, MergeShards and UpdateShardCount (kinesis.md §3.11).

// provisionedShard checks that the stream may be resharded and returns the
// named shard. Errors are the ones AWS gives, with kinesalite's texts.
func (h *Handler) provisionedShard(name, shardID string) (spool.StreamInfo, spool.ShardInfo, *apiError) {
	idx, canon, ok := resolveShardID(shardID)
	if !ok {
		return spool.StreamInfo{}, spool.ShardInfo{}, newError(errResourceNotFound, "Could not find shard %s in stream %s under account %s.", shardID, name, h.cfg.AccountID)
	}
	info, attrs, e := h.stream(name)
	if e != nil {
		return info, spool.ShardInfo{}, e
	}
	if attrs.Mode == "ON_DEMAND" {
		return info, spool.ShardInfo{}, newError(errValidation, "Stream %s under account %s is in ON_DEMAND mode; resharding is only supported for PROVISIONED streams.", name, h.cfg.AccountID)
	}
	for _, s := range info.Shards {
		if s.Index == idx {
			if !s.Open() {
				return info, s, newError(errInvalidArgument, "Shard %s in stream %s under account %s has already been merged or split, and thus is not eligible for merging or splitting.", s.ID, name, h.cfg.AccountID)
			}
			return info, s, nil
		}
	}
	return info, spool.ShardInfo{}, newError(errResourceNotFound, "Could not find shard %s in stream %s under account %s.", canon, name, h.cfg.AccountID)
}

func (h *Handler) splitShard(q *request) (any, *apiError) {
	h.control.Lock()
	defer h.control.Unlock()
	name, e := h.streamName(q)
	if e != nil {
		return nil, e
	}
	_, sh, e := h.provisionedShard(name, q.in["ShardToSplit"].(string))
	if e != nil {
		return nil, e
	}
	key := q.in["NewStartingHashKey"].(string)
	k, _ := new(big.Int).SetString(key, 10)
	r := sh.HashRange
	start, end := bigOf(r.Start), bigOf(r.End)
	if k == nil || new(big.Int).Add(start, bigOne).Cmp(k) >= 0 || k.Cmp(end) >= 0 {
		return nil, newError(errInvalidArgument, "NewStartingHashKey %s used in SplitShard() on shard %s in stream %s under account %s is not both greater than one plus the shard's StartingHashKey %s and less than the shard's EndingHashKey %s.",
			key, sh.ID, name, h.cfg.AccountID, r.Start, r.End)
	}
	if e := h.checkShardLimit(1); e != nil {
		return nil, e
	}
	return nil, h.reshardError(h.sp.SplitShard(name, sh.ID, key), name)
}

var bigOne = big.NewInt(1)

func bigOf(k spool.HashKey) *big.Int {
	b, _ := new(big.Int).SetString(k.String(), 10)
	return b
}

func (h *Handler) mergeShards(q *request) (any, *apiError) {
	h.control.Lock()
	defer h.control.Unlock()
	name, e := h.streamName(q)
	if e != nil {
		return nil, e
	}
	aID, bID := q.in["ShardToMerge"].(string), q.in["AdjacentShardToMerge"].(string)
	for _, id := range []string{aID, bID} {
		if _, _, ok := resolveShardID(id); !ok {
			return nil, newError(errResourceNotFound, "Could not find shard %s in stream %s under account %s.", id, name, h.cfg.AccountID)
		}
	}
	_, a, e := h.provisionedShard(name, aID)
	if e != nil {
		return nil, e
	}
	_, b, e := h.provisionedShard(name, bID)
	if e != nil {
		return nil, e
	}
	// ShardToMerge must be the lower of the two (AWS refuses the pair the
	// other way round).
	if a.Index == b.Index || new(big.Int).Add(bigOf(a.HashRange.End), bigOne).Cmp(bigOf(b.HashRange.Start)) != 0 {
		return nil, newError(errInvalidArgument, "Shards %s and %s in stream %s under account %s are not an adjacent pair of shards eligible for merging",
			a.ID, b.ID, name, h.cfg.AccountID)
	}
	return nil, h.reshardError(h.sp.MergeShards(name, a.ID, b.ID), name)
}

// reshardError maps a spool resharding error; a race with another reshard
// can still find a shard closed.
func (h *Handler) reshardError(err error, name string) *apiError {
	if errors.Is(err, spool.ErrShardClosed) {
		return newError(errInvalidArgument, "%s", err)
	}
	return h.spoolError(err, name)
}

// scalingsPerDay is AWS's UpdateShardCount quota per stream per rolling
// 24 hours.
const scalingsPerDay = 10

func (h *Handler) updateShardCount(q *request) (any, *apiError) {
	h.control.Lock()
	defer h.control.Unlock()
	name, info, attrs, e := h.target(q)
	if e != nil {
		return nil, e
	}
	if attrs.Mode == "ON_DEMAND" {
		return nil, newError(errValidation, "Stream %s under account %s is in ON_DEMAND mode; UpdateShardCount is only supported for PROVISIONED streams.", name, h.cfg.AccountID)
	}
	target := int(q.in["TargetShardCount"].(int64))
	cur := info.OpenShards()
	switch {
	case target > 2*cur:
		return nil, newError(errLimitExceeded, "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: %d Target shard count: %d", cur, target)
	case 2*target < cur:
		return nil, newError(errLimitExceeded, "UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: %d Target shard count: %d", cur, target)
	}
	if target > cur {
		if e := h.checkShardLimit(target - cur); e != nil {
			return nil, e
		}
	}
	now := h.cfg.Now()
	recent := h.scaleLog[name][:0]
	for _, t := range h.scaleLog[name] {
		if now.Sub(t) < 24*time.Hour {
			recent = append(recent, t)
		}
	}
	h.scaleLog[name] = recent
	if len(recent) >= scalingsPerDay {
		return nil, newError(errLimitExceeded, "Rate exceeded: stream %s under account %s has been scaled %d times in the last 24 hours.", name, h.cfg.AccountID, len(recent))
	}
	if err := h.sp.UpdateShardCount(name, target); err != nil {
		return nil, h.spoolError(err, name)
	}
	if target != cur {
		h.scaleLog[name] = append(recent, now)
	}
	return map[string]any{"StreamName": name, "StreamARN": h.streamARN(name),
		"CurrentShardCount": cur, "TargetShardCount": target}, nil
}
