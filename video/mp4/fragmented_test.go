package mp4

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/tributary-edge/tributary/video/media"
)

func writeFragmented(t testing.TB, frags []*media.Fragment, opts SegmentOptions) (init []byte, segs [][]byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteInit(&buf, frags[0]); err != nil {
		t.Fatal(err)
	}
	init = bytes.Clone(buf.Bytes())
	for i, f := range frags {
		buf.Reset()
		if err := WriteSegment(&buf, uint32(i+1), f, opts); err != nil {
			t.Fatal(err)
		}
		segs = append(segs, bytes.Clone(buf.Bytes()))
	}
	return init, segs
}

func TestWriteInit(t *testing.T) {
	src := clipSource(t, true)
	init, _ := writeFragmented(t, src.fragments(), SegmentOptions{})
	tracks, err := parseInit(init)
	if err != nil {
		t.Fatal(err)
	}
	if len(tracks) != 2 {
		t.Fatalf("%d tracks", len(tracks))
	}
	v, a := tracks[0], tracks[1]
	if v.id != 1 || v.entry != "avc1" || v.width != 320 || v.height != 240 || v.timescale != 90000 {
		t.Errorf("video %+v", v)
	}
	if a.id != 2 || a.entry != "Opus" || a.channels != 2 || a.timescale != 48000 {
		t.Errorf("audio %+v", a)
	}
}

func TestCodecs(t *testing.T) {
	src := clipSource(t, true)
	frags := src.fragments()
	if got, err := Codecs(frags[0]); got != "avc1.42c00d,opus" || err != nil {
		t.Errorf("Codecs %q %v", got, err)
	}
	if _, err := Codecs(&media.Fragment{Tracks: []media.Track{{Codec: media.CodecVP8}}}); !errors.Is(err, ErrUnsupportedCodec) {
		t.Errorf("VP8: %v", err)
	}
	if _, err := Codecs(&media.Fragment{Tracks: frags[0].Tracks}); !errors.Is(err, ErrNoParameterSets) {
		t.Errorf("no frames: %v", err)
	}
}

func TestWriteSegment(t *testing.T) {
	src := clipSource(t, true)
	frags := src.fragments()
	_, segs := writeFragmented(t, frags, SegmentOptions{})
	for i, seg := range segs {
		seq, tracks, err := parseSegment(seg)
		if err != nil {
			t.Fatalf("segment %d: %v", i, err)
		}
		if seq != uint32(i+1) || len(tracks) != 2 {
			t.Fatalf("segment %d: seq %d, %d tracks", i, seq, len(tracks))
		}
		for _, tr := range tracks {
			var want [][]byte
			var pts []int64
			for _, f := range frags[i].Frames {
				if uint32(f.Track)+1 == tr.id {
					data := f.Data
					if f.Track == 0 {
						data = avccOf(data)
					}
					want, pts = append(want, data), append(pts, f.PTS)
				}
			}
			checkSamples(t, seg, tr, want)
			if tr.tfdt != uint64(pts[0]) {
				t.Errorf("segment %d track %d: tfdt %d, want %d", i, tr.id, tr.tfdt, pts[0])
			}
			step := uint32(3600)
			if tr.id == 2 {
				step = 960
			}
			if !slices.Equal(tr.durations, u32s(len(want), step)) {
				t.Errorf("segment %d track %d: durations %v", i, tr.id, tr.durations)
			}
			for k, f := range tr.flags {
				wantF := uint32(flagsNonSync)
				if tr.id == 2 || k == 0 {
					wantF = flagsSync
				}
				if f != wantF {
					t.Errorf("segment %d track %d sample %d: flags %08x, want %08x", i, tr.id, k, f, wantF)
				}
			}
		}
	}
}

// TestWriteSegmentOrigin checks that PTS past 2^32 work as they are (64-bit
// tfdt) and that Origin rebases them exactly.
func TestWriteSegmentOrigin(t *testing.T) {
	src := clipSource(t, true)
	_, want := writeFragmented(t, src.fragments(), SegmentOptions{})
	src.videoStart, src.audioStart = 47721*90000, 47721*48000
	frags := src.fragments()
	_, raw := writeFragmented(t, frags, SegmentOptions{})
	_, tracks, err := parseSegment(raw[1])
	if err != nil {
		t.Fatal(err)
	}
	if tracks[0].tfdt != uint64(frags[1].Frames[0].PTS) || tracks[0].tfdt < 1<<32 {
		t.Errorf("tfdt %d, want %d", tracks[0].tfdt, frags[1].Frames[0].PTS)
	}
	_, rebased := writeFragmented(t, frags, SegmentOptions{Origin: media.TicksToDuration(src.videoStart, 90000)})
	for i := range want {
		if !bytes.Equal(rebased[i], want[i]) {
			t.Errorf("segment %d differs after rebasing", i)
		}
	}
}

func TestWriteSegmentErrors(t *testing.T) {
	src := clipSource(t, true)
	good := src.fragments()[0]
	video := []media.Track{{Codec: media.CodecH264}}
	tests := []struct {
		name string
		frag *media.Fragment
		opts SegmentOptions
		want error
	}{
		{"nil", nil, SegmentOptions{}, ErrNoFrames},
		{"empty", &media.Fragment{Tracks: video}, SegmentOptions{}, ErrNoFrames},
		{"vp8", &media.Fragment{Tracks: []media.Track{{Codec: media.CodecVP8}}, Frames: []media.Frame{{Data: []byte{1}}}}, SegmentOptions{}, ErrUnsupportedCodec},
		{"bad track", &media.Fragment{Tracks: video, Frames: []media.Frame{{Track: 3, Data: []byte{1}}}}, SegmentOptions{}, ErrBadTrack},
		{"origin after frames", good, SegmentOptions{Origin: 1 << 40}, ErrTimestamp},
		{"backwards", &media.Fragment{Tracks: video, Frames: []media.Frame{
			{PTS: 10, Data: good.Frames[0].Data}, {PTS: 5, Data: good.Frames[0].Data}}}, SegmentOptions{}, ErrTimestamp},
		{"gap", &media.Fragment{Tracks: video, Frames: []media.Frame{
			{PTS: 0, Data: good.Frames[0].Data}, {PTS: 1 << 33, Data: good.Frames[0].Data}}}, SegmentOptions{}, ErrTimestamp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSegment(&buf, 1, tc.frag, tc.opts); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes", buf.Len())
			}
		})
	}
	var buf bytes.Buffer
	if err := WriteSegment(&failingWriter{left: 50}, 1, good, SegmentOptions{}); !errors.Is(err, errDisk) {
		t.Errorf("writer error: %v", err)
	}
	for name, frag := range map[string]*media.Fragment{
		"nil":    nil,
		"vp8":    {Tracks: []media.Track{{Codec: media.CodecVP8}}},
		"no sps": {Tracks: video, Frames: []media.Frame{{Data: src.video[1]}}},
	} {
		if err := WriteInit(&buf, frag); err == nil {
			t.Errorf("WriteInit %s: no error", name)
		}
	}
	if err := WriteInit(&failingWriter{}, good); !errors.Is(err, errDisk) {
		t.Errorf("WriteInit writer error: %v", err)
	}
}
