package uplink

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/format"
)

// parquetEncoder writes JSON records as one Parquet file
// (https://parquet.apache.org/docs/file-format/), a row per record, as
// Firehose's record format conversion does. Rows are written in row
// groups of at most rowGroupBytes of buffered column data (an estimate
// before compression): the file is streamed, and memory holds one row
// group whatever the batch size. Pages are compressed with the delivery's
// codec; data pages are version 1, which every reader takes.
type parquetEncoder struct {
	out      io.Writer
	codec    compress.Codec
	rowGroup int64

	fields  []field // declared, or inferred from the first object
	pick    *picker
	w       *parquet.Writer // nil until the schema is known
	base    int64           // w.Size() when the row group began
	rows    []parquet.Row   // rows not yet given to w
	n       int
	arena   []byte // the byte values of rows[:n]
	scratch []byte
	buf     bytes.Buffer
}

// Rows go to the writer in runs of at most this many, or of this many
// bytes of values.
const (
	parquetRunRows  = 128
	parquetRunBytes = 1 << 20
)

// DefaultParquetRowGroupBytes is the row group bound when none is set.
const DefaultParquetRowGroupBytes = 8 << 20

func newParquetEncoder(out io.Writer, c Compression, o FormatOptions) (*parquetEncoder, error) {
	p := &parquetEncoder{out: out, rowGroup: o.ParquetRowGroupBytes, rows: make([]parquet.Row, parquetRunRows)}
	if p.rowGroup <= 0 {
		p.rowGroup = DefaultParquetRowGroupBytes
	}
	switch c {
	case CompressionNone, "":
		p.codec = &parquet.Uncompressed
	case CompressionSnappy:
		p.codec = &parquet.Snappy
	case CompressionGzip:
		p.codec = &parquet.Gzip
	case CompressionZstd:
		p.codec = &pageZstd
	default:
		return nil, fmt.Errorf("%w: unknown compression %q", ErrPermanent, c)
	}
	if o.Schema != nil {
		if err := o.Schema.Validate(); err != nil {
			return nil, fmt.Errorf("%w: parquet schema: %v", ErrPermanent, err)
		}
		p.start(o.Schema.fields())
	}
	return p, nil
}

// start opens the writer once the columns are known.
func (p *parquetEncoder) start(fs []field) {
	p.fields = fs
	p.pick = newPicker(fs)
	group := parquet.Group{}
	for _, f := range fs {
		group[f.name] = parquetNode(f)
	}
	byName := map[string]parquet.Field{}
	for _, f := range group.Fields() {
		byName[f.Name()] = f
	}
	ordered := orderedGroup{Group: group, fields: make([]parquet.Field, len(fs))}
	for i, f := range fs {
		ordered.fields[i] = byName[f.name]
	}
	// A page buffer per column: smaller ones when there are many, so
	// that their sum stays within a row group.
	page := min(max(int(p.rowGroup)/len(fs), 16<<10), 256<<10)
	p.w = parquet.NewWriter(p.out, parquet.NewSchema("record", ordered),
		parquet.Compression(p.codec), parquet.PageBufferSize(page), parquet.DataPageVersion(1))
}

func parquetNode(f field) parquet.Node {
	var n parquet.Node
	switch f.typ {
	case TypeInt64:
		n = parquet.Leaf(parquet.Int64Type)
	case TypeInt32:
		n = parquet.Leaf(parquet.Int32Type)
	case TypeDouble:
		n = parquet.Leaf(parquet.DoubleType)
	case TypeFloat:
		n = parquet.Leaf(parquet.FloatType)
	case TypeBoolean:
		n = parquet.Leaf(parquet.BooleanType)
	case TypeTimestamp:
		n = parquet.Timestamp(parquet.Millisecond)
	default: // string, json
		n = parquet.String()
	}
	if f.required {
		return parquet.Required(n)
	}
	return parquet.Optional(n)
}

// orderedGroup is a parquet group whose fields keep the schema's order
// (parquet.Group sorts them by name). Rows are built as parquet.Row
// values, never from Go values, so its Go type is only nominal.
type orderedGroup struct {
	parquet.Group
	fields []parquet.Field
}

func (g orderedGroup) Fields() []parquet.Field { return g.fields }

func (g orderedGroup) GoType() reflect.Type { return reflect.TypeFor[map[string]any]() }

