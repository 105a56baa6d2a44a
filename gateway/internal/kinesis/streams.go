package kinesis

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// Stream control-plane operations (kinesis.md §2, §3.9–3.11).

type modeOut struct {
	StreamMode string `json:"StreamMode"`
}

type hashKeyRange struct {
	StartingHashKey string `json:"StartingHashKey"`
	EndingHashKey   string `json:"EndingHashKey"`
}

type seqRange struct {
	StartingSequenceNumber string `json:"StartingSequenceNumber"`
	EndingSequenceNumber   string `json:"EndingSequenceNumber,omitempty"`
}

type shardOut struct {
	ShardId               string       `json:"ShardId"`
	ParentShardId         string       `json:"ParentShardId,omitempty"`
	AdjacentParentShardId string       `json:"AdjacentParentShardId,omitempty"`
	HashKeyRange          hashKeyRange `json:"HashKeyRange"`
	SequenceNumberRange   seqRange     `json:"SequenceNumberRange"`
}

type monitoringOut struct {
	ShardLevelMetrics []string `json:"ShardLevelMetrics"`
}

type streamDescription struct {
	StreamName              string          `json:"StreamName"`
	StreamARN               string          `json:"StreamARN"`
	StreamStatus            string          `json:"StreamStatus"`
	StreamModeDetails       modeOut         `json:"StreamModeDetails"`
	Shards                  []shardOut      `json:"Shards"`
	HasMoreShards           bool            `json:"HasMoreShards"`
	RetentionPeriodHours    int64           `json:"RetentionPeriodHours"`
	StreamCreationTimestamp *timestamp      `json:"StreamCreationTimestamp"`
	EnhancedMonitoring      []monitoringOut `json:"EnhancedMonitoring"`
	EncryptionType          string          `json:"EncryptionType"`
}

type streamSummary struct {
	StreamName              string          `json:"StreamName"`
	StreamARN               string          `json:"StreamARN"`
	StreamStatus            string          `json:"StreamStatus"`
	StreamModeDetails       modeOut         `json:"StreamModeDetails"`
	RetentionPeriodHours    int64           `json:"RetentionPeriodHours"`
	StreamCreationTimestamp *timestamp      `json:"StreamCreationTimestamp"`
	EnhancedMonitoring      []monitoringOut `json:"EnhancedMonitoring"`
	EncryptionType          string          `json:"EncryptionType"`
	OpenShardCount          int             `json:"OpenShardCount"`
	ConsumerCount           int             `json:"ConsumerCount"`
	MaxRecordSizeInKiB      int64           `json:"MaxRecordSizeInKiB"`
}

func shardsOut(info spool.StreamInfo) []shardOut {
	out := make([]shardOut, 0, len(info.Shards))
	for _, s := range info.Shards {
		o := shardOut{
			ShardId:             s.ID,
			HashKeyRange:        hashKeyRange{s.HashRange.Start.String(), s.HashRange.End.String()},
			SequenceNumberRange: seqRange{s.StartingSequence, s.EndingSequence},
		}
		if len(s.ParentShardIDs) > 0 {
			o.ParentShardId = s.ParentShardIDs[0]
		}
		if len(s.ParentShardIDs) > 1 {
			o.AdjacentParentShardId = s.ParentShardIDs[1]
		}
		out = append(out, o)
	}
	return out
}

func monitoring(a streamAttrs) []monitoringOut {
	return []monitoringOut{{ShardLevelMetrics: append([]string{}, a.Metrics...)}}
}

