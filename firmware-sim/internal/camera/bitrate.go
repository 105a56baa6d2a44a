package camera

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseBitrate parses a bitrate in bit/s: a number with an optional k
// (×1000) or M (×1000000) suffix and an optional "bit/s" or "bps", such as
// "4M", "2.5Mbit/s", "800k" or "300000". The result is rounded to whole
// bit/s and is at most MaxBitrate.
func ParseBitrate(s string) (int64, error) {
	t := strings.TrimSpace(s)
	for _, unit := range []string{"bit/s", "bps", "b/s"} {
		t = strings.TrimSuffix(t, unit)
	}
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "k"), strings.HasSuffix(t, "K"):
		mult, t = 1e3, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		mult, t = 1e6, t[:len(t)-1]
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v*mult > MaxBitrate {
		return 0, fmt.Errorf("bitrate %q: want a number of bit/s up to 100M, such as 4M or 800k", s)
	}
	return int64(math.Round(v * mult)), nil
}
