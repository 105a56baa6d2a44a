package mp4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/video/h264"
	"github.com/tributary-edge/tributary/video/media"
)

func writeClip(t testing.TB, frags []*media.Fragment, opts ClipOptions) ([]byte, *parsedClip) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteClip(&buf, frags, opts); err != nil {
		t.Fatal(err)
	}
	clip, err := parseClip(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), clip
}

// checkSamples compares the samples of track tr of the file with want.
func checkSamples(t *testing.T, file []byte, tr *parsedTrack, want [][]byte) {
	t.Helper()
	if len(tr.sizes) != len(want) {
		t.Fatalf("track %d: %d samples, want %d", tr.id, len(tr.sizes), len(want))
	}
	for i, w := range want {
		got := file[tr.offsets[i] : tr.offsets[i]+uint64(tr.sizes[i])]
		if !bytes.Equal(got, w) {
			t.Fatalf("track %d sample %d differs (%d bytes, want %d)", tr.id, i, len(got), len(w))
		}
	}
}

func TestWriteClipVideo(t *testing.T) {
	src := clipSource(t, false)
	frags := src.fragments()
	if len(frags) != 2 {
		t.Fatalf("%d fragments", len(frags))
	}
	file, clip := writeClip(t, frags, ClipOptions{})
	if len(clip.tracks) != 1 {
		t.Fatalf("%d tracks", len(clip.tracks))
	}
	v := clip.tracks[0]
	if v.id != 1 || v.entry != "avc1" || v.width != 320 || v.height != 240 || v.timescale != 90000 || v.emptyEdit != 0 {
		t.Errorf("video track %+v", v)
	}
	var want [][]byte
	for _, au := range src.video {
		want = append(want, avccOf(au))
	}
	checkSamples(t, file, v, want)
	if !slices.Equal(v.durations, u32s(50, 3600)) {
		t.Errorf("durations %v", v.durations)
	}
	if !slices.Equal(v.syncs, []uint32{1, 26}) {
		t.Errorf("sync samples %v", v.syncs)
	}
	if clip.movieDur != 2000 || v.trackDur != 2000 || v.mediaDur != 180000 {
		t.Errorf("durations: movie %d, track %d, media %d", clip.movieDur, v.trackDur, v.mediaDur)
	}
	if v.chunks != 1 {
		t.Errorf("%d chunks for one track, want 1", v.chunks)
	}
	if ftyp := file[:binary.BigEndian.Uint32(file)]; string(ftyp[8:12]) != "isom" || bytes.Contains(ftyp, []byte("Opus")) {
		t.Errorf("ftyp %q", ftyp)
	}
	// avcC: version 1, profile/compat/level from the SPS, 4-byte lengths,
	// one SPS and one PPS exactly as in the stream.
	sps, pps := h264.ParameterSets(src.video[0])
	wantC := append([]byte{1, sps[1], sps[2], sps[3], 0xff, 0xe1, 0, byte(len(sps))}, sps...)
	wantC = append(append(wantC, 1, 0, byte(len(pps))), pps...)
	if !bytes.Equal(v.config, wantC) {
		t.Errorf("avcC %x\nwant %x", v.config, wantC)
	}
}

func TestWriteClipHighProfileConfig(t *testing.T) {
	src := &source{video: accessUnits(readTestdata(t, "high_200x150.h264")), videoStep: 3000}
	_, clip := writeClip(t, src.fragments(), ClipOptions{})
	v := clip.tracks[0]
	if v.width != 200 || v.height != 150 {
		t.Errorf("size %dx%d", v.width, v.height)
	}
	// High profile records end with chroma_format, bit depths and no SPS
	// extensions (ISO/IEC 14496-15 5.3.3.1.1).
	if tail := v.config[len(v.config)-4:]; !bytes.Equal(tail, []byte{0xfd, 0xf8, 0xf8, 0}) {
		t.Errorf("avcC tail %x", tail)
	}
	if v.config[1] != 100 {
		t.Errorf("profile %d", v.config[1])
	}
}

