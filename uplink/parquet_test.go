package uplink

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
)

// deliverTo appends records to a one-shard stream and delivers them with
// sink as one batch; it returns the bucket's objects.
func deliverTo(t *testing.T, client *s3.Client, sink *S3Sink, records ...string) map[string][]byte {
	t.Helper()
	sp := openSpool(t, t.TempDir())
	sp.CreateStream(spool.StreamConfig{Name: "s", Shards: 1})
	var recs []spool.Record
	for _, r := range records {
		recs = append(recs, spool.Record{PartitionKey: "a", Data: []byte(r)})
	}
	if _, err := sp.Append(context.Background(), "s", recs); err != nil {
		t.Fatal(err)
	}
	d := start(t, sp, Config{Name: "d", Streams: []string{"s"}, Sink: sink})
	mqtttest.Eventually(t, 30*time.Second, "the batch delivered", func() bool { return d.Status().Delivered == int64(len(records)) })
	return objects(t, client)
}

// splitObjects separates the data objects from the error records, which
// it returns as raw data → error message.
func splitObjects(t *testing.T, objs map[string][]byte) (data map[string][]byte, refused map[string]string) {
	t.Helper()
	data, refused = map[string][]byte{}, map[string]string{}
	for key, body := range objs {
		if !strings.Contains(key, "/format-conversion-failed/") {
			data[key] = body
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			var e struct {
				ErrorCode    string `json:"errorCode"`
				ErrorMessage string `json:"errorMessage"`
				RawData      []byte `json:"rawData"`
			}
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.ErrorCode != "DataFormatConversion.MalformedData" {
				t.Fatalf("error record %s: %v", sc.Bytes(), err)
			}
			refused[string(e.RawData)] = e.ErrorMessage
		}
	}
	return data, refused
}

func checkRefused(t *testing.T, got, want map[string]string) {
	t.Helper()
	for raw, reason := range want {
		if got[raw] != reason {
			t.Errorf("record %s: refused with %q, want %q", raw, got[raw], reason)
		}
	}
	for raw, reason := range got {
		if _, ok := want[raw]; !ok {
			t.Errorf("record %s refused: %s", raw, reason)
		}
	}
}

// readsRows is false where parquet-go's reader cannot be used: on 32-bit
// ARM it loads float64 values from unaligned page buffers, a SIGBUS (its
// writer does not). The tests check the files' metadata there, not their
// rows.
const readsRows = runtime.GOARCH != "arm"

// readParquet opens a Parquet file and returns its rows, column name →
// value (nil for a null); no rows if !readsRows.
func readParquet(t *testing.T, body []byte) (*parquet.File, []map[string]any) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	if !readsRows {
		t.Log("rows not read back: parquet-go's reader faults on 32-bit ARM")
		return f, nil
	}
	names := f.Schema().Columns()
	var out []map[string]any
	buf := make([]parquet.Row, 64)
	for _, rg := range f.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				m := map[string]any{}
				for _, v := range row {
					m[strings.Join(names[v.Column()], ".")] = goValue(v)
				}
				out = append(out, m)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
	}
	return f, out
}

func goValue(v parquet.Value) any {
	if v.IsNull() {
		return nil
	}
	switch v.Kind() {
	case parquet.Boolean:
		return v.Boolean()
	case parquet.Int32:
		return v.Int32()
	case parquet.Int64:
		return v.Int64()
	case parquet.Float:
		return v.Float()
	case parquet.Double:
		return v.Double()
	}
	return string(v.ByteArray())
}

