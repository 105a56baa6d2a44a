package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
)

const chunkVersion = 1

// chunkHeaderMax bounds the header: version, count, wall and spool times.
const chunkHeaderMax = 1 + 3*binary.MaxVarintLen64

// encodedRecordSize is what a record adds to a chunk.
func encodedRecordSize(key string, data []byte) int64 {
	return int64(uvarintLen(uint64(len(key))) + len(key) + uvarintLen(uint64(len(data))) + len(data))
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// chunkHeader is the decoded fixed part of a chunk.
type chunkHeader struct {
	count   int
	wallMs  int64
	spoolMs int64
}

// chunkBuilder accumulates the records of one shard for one commit.
type chunkBuilder struct {
	buf     []byte // records only; the header is prepended by bytes()
	count   int
	lastSeq uint64
}

func (c *chunkBuilder) add(key string, data []byte) {
	c.buf = binary.AppendUvarint(c.buf, uint64(len(key)))
	c.buf = append(c.buf, key...)
	c.buf = binary.AppendUvarint(c.buf, uint64(len(data)))
	c.buf = append(c.buf, data...)
	c.count++
}

func (c *chunkBuilder) bytes(wallMs, spoolMs int64) []byte {
	out := make([]byte, 0, len(c.buf)+1+3*binary.MaxVarintLen64)
	out = append(out, chunkVersion)
	out = binary.AppendUvarint(out, uint64(c.count))
	out = binary.AppendVarint(out, wallMs)
	out = binary.AppendVarint(out, spoolMs)
	return append(out, c.buf...)
}

var errBadChunk = errors.New("corrupt chunk")

// decodeChunkHeader returns the header and the offset of the first record.
func decodeChunkHeader(v []byte) (chunkHeader, int, error) {
	if len(v) == 0 || v[0] != chunkVersion {
		return chunkHeader{}, 0, fmt.Errorf("%w: unknown version", errBadChunk)
	}
	off := 1
	count, n := binary.Uvarint(v[off:])
	if n <= 0 || count == 0 || count > uint64(len(v)) {
		return chunkHeader{}, 0, fmt.Errorf("%w: bad count", errBadChunk)
	}
	off += n
	wall, n := binary.Varint(v[off:])
	if n <= 0 {
		return chunkHeader{}, 0, fmt.Errorf("%w: bad wall time", errBadChunk)
	}
	off += n
	spool, n := binary.Varint(v[off:])
	if n <= 0 {
		return chunkHeader{}, 0, fmt.Errorf("%w: bad spool time", errBadChunk)
	}
	off += n
	return chunkHeader{count: int(count), wallMs: wall, spoolMs: spool}, off, nil
}

// chunkRecords calls fn for each record of a chunk, in order, with its index.
// key and data alias v. fn returns false to stop.
func chunkRecords(v []byte, off, count int, fn func(i int, key, data []byte) bool) error {
	for i := range count {
		var key, data []byte
		var err error
		if key, off, err = chunkField(v, off); err != nil {
			return err
		}
		if data, off, err = chunkField(v, off); err != nil {
			return err
		}
		if !fn(i, key, data) {
			return nil
		}
	}
	return nil
}

func chunkField(v []byte, off int) ([]byte, int, error) {
	l, n := binary.Uvarint(v[off:])
	if n <= 0 || l > uint64(len(v)-off-n) {
		return nil, 0, fmt.Errorf("%w: bad field length at offset %d", errBadChunk, off)
	}
	off += n
	return v[off : off+int(l)], off + int(l), nil
}
