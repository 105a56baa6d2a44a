package depack_test

import (
	"bytes"
	"math"
	"os"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// The test clip: 4 s of ffmpeg's testsrc at 25 fps, 320x240, H.264 baseline,
// a keyframe every 50 frames, in Annex-B form. Made once with
//
//	ffmpeg -f lavfi -i testsrc=size=320x240:rate=25 -t 4 -pix_fmt yuv420p \
//	    -c:v libx264 -profile:v baseline -bf 0 -g 50 \
//	    -bsf:v h264_mp4toannexb -f h264 testdata/clip.h264
const (
	clipPath   = "testdata/clip.h264"
	clipFrames = 100
	frameTicks = 90000 / 25
)

// splitNALs returns the NAL units of an Annex-B stream (3- or 4-byte start
// codes), without start codes.
func splitNALs(b []byte) [][]byte {
	var nals [][]byte
	sc := []byte{0, 0, 1}
	i := bytes.Index(b, sc)
	for i >= 0 {
		start := i + 3
		j := bytes.Index(b[start:], sc)
		if j < 0 {
			nals = append(nals, b[start:])
			break
		}
		end := start + j
		next := end
		for end > start && b[end-1] == 0 { // trailing_zero_8bits / 4-byte code
			end--
		}
		nals = append(nals, b[start:end])
		i = next
	}
	return nals
}

// accessUnits groups NAL units into access units (H.264 7.4.1.2.3): a
// non-VCL NAL unit of types 6-9 after a slice, or a slice whose
// first_mb_in_slice is 0 after a slice, begins a new one.
func accessUnits(nals [][]byte) [][][]byte {
	var aus [][][]byte
	var cur [][]byte
	prevVCL := false
	for _, n := range nals {
		typ := n[0] & 0x1f
		vcl := typ >= 1 && typ <= 5
		if prevVCL && ((typ >= 6 && typ <= 9) || (vcl && n[1]&0x80 != 0)) {
			aus = append(aus, cur)
			cur = nil
		}
		cur = append(cur, n)
		prevVCL = vcl
	}
	return append(aus, cur)
}

func annexB(nals [][]byte) []byte {
	var b []byte
	for _, n := range nals {
		b = append(append(b, 0, 0, 0, 1), n...)
	}
	return b
}

// loadClip returns the clip's access units.
func loadClip(tb testing.TB) [][][]byte {
	tb.Helper()
	b, err := os.ReadFile(clipPath)
	if err != nil {
		tb.Fatal(err)
	}
	aus := accessUnits(splitNALs(b))
	if len(aus) != clipFrames {
		tb.Fatalf("clip has %d access units, want %d", len(aus), clipFrames)
	}
	return aus
}

// Packetization of the clip by pion, as a WebRTC camera would send it: the
// sequence number starts at 65500 and the timestamp 10 frames before 2^32,
// so both wrap.
const (
	firstSeq = 65500
	firstTS  = uint32(math.MaxUint32 - 10*frameTicks + 1)
)

type sentPacket struct {
	pkt   *rtp.Packet
	frame int
}

func packetize(tb testing.TB, aus [][][]byte) []sentPacket {
	tb.Helper()
	p := rtp.NewPacketizerWithOptions(1200, &codecs.H264Payloader{}, rtp.NewFixedSequencer(firstSeq), 90000,
		rtp.WithSSRC(0x5eed), rtp.WithPayloadType(96), rtp.WithTimestamp(firstTS))
	var out []sentPacket
	for i, au := range aus {
		for _, pkt := range p.Packetize(annexB(au), frameTicks) {
			// Through the wire format and back, as a receiver sees it.
			raw, err := pkt.Marshal()
			if err != nil {
				tb.Fatal(err)
			}
			var q rtp.Packet
			if err := q.Unmarshal(raw); err != nil {
				tb.Fatal(err)
			}
			out = append(out, sentPacket{&q, i})
		}
	}
	return out
}
