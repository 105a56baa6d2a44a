package uplink

import (
	"fmt"
	"strings"
	"testing"
)

func TestSchemaValidate(t *testing.T) {
	many := &Schema{}
	for i := range maxColumns + 1 {
		many.Columns = append(many.Columns, Column{Name: fmt.Sprint("c", i)})
	}
	for _, c := range []struct {
		schema *Schema
		want   string
	}{
		{&Schema{Columns: []Column{{Name: "a"}, {Name: "b", Path: "x.y", Type: TypeInt64, Required: true}}}, ""},
		{&Schema{}, "no columns"},
		{many, "1001 columns; at most 1000"},
		{&Schema{Columns: []Column{{Name: "a"}, {Path: "b"}}}, "column 2: no name"},
		{&Schema{Columns: []Column{{Name: "a"}, {Name: "a", Path: "b"}}}, `column "a": duplicate name`},
		{&Schema{Columns: []Column{{Name: "a", Type: "integer"}}}, `column "a": unknown type "integer" (one of string, int64, int32, double, float, boolean, timestamp, json)`},
		{&Schema{Columns: []Column{{Name: "a", Path: "x..y"}}}, `column "a": path "x..y" has an empty key`},
		{&Schema{Columns: []Column{{Name: "a."}}}, `column "a.": path "a." has an empty key`},
	} {
		err := c.schema.Validate()
		if got := fmt.Sprint(err); (err == nil) != (c.want == "") || err != nil && got != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

func TestFormatOptionsValidate(t *testing.T) {
	schema := &Schema{Columns: []Column{{Name: "a"}}}
	for _, c := range []struct {
		f    Format
		o    FormatOptions
		want string
	}{
		{FormatParquet, FormatOptions{Schema: schema, ParquetRowGroupBytes: 16 << 20}, ""},
		{FormatCSV, FormatOptions{Schema: schema, CSVOmitHeader: true}, ""},
		{FormatJSONL, FormatOptions{}, ""},
		{FormatJSONL, FormatOptions{Schema: schema}, `a schema applies to the csv and parquet formats only, not "jsonl"`},
		{FormatParquet, FormatOptions{CSVOmitHeader: true}, `omitting the header applies to the csv format only, not "parquet"`},
		{FormatCSV, FormatOptions{ParquetRowGroupBytes: 8 << 20}, `the row group size applies to the parquet format only, not "csv"`},
		{FormatParquet, FormatOptions{ParquetRowGroupBytes: 1000}, "parquet row group size 1000: must be 1 to 128 MiB"},
		{FormatParquet, FormatOptions{Schema: &Schema{}}, "schema: no columns"},
	} {
		err := c.o.Validate(c.f)
		if got := fmt.Sprint(err); (err == nil) != (c.want == "") || err != nil && got != c.want {
			t.Errorf("%s %+v: got %v, want %q", c.f, c.o, err, c.want)
		}
	}
	if _, err := newEncoder(nil, FormatParquet, CompressionNone, FormatOptions{Schema: &Schema{}}); err == nil || !strings.Contains(err.Error(), "parquet schema: no columns") {
		t.Errorf("newEncoder with an invalid schema: %v", err)
	}
}

func TestExtensions(t *testing.T) {
	for _, c := range []struct {
		f    Format
		c    Compression
		want string
	}{{FormatCSV, CompressionNone, ".csv"}, {FormatCSV, CompressionZstd, ".csv.zst"}, {FormatParquet, CompressionGzip, ".parquet"}, {FormatParquet, CompressionNone, ".parquet"}, {FormatJSONL, CompressionGzip, ".jsonl.gz"}} {
		if got := Extension(c.f, c.c); got != c.want {
			t.Errorf("%s/%s: %q, want %q", c.f, c.c, got, c.want)
		}
	}
}
