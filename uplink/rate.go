package uplink

import "time"

// rateWindow is what Status.Rate averages over.
const rateWindow = time.Minute

// rateMeter counts records per second over the last minute: a ring of
// one-second buckets (the delivery's mu held).
type rateMeter struct {
	start   time.Time // when counting began
	buckets [60]int64
	stamps  [60]int64 // the unix second each bucket holds
}

func (m *rateMeter) add(now time.Time, n int64) {
	if m.start.IsZero() {
		m.start = now
	}
	sec := now.Unix()
	i := sec % int64(len(m.buckets))
	if m.stamps[i] != sec {
		m.stamps[i], m.buckets[i] = sec, 0
	}
	m.buckets[i] += n
}

// rate is the records per second over the last minute (or since counting
// began, if that is shorter).
func (m *rateMeter) rate(now time.Time) float64 {
	if m.start.IsZero() {
		return 0
	}
	sec := now.Unix()
	var sum int64
	for i, at := range m.stamps {
		if at > sec-int64(len(m.buckets)) && at <= sec {
			sum += m.buckets[i]
		}
	}
	window := min(now.Sub(m.start), rateWindow).Seconds()
	return float64(sum) / max(window, 1)
}