func (h *Handler) createStream(q *request) (any, *apiError) {
	name, _ := q.in["StreamName"].(string)
	if name == "" {
		return nil, newError(errValidation, "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null")
	}
	attrs := streamAttrs{}
	if md, ok := q.in["StreamModeDetails"].(map[string]any); ok && md["StreamMode"] == "ON_DEMAND" {
		attrs.Mode = "ON_DEMAND"
	}
	shards := int64(4) // AWS's count when ShardCount is absent (and on-demand's start)
	if n, ok := q.in["ShardCount"].(int64); ok {
		shards = n
	}
	if tags, ok := q.in["Tags"].(map[string]any); ok {
		if e := h.checkTags(name, tagTexts(tags), "add tags to"); e != nil {
			return nil, e
		}
		if len(tags) > maxTags {
			return nil, newError(errInvalidArgument, "Failed to add tags to stream %s under account %s because a given stream cannot have more than %d tags associated with it.", name, h.cfg.AccountID, maxTags)
		}
		attrs.Tags = stringMap(tags)
	}
	if kib, ok := q.in["MaxRecordSizeInKiB"].(int64); ok {
		if kib*1024 > int64(h.cfg.MaxRecordSize) {
			return nil, newError(errInvalidArgument, "MaxRecordSizeInKiB %d exceeds this gateway's record size limit of %d KiB (spool.max_record_size).", kib, h.cfg.MaxRecordSize/1024)
		}
		attrs.MaxKiB = kib
	}
	h.control.Lock()
	defer h.control.Unlock()
	if e := h.checkShardLimit(int(shards)); e != nil {
		return nil, e
	}
	b, _ := json.Marshal(attrs)
	err := h.sp.CreateStream(spool.StreamConfig{Name: name, Shards: int(shards), Attributes: b})
	return nil, h.spoolError(err, name)
}

// checkShardLimit refuses a change that would take the open shards of all
// streams past the configured quota.
func (h *Handler) checkShardLimit(adding int) *apiError {
	open := 0
	for _, n := range h.sp.ListStreams() {
		if info, err := h.sp.DescribeStream(n); err == nil {
			open += info.OpenShards()
		}
	}
	if open+adding > h.cfg.ShardLimit {
		return newError(errLimitExceeded, "This request would exceed the shard limit for the account %s in %s. Current shard count for the account: %d. Limit: %d. Number of additional shards that would have resulted from this request: %d. Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.",
			h.cfg.AccountID, h.cfg.Region, open, h.cfg.ShardLimit, adding)
	}
	return nil
}

func (h *Handler) deleteStream(q *request) (any, *apiError) {
	name, info, attrs, e := h.target(q)
	if e != nil {
		return nil, e
	}
	if force, _ := q.in["EnforceConsumerDeletion"].(bool); !force && len(attrs.Consumers) > 0 {
		return nil, newError(errResourceInUse, "Stream %s under account %s has registered consumers. Deregister them or set EnforceConsumerDeletion.", name, h.cfg.AccountID)
	}
	if info.System {
		return nil, newError(errResourceInUse, "Stream %s under account %s is the gateway's dead-letter stream and cannot be deleted.", name, h.cfg.AccountID)
	}
	h.subs.endStream(name)
	if err := h.sp.DeleteStream(name); err != nil {
		return nil, h.spoolError(err, name)
	}
	h.control.Lock()
	delete(h.scaleLog, name)
	h.control.Unlock()
	h.limits.forget(name)
	if h.cfg.Observer != nil {
		h.cfg.Observer.StreamDeleted(name)
	}
	return nil, nil
}

func (h *Handler) describeStream(q *request) (any, *apiError) {
	name, info, attrs, e := h.target(q)
	if e != nil {
		return nil, e
	}
	limit := 100
	if n, ok := q.in["Limit"].(int64); ok && n < 100 {
		limit = int(n)
	}
	shards := shardsOut(info)
	if start, ok := q.in["ExclusiveStartShardId"].(string); ok {
		shards = shardsAfter(shards, start)
	}
	more := len(shards) > limit
	if more {
		shards = shards[:limit]
	}
	return map[string]any{"StreamDescription": streamDescription{
		StreamName: name, StreamARN: h.streamARN(name), StreamStatus: "ACTIVE",
		StreamModeDetails:       modeOut{attrs.mode()},
		Shards:                  shards,
		HasMoreShards:           more,
		RetentionPeriodHours:    hoursOf(info.Retention),
		StreamCreationTimestamp: ts(info.Created),
		EnhancedMonitoring:      monitoring(attrs),
		EncryptionType:          "NONE",
	}}, nil
}

