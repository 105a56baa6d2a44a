package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/firmware-sim/internal/stats"
)

// WriteText writes the end-of-run report.
func (r *Report) WriteText(w io.Writer) {
	rate := fmt.Sprintf("%g msg/s each", r.Rate)
	if r.Rate == 0 {
		rate = "as fast as acks allow"
	}
	fmt.Fprintf(w, "firmware-sim run %s: %d %s devices -> %s, QoS %d, %s\n", r.RunID, r.Devices, r.Profile, r.Broker, r.QoS, rate)
	fmt.Fprintf(w, "  duration     %.2fs\n", r.DurationS)
	fmt.Fprintf(w, "  sent         %d\n", r.Sent)
	if r.QoS == 0 {
		fmt.Fprintf(w, "  written      %d  (QoS 0: no acknowledgements)\n", r.Acked)
	} else {
		fmt.Fprintf(w, "  acked        %d  (%d distinct sequenced messages)\n", r.Acked, r.AckedSeqs)
	}
	var kinds []string
	for _, k := range stats.ErrorKinds() {
		if n := r.ErrorsByKind[k.String()]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
	}
	if len(kinds) > 0 {
		fmt.Fprintf(w, "  errors       %d  (%s)\n", r.Errors, strings.Join(kinds, ", "))
	} else {
		fmt.Fprintf(w, "  errors       0\n")
	}
	if r.Faults != "" {
		i := r.Injected
		fmt.Fprintf(w, "  faults       %s\n", r.Faults)
		fmt.Fprintf(w, "  injected     malformed %d, oversize %d, duplicate %d, bursts %d, reconnects %d\n",
			i.Malformed, i.Oversize, i.Duplicate, i.Bursts, i.Reconnects)
	}
	fmt.Fprintf(w, "  connects     %d\n", r.Connects)
	fmt.Fprintf(w, "  throughput   %.1f msgs/s\n", r.MsgsPerS)
	if l := r.Latency; l != nil {
		fmt.Fprintf(w, "  latency      p50 %s  p90 %s  p99 %s  max %s  (publish to PUBACK, %d messages)\n",
			fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P99), fmtMS(l.Max), l.Count)
	}
}

func fmtMS(ms float64) string { return FormatDuration(time.Duration(ms * float64(time.Millisecond))) }

// FormatDuration formats a latency compactly: "0.42ms", "6.5ms",
// "123ms", "1.25s".
func FormatDuration(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case ms >= 100:
		return fmt.Sprintf("%.0fms", ms)
	case ms >= 1:
		return fmt.Sprintf("%.1fms", ms)
	default:
		return fmt.Sprintf("%.2fms", ms)
	}
}

// Live makes the one-line summaries printed every second during a run.
type Live struct {
	Devices  int
	QoS      byte
	prev     stats.CounterSnapshot
	prevLat  stats.Snapshot
	prevTime time.Time
}

// Line returns the summary of counters and latency at now: totals, the
// rate since the previous line (acked for QoS 1, sent for QoS 0) and the
// latency percentiles of that interval.
//
//	sent 12345  acked 12300  errors 3  rate 2480/s  p50 1.8ms  p99 6.5ms  connected 500/500
func (l *Live) Line(now time.Time, c stats.CounterSnapshot, lat stats.Snapshot) string {
	window := lat.Sub(l.prevLat)
	var rate float64
	if !l.prevTime.IsZero() {
		n := c.Acked - l.prev.Acked
		if l.QoS == 0 {
			n = c.Sent - l.prev.Sent
		}
		if dt := now.Sub(l.prevTime).Seconds(); dt > 0 {
			rate = float64(n) / dt
		}
	}
	l.prev, l.prevLat, l.prevTime = c, lat, now
	p50, p99 := "-", "-"
	if window.N > 0 {
		p50, p99 = FormatDuration(window.Quantile(0.5)), FormatDuration(window.Quantile(0.99))
	}
	return fmt.Sprintf("sent %d  acked %d  errors %d  rate %.0f/s  p50 %s  p99 %s  connected %d/%d",
		c.Sent, c.Acked, c.TotalErrors(), rate, p50, p99, c.Connected, l.Devices)
}
