package rtpin

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/video/media"
)

// ffmpegPath returns ffmpeg's path; without ffmpeg the test is skipped,
// unless CI is set, where it fails.
func ffmpegPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ffmpeg is required under CI: %v", err)
		}
		t.Skipf("ffmpeg not installed: %v", err)
	}
	return p
}

// runFFmpeg runs ffmpeg to completion.
func runFFmpeg(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ffmpegPath(t), append([]string{"-hide_banner", "-nostdin", "-loglevel", "error"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
}

func rtpURL(ep Endpoint) string { return fmt.Sprintf("rtp://%s", ep.RTP) }

// ffmpegDuration is how long each ffmpeg sender runs (in real time, -re).
const ffmpegDuration = "2"

// checkSequence checks that a track's packets have one SSRC and
// increasing sequence numbers (loopback does not reorder), and returns
// the SSRC.
func checkSequence(t *testing.T, pkts []gotPacket, track int, pt uint8) (ssrc uint32, n int) {
	t.Helper()
	var prev uint16
	for _, p := range pkts {
		if p.track != track {
			continue
		}
		if n == 0 {
			ssrc = p.header.SSRC
		} else if d := p.header.SequenceNumber - prev; d == 0 || d > 100 {
			t.Errorf("track %d: sequence %d after %d", track, p.header.SequenceNumber, prev)
		}
		if p.header.SSRC != ssrc || p.header.PayloadType != pt {
			t.Errorf("track %d: SSRC %x PT %d, want %x %d", track, p.header.SSRC, p.header.PayloadType, ssrc, pt)
		}
		prev = p.header.SequenceNumber
		n++
	}
	return ssrc, n
}

// checkSession waits for the BYE that ffmpeg -rtpflags send_bye sends at
// the end to close the session, then checks the session's sender reports.
func checkSession(t *testing.T, f *fixture, pub publication, ssrcs map[int]uint32) {
	t.Helper()
	mqtttest.Eventually(t, waitTimeout, "ffmpeg's RTCP BYE to end the session", pub.sink.Closed)
	missing := maps.Clone(ssrcs)
	for _, sr := range pub.sink.SRs() {
		if sr.sr.SSRC != ssrcs[sr.track] {
			t.Errorf("sender report for SSRC %x on track %d, want %x", sr.sr.SSRC, sr.track, ssrcs[sr.track])
		}
		delete(missing, sr.track)
	}
	if len(missing) != 0 {
		t.Errorf("no sender report for tracks %v", missing)
	}
	if st := f.l.Stats(); st.Sessions != 1 || st.BadPackets+st.WrongPayloadType+st.ForeignSource+st.BadRTCP != 0 || st.Byes != uint64(len(pub.tracks)) {
		t.Errorf("stats %+v", st)
	}
}

// nalUnits returns the H.264 NAL units of a packet's payload: a single
// NAL unit or the units of a STAP-A (RFC 6184 §5.7.1); of an FU-A
// (§5.8) only a start fragment counts, as the fragmented unit's header.
func nalUnits(payload []byte) [][]byte {
	if len(payload) == 0 {
		return nil
	}
	switch payload[0] & 0x1f {
	case 24:
		var out [][]byte
		for b := payload[1:]; len(b) >= 2; {
			n := int(b[0])<<8 | int(b[1])
			if len(b) < 2+n {
				break
			}
			out = append(out, b[2:2+n])
			b = b[2+n:]
		}
		return out
	case 28:
		// FU-A: the start fragment names the fragmented unit's type.
		if len(payload) >= 2 && payload[1]&0x80 != 0 {
			return [][]byte{{payload[0]&0xe0 | payload[1]&0x1f}}
		}
		return nil
	}
	return [][]byte{payload}
}

func TestFFmpegH264(t *testing.T) {
	ffmpegPath(t)
	f := start(t, func(c *Config) { c.Now, c.IdleTimeout = nil, time.Minute })
	sdpFile := filepath.Join(t.TempDir(), "out.sdp")
	runFFmpeg(t, "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", ffmpegDuration,
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-bf", "0", "-g", "25",
		// SPS/PPS out of band (in the SDP) and also in band on keyframes,
		// to compare the two.
		"-flags", "+global_header", "-bsf:v", "dump_extra=freq=keyframe",
		"-f", "rtp", "-payload_type", "96", "-rtpflags", "send_bye", rtpURL(f.eps[0]), "-sdp_file", sdpFile)

	pub := f.pub.last(t)
	if len(pub.tracks) != 1 || pub.tracks[0] != (media.Track{Codec: media.CodecH264}) || pub.stream != "cam1" {
		t.Fatalf("Publish(%q, %v)", pub.stream, pub.tracks)
	}
	ssrc, n := checkSequence(t, pub.sink.Packets(), 0, 96)
	if n < 50 {
		t.Errorf("%d packets for 50 frames", n)
	}
	checkSession(t, f, pub, map[int]uint32{0: ssrc})

	// ffmpeg's own SDP: the track, and its sprop-parameter-sets decoded
	// to the SPS and PPS the stream carries in band.
	text, err := os.ReadFile(sdpFile)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := ParseSDP(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if len(ms) != 1 || ms[0].Track.Codec != media.CodecH264 || ms[0].PayloadType != 96 || ms[0].Port != int(f.eps[0].RTP.Port()) ||
		ms[0].Address != "127.0.0.1" || ms[0].PacketizationMode != 1 || len(ms[0].ParameterSets) != 2 {
		t.Fatalf("parsed %+v from\n%s", ms, text)
	}
	sps, pps := ms[0].ParameterSets[0], ms[0].ParameterSets[1]
	if sps[0]&0x1f != 7 || pps[0]&0x1f != 8 {
		t.Fatalf("parameter sets of NAL types %d, %d; want 7, 8", sps[0]&0x1f, pps[0]&0x1f)
	}
	inBand := map[byte][]byte{}
	for _, p := range pub.sink.Packets() {
		for _, nal := range nalUnits(p.payload) {
			inBand[nal[0]&0x1f] = nal
		}
	}
	if !bytes.Equal(inBand[7], sps) || !bytes.Equal(inBand[8], pps) || inBand[5] == nil {
		t.Errorf("in-band SPS %x PPS %x (IDR seen: %v); SDP says %x %x", inBand[7], inBand[8], inBand[5] != nil, sps, pps)
	}
}

func TestFFmpegVP8(t *testing.T) {
	ffmpegPath(t)
	f := start(t, func(c *Config) { c.Codec, c.Now, c.IdleTimeout = "VP8", nil, time.Minute })
	sdpFile := filepath.Join(t.TempDir(), "out.sdp")
	runFFmpeg(t, "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", ffmpegDuration,
		"-pix_fmt", "yuv420p", "-c:v", "libvpx", "-deadline", "realtime", "-b:v", "500k", "-g", "25",
		"-f", "rtp", "-payload_type", "96", "-rtpflags", "send_bye", rtpURL(f.eps[0]), "-sdp_file", sdpFile)

	pub := f.pub.last(t)
	if len(pub.tracks) != 1 || pub.tracks[0] != (media.Track{Codec: media.CodecVP8}) {
		t.Fatalf("Publish(%v)", pub.tracks)
	}
	pkts := pub.sink.Packets()
	ssrc, n := checkSequence(t, pkts, 0, 96)
	if n < 50 {
		t.Errorf("%d packets for 50 frames", n)
	}
	// The first packet starts a key frame: payload descriptor with S=1,
	// partition 0 (RFC 7741 §4.2), then a frame tag with P=0 (RFC 6386
	// §9.1).
	if d := pkts[0].payload; len(d) < 2 || d[0]&0x1f != 0x10 || (d[0]&0x80 == 0 && d[1]&1 != 0) {
		t.Errorf("first VP8 payload %x does not start a key frame", d[:min(len(d), 8)])
	}
	checkSession(t, f, pub, map[int]uint32{0: ssrc})
	text, err := os.ReadFile(sdpFile)
	if err != nil {
		t.Fatal(err)
	}
	if ms, err := ParseSDP(text); err != nil || len(ms) != 1 || ms[0].Track.Codec != media.CodecVP8 || ms[0].PayloadType != 96 {
		t.Errorf("parsed %+v, %v from\n%s", ms, err, text)
	}
}

func TestFFmpegOpus(t *testing.T) {
	ffmpegPath(t)
	f := start(t, func(c *Config) { c.Codec, c.PayloadType, c.Now, c.IdleTimeout = "opus", 111, nil, time.Minute })
	sdpFile := filepath.Join(t.TempDir(), "out.sdp")
	runFFmpeg(t, "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", ffmpegDuration,
		"-c:a", "libopus", "-f", "rtp", "-payload_type", "111", "-rtpflags", "send_bye", rtpURL(f.eps[0]), "-sdp_file", sdpFile)

	pub := f.pub.last(t)
	if len(pub.tracks) != 1 || pub.tracks[0] != (media.Track{Codec: media.CodecOpus, Channels: 2}) {
		t.Fatalf("Publish(%v)", pub.tracks)
	}
	pkts := pub.sink.Packets()
	ssrc, n := checkSequence(t, pkts, 0, 111)
	if n < 90 {
		t.Errorf("%d packets for 2 s of 20 ms frames", n)
	}
	for i := 1; i < len(pkts); i++ {
		if d := pkts[i].header.Timestamp - pkts[i-1].header.Timestamp; d != 960 {
			t.Errorf("timestamp step %d, want 960 (20 ms at 48 kHz)", d)
			break
		}
	}
	checkSession(t, f, pub, map[int]uint32{0: ssrc})
	text, err := os.ReadFile(sdpFile)
	if err != nil {
		t.Fatal(err)
	}
	if ms, err := ParseSDP(text); err != nil || len(ms) != 1 || ms[0].Track != (media.Track{Codec: media.CodecOpus, Channels: 1}) || ms[0].PayloadType != 111 {
		t.Errorf("parsed %+v, %v from\n%s", ms, err, text)
	}
}

// TestFFmpegVideoAudio: one SDP, two m-lines, two ports; ffmpeg sends
// H.264 and stereo Opus as two RTP outputs.
func TestFFmpegVideoAudio(t *testing.T) {
	ffmpegPath(t)
	f := start(t, func(c *Config) {
		c.Codec, c.SDP, c.Now, c.IdleTimeout = "", []byte(ffmpegVideoAudioSDP), nil, time.Minute
	})
	sdpFile := filepath.Join(t.TempDir(), "out.sdp")
	runFFmpeg(t, "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-re", "-f", "lavfi", "-i", "sine=sample_rate=48000",
		"-map", "0:v", "-t", ffmpegDuration, "-pix_fmt", "yuv420p", "-c:v", "libx264", "-bf", "0", "-g", "25",
		"-f", "rtp", "-payload_type", "96", "-rtpflags", "send_bye", rtpURL(f.eps[0]),
		"-map", "1:a", "-t", ffmpegDuration, "-c:a", "libopus", "-ac", "2",
		"-f", "rtp", "-payload_type", "97", "-rtpflags", "send_bye", rtpURL(f.eps[1]), "-sdp_file", sdpFile)

	pub := f.pub.last(t)
	want := []media.Track{{Codec: media.CodecH264}, {Codec: media.CodecOpus, Channels: 2}}
	if len(pub.tracks) != 2 || pub.tracks[0] != want[0] || pub.tracks[1] != want[1] {
		t.Fatalf("Publish(%v), want %v", pub.tracks, want)
	}
	pkts := pub.sink.Packets()
	vssrc, nv := checkSequence(t, pkts, 0, 96)
	assrc, na := checkSequence(t, pkts, 1, 97)
	if nv < 50 || na < 90 || vssrc == assrc {
		t.Errorf("%d video packets (SSRC %x), %d audio packets (SSRC %x)", nv, vssrc, na, assrc)
	}
	checkSession(t, f, pub, map[int]uint32{0: vssrc, 1: assrc})
	text, err := os.ReadFile(sdpFile)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := ParseSDP(text)
	if err != nil || len(ms) != 2 || ms[0].Track != want[0] || ms[1].Track != want[1] ||
		ms[0].Port != int(f.eps[0].RTP.Port()) || ms[1].Port != int(f.eps[1].RTP.Port()) {
		t.Errorf("parsed %+v, %v from\n%s", ms, err, text)
	}
}
