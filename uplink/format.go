package uplink

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/tributary-edge/tributary/spool"
)

// Format is how records are laid out in an object.
type Format string

// The formats (Firehose writes raw by default: records concatenated
// without delimiters).
const (
	FormatRaw   Format = "raw"   // data as is, concatenated
	FormatLines Format = "lines" // data + "\n"
	FormatJSONL Format = "jsonl" // each record one JSON value, compacted, + "\n"; others refused
)

// Compression of an object.
type Compression string

// The compressions, with their file extensions.
const (
	CompressionNone   Compression = "none"
	CompressionGzip   Compression = "gzip"
	CompressionZstd   Compression = "zstd"
	CompressionSnappy Compression = "snappy" // the snappy framing format
)

// Extension returns the file extension for a format and compression
// (".jsonl.gz", ".zst", …).
func Extension(f Format, c Compression) string {
	ext := ""
	if f == FormatJSONL {
		ext = ".jsonl"
	}
	switch c {
	case CompressionGzip:
		ext += ".gz"
	case CompressionZstd:
		ext += ".zst"
	case CompressionSnappy:
		ext += ".snappy"
	}
	return ext
}

// Rejected is a record a format could not take, and why.
type Rejected struct {
	Record spool.StoredRecord
	Reason string
}

// maxRejected bounds the rejected records remembered per batch (their
// data is copied); further ones are counted in the error message only.
const maxRejected = 1000

// encoder writes records in a format, compressed, to w.
type encoder struct {
	f        Format
	w        io.Writer
	closer   io.Closer
	buf      bytes.Buffer
	rejected []Rejected
	dropped  int // rejected beyond maxRejected
}

func newEncoder(w io.Writer, f Format, c Compression) (*encoder, error) {
	e := &encoder{f: f, w: w}
	switch c {
	case CompressionNone, "":
	case CompressionGzip:
		gz := gzip.NewWriter(w)
		e.w, e.closer = gz, gz
	case CompressionZstd:
		z, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20))
		if err != nil {
			return nil, err
		}
		e.w, e.closer = z, z
	case CompressionSnappy:
		s := s2.NewWriter(w, s2.WriterSnappyCompat(), s2.WriterConcurrency(1))
		e.w, e.closer = s, s
	default:
		return nil, fmt.Errorf("%w: unknown compression %q", ErrPermanent, c)
	}
	switch f {
	case FormatRaw, FormatLines, FormatJSONL, "":
	default:
		return nil, fmt.Errorf("%w: unknown format %q", ErrPermanent, f)
	}
	return e, nil
}

// write adds one record; a record the format cannot take is set aside.
func (e *encoder) write(r spool.StoredRecord) error {
	switch e.f {
	case FormatLines:
		if _, err := e.w.Write(r.Data); err != nil {
			return err
		}
		_, err := e.w.Write([]byte{'\n'})
		return err
	case FormatJSONL:
		e.buf.Reset()
		if err := json.Compact(&e.buf, r.Data); err != nil || !json.Valid(r.Data) {
			e.reject(r, fmt.Sprintf("not a JSON value: %v", err))
			return nil
		}
		e.buf.WriteByte('\n')
		_, err := e.w.Write(e.buf.Bytes())
		return err
	default:
		_, err := e.w.Write(r.Data)
		return err
	}
}

func (e *encoder) reject(r spool.StoredRecord, reason string) {
	if len(e.rejected) == maxRejected {
		e.dropped++
		return
	}
	r.Data = bytes.Clone(r.Data)
	e.rejected = append(e.rejected, Rejected{Record: r, Reason: reason})
}

// close flushes the compressor.
func (e *encoder) close() error {
	if e.closer != nil {
		return e.closer.Close()
	}
	return nil
}
