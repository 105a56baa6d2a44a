package depack

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/tributary-edge/tributary/video/media"
)

// A fuzz input is a byte of options, then packets, each
//
//	flags(1) seqDelta(int8) tsDelta(int8) len(uint16) payload(len)
//
// flags: bit 0 marker, bit 1 switch SSRC, bit 2 Advance after the packet,
// bits 3-7 arrival step in 8 ms units. The sequence number moves by seqDelta
// (0: a duplicate, negative: reordered); the timestamp by tsDelta frames,
// and by 2^31 when tsDelta is -128.

type fuzzPacket struct {
	seq     uint16
	ts      uint32
	marker  bool
	ssrc    uint32
	advance bool
	arrival time.Duration
	payload []byte
}

func frameTicksOf(c media.Codec) uint32 {
	if c == media.CodecOpus {
		return 960
	}
	return 3000
}

func decodeFuzz(codec media.Codec, data []byte) []fuzzPacket {
	var out []fuzzPacket
	p := fuzzPacket{seq: 1000, ts: 1 << 20, ssrc: 7}
	for len(data) >= 5 {
		flags, ds, dt := data[0], int8(data[1]), int8(data[2])
		n := min(int(binary.BigEndian.Uint16(data[3:])), len(data)-5)
		p.payload = data[5 : 5+n]
		data = data[5+n:]
		p.seq += uint16(int16(ds))
		if dt == -128 {
			p.ts += 1 << 31
		} else {
			p.ts += uint32(int32(dt)) * frameTicksOf(codec)
		}
		p.marker, p.advance = flags&1 != 0, flags&4 != 0
		if flags&2 != 0 {
			p.ssrc++
		}
		p.arrival += time.Duration(flags>>3) * 8 * time.Millisecond
		out = append(out, p)
	}
	return out
}

// encodeFuzz is decodeFuzz's inverse for seeds.
func encodeFuzz(codec media.Codec, opts byte, pkts []*rtp.Packet) []byte {
	b := []byte{opts}
	seq, ts := uint16(1000), uint32(1<<20)
	for i, p := range pkts {
		if i == 0 {
			seq, ts = p.SequenceNumber, p.Timestamp
		}
		flags := byte(2 << 3) // 16 ms per packet
		if p.Marker {
			flags |= 1
		}
		ds := int8(int16(p.SequenceNumber - seq))
		dt := int8(int32(p.Timestamp-ts) / int32(frameTicksOf(codec)))
		if i == 0 {
			ds, dt = 0, 0
		}
		seq += uint16(int16(ds))
		ts += uint32(int32(dt)) * frameTicksOf(codec)
		b = append(b, flags, byte(ds), byte(dt))
		b = binary.BigEndian.AppendUint16(b, uint16(len(p.Payload)))
		b = append(b, p.Payload...)
	}
	return b
}

// runFuzz pushes the decoded packets and checks every contract that holds
// for any input. It returns the final Stats.
func runFuzz(t *testing.T, codec media.Codec, data []byte) Stats {
	if len(data) == 0 {
		return Stats{}
	}
	opts := Options{Track: 3, ReorderPackets: 1 + int(data[0]&15), ReorderDelay: 50 * time.Millisecond,
		MaxFrameSize: 1 << 13, MaxNALSize: 1 << 12}
	if data[0]&16 != 0 {
		opts.ParameterSets = [][]byte{testNALs["sps"], testNALs["pps"]}
	}
	d := New(codec, opts)
	base := time.Unix(1e9, 0)
	var frames int64
	check := func(out []media.Frame) {
		t.Helper()
		for _, f := range out {
			frames++
			checkFrame(t, codec, opts, f)
		}
		if d.reorder.count > opts.ReorderPackets || d.reorder.count < 0 {
			t.Fatalf("reorder buffer holds %d packets, bound %d", d.reorder.count, opts.ReorderPackets)
		}
		if cap(d.cur.buf) > 2*opts.MaxFrameSize+1<<16 {
			t.Fatalf("frame buffer grew to %d", cap(d.cur.buf))
		}
	}
	pkts := decodeFuzz(codec, data[1:])
	var last time.Time
	for _, p := range pkts {
		last = base.Add(p.arrival)
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: p.seq, Timestamp: p.ts, Marker: p.marker, SSRC: p.ssrc}, Payload: p.payload}
		out, _ := d.Push(pkt, last)
		check(out)
		if p.advance {
			out, _ = d.Advance(last.Add(30 * time.Millisecond))
			check(out)
		}
	}
	out, _ := d.Flush()
	check(out)
	s := d.Stats()
	if s.Frames != frames || s.Packets != int64(len(pkts)) {
		t.Fatalf("stats %+v: %d frames returned of %d packets", s, frames, len(pkts))
	}
	for _, n := range []int64{s.Lost, s.Reordered, s.Duplicates, s.Late, s.DroppedFrames, s.Oversize, s.Malformed, s.TimestampJumps} {
		if n < 0 {
			t.Fatalf("negative counter in %+v", s)
		}
	}
	return s
}