// shardsAfter returns the shards whose id sorts after start (ids are
// zero-padded, so this is index order; "shardId-1" and "1" are accepted).
func shardsAfter(shards []shardOut, start string) []shardOut {
	idx, err := spool.ParseShardID(start)
	if err != nil {
		return shards[:0]
	}
	after := spool.ShardID(idx)
	i := sort.Search(len(shards), func(i int) bool { return shards[i].ShardId > after })
	return shards[i:]
}

func (h *Handler) describeStreamSummary(q *request) (any, *apiError) {
	name, info, attrs, e := h.target(q)
	if e != nil {
		return nil, e
	}
	kib := attrs.MaxKiB
	if kib == 0 {
		kib = 1024
	}
	return map[string]any{"StreamDescriptionSummary": streamSummary{
		StreamName: name, StreamARN: h.streamARN(name), StreamStatus: "ACTIVE",
		StreamModeDetails:       modeOut{attrs.mode()},
		RetentionPeriodHours:    hoursOf(info.Retention),
		StreamCreationTimestamp: ts(info.Created),
		EnhancedMonitoring:      monitoring(attrs),
		EncryptionType:          "NONE",
		OpenShardCount:          info.OpenShards(),
		ConsumerCount:           len(attrs.Consumers),
		MaxRecordSizeInKiB:      kib,
	}}, nil
}

type streamSummaryEntry struct {
	StreamName              string     `json:"StreamName"`
	StreamARN               string     `json:"StreamARN"`
	StreamStatus            string     `json:"StreamStatus"`
	StreamModeDetails       modeOut    `json:"StreamModeDetails"`
	StreamCreationTimestamp *timestamp `json:"StreamCreationTimestamp"`
}

func (h *Handler) listStreams(q *request) (any, *apiError) {
	names := h.sp.ListStreams()
	slices.Sort(names)
	after, _ := q.in["ExclusiveStartStreamName"].(string)
	if tok, ok := q.in["NextToken"].(string); ok {
		if after != "" {
			return nil, newError(errInvalidArgument, "NextToken and ExclusiveStartStreamName cannot be provided together.")
		}
		t, e := h.openToken(tok, "streams")
		if e != nil {
			return nil, e
		}
		after = t.After
	}
	if after != "" {
		names = names[sort.SearchStrings(names, after+"\x00"):]
	}
	limit := 100
	if n, ok := q.in["Limit"].(int64); ok {
		limit = int(n)
	}
	more := len(names) > limit
	if more {
		names = names[:limit]
	}
	out := map[string]any{"StreamNames": names, "HasMoreStreams": more}
	sums := make([]streamSummaryEntry, 0, len(names))
	for _, n := range names {
		info, attrs, e := h.stream(n)
		if e != nil {
			continue // deleted meanwhile
		}
		sums = append(sums, streamSummaryEntry{n, h.streamARN(n), "ACTIVE", modeOut{attrs.mode()}, ts(info.Created)})
	}
	out["StreamSummaries"] = sums
	if more {
		out["NextToken"] = h.sealToken(pageToken{Kind: "streams", After: names[len(names)-1]})
	}
	return out, nil
}

func (h *Handler) listShards(q *request) (any, *apiError) {
	tok, hasTok := q.in["NextToken"].(string)
	name, _ := q.in["StreamName"].(string)
	_, hasARN := q.in["StreamARN"].(string)
	switch {
	case !hasTok && name == "" && !hasARN:
		return nil, newError(errInvalidArgument, "Either NextToken or StreamName should be provided.")
	case hasTok && (name != "" || hasARN):
		return nil, newError(errInvalidArgument, "NextToken and StreamName cannot be provided together.")
	}
	after, _ := q.in["ExclusiveStartShardId"].(string)
	filter, _ := q.in["ShardFilter"].(map[string]any)
	if hasTok {
		if after != "" || filter != nil {
			return nil, newError(errInvalidArgument, "NextToken cannot be provided together with ExclusiveStartShardId or ShardFilter.")
		}
		t, e := h.openToken(tok, "shards")
		if e != nil {
			return nil, e
		}
		name, after, filter = t.Stream, t.After, t.Filter
	} else {
		var e *apiError
		if name, e = h.streamName(q); e != nil {
			return nil, e
		}
	}
	info, _, e := h.stream(name)
	if e != nil {
		return nil, e
	}
	shards, e := filterShards(info, filter)
	if e != nil {
		return nil, e
	}
	if after != "" {
		shards = shardsAfter(shards, after)
	}
	limit := 1000
	if n, ok := q.in["MaxResults"].(int64); ok && n < 1000 {
		limit = int(n)
	}
	out := map[string]any{}
	if len(shards) > limit {
		shards = shards[:limit]
		out["NextToken"] = h.sealToken(pageToken{Kind: "shards", Stream: name, After: shards[limit-1].ShardId, Filter: filter})
	}
	out["Shards"] = shards
	return out, nil
}

