package depack_test

import (
	"testing"
	"time"

	"github.com/tributary-edge/tributary/video/depack"
	"github.com/tributary-edge/tributary/video/media"
)

// BenchmarkDepackH264 pushes the test clip's RTP packets (pion, MTU 1200) in
// order through one Depacketizer. One op is the whole clip (100 frames);
// MB/s counts RTP payload bytes, packets/s and frames/s are reported too.
func BenchmarkDepackH264(b *testing.B) {
	pkts := packetize(b, loadClip(b))
	payload := 0
	for _, p := range pkts {
		payload += len(p.pkt.Payload)
	}
	d := depack.New(media.CodecH264, depack.Options{})
	now := t0
	seq := uint16(0)
	ts := uint32(0)
	frames := 0
	b.SetBytes(int64(payload))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		base := ts
		for _, p := range pkts {
			p.pkt.SequenceNumber = seq
			p.pkt.Timestamp = base + uint32(p.frame)*frameTicks
			seq++
			now = now.Add(400 * time.Microsecond)
			out, err := d.Push(p.pkt, now)
			if err != nil {
				b.Fatal(err)
			}
			frames += len(out)
		}
		ts = base + clipFrames*frameTicks
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*len(pkts))/sec, "packets/s")
	b.ReportMetric(float64(frames)/sec, "frames/s")
}
