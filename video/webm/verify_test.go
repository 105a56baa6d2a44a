package webm

import (
	"bytes"
	"fmt"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
)

// parsedFile is a WebM file read back with ebml-go's decoder.
type parsedFile struct {
	Header  webm.EBMLHeader `ebml:"EBML"`
	Segment webm.Segment    `ebml:"Segment"`
}

// parsedBlock is one SimpleBlock with its absolute time.
type parsedBlock struct {
	track    uint64
	ms       int64
	keyframe bool
	data     []byte
}

// parseWebM decodes a file and checks its structure: a webm DocType, 1 ms
// timecodes, blocks only of known tracks, in time order, one frame each.
func parseWebM(b []byte) (*parsedFile, []parsedBlock, error) {
	var f parsedFile
	if err := ebml.Unmarshal(bytes.NewReader(b), &f); err != nil {
		return nil, nil, err
	}
	if f.Header.DocType != "webm" || f.Segment.Info.TimecodeScale != 1000000 {
		return nil, nil, fmt.Errorf("header %+v, info %+v", f.Header, f.Segment.Info)
	}
	tracks := map[uint64]string{}
	for _, e := range f.Segment.Tracks.TrackEntry {
		tracks[e.TrackNumber] = e.CodecID
	}
	var blocks []parsedBlock
	last := int64(-1 << 62)
	for ci, c := range f.Segment.Cluster {
		for bi, sb := range c.SimpleBlock {
			if _, ok := tracks[sb.TrackNumber]; !ok {
				return nil, nil, fmt.Errorf("cluster %d: block of track %d", ci, sb.TrackNumber)
			}
			if len(sb.Data) != 1 {
				return nil, nil, fmt.Errorf("cluster %d: laced block", ci)
			}
			ms := int64(c.Timecode) + int64(sb.Timecode)
			if ms < last {
				return nil, nil, fmt.Errorf("cluster %d block %d at %d ms after %d ms", ci, bi, ms, last)
			}
			last = ms
			blocks = append(blocks, parsedBlock{track: sb.TrackNumber, ms: ms, keyframe: sb.Keyframe, data: sb.Data[0]})
		}
	}
	return &f, blocks, nil
}