// filterShards applies a ListShards ShardFilter (kinesis.md §2). The
// spool forgets closed shards once their data has expired, so every
// listed shard is at or after the trim horizon.
func filterShards(info spool.StreamInfo, filter map[string]any) ([]shardOut, *apiError) {
	all := shardsOut(info)
	typ, _ := filter["Type"].(string)
	closedAt := map[string]time.Time{} // a shard closes when its first child is created
	listed := map[string]bool{}
	for _, s := range info.Shards {
		listed[s.ID] = true
		for _, p := range s.ParentShardIDs {
			if t, ok := closedAt[p]; !ok || s.Created.Before(t) {
				closedAt[p] = s.Created
			}
		}
	}
	var keep func(i int) bool
	switch typ {
	case "", "FROM_TRIM_HORIZON":
		return all, nil
	case "AFTER_SHARD_ID":
		id, _ := filter["ShardId"].(string)
		if id == "" {
			return nil, newError(errInvalidArgument, "ShardFilter type AFTER_SHARD_ID requires ShardId.")
		}
		return shardsAfter(all, id), nil
	case "AT_TRIM_HORIZON":
		keep = func(i int) bool {
			for _, p := range info.Shards[i].ParentShardIDs {
				if listed[p] {
					return false
				}
			}
			return true
		}
	case "AT_LATEST":
		keep = func(i int) bool { return info.Shards[i].Open() }
	case "AT_TIMESTAMP", "FROM_TIMESTAMP":
		secs, ok := filter["Timestamp"].(float64)
		if !ok {
			return nil, newError(errInvalidArgument, "ShardFilter type %s requires Timestamp.", typ)
		}
		if math.IsNaN(secs) || math.IsInf(secs, 0) {
			return nil, newError(errInvalidArgument, "ShardFilter Timestamp %v is not a time.", secs)
		}
		at := time.UnixMilli(int64(max(min(secs*1000, 1e15), -1e15)))
		keep = func(i int) bool {
			s := info.Shards[i]
			end, closed := closedAt[s.ID]
			if closed && !end.After(at) {
				return false // closed before the timestamp
			}
			return typ == "FROM_TIMESTAMP" || !s.Created.After(at)
		}
	}
	out := all[:0:0]
	for i := range info.Shards {
		if keep(i) {
			out = append(out, all[i])
		}
	}
	return out, nil
}

func (h *Handler) retention(q *request, increase bool) (any, *apiError) {
	name, e := h.streamName(q)
	if e != nil {
		return nil, e
	}
	hours := q.in["RetentionPeriodHours"].(int64)
	info, _, e := h.stream(name)
	if e != nil {
		return nil, e
	}
	cur := hoursOf(info.Retention)
	switch {
	case hours < 24:
		return nil, newError(errInvalidArgument, "Minimum allowed retention period is 24 hours. Requested retention period (%d hours) is too short.", hours)
	case hours > 8760:
		return nil, newError(errInvalidArgument, "Maximum allowed retention period is 8760 hours. Requested retention period (%d hours) is too long.", hours)
	case increase && hours < cur:
		return nil, newError(errInvalidArgument, "Requested retention period (%d hours) for stream %s can not be shorter than existing retention period (%d hours). Use DecreaseRetentionPeriod API.", hours, name, cur)
	case !increase && hours > cur:
		return nil, newError(errInvalidArgument, "Requested retention period (%d hours) for stream %s can not be longer than existing retention period (%d hours). Use IncreaseRetentionPeriod API.", hours, name, cur)
	}
	d := time.Duration(hours) * time.Hour
	return nil, h.spoolError(h.sp.UpdateStream(name, spool.StreamUpdate{Retention: &d}), name)
}

