package store

import (
	"encoding/binary"
	"time"
)

// Key prefixes; the layout is in doc.go.
const (
	prefixNextID   = 'n'
	prefixMeta     = 'm'
	prefixStats    = 's'
	prefixIndex    = 'i'
	prefixFragment = 'f'
	prefixDeleting = 'd'
	prefixScratch  = 'x'
)

const (
	idKeyLen    = 1 + 4         // prefix sid
	indexKeyLen = 1 + 4 + 8 + 8 // prefix sid time number
	fragKeyLen  = 1 + 4 + 8     // prefix sid number
)

// Times the key encoding can hold: time.Time.UnixNano's range.
var (
	minTime = time.Unix(0, -1<<63).UTC()
	maxTime = time.Unix(0, 1<<63-1).UTC()
)

func idKey(prefix byte, sid uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{prefix}, sid)
}

// timeBits maps Unix nanoseconds to an unsigned integer with the same order.
func timeBits(ns int64) uint64 { return uint64(ns) ^ 1<<63 }

func bitsTime(u uint64) int64 { return int64(u ^ 1<<63) }

func indexKey(sid uint32, ns int64, number uint64) []byte {
	k := make([]byte, 0, indexKeyLen)
	k = append(k, prefixIndex)
	k = binary.BigEndian.AppendUint32(k, sid)
	k = binary.BigEndian.AppendUint64(k, timeBits(ns))
	return binary.BigEndian.AppendUint64(k, number)
}

// indexSeekKey is the first index key at or after ns.
func indexSeekKey(sid uint32, ns int64) []byte {
	return indexKey(sid, ns, 0)
}

// parseIndexKey returns the server time (Unix ns) and number of an index
// key; ok is false for a key of another shape.
func parseIndexKey(k []byte) (ns int64, number uint64, ok bool) {
	if len(k) != indexKeyLen || k[0] != prefixIndex {
		return 0, 0, false
	}
	return bitsTime(binary.BigEndian.Uint64(k[5:])), binary.BigEndian.Uint64(k[13:]), true
}

func fragKey(sid uint32, number uint64) []byte {
	k := make([]byte, 0, fragKeyLen)
	k = append(k, prefixFragment)
	k = binary.BigEndian.AppendUint32(k, sid)
	return binary.BigEndian.AppendUint64(k, number)
}