func TestWriteClipAudio(t *testing.T) {
	src := clipSource(t, true)
	file, clip := writeClip(t, src.fragments(), ClipOptions{})
	if len(clip.tracks) != 2 {
		t.Fatalf("%d tracks", len(clip.tracks))
	}
	a := clip.tracks[1]
	if a.id != 2 || a.entry != "Opus" || a.timescale != 48000 || a.channels != 2 || a.syncs != nil {
		t.Errorf("audio track %+v", a)
	}
	checkSamples(t, file, a, src.audio)
	if !slices.Equal(a.durations, u32s(len(src.audio), 960)) {
		t.Errorf("durations %v", a.durations)
	}
	// dOps: version 0, 2 channels, no pre-skip, 48 kHz, gain 0, family 0.
	if want := []byte{0, 2, 0, 0, 0, 0, 0xbb, 0x80, 0, 0, 0}; !bytes.Equal(a.config, want) {
		t.Errorf("dOps %x, want %x", a.config, want)
	}
	if ftyp := file[:binary.BigEndian.Uint32(file)]; !bytes.Contains(ftyp[16:], []byte("Opus")) {
		t.Errorf("ftyp %q without the Opus brand", ftyp)
	}
	// Interleaved in arrival order: many chunks per track.
	if a.chunks < 40 || clip.tracks[0].chunks < 40 {
		t.Errorf("chunks %d/%d: not interleaved", clip.tracks[0].chunks, a.chunks)
	}
	checkSamples(t, file, clip.tracks[0], mapSlice(src.video, avccOf))
}

func mapSlice(in [][]byte, f func([]byte) []byte) [][]byte {
	out := make([][]byte, len(in))
	for i := range in {
		out[i] = f(in[i])
	}
	return out
}

func TestWriteClipAudioStartsLater(t *testing.T) {
	src := clipSource(t, true)
	src.audioStart = 24000 // 0.5 s
	src.audio = src.audio[:75]
	_, clip := writeClip(t, src.fragments(), ClipOptions{})
	v, a := clip.tracks[0], clip.tracks[1]
	if v.emptyEdit != 0 || a.emptyEdit != 500 {
		t.Errorf("empty edits %d, %d; want 0, 500", v.emptyEdit, a.emptyEdit)
	}
	if a.trackDur != 2000 || clip.movieDur != 2000 {
		t.Errorf("audio track %d ms, movie %d ms", a.trackDur, clip.movieDur)
	}
}

// TestWriteClipRebases checks that the same media at PTS beyond 2^32 (a
// stream that has wrapped its 32-bit RTP clock) gives the same file.
func TestWriteClipRebases(t *testing.T) {
	src := clipSource(t, true)
	want, _ := writeClip(t, src.fragments(), ClipOptions{})
	// 47721 s is just under 2^32 ticks at 90 kHz: the clip crosses it.
	src.videoStart, src.audioStart = 47721*90000, 47721*48000
	if src.videoStart > 1<<32 || src.videoStart+50*3600 < 1<<32 {
		t.Fatal("clip does not cross 2^32")
	}
	got, _ := writeClip(t, src.fragments(), ClipOptions{})
	if !bytes.Equal(got, want) {
		t.Error("clip differs when its PTS are offset past 2^32")
	}
	src.videoStart, src.audioStart = 12216795*90000, 12216795*48000 // about 2^40
	got, _ = writeClip(t, src.fragments(), ClipOptions{})
	if !bytes.Equal(got, want) {
		t.Error("clip differs when its PTS are offset to 2^40")
	}
}

func TestWriteClipTimeline(t *testing.T) {
	src := clipSource(t, true)
	base := src.fragments()
	shiftFrag := func(f *media.Fragment, d time.Duration) *media.Fragment {
		c := *f
		c.Frames = slices.Clone(f.Frames)
		for i := range c.Frames {
			rate := c.Tracks[c.Frames[i].Track].Codec.ClockRate()
			c.Frames[i].PTS += int64(d) * int64(rate) / int64(time.Second)
		}
		return &c
	}
	tests := []struct {
		name     string
		second   time.Duration // added to the second fragment's PTS
		maxGap   time.Duration
		boundary uint32 // duration of the last video sample of the first fragment
		movie    uint64
	}{
		{"continuous", 0, 0, 3600, 2020},
		{"short gap kept", 1500 * time.Millisecond, 0, 3600 + 135000, 3520},
		{"long gap closed", 10 * time.Second, 0, 3600, 2020},
		{"long gap kept with MaxGap", 10 * time.Second, 20 * time.Second, 3600 + 900000, 12020},
		{"restart closed", -time.Second, 0, 3600, 2020},
		{"overlap closed", -40 * time.Millisecond, 0, 3600, 2020},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frags := []*media.Fragment{base[0], shiftFrag(base[1], tc.second)}
			_, clip := writeClip(t, frags, ClipOptions{MaxGap: tc.maxGap})
			v, a := clip.tracks[0], clip.tracks[1]
			if len(v.sizes) != 50 || len(a.sizes) != len(src.audio) {
				t.Fatalf("samples %d/%d", len(v.sizes), len(a.sizes))
			}
			if got := v.durations[24]; got != tc.boundary {
				t.Errorf("boundary duration %d, want %d", got, tc.boundary)
			}
			for i, d := range slices.Concat(v.durations, a.durations) {
				if d == 0 {
					t.Fatalf("zero duration at %d", i)
				}
			}
			if clip.movieDur != tc.movie {
				t.Errorf("movie %d ms, want %d", clip.movieDur, tc.movie)
			}
		})
	}
}

