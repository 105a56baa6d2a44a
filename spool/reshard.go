package spool

import "fmt"

// SplitShard closes a shard and creates two children covering
// [start, newStart-1] and [newStart, end] (kinesis.md §3.11).
func (s *Spool) SplitShard(stream, shardID, newStartingHashKey string) error {
	k, err := ParseHashKey(newStartingHashKey)
	if err != nil {
		return fmt.Errorf("new starting hash key: %w", err)
	}
	return s.control(func() error {
		st, sh, err := s.openShard(stream, shardID)
		if err != nil {
			return err
		}
		r := sh.rng
		if !(r.Start.add(1).Cmp(k) < 0 && k.Cmp(r.End) < 0) {
			return fmt.Errorf("%w: NewStartingHashKey %s used in SplitShard() on shard %s in stream %s is not both greater than one plus the shard's StartingHashKey %s and less than the shard's EndingHashKey %s",
				ErrInvalidArgument, k, shardID, stream, r.Start, r.End)
		}
		return s.reshard(st, []*shardState{sh}, []HashRange{{r.Start, k.sub(1)}, {k, r.End}})
	})
}

// MergeShards closes two adjacent shards and creates one child covering
// both ranges.
func (s *Spool) MergeShards(stream, shardID, adjacentShardID string) error {
	return s.control(func() error {
		st, a, err := s.openShard(stream, shardID)
		if err != nil {
			return err
		}
		_, b, err := s.openShard(stream, adjacentShardID)
		if err != nil {
			return err
		}
		lo, hi := a, b
		if hi.rng.Start.Cmp(lo.rng.Start) < 0 {
			lo, hi = hi, lo
		}
		if lo.rng.End.add(1) != hi.rng.Start || a == b {
			return fmt.Errorf("%w: shards %s and %s in stream %s are not an adjacent pair of shards eligible for merging", ErrInvalidArgument, shardID, adjacentShardID, stream)
		}
		return s.reshard(st, []*shardState{a, b}, []HashRange{{lo.rng.Start, hi.rng.End}})
	})
}

// UpdateShardCount reshards the stream to n open shards over uniform hash
// ranges, the way Kinesis' UNIFORM_SCALING does: as a sequence of splits
// and merges, so every new shard has one parent (a split) or two adjacent
// ones (a merge) and consumers can follow the lineage with the usual
// rules. First every open shard that straddles a target boundary is split
// at it; then the pieces inside each target range are merged left to
// right. Intermediate shards may be short-lived, as on AWS. The whole runs
// on the writer goroutine and is persisted in one write, so no append sees
// a half-finished layout and a crash leaves the old layout or the new.
func (s *Spool) UpdateShardCount(stream string, n int) error {
	if n < 1 || n > maxShards {
		return fmt.Errorf("%w: target shard count %d is outside 1..%d", ErrInvalidArgument, n, maxShards)
	}
	return s.control(func() error {
		st, err := s.streamByName(stream)
		if err != nil {
			return err
		}
		target := UniformRanges(HashKey{}, MaxHashKey, n)
		if sameRanges(st.open, target) {
			return nil
		}
		// The steps are applied to an in-memory layout and persisted once:
		// appends wait for one metadata write, not one per step.
		cur := st
		step := func(parents []*shardState, ranges []HashRange) error {
			next, err := newStreamState(s.reshardMeta(cur, parents, ranges), cur.lives())
			cur = next
			return err
		}
		// Splits: a target range starting strictly inside an open shard.
		for _, t := range target[1:] {
			sh := cur.route(t.Start)
			if sh.rng.Start == t.Start {
				continue
			}
			if err := step([]*shardState{sh}, []HashRange{{sh.rng.Start, t.Start.sub(1)}, {t.Start, sh.rng.End}}); err != nil {
				return err
			}
		}
		// Merges: every open shard now lies inside one target range.
		for _, t := range target {
			for {
				a := cur.route(t.Start)
				if a.rng.End == t.End {
					break
				}
				b := cur.route(a.rng.End.add(1))
				if err := step([]*shardState{a, b}, []HashRange{{a.rng.Start, b.rng.End}}); err != nil {
					return err
				}
			}
		}
		if err := s.replaceStream(st, cur.meta); err != nil {
			return err
		}
		for _, sh := range st.open {
			sh.live.broadcast()
		}
		return nil
	})
}

func sameRanges(open []*shardState, target []HashRange) bool {
	if len(open) != len(target) {
		return false
	}
	for i, sh := range open {
		if sh.rng != target[i] {
			return false
		}
	}
	return true
}

func (s *Spool) openShard(stream, shardID string) (*streamState, *shardState, error) {
	st, err := s.streamByName(stream)
	if err != nil {
		return nil, nil, err
	}
	idx, err := ParseShardID(shardID)
	if err != nil {
		return nil, nil, err
	}
	sh := st.shards[idx]
	if sh == nil {
		return nil, nil, fmt.Errorf("%w: %s in stream %q", ErrShardNotFound, shardID, stream)
	}
	if sh.meta.Closed {
		return nil, nil, fmt.Errorf("%w: shard %s has already been merged or split, and thus is not eligible for merging or splitting", ErrShardClosed, shardID)
	}
	return st, sh, nil
}

// reshard closes parents and adds children with the given ranges. The
// parents of each child are the closed shards its range overlaps, in the
// order given. Writer goroutine only: no append can slip
// in between closing a parent and publishing its children.
func (s *Spool) reshard(st *streamState, parents []*shardState, ranges []HashRange) error {
	if err := s.replaceStream(st, s.reshardMeta(st, parents, ranges)); err != nil {
		return err
	}
	for _, p := range parents {
		p.live.broadcast()
	}
	return nil
}

// reshardMeta returns st's metadata with parents closed and children
// added over ranges.
func (s *Spool) reshardMeta(st *streamState, parents []*shardState, ranges []HashRange) streamMeta {
	m := st.meta
	m.Shards = append([]shardMeta(nil), m.Shards...)
	now := s.opts.Clock.Wall().UnixMilli()
	closing := map[uint32]bool{}
	for _, p := range parents {
		closing[p.meta.Index] = true
	}
	for i := range m.Shards {
		if closing[m.Shards[i].Index] {
			live := st.shards[m.Shards[i].Index].live
			m.Shards[i].Closed = true
			m.Shards[i].EndSeq = max(live.assigned, 1)
			m.Shards[i].ClosedSpoolMs = s.clock.nowMs()
		}
	}
	for _, r := range ranges {
		child := shardMeta{Index: m.NextShard, Start: r.Start.String(), End: r.End.String(), CreatedMs: now}
		for _, p := range parents { // in the caller's order: ShardToMerge first
			if p.rng.Start.Cmp(r.End) <= 0 && r.Start.Cmp(p.rng.End) <= 0 {
				child.Parents = append(child.Parents, p.meta.Index)
			}
		}
		m.Shards = append(m.Shards, child)
		m.NextShard++
	}
	return m
}
