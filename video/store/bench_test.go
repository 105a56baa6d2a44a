package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/video/media"
)

// BenchmarkPut stores 1 MB fragments (MB/s is the write rate), under a
// size limit so that eviction, reclaim and value-log GC run as in steady
// state. fsync syncs every Put (the default); none leaves it to the OS.
func BenchmarkPut(b *testing.B) {
	for _, d := range []Durability{DurabilityFsync, DurabilityNone} {
		b.Run(d.String(), func(b *testing.B) {
			opts := testOptions(b, SystemClock())
			opts.Durability = d
			opts.ValueLogFileSize = 64 << 20
			opts.MaxFragmentSize = 2 << 20
			opts.GCInterval = time.Second
			opts.RetentionInterval = time.Second
			s := openStore(b, opts)
			if err := s.SetLimits("cam", Limits{MaxBytes: 256 << 20}); err != nil {
				b.Fatal(err)
			}
			f := fragment(0, 2*time.Second, 1<<20)
			size, _ := EncodedSize(f)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := range b.N {
				f.Number = 0
				f.ServerTime = base.Add(time.Duration(i) * 2 * time.Second)
				if err := s.Put("cam", f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkList lists a one-minute window (30 two-second fragments) at
// random places in a stream of 20,000 fragments, and a 1,000-entry page.
func BenchmarkList(b *testing.B) {
	opts := testOptions(b, SystemClock())
	opts.Durability = DurabilityNone
	s := openStore(b, opts)
	const n = 20000
	f := &media.Fragment{
		Duration: 2 * time.Second,
		Tracks:   []media.Track{{Codec: media.CodecH264}, {Codec: media.CodecOpus, Channels: 2}},
		Frames:   []media.Frame{{Track: 0, Keyframe: true, Data: make([]byte, 2000)}},
	}
	for i := range n {
		f.Number = 0
		f.ServerTime = base.Add(time.Duration(i) * 2 * time.Second)
		if err := s.Put("cam", f); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		window time.Duration
		want   int
	}{{time.Minute, 30}, {2000 * time.Second, 1000}} {
		b.Run(fmt.Sprintf("%d", c.want), func(b *testing.B) {
			for i := range b.N {
				from := base.Add(time.Duration(i*7919%(n-c.want)) * 2 * time.Second)
				infos, err := s.List("cam", from, from.Add(c.window), 0)
				if err != nil || len(infos) != c.want {
					b.Fatalf("%d entries, %v", len(infos), err)
				}
			}
		})
	}
}
