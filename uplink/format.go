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
// without delimiters). csv and parquet take JSON objects, laid out in the
// columns of a Schema (FormatOptions); they are for the s3 destination.
const (
	FormatRaw     Format = "raw"     // data as is, concatenated
	FormatLines   Format = "lines"   // data + "\n"
	FormatJSONL   Format = "jsonl"   // each record one JSON value, compacted, + "\n"; others refused
	FormatCSV     Format = "csv"     // a header row, then a row per object; others refused
	FormatParquet Format = "parquet" // a Parquet file, a row per object; others refused
)

// FormatOptions are the settings of the csv and parquet formats; the
// others take none.
type FormatOptions struct {
	// Schema declares the columns. Nil infers them for each batch from its
	// first record that is a JSON object (see ColumnType).
	Schema *Schema
	// CSVOmitHeader leaves out the csv header row.
	CSVOmitHeader bool
	// ParquetRowGroupBytes bounds the column data a parquet row group
	// buffers before it is written out, and so the memory a batch takes
	// (default DefaultParquetRowGroupBytes, 1 to 128 MiB). Larger row
	// groups read faster.
	ParquetRowGroupBytes int64
}

// Validate reports whether the options suit format f. It does no I/O.
func (o FormatOptions) Validate(f Format) error {
	tabular := f == FormatCSV || f == FormatParquet
	switch {
	case o.Schema != nil && !tabular:
		return fmt.Errorf("a schema applies to the csv and parquet formats only, not %q", f)
	case o.CSVOmitHeader && f != FormatCSV:
		return fmt.Errorf("omitting the header applies to the csv format only, not %q", f)
	case o.ParquetRowGroupBytes != 0 && f != FormatParquet:
		return fmt.Errorf("the row group size applies to the parquet format only, not %q", f)
	case o.ParquetRowGroupBytes != 0 && (o.ParquetRowGroupBytes < 1<<20 || o.ParquetRowGroupBytes > 128<<20):
		return fmt.Errorf("parquet row group size %d: must be 1 to 128 MiB", o.ParquetRowGroupBytes)
	}
	if o.Schema != nil {
		if err := o.Schema.Validate(); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
	}
	return nil
}

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
// (".jsonl.gz", ".zst", ".csv", ".parquet", …). Parquet compresses its
// pages, not the file: its extension is always ".parquet".
func Extension(f Format, c Compression) string {
	ext := ""
	switch f {
	case FormatJSONL:
		ext = ".jsonl"
	case FormatCSV:
		ext = ".csv"
	case FormatParquet:
		return ".parquet"
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
	csv      *csvEncoder
	parquet  *parquetEncoder
	rejected []Rejected
	dropped  int // rejected beyond maxRejected
}

// newEncoder returns an encoder of format f to w; o is for csv and parquet.
func newEncoder(w io.Writer, f Format, c Compression, o FormatOptions) (*encoder, error) {
	e := &encoder{f: f, w: w}
	if f == FormatParquet { // compresses its pages itself
		p, err := newParquetEncoder(w, c, o)
		if err != nil {
			return nil, err
		}
		e.parquet = p
		return e, nil
	}
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
	case FormatCSV:
		c, err := newCSVEncoder(e.w, o)
		if err != nil {
			if e.closer != nil {
				e.closer.Close()
			}
			return nil, err
		}
		e.csv = c
	default:
		return nil, fmt.Errorf("%w: unknown format %q", ErrPermanent, f)
	}
	return e, nil
}

// write adds one record; a record the format cannot take is set aside.
func (e *encoder) write(r spool.StoredRecord) error {
	switch e.f {
	case FormatCSV, FormatParquet:
		var reason string
		var err error
		if e.csv != nil {
			reason, err = e.csv.write(r.Data)
		} else {
			reason, err = e.parquet.write(r.Data)
		}
		if reason != "" {
			e.reject(r, reason)
		}
		return err
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

// close flushes the format's buffers and the compressor.
func (e *encoder) close() error {
	switch {
	case e.parquet != nil:
		return e.parquet.close()
	case e.csv != nil:
		if err := e.csv.close(); err != nil {
			return err
		}
	}
	if e.closer != nil {
		return e.closer.Close()
	}
	return nil
}

// hasObject is false when there is nothing to write: a parquet file
// whose schema was to be inferred, but no record was a JSON object.
func (e *encoder) hasObject() bool {
	return e.parquet == nil || e.parquet.hasFile()
}