func hasNAL(au []byte, typ byte) bool {
	for i := 0; i+4 < len(au); i++ {
		if au[i] == 0 && au[i+1] == 0 && au[i+2] == 0 && au[i+3] == 1 && au[i+4]&nalTypeMask == typ {
			return true
		}
	}
	return false
}

func checkFrame(t *testing.T, codec media.Codec, opts Options, f media.Frame) {
	t.Helper()
	if len(f.Data) == 0 || len(f.Data) > opts.MaxFrameSize+2*(maxParamSet+4) || f.Track != opts.Track {
		t.Fatalf("frame of %d bytes on track %d", len(f.Data), f.Track)
	}
	switch codec {
	case media.CodecH264:
		if !bytes.HasPrefix(f.Data, startCode) {
			t.Fatalf("H.264 frame without a leading start code: %x", f.Data[:min(8, len(f.Data))])
		}
		if f.Keyframe && (!hasNAL(f.Data, nalIDR) || !hasNAL(f.Data, nalSPS) || !hasNAL(f.Data, nalPPS)) {
			t.Fatalf("H.264 keyframe without IDR, SPS or PPS: %x", f.Data)
		}
	case media.CodecVP8:
		if key := f.Data[0]&1 == 0; key != f.Keyframe || (key && !bytes.Equal(f.Data[3:6], vp8KeyStart)) {
			t.Fatalf("VP8 frame %x marked Keyframe=%v", f.Data[:min(10, len(f.Data))], f.Keyframe)
		}
	case media.CodecOpus:
		if !f.Keyframe {
			t.Fatal("Opus frame not a keyframe")
		}
	}
}

// seeds returns fuzz seeds for codec: every push block of the datadriven
// files for that codec, and real packets.
func seeds(t testing.TB, codec media.Codec) [][]byte {
	var out [][]byte
	files, _ := filepath.Glob("testdata/depack/*.txt")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		e := &ddEnv{}
		var block []*rtp.Packet
		in := false
		for line := range strings.SplitSeq(string(b), "\n") {
			line = strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(line, "new "):
				e.codec = media.CodecUnknown
				for f := range strings.FieldsSeq(line) {
					if c, ok := map[string]media.Codec{"codec=h264": media.CodecH264, "codec=vp8": media.CodecVP8, "codec=opus": media.CodecOpus}[f]; ok {
						e.codec = c
					}
				}
			case line == "push":
				in, block = true, nil
			case line == "----":
				if in && e.codec == codec && len(block) > 0 {
					out = append(out, encodeFuzz(codec, 0x13, block))
				}
				in = false
			case in && line != "" && line[0] != '#':
				if _, p, err := e.parsePacket(line); err == nil {
					block = append(block, p)
				}
			}
		}
	}
	return append(out, encodeFuzz(codec, 0x07, realPackets(t, codec)))
}

