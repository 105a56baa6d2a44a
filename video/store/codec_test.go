package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/video/media"
)

// codecSeeds are fragments the codec must round-trip; the fuzzers start
// from their encodings.
func codecSeeds() []*media.Fragment {
	return []*media.Fragment{
		fragment(0, 2*time.Second, 1000),
		fragment(time.Hour, 0, 0),
		{ // no tracks, no frames, zero producer time, pre-1970 server time
			Number:     math.MaxUint64,
			ServerTime: time.Unix(-5, 7).UTC(),
		},
		{
			Number:       42,
			ServerTime:   base,
			ProducerTime: base.Add(-time.Hour),
			Duration:     1500 * time.Millisecond,
			Tracks:       []media.Track{{Codec: media.CodecVP8}, {Codec: media.CodecOpus, Channels: 1}},
			Frames: []media.Frame{
				{Track: 0, PTS: 1 << 40, Keyframe: true, Data: []byte{1, 2, 3}},
				{Track: 1, PTS: -5, Keyframe: true, Data: nil},
				{Track: 0, PTS: 1<<40 + 3000, Data: bytes.Repeat([]byte{0xab}, 300)},
			},
		},
	}
}

func TestFragmentRoundTrip(t *testing.T) {
	for i, f := range codecSeeds() {
		b, err := AppendFragment([]byte("prefix"), f)
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		if n, _ := EncodedSize(f); len(b) != len("prefix")+n {
			t.Errorf("seed %d: %d bytes, EncodedSize says %d", i, len(b)-6, n)
		}
		got, err := DecodeFragment(b[6:])
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		normalize(f)
		normalize(got)
		if !reflect.DeepEqual(f, got) {
			t.Errorf("seed %d: got %+v\nwant %+v", i, got, f)
		}
	}
}

// normalize makes fragments comparable with DeepEqual: UTC times, empty
// payloads as nil, empty slices as nil.
func normalize(f *media.Fragment) {
	f.ServerTime = f.ServerTime.UTC()
	if !f.ProducerTime.IsZero() {
		f.ProducerTime = f.ProducerTime.UTC()
	}
	for i := range f.Frames {
		if len(f.Frames[i].Data) == 0 {
			f.Frames[i].Data = nil
		}
	}
	if len(f.Frames) == 0 {
		f.Frames = nil
	}
	if len(f.Tracks) == 0 {
		f.Tracks = nil
	}
}

func TestAppendFragmentRejects(t *testing.T) {
	ok := func() *media.Fragment { return fragment(0, time.Second, 10) }
	cases := map[string]func(*media.Fragment){
		"negative duration": func(f *media.Fragment) { f.Duration = -1 },
		"missing track":     func(f *media.Fragment) { f.Frames[1].Track = 2 },
		"too many tracks":   func(f *media.Fragment) { f.Tracks = make([]media.Track, 256) },
		"too many frames": func(f *media.Fragment) {
			f.Frames = make([]media.Frame, MaxFrames+1)
		},
		"time out of range": func(f *media.Fragment) { f.ProducerTime = time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	for name, mutate := range cases {
		f := ok()
		mutate(f)
		if _, err := AppendFragment(nil, f); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	if _, err := AppendFragment(nil, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil fragment: %v", err)
	}
}

// TestDecodeFragmentCorrupt: every truncation and every single-bit flip of
// a valid encoding is refused with ErrCorrupt.
func TestDecodeFragmentCorrupt(t *testing.T) {
	b, err := AppendFragment(nil, codecSeeds()[3])
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n++ {
		if _, err := DecodeFragment(b[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: err = %v", n, err)
		}
	}
	for i := range b {
		for bit := range 8 {
			c := bytes.Clone(b)
			c[i] ^= 1 << bit
			if _, err := DecodeFragment(c); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("bit %d of byte %d flipped: err = %v", bit, i, err)
			}
		}
	}
	// A valid checksum over a bad body is still refused.
	for _, c := range []struct {
		name   string
		mutate func([]byte) []byte
		want   string
	}{
		{"version 2", func(c []byte) []byte { c[0] = 2; return c }, "version 2"},
		{"frame count 2³²", func(c []byte) []byte { return withFrameCount(c, 1<<32) }, "frames in"},
		{"unknown flag", func(c []byte) []byte { c[fragHeaderLen+1+2*2+1+1] |= 4; return c }, "flags 0x5"},
		{"trailing byte", func(c []byte) []byte { return append(c[:len(c)-4:len(c)-4], 0, 0, 0, 0, 0) }, "after the last frame"},
	} {
		_, err := DecodeFragment(fixCRC(c.mutate(bytes.Clone(b))))
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrCorrupt with %q", c.name, err, c.want)
		}
	}
}

// withFrameCount rewrites the frame count of an encoding with two tracks.
func withFrameCount(b []byte, n uint64) []byte {
	off := fragHeaderLen + 1 + 2*2
	_, w := binary.Uvarint(b[off:])
	out := append(bytes.Clone(b[:off]), binary.AppendUvarint(nil, n)...)
	return append(out, b[off+w:]...)
}

// fixCRC replaces b's trailing checksum with the right one.
func fixCRC(b []byte) []byte {
	if len(b) < crcLen {
		return b
	}
	body := b[:len(b)-crcLen]
	return binary.BigEndian.AppendUint32(body[:len(body):len(body)], crc32.Checksum(body, castagnoli))
}

func TestInfoRoundTrip(t *testing.T) {
	f := fragment(3*time.Second, 2*time.Second, 500)
	f.Number = 7
	in := infoOf(f, 557)
	key := indexKey(1, f.ServerTime.UnixNano(), f.Number)
	got, err := decodeInfo(key, appendInfo(nil, in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) || got.Keyframes != 1 || got.Frames != 3 {
		t.Errorf("got %+v, want %+v", got, in)
	}
	v := appendInfo(nil, in)
	for n := 0; n < len(v); n++ {
		if _, err := decodeInfo(key, v[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
}

func TestKeysOrder(t *testing.T) {
	// byte order of index keys is (time, number) order, across 1970
	times := []int64{math.MinInt64 + 1, -1e9, -1, 0, 1, 1e18, math.MaxInt64}
	var prev []byte
	for _, ns := range times {
		for _, n := range []uint64{0, 1, math.MaxUint64} {
			k := indexKey(3, ns, n)
			if prev != nil && bytes.Compare(prev, k) >= 0 {
				t.Fatalf("key for %d/%d sorts before its predecessor", ns, n)
			}
			gotNs, gotN, ok := parseIndexKey(k)
			if !ok || gotNs != ns || gotN != n {
				t.Fatalf("parse(%x) = %d %d %v", k, gotNs, gotN, ok)
			}
			prev = k
		}
	}
}
