package config

import "strings"

// suggest returns the name in names that key was most likely meant to be,
// or "" if none is close: a name equal to key ignoring case, '_' and '-'
// ("dataDir" → "data_dir"), else the nearest within an edit distance of 1
// (names under 5 characters) or 2, counting a transposition as one edit.
func suggest(key string, names []string) string {
	if len(key) > 64 {
		return ""
	}
	fold := func(s string) string {
		return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s))
	}
	for _, n := range names {
		if fold(n) == fold(key) {
			return n
		}
	}
	best, bestDist := "", 3
	lower := strings.ToLower(key)
	for _, n := range names {
		limit := 2
		if len(n) < 5 {
			limit = 1
		}
		if d := editDistance(lower, n); d <= limit && d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and adjacent transpositions), by
// bytes.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