// write adds a record as a row, or returns why it does not fit.
func (p *parquetEncoder) write(data []byte) (reason string, err error) {
	obj, reason := jsonObject(data)
	if reason != "" {
		return reason, nil
	}
	if p.w == nil {
		fs, ok := inferFields(obj)
		switch {
		case !ok:
			return fmt.Sprintf("more than %d keys: too many columns to infer a schema from", maxColumns), nil
		case len(fs) == 0:
			return "an object without keys: no columns to infer a schema from", nil
		}
		p.start(fs)
	}
	p.pick.pick(obj)
	mark := len(p.arena)
	row := p.rows[p.n][:0]
	for i := range p.fields {
		v, reason := p.value(i, p.pick.vals[i])
		if reason != "" {
			p.arena = p.arena[:mark]
			return reason, nil
		}
		row = append(row, v)
	}
	p.rows[p.n] = row
	if p.n++; p.n == len(p.rows) || len(p.arena) >= parquetRunBytes {
		return "", p.flushRows()
	}
	return "", nil
}

// flushRows gives the pending rows to the writer, and ends the row group
// if it has reached its bound.
func (p *parquetEncoder) flushRows() error {
	if p.n == 0 {
		return nil
	}
	_, err := p.w.WriteRows(p.rows[:p.n])
	p.n, p.arena = 0, p.arena[:0]
	if err != nil {
		return err
	}
	if p.w.Size()-p.base >= p.rowGroup {
		if err := p.w.Flush(); err != nil {
			return err
		}
		p.base = p.w.Size()
	}
	return nil
}

// hasFile is false when no schema was declared and no record was an
// object to infer one from: there is no file to write.
func (p *parquetEncoder) hasFile() bool { return p.w != nil }

// close writes the last row group and the footer.
func (p *parquetEncoder) close() error {
	if p.w == nil {
		return nil
	}
	if err := p.flushRows(); err != nil {
		return err
	}
	return p.w.Close()
}

// value converts field i's raw JSON value (nil if missing) to a value of
// its column, or says why it does not fit. Byte values are copied to the
// arena.
func (p *parquetEncoder) value(i int, raw []byte) (parquet.Value, string) {
	f := &p.fields[i]
	if raw == nil || kindOf(raw) == kindNull {
		if f.required {
			what := "missing"
			if raw != nil {
				what = "null"
			}
			return parquet.Value{}, fmt.Sprintf("field %q is %s (column %q is required)", f.key, what, f.name)
		}
		return parquet.NullValue().Level(0, 0, i), ""
	}
	def := 1
	if f.required {
		def = 0
	}
	var v parquet.Value
	k := kindOf(raw)
	bad := func(problem string) (parquet.Value, string) {
		return parquet.Value{}, fmt.Sprintf("field %q: %s %s (column %q is %s)", f.key, describe(raw), problem, f.name, f.typ)
	}
	switch f.typ {
	case TypeString:
		start := len(p.arena)
		switch k {
		case kindString:
			p.arena = unquote(raw, p.arena)
		case kindNumber, kindBool:
			p.arena = append(p.arena, raw...)
		default:
			return bad("does not fit (declare it json)")
		}
		v = parquet.ByteArrayValue(p.arena[start:])
	case TypeJSON:
		start := len(p.arena)
		if k == kindObject || k == kindArray {
			p.buf.Reset()
			json.Compact(&p.buf, raw) // valid: cannot fail
			p.arena = append(p.arena, p.buf.Bytes()...)
		} else {
			p.arena = append(p.arena, raw...)
		}
		v = parquet.ByteArrayValue(p.arena[start:])
	case TypeInt64, TypeInt32:
		num := p.number(raw, k)
		if num == nil {
			return bad("does not fit")
		}
		n, problem := toInt(num)
		if problem == "" && f.typ == TypeInt32 && (n < math.MinInt32 || n > math.MaxInt32) {
			problem = "overflows"
		}
		if problem != "" {
			return bad(problem)
		}
		if f.typ == TypeInt32 {
			v = parquet.Int32Value(int32(n))
		} else {
			v = parquet.Int64Value(n)
		}
	case TypeDouble, TypeFloat:
		num := p.number(raw, k)
		if num == nil {
			return bad("does not fit")
		}
		bits := 64
		if f.typ == TypeFloat {
			bits = 32
		}
		x, err := strconv.ParseFloat(string(num), bits)
		if err != nil {
			return bad("overflows")
		}
		if f.typ == TypeFloat {
			v = parquet.FloatValue(float32(x))
		} else {
			v = parquet.DoubleValue(x)
		}
	case TypeBoolean:
		switch {
		case k == kindBool:
			v = parquet.BooleanValue(raw[0] == 't')
		case string(raw) == `"true"` || string(raw) == `"false"`:
			v = parquet.BooleanValue(raw[1] == 't')
		default:
			return bad("does not fit")
		}
	case TypeTimestamp:
		ms, problem := toMillis(raw, k, p.scratch[:0])
		if problem != "" {
			return bad(problem)
		}
		v = parquet.Int64Value(ms)
	}
	return v.Level(0, def, i), ""
}

