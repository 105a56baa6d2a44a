package kinesis

import (
	"maps"
	"slices"
	"sort"
	"strings"
)

// maxTags is AWS's limit of tags per stream.
const maxTags = 50

// checkTags refuses tag keys or values with characters AWS does not
// allow, with AWS's two texts: one for characters outside the tag set,
// another for '%', which the set lists but tags may not hold.
func (h *Handler) checkTags(name string, texts []string, verb string) *apiError {
	for _, s := range texts {
		if !validTagText(s) {
			return newError(errInvalidArgument, "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - %% @.")
		}
	}
	for _, s := range texts {
		if strings.Contains(s, "%") {
			return newError(errInvalidArgument, "Failed to %s stream %s under account %s because some tags contained illegal characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@'.",
				verb, name, h.cfg.AccountID)
		}
	}
	return nil
}

// tagTexts lists a tag map's keys and values.
func tagTexts(tags map[string]any) []string {
	out := make([]string, 0, 2*len(tags))
	for k, v := range tags {
		s, _ := v.(string)
		out = append(out, k, s)
	}
	return out
}

func (h *Handler) addTags(q *request) (any, *apiError) {
	name, e := h.streamName(q)
	if e != nil {
		return nil, e
	}
	tags := q.in["Tags"].(map[string]any)
	return nil, h.updateAttrs(name, func(a *streamAttrs) *apiError {
		if e := h.checkTags(name, tagTexts(tags), "add tags to"); e != nil {
			return e
		}
		merged := maps.Clone(a.Tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, stringMap(tags))
		if len(merged) > maxTags {
			return newError(errInvalidArgument, "Failed to add tags to stream %s under account %s because a given stream cannot have more than %d tags associated with it.", name, h.cfg.AccountID, maxTags)
		}
		a.Tags = merged
		return nil
	})
}

func (h *Handler) removeTags(q *request) (any, *apiError) {
	name, e := h.streamName(q)
	if e != nil {
		return nil, e
	}
	keys := q.in["TagKeys"].([]any)
	texts := make([]string, len(keys))
	for i, k := range keys {
		texts[i], _ = k.(string)
	}
	return nil, h.updateAttrs(name, func(a *streamAttrs) *apiError {
		if e := h.checkTags(name, texts, "remove tags from"); e != nil {
			return e
		}
		for _, k := range keys {
			s, _ := k.(string)
			delete(a.Tags, s)
		}
		return nil
	})
}

type tagOut struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func (h *Handler) listTags(q *request) (any, *apiError) {
	_, _, attrs, e := h.target(q)
	if e != nil {
		return nil, e
	}
	keys := slices.Sorted(maps.Keys(attrs.Tags))
	if start, ok := q.in["ExclusiveStartTagKey"].(string); ok {
		keys = keys[sort.SearchStrings(keys, start+"\x00"):]
	}
	limit := 100
	if n, ok := q.in["Limit"].(int64); ok {
		limit = int(n)
	}
	more := len(keys) > limit
	if more {
		keys = keys[:limit]
	}
	tags := make([]tagOut, len(keys))
	for i, k := range keys {
		tags[i] = tagOut{k, attrs.Tags[k]}
	}
	return map[string]any{"Tags": tags, "HasMoreTags": more}, nil
}
