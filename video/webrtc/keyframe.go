package webrtc

import (
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// keyframer implements KeyframeRequester for one WHIP session: a PLI
// (RFC 4585 §6.3.1) per video SSRC, throttled to one burst per interval.
type keyframer struct {
	write    func([]rtcp.Packet) error
	now      func() time.Time
	interval time.Duration
	stats    *counters

	mu      sync.Mutex
	ssrcs   []uint32
	last    time.Time
	sent    bool // last is valid
	pending bool // asked before any video SSRC was known
}

func (k *keyframer) RequestKeyframe() {
	k.mu.Lock()
	if len(k.ssrcs) == 0 {
		k.pending = true
		k.mu.Unlock()
		return
	}
	now := k.now()
	if k.sent && now.Sub(k.last) < k.interval {
		k.mu.Unlock()
		k.stats.kfThrottled.Add(1)
		return
	}
	k.sent, k.last = true, now
	pkts := make([]rtcp.Packet, len(k.ssrcs))
	for i, ssrc := range k.ssrcs {
		pkts[i] = &rtcp.PictureLossIndication{MediaSSRC: ssrc}
	}
	k.mu.Unlock()
	// pion queues RTCP on the UDP socket; an error only means the session
	// is closing.
	_ = k.write(pkts)
	k.stats.kfSent.Add(1)
}

// addSSRC registers a video track's SSRC and sends a request made before it
// was known.
func (k *keyframer) addSSRC(ssrc uint32) {
	k.mu.Lock()
	k.ssrcs = append(k.ssrcs, ssrc)
	pending := k.pending
	k.pending = false
	k.mu.Unlock()
	if pending {
		k.RequestKeyframe()
	}
}