// realPackets returns a short real stream of codec: the first frames of the
// H.264 test clip, or synthetic VP8/Opus frames packetized by pion.
func realPackets(t testing.TB, codec media.Codec) []*rtp.Packet {
	rng := rand.New(rand.NewPCG(1, 1))
	var payloader rtp.Payloader
	var frames [][]byte
	switch codec {
	case media.CodecH264:
		clip, err := os.ReadFile("testdata/clip.h264")
		if err != nil {
			t.Fatal(err)
		}
		// The first keyframe and 5 P frames: up to the 7th slice's start code.
		payloader = &codecs.H264Payloader{}
		n, at := 0, 0
		for i := 0; i+4 < len(clip) && n < 7; i++ {
			if clip[i] == 0 && clip[i+1] == 0 && clip[i+2] == 1 && (clip[i+3]&0x1f == 1 || clip[i+3]&0x1f == 5) {
				n++
				if n > 1 {
					frames = append(frames, clip[at:i])
					at = i
				}
			}
		}
	case media.CodecVP8:
		payloader = &codecs.VP8Payloader{EnablePictureID: true}
		for i := range 6 {
			f := []byte{0x51, 0x02, 0x00} // delta frame tag
			if i%3 == 0 {
				f = []byte{0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00}
			}
			frames = append(frames, append(f, randBytes(rng, 300)...))
		}
	default:
		payloader = &codecs.OpusPayloader{}
		for range 6 {
			frames = append(frames, randBytes(rng, 40))
		}
	}
	p := rtp.NewPacketizerWithOptions(200, payloader, rtp.NewFixedSequencer(65530), codec.ClockRate(),
		rtp.WithSSRC(7), rtp.WithTimestamp(0-2*frameTicksOf(codec)))
	var pkts []*rtp.Packet
	for _, f := range frames {
		pkts = append(pkts, p.Packetize(f, frameTicksOf(codec))...)
	}
	return pkts
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func FuzzDepackH264(f *testing.F) { fuzzCodec(f, media.CodecH264) }
func FuzzDepackVP8(f *testing.F)  { fuzzCodec(f, media.CodecVP8) }
func FuzzDepackOpus(f *testing.F) { fuzzCodec(f, media.CodecOpus) }

func fuzzCodec(f *testing.F, codec media.Codec) {
	for _, s := range seeds(f, codec) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { runFuzz(t, codec, data) })
}

// TestMutatedPackets runs random mutations of real streams through runFuzz
// on every test run: bytes flipped, payloads cut short, packets dropped,
// duplicated and swapped, sequence numbers and timestamps bent.
func TestMutatedPackets(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	for _, codec := range []media.Codec{media.CodecH264, media.CodecVP8, media.CodecOpus} {
		t.Run(codec.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(codec), 9))
			real := realPackets(t, codec)
			if s := runFuzz(t, codec, encodeFuzz(codec, 0x17, real)); s.Frames != 6 || s.DroppedFrames != 0 {
				t.Fatalf("the unmutated stream gives %+v, want 6 frames", s)
			}
			var sum Stats
			for range rounds {
				var pkts []*rtp.Packet
				for _, p := range real {
					q := *p
					q.Payload = bytes.Clone(p.Payload)
					switch rng.IntN(100) { // about one packet in 14 is mutated
					case 0:
						continue // lost
					case 1:
						pkts = append(pkts, &q) // duplicated
					case 2:
						if len(q.Payload) > 0 {
							q.Payload[rng.IntN(len(q.Payload))] ^= byte(1 << rng.IntN(8))
						}
					case 3:
						q.Payload = q.Payload[:rng.IntN(len(q.Payload)+1)]
					case 4:
						q.Marker = !q.Marker
					case 5:
						q.Timestamp += uint32(rng.Int32())
					case 6:
						q.SequenceNumber += uint16(rng.IntN(5))
					}
					pkts = append(pkts, &q)
				}
				for range rng.IntN(4) {
					i, j := rng.IntN(len(pkts)), rng.IntN(len(pkts))
					pkts[i], pkts[j] = pkts[j], pkts[i]
				}
				s := runFuzz(t, codec, encodeFuzz(codec, byte(rng.IntN(32)), pkts))
				sum.Frames += s.Frames
				sum.DroppedFrames += s.DroppedFrames
				sum.Malformed += s.Malformed
				sum.Lost += s.Lost
			}
			if sum.Frames == 0 || sum.Lost == 0 || (codec.IsVideo() && sum.DroppedFrames == 0) || (codec == media.CodecH264 && sum.Malformed == 0) {
				t.Fatalf("%v: mutations did not exercise the paths: %+v", codec, sum)
			}
		})
	}
}
