package mp4

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Box is one box of a parsed file (ISO/IEC 14496-12 4.2).
type Box struct {
	Type string
	// Offset is where the box header starts in the parsed data, and Size
	// the whole box's size, header included.
	Offset, Size int64
	// Data is the payload after the header (size, type, and largesize if
	// any); for a full box it starts with version and flags.
	Data []byte
	// Children are the boxes inside a container box (see containers).
	Children []*Box
}

// containers maps the container boxes ReadBoxes descends into to the bytes
// that precede their children: plain containers none, stsd and dref a
// FullBox header and entry_count (8.5.2, 8.7.2), sample entries their fixed
// fields (VisualSampleEntry 78 bytes, AudioSampleEntry 28; 12.1.3, 12.2.3).
var containers = map[string]int{
	"moov": 0, "trak": 0, "edts": 0, "mdia": 0, "minf": 0, "dinf": 0, "stbl": 0,
	"mvex": 0, "moof": 0, "traf": 0, "udta": 0,
	"stsd": 8, "dref": 8,
	"avc1": 78, "avc3": 78, "Opus": 28,
}

// maxDepth bounds nesting so hostile input cannot recurse without end.
const maxDepth = 16

// ReadBoxes parses b into its top-level boxes and, for the container types
// this package writes, their children. It returns an error wrapping
// ErrInvalidBox when a size does not fit its parent.
func ReadBoxes(b []byte) ([]*Box, error) {
	return readBoxes(b, 0, 0)
}

func readBoxes(b []byte, base int64, depth int) ([]*Box, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d", ErrInvalidBox, maxDepth)
	}
	var boxes []*Box
	for off := 0; off < len(b); {
		rest := b[off:]
		if len(rest) < 8 {
			return boxes, fmt.Errorf("%w: %d stray bytes at %d", ErrInvalidBox, len(rest), base+int64(off))
		}
		size := uint64(binary.BigEndian.Uint32(rest))
		typ := string(rest[4:8])
		hdr := 8
		switch size {
		case 0: // to the end of the enclosing data
			size = uint64(len(rest))
		case 1: // 64-bit largesize follows the type
			if len(rest) < 16 {
				return boxes, fmt.Errorf("%w: %q: truncated largesize at %d", ErrInvalidBox, typ, base+int64(off))
			}
			size, hdr = binary.BigEndian.Uint64(rest[8:]), 16
		}
		if size < uint64(hdr) || size > uint64(len(rest)) || size > math.MaxInt64 {
			return boxes, fmt.Errorf("%w: %q at %d: size %d, %d bytes left", ErrInvalidBox, typ, base+int64(off), size, len(rest))
		}
		box := &Box{Type: typ, Offset: base + int64(off), Size: int64(size), Data: rest[hdr:size]}
		if skip, ok := containers[typ]; ok {
			if len(box.Data) < skip {
				return boxes, fmt.Errorf("%w: %q at %d: %d bytes, want at least %d", ErrInvalidBox, typ, box.Offset, len(box.Data), skip)
			}
			children, err := readBoxes(box.Data[skip:], box.Offset+int64(hdr+skip), depth+1)
			box.Children = children
			if err != nil {
				boxes = append(boxes, box)
				return boxes, err
			}
		}
		boxes = append(boxes, box)
		off += int(size)
	}
	return boxes, nil
}

// Find returns the first box reached by following path from boxes: the
// first element names a box in boxes, each next one a child of the last.
// It returns nil when there is none.
func Find(boxes []*Box, path ...string) *Box {
	var found *Box
	for _, typ := range path {
		found = nil
		for _, b := range boxes {
			if b.Type == typ {
				found = b
				break
			}
		}
		if found == nil {
			return nil
		}
		boxes = found.Children
	}
	return found
}

// FindAll returns every box of type typ directly in boxes.
func FindAll(boxes []*Box, typ string) []*Box {
	var out []*Box
	for _, b := range boxes {
		if b.Type == typ {
			out = append(out, b)
		}
	}
	return out
}