func checkRows(t *testing.T, got []map[string]any, want []map[string]any) {
	t.Helper()
	if !readsRows {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
			t.Errorf("row %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
}

// A declared schema: values convert to their column's type; records that
// do not fit go to the error prefix, naming the field, the value's type
// and the column; the rest are written, in order, in declared column
// order, with zstd pages.
func TestS3ParquetDeclaredSchema(t *testing.T) {
	client := startS3(t)
	schema := &Schema{Columns: []Column{
		{Name: "device", Type: TypeString, Required: true},
		{Name: "t", Type: TypeTimestamp},
		{Name: "temp", Type: TypeDouble},
		{Name: "n", Type: TypeInt64},
		{Name: "n32", Path: "n", Type: TypeInt32},
		{Name: "ok", Type: TypeBoolean},
		{Name: "lat", Path: "gps.lat", Type: TypeFloat},
		{Name: "gps", Type: TypeJSON},
		{Name: "tags", Type: TypeJSON},
	}}
	sink := &S3Sink{Client: client, Bucket: "lake", Prefix: "data/", Format: FormatParquet, Compression: CompressionZstd,
		FormatOptions: FormatOptions{Schema: schema}}
	objs := deliverTo(t, client, sink,
		`{"device":"a","t":"2025-11-26T09:05:07.123Z","temp":21.5,"n":7,"ok":true,"gps":{"lat": 1.25, "lon":2},"tags":["x",{"y":null}]}`,
		`not json`,
		`{"device":"b","t":1764147907,"temp":"22","n":"8","ok":"false","gps":null,"extra":[1]}`,
		`{"device":"c","n":"abc"}`,
		`{"device":"d","n":9223372036854775808}`,
		`[1,2]`,
		`{"n":1}`,
		`{"device":null}`,
		`{"device":"e","n":3000000000}`,
		`{"device":"f","temp":1e400}`,
		`{"device":"g","t":"yesterday"}`,
		`{"device":"h","n":2.5}`,
		`{"device":"i","ok":1}`,
		`{"device":{"id":1}}`,
		`  {"device":"j","n":2e3,"t":1764147907123,"device":"k"} `,
	)
	data, refused := splitObjects(t, objs)
	checkRefused(t, refused, map[string]string{
		`not json`:                               `not JSON: invalid character 'o' in literal null (expecting 'u')`,
		`{"device":"c","n":"abc"}`:               `field "n": string "abc" does not fit (column "n" is int64)`,
		`{"device":"d","n":9223372036854775808}`: `field "n": number 9223372036854775808 overflows (column "n" is int64)`,
		`[1,2]`:                                  `not a JSON object but a JSON array`,
		`{"n":1}`:                                `field "device" is missing (column "device" is required)`,
		`{"device":null}`:                        `field "device" is null (column "device" is required)`,
		`{"device":"e","n":3000000000}`:          `field "n": number 3000000000 overflows (column "n32" is int32)`,
		`{"device":"f","temp":1e400}`:            `field "temp": number 1e400 overflows (column "temp" is double)`,
		`{"device":"g","t":"yesterday"}`:         `field "t": string "yesterday" is not an RFC 3339 time (column "t" is timestamp)`,
		`{"device":"h","n":2.5}`:                 `field "n": number 2.5 is not an integer (column "n" is int64)`,
		`{"device":"i","ok":1}`:                  `field "ok": number 1 does not fit (column "ok" is boolean)`,
		`{"device":{"id":1}}`:                    `field "device": object does not fit (declare it json) (column "device" is string)`,
	})
	if len(data) != 1 {
		t.Fatalf("%d data objects", len(data))
	}
	for key, body := range data {
		if !strings.HasSuffix(key, ".parquet") {
			t.Errorf("object name %s", key)
		}
		f, rows := readParquet(t, body)
		want := `message record {
	required binary device (STRING);
	optional int64 t (TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS));
	optional double temp;
	optional int64 n (INT(64,true));
	optional int32 n32 (INT(32,true));
	optional boolean ok;
	optional float lat;
	optional binary gps (STRING);
	optional binary tags (STRING);
}`
		if got := f.Schema().String(); got != want {
			t.Errorf("schema:\n%s\nwant\n%s", got, want)
		}
		checkRows(t, rows, []map[string]any{
			{"device": "a", "t": int64(1764147907123), "temp": 21.5, "n": int64(7), "n32": int32(7), "ok": true, "lat": float32(1.25), "gps": `{"lat":1.25,"lon":2}`, "tags": `["x",{"y":null}]`},
			{"device": "b", "t": int64(1764147907000), "temp": 22.0, "n": int64(8), "n32": int32(8), "ok": false, "lat": nil, "gps": nil, "tags": nil},
			{"device": "k", "t": int64(1764147907123), "temp": nil, "n": int64(2000), "n32": int32(2000), "ok": nil, "lat": nil, "gps": nil, "tags": nil},
		})
		for _, rg := range f.Metadata().RowGroups {
			for _, c := range rg.Columns {
				if c.MetaData.Codec != format.Zstd {
					t.Errorf("column %v: codec %v", c.MetaData.PathInSchema, c.MetaData.Codec)
				}
			}
		}
	}
}

// Without a schema, the first record that is a JSON object gives the
// columns: its keys in order, typed by their values. Later keys are
// ignored; a value that does not fit the inferred type is refused.
func TestS3ParquetInferredSchema(t *testing.T) {
	client := startS3(t)
	sink := &S3Sink{Client: client, Bucket: "lake", Prefix: "data/", Format: FormatParquet, Compression: CompressionSnappy}
	objs := deliverTo(t, client, sink,
		`"first"`,
		`{}`,
		`{"id":"a","n":1,"x":1.5,"b":true,"o":{"k":1},"z":null,"a.b":[1],"":1,"n":-3}`,
		`{"id":"b","n":2.0,"x":2,"b":false,"o":[1],"z":"s","extra":1,"a":{"b":2}}`,
		`{"id":"c","n":2.5}`,
		`{"id":"d","n":"x"}`,
		`{"x":"-1.5e2","a.b":"text"}`,
	)
	data, refused := splitObjects(t, objs)
	checkRefused(t, refused, map[string]string{
		`"first"`:            `not a JSON object but a JSON string`,
		`{}`:                 `an object without keys: no columns to infer a schema from`,
		`{"id":"c","n":2.5}`: `field "n": number 2.5 is not an integer (column "n" is int64)`,
		`{"id":"d","n":"x"}`: `field "n": string "x" does not fit (column "n" is int64)`,
	})
	for _, body := range data {
		f, rows := readParquet(t, body)
		want := `message record {
	optional binary id (STRING);
	optional int64 n (INT(64,true));
	optional double x;
	optional boolean b;
	optional binary o (STRING);
	optional binary z (STRING);
	optional binary a.b (STRING);
}`
		if got := f.Schema().String(); got != want {
			t.Errorf("schema:\n%s\nwant\n%s", got, want)
		}
		checkRows(t, rows, []map[string]any{
			{"id": "a", "n": int64(-3), "x": 1.5, "b": true, "o": `{"k":1}`, "z": nil, "a.b": `[1]`},
			{"id": "b", "n": int64(2), "x": 2.0, "b": false, "o": `[1]`, "z": "s", "a.b": nil},
			{"id": nil, "n": nil, "x": -150.0, "b": nil, "o": nil, "z": nil, "a.b": `"text"`},
		})
		if codec := f.Metadata().RowGroups[0].Columns[0].MetaData.Codec; codec != format.Snappy {
			t.Errorf("codec %v", codec)
		}
	}
	if len(data) != 1 {
		t.Fatalf("%d data objects", len(data))
	}
}

// A batch without a JSON object has no schema to infer: only its error
// records are written.
func TestS3ParquetNothingToInfer(t *testing.T) {
	client := startS3(t)
	sink := &S3Sink{Client: client, Bucket: "lake", Prefix: "data/", Format: FormatParquet}
	data, refused := splitObjects(t, deliverTo(t, client, sink, `1`, `x`))
	if len(data) != 0 || len(refused) != 2 {
		t.Errorf("%d data objects, %d refused records", len(data), len(refused))
	}
}

// cachedBatch is a batch of records held in memory, as one just cut.
func cachedBatch(data [][]byte) *Batch {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	recs := make([]spool.StoredRecord, len(data))
	for i, d := range data {
		recs[i] = spool.StoredRecord{Seq: spool.SeqNum{Counter: uint64(i + 1)}, PartitionKey: "a", Data: d, Arrival: at}
	}
	return &Batch{Delivery: "d", Stream: "s", ShardID: "shardId-000000000000", First: recs[0].Seq, Last: recs[len(recs)-1].Seq,
		Records: len(recs), Oldest: at, cached: recs}
}

// A large batch is written in row groups of bounded size (and so bounded
// memory), uploaded in parts as they fill.
func TestS3ParquetRowGroupsAreBounded(t *testing.T) {
	const n = 100_000
	data := make([][]byte, n)
	for i := range data {
		data[i] = fmt.Appendf(nil, `{"device":"sensor-%04d","seq":%d,"temp":%d.25,"ok":%t,"note":"reading %08x of the day"}`, i%1000, i, i%40, i%3 == 0, uint32(i)*2654435761)
	}
	client := startS3(t)
	before := multipartUploads.Load()
	sink := &S3Sink{Client: client, Bucket: "lake", Format: FormatParquet, FormatOptions: FormatOptions{ParquetRowGroupBytes: 1 << 20}}
	if err := sink.Send(context.Background(), cachedBatch(data)); err != nil {
		t.Fatal(err)
	}
	objs := objects(t, client)
	if len(objs) != 1 {
		t.Fatalf("%d objects", len(objs))
	}
	for _, body := range objs {
		f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		if f.NumRows() != n {
			t.Errorf("%d rows", f.NumRows())
		}
		groups := f.Metadata().RowGroups
		if len(groups) < 5 {
			t.Errorf("%d row groups in %d bytes", len(groups), len(body))
		}
		for i, g := range groups {
			if g.TotalByteSize > 1<<20+64<<10 {
				t.Errorf("row group %d: %d bytes", i, g.TotalByteSize)
			}
		}
		if len(body) <= minPartSize || multipartUploads.Load() == before {
			t.Errorf("%d bytes went up without a multipart upload", len(body))
		}
		if !readsRows {
			continue
		}
		rows := f.RowGroups()[len(groups)-1].Rows()
		buf := make([]parquet.Row, 1)
		rows.SeekToRow(groups[len(groups)-1].NumRows - 1)
		if _, err := rows.ReadRows(buf); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		rows.Close()
		last := map[string]any{}
		for _, v := range buf[0] {
			last[f.Schema().Columns()[v.Column()][0]] = goValue(v)
		}
		if last["seq"] != int64(n-1) || last["device"] != "sensor-0999" || last["temp"] != 39.25 || last["ok"] != ((n-1)%3 == 0) {
			t.Errorf("last row %v", last)
		}
	}
}

// Parquet encoding rate of 100-byte JSON records (make bench).
func BenchmarkParquetEncode(b *testing.B) {
	recs := make([][]byte, 1024)
	for i := range recs {
		recs[i] = fmt.Appendf(nil, `{"device":"sensor-%04d","ts":"2026-11-26T09:%02d:%02d.%03dZ","temp":%.3f,"hum":%d,"ok":%t,"seq":%d}`,
			i%100, i/60%60, i%60, i*7%1000, 15+float64(i%200)/16, 30+i%50, i%5 != 0, 100000+i)
	}
	declared := &Schema{Columns: []Column{{Name: "device"}, {Name: "ts", Type: TypeTimestamp}, {Name: "temp", Type: TypeDouble},
		{Name: "hum", Type: TypeInt32}, {Name: "ok", Type: TypeBoolean}, {Name: "seq", Type: TypeInt64}}}
	for _, c := range []struct {
		name   string
		comp   Compression
		schema *Schema
	}{{"inferred/none", CompressionNone, nil}, {"inferred/snappy", CompressionSnappy, nil}, {"declared/zstd", CompressionZstd, declared}} {
		b.Run(c.name, func(b *testing.B) {
			var out countingWriter
			enc, err := newEncoder(&out, FormatParquet, c.comp, FormatOptions{Schema: c.schema})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(recs[0])))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := enc.write(spool.StoredRecord{Data: recs[i%len(recs)]}); err != nil {
					b.Fatal(err)
				}
				i++
			}
			if err := enc.close(); err != nil || len(enc.rejected) > 0 {
				b.Fatal(err, enc.rejected)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			// The records repeat every 1024: compressed sizes flatter.
			b.ReportMetric(float64(out)/float64(b.N), "out-B/record")
		})
	}
}

type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}