// number returns the JSON number raw is, or holds as a string; nil if
// neither.
func (p *parquetEncoder) number(raw []byte, k jsonKind) []byte {
	switch k {
	case kindNumber:
		return raw
	case kindString:
		p.scratch = unquote(raw, p.scratch[:0])
		if s := p.scratch; len(s) > 0 && (s[0] == '-' || isDigit(s[0])) && isDigit(s[len(s)-1]) && json.Valid(s) {
			return s
		}
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// toInt converts a JSON number to an int64: integer text, or any number
// with an integral value (2.0, 2e3).
func toInt(num []byte) (int64, string) {
	if bytes.IndexAny(num, ".eE") < 0 {
		n, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil {
			return 0, "overflows" // valid integer text: only a range error
		}
		return n, ""
	}
	x, err := strconv.ParseFloat(string(num), 64)
	switch {
	case err != nil || x >= 0x1p63 || x < -0x1p63:
		return 0, "overflows"
	case x != math.Trunc(x):
		return 0, "is not an integer"
	}
	return int64(x), ""
}

// epochSecondsBelow: an integer epoch below it (in magnitude) is seconds,
// above it milliseconds (10^11 s is the year 5138; 10^11 ms is 1973).
const epochSecondsBelow = 1e11

// toMillis converts an RFC 3339 string or an epoch number to milliseconds
// since the epoch.
func toMillis(raw []byte, k jsonKind, scratch []byte) (int64, string) {
	switch k {
	case kindString:
		t, err := time.Parse(time.RFC3339Nano, string(unquote(raw, scratch)))
		if err != nil {
			return 0, "is not an RFC 3339 time"
		}
		return t.UnixMilli(), ""
	case kindNumber:
		if bytes.IndexAny(raw, ".eE") < 0 {
			n, err := strconv.ParseInt(string(raw), 10, 64)
			switch {
			case err != nil:
				return 0, "overflows"
			case n > -epochSecondsBelow && n < epochSecondsBelow:
				return n * 1000, ""
			}
			return n, ""
		}
		x, err := strconv.ParseFloat(string(raw), 64)
		ms := math.Round(x)
		if x > -epochSecondsBelow && x < epochSecondsBelow {
			ms = math.Round(x * 1000)
		}
		if err != nil || ms >= 0x1p63 || ms < -0x1p63 {
			return 0, "overflows"
		}
		return int64(ms), ""
	}
	return 0, "does not fit"
}

// zstdPages is parquet's ZSTD codec with a 1 MiB window: pages are
// compressed one at a time and are smaller than that, so a larger window
// (parquet.Zstd's is 8 MiB) costs memory for nothing.
type zstdPages struct {
	encoders sync.Pool
}

var pageZstd zstdPages

func (*zstdPages) String() string { return "ZSTD" }

func (*zstdPages) CompressionCodec() format.CompressionCodec { return format.Zstd }

func (c *zstdPages) Encode(dst, src []byte) ([]byte, error) {
	e, _ := c.encoders.Get().(*zstd.Encoder)
	if e == nil {
		var err error
		e, err = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20),
			zstd.WithZeroFrames(true), zstd.WithEncoderCRC(false))
		if err != nil {
			return dst[:0], err
		}
	}
	defer c.encoders.Put(e)
	return e.EncodeAll(src, dst[:0]), nil
}

func (*zstdPages) Decode(dst, src []byte) ([]byte, error) { return parquet.Zstd.Decode(dst, src) }