func TestWriteClipSkipsEmptyFrames(t *testing.T) {
	src := clipSource(t, true)
	frags := src.fragments()
	f := frags[1]
	f.Frames = append(f.Frames,
		media.Frame{Track: 1, PTS: 1 << 30, Keyframe: true},           // empty Opus
		media.Frame{Track: 0, PTS: 1 << 30, Data: []byte{0xff, 0x00}}) // no NAL unit
	_, clip := writeClip(t, frags, ClipOptions{})
	if len(clip.tracks[0].sizes) != 50 || len(clip.tracks[1].sizes) != len(src.audio) {
		t.Errorf("samples %d/%d", len(clip.tracks[0].sizes), len(clip.tracks[1].sizes))
	}
	// A track with nothing to write is left out.
	onlyVideo := []*media.Fragment{{Tracks: src.tracks(), Frames: slices.DeleteFunc(slices.Clone(frags[0].Frames),
		func(f media.Frame) bool { return f.Track == 1 })}}
	_, clip = writeClip(t, onlyVideo, ClipOptions{})
	if len(clip.tracks) != 1 || clip.tracks[0].entry != "avc1" {
		t.Errorf("tracks %v", clip.tracks)
	}
}

func TestWriteClipErrors(t *testing.T) {
	src := clipSource(t, true)
	good := src.fragments()
	idr, p := src.video[0], src.video[1]
	noSPS := bytes.Clone(idr)
	h264.ForEachNAL(noSPS, func(nal []byte) bool {
		if h264.Type(nal) == h264.NALSPS {
			nal[0] = 0x6e // type 14: the SPS is gone
		}
		return true
	})
	badSPS := []byte("\x00\x00\x00\x01\x67\x64\x00\x1f\xff\xff\xff\xff\xff\x00\x00\x00\x01\x68\xce\x3c\x80\x00\x00\x00\x01\x65\x88")
	video := []media.Track{{Codec: media.CodecH264}}
	frag := func(tracks []media.Track, frames ...media.Frame) *media.Fragment {
		return &media.Fragment{Tracks: tracks, Frames: frames}
	}
	tests := []struct {
		name  string
		frags []*media.Fragment
		want  error
	}{
		{"none", nil, ErrNoFrames},
		{"nil", []*media.Fragment{nil}, ErrNoFrames},
		{"no frames", []*media.Fragment{frag(video)}, ErrNoFrames},
		{"only empty frames", []*media.Fragment{frag(video, media.Frame{Keyframe: true})}, ErrNoFrames},
		{"vp8", []*media.Fragment{frag([]media.Track{{Codec: media.CodecVP8}}, media.Frame{Keyframe: true, Data: []byte{1}})}, ErrUnsupportedCodec},
		{"unknown codec", []*media.Fragment{frag([]media.Track{{}}, media.Frame{Data: []byte{1}})}, ErrUnsupportedCodec},
		{"tracks differ", []*media.Fragment{good[0], frag(video, media.Frame{Keyframe: true, Data: idr})}, ErrBadTrack},
		{"track out of range", []*media.Fragment{frag(video, media.Frame{Track: 1, Data: idr})}, ErrBadTrack},
		{"starts with P", []*media.Fragment{frag(video, media.Frame{Data: p})}, ErrNoKeyframe},
		{"no SPS", []*media.Fragment{frag(video, media.Frame{Keyframe: true, Data: noSPS})}, ErrNoParameterSets},
		{"bad SPS", []*media.Fragment{frag(video, media.Frame{Keyframe: true, Data: badSPS})}, ErrNoParameterSets},
		{"PTS backwards", []*media.Fragment{frag(video, media.Frame{PTS: 100, Keyframe: true, Data: idr}, media.Frame{PTS: 50, Data: p})}, ErrTimestamp},
		{"PTS repeated", []*media.Fragment{frag(video, media.Frame{PTS: 100, Keyframe: true, Data: idr}, media.Frame{PTS: 100, Data: p})}, ErrTimestamp},
		{"PTS huge", []*media.Fragment{frag(video, media.Frame{PTS: 1 << 60, Keyframe: true, Data: idr})}, ErrTimestamp},
		{"gap too long for stts", []*media.Fragment{frag(video, media.Frame{Keyframe: true, Data: idr}, media.Frame{PTS: 1 << 33, Data: p})}, ErrTimestamp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteClip(&buf, tc.frags, ClipOptions{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

type failingWriter struct{ left int }

var errDisk = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, errDisk
	}
	w.left -= len(p)
	return len(p), nil
}

func TestWriteClipWriterError(t *testing.T) {
	frags := clipSource(t, true).fragments()
	for _, at := range []int{0, 100, 5000, 20000} {
		if err := WriteClip(&failingWriter{left: at}, frags, ClipOptions{}); !errors.Is(err, errDisk) {
			t.Errorf("failing after %d bytes: err %v", at, err)
		}
	}
}

func TestWriteClipDetectsChange(t *testing.T) {
	frags := clipSource(t, false).fragments()
	plan, err := planClip(frags, ClipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	frags[1].Frames[3].Data = frags[1].Frames[3].Data[:len(frags[1].Frames[3].Data)-5]
	if err := plan.write(io.Discard, frags); !errors.Is(err, ErrChanged) {
		t.Fatalf("err %v, want ErrChanged", err)
	}
}

// bigClip returns fragments of about size bytes of synthetic H.264: one
// fragment a second, 25 frames each, plus 50 Opus packets a second.
func bigClip(t testing.TB, size int) []*media.Fragment {
	aus := accessUnits(readTestdata(t, "clip.h264"))
	idr := aus[0]
	frameSize := size / (25 * max(1, size/(25*40000)))
	p := append([]byte{0, 0, 0, 1, 0x41}, bytes.Repeat([]byte{0x9a}, frameSize)...)
	opus := bytes.Repeat([]byte{0xfc}, 80)
	tracks := []media.Track{{Codec: media.CodecH264}, {Codec: media.CodecOpus, Channels: 2}}
	var frags []*media.Fragment
	total := 0
	for sec := int64(0); total < size; sec++ {
		f := &media.Fragment{Number: uint64(sec), Tracks: tracks, Duration: time.Second}
		for i := int64(0); i < 50; i++ {
			if i%2 == 0 {
				data := p
				if i == 0 {
					data = idr
				}
				f.Frames = append(f.Frames, media.Frame{Track: 0, PTS: sec*90000 + i/2*3600, Keyframe: i == 0, Data: data})
				total += len(data)
			}
			f.Frames = append(f.Frames, media.Frame{Track: 1, PTS: sec*48000 + i*960, Keyframe: true, Data: opus})
			total += len(opus)
		}
		frags = append(frags, f)
	}
	return frags
}

// TestWriteClipMemory checks that writing does not copy the payload: a
// 32 MB clip must allocate a small fraction of that.
func TestWriteClipMemory(t *testing.T) {
	frags := bigClip(t, 32<<20)
	payload := 0
	for _, f := range frags {
		payload += f.Size()
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := WriteClip(io.Discard, frags, ClipOptions{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("payload %d bytes, allocated %d", payload, alloc)
	if alloc > uint64(payload)/16 {
		t.Errorf("allocated %d bytes for a %d-byte clip", alloc, payload)
	}
}

func BenchmarkWriteClip(b *testing.B) {
	frags := bigClip(b, 16<<20)
	size := 0
	for _, f := range frags {
		size += f.Size()
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteClip(io.Discard, frags, ClipOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWriteClipLargeLayout checks the layout of clips past 4 GiB without
// writing one: the plan claims a payload of 2^32 bytes, so the file must
// use co64 and a 64-bit mdat size; the write then stops with ErrChanged.
func TestWriteClipLargeLayout(t *testing.T) {
	frags := bigClip(t, 1<<20) // more than the write buffer: the header gets out
	plan, err := planClip(frags, ClipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plan.payload = 1 << 32
	var buf bytes.Buffer
	if err := plan.write(&buf, frags); !errors.Is(err, ErrChanged) {
		t.Fatalf("err %v, want ErrChanged", err)
	}
	ftypSize := binary.BigEndian.Uint32(buf.Bytes())
	moovSize := binary.BigEndian.Uint32(buf.Bytes()[ftypSize:])
	boxes, err := ReadBoxes(buf.Bytes()[:ftypSize+moovSize])
	if err != nil || len(boxes) != 2 || boxes[1].Type != "moov" {
		t.Fatalf("%v %v", boxes, err)
	}
	moovEnd := boxes[1].Offset + boxes[1].Size
	mdat := buf.Bytes()[moovEnd:]
	if string(mdat[4:8]) != "mdat" || binary.BigEndian.Uint32(mdat) != 1 || binary.BigEndian.Uint64(mdat[8:]) != 1<<32+16 {
		t.Errorf("mdat header %x", mdat[:16])
	}
	for _, trak := range FindAll(boxes[1].Children, "trak") {
		stbl := Find(trak.Children, "mdia", "minf", "stbl")
		co := Find(stbl.Children, "co64")
		if co == nil || Find(stbl.Children, "stco") != nil {
			t.Fatal("no co64")
		}
		if first := binary.BigEndian.Uint64(co.Data[8:]); trak == FindAll(boxes[1].Children, "trak")[0] && first != uint64(moovEnd)+16 {
			t.Errorf("first chunk at %d, want %d", first, moovEnd+16)
		}
	}
}