func (h *Handler) increaseRetention(q *request) (any, *apiError) { return h.retention(q, true) }
func (h *Handler) decreaseRetention(q *request) (any, *apiError) { return h.retention(q, false) }

func (h *Handler) describeLimits(q *request) (any, *apiError) {
	open, onDemand := 0, 0
	for _, n := range h.sp.ListStreams() {
		if info, attrs, e := h.stream(n); e == nil {
			open += info.OpenShards()
			if attrs.Mode == "ON_DEMAND" {
				onDemand++
			}
		}
	}
	return map[string]any{"ShardLimit": h.cfg.ShardLimit, "OpenShardCount": open,
		"OnDemandStreamCount": onDemand, "OnDemandStreamCountLimit": 50}, nil
}

func (h *Handler) updateStreamMode(q *request) (any, *apiError) {
	name, e := h.streamName(q)
	if e != nil {
		return nil, e
	}
	mode := q.in["StreamModeDetails"].(map[string]any)["StreamMode"].(string)
	return nil, h.updateAttrs(name, func(a *streamAttrs) *apiError {
		a.Mode = ""
		if mode == "ON_DEMAND" {
			a.Mode = mode
		}
		return nil
	})
}

func (h *Handler) setMonitoring(q *request, enable bool) (any, *apiError) {
	name, e := h.streamName(q)
	if e != nil {
		return nil, e
	}
	var asked []string
	for _, m := range q.in["ShardLevelMetrics"].([]any) {
		if m == "ALL" {
			asked = append(asked, shardLevelMetrics[:len(shardLevelMetrics)-1]...)
		} else if s, ok := m.(string); ok {
			asked = append(asked, s)
		}
	}
	var before, after []string
	e = h.updateAttrs(name, func(a *streamAttrs) *apiError {
		before = append([]string{}, a.Metrics...)
		set := map[string]bool{}
		for _, m := range a.Metrics {
			set[m] = true
		}
		for _, m := range asked {
			set[m] = enable
		}
		a.Metrics = nil
		for _, m := range slices.Sorted(maps.Keys(set)) {
			if set[m] {
				a.Metrics = append(a.Metrics, m)
			}
		}
		after = append([]string{}, a.Metrics...)
		return nil
	})
	if e != nil {
		return nil, e
	}
	return map[string]any{"StreamName": name, "StreamARN": h.streamARN(name),
		"CurrentShardLevelMetrics": before, "DesiredShardLevelMetrics": after}, nil
}

func (h *Handler) enableMonitoring(q *request) (any, *apiError)  { return h.setMonitoring(q, true) }
func (h *Handler) disableMonitoring(q *request) (any, *apiError) { return h.setMonitoring(q, false) }

func stringMap(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k], _ = v.(string)
	}
	return out
}

// validTagText reports whether s has only the characters of AWS's tag
// set: letters (U+00C0–U+1FFF, U+2C00–U+D7FF and ASCII), digits, space
// and _ . / = + - % @.
func validTagText(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 0xC0 && r <= 0x1FFF || r >= 0x2C00 && r <= 0xD7FF ||
			r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("_./=+-@% ", r))
	}) < 0
}

// resolveShardID reads a shard id as AWS does: the number after the first
// '-' ("shardId-000000000003", "foo-3") or the whole id ("3"), at most
// 2^31-1. It returns the index and the canonical id.
func resolveShardID(id string) (uint32, string, bool) {
	num := id
	if parts := strings.Split(id, "-"); len(parts) > 1 && parts[1] != "" {
		num = parts[1]
	}
	if num == "" || strings.Trim(num, "0123456789") != "" {
		return 0, "", false
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n > math.MaxInt32 {
		return 0, "", false
	}
	return uint32(n), spool.ShardID(uint32(n)), true
}
