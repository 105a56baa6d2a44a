package uplink

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/tributary-edge/tributary/spool"
)

func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%q: %v", body, err)
	}
	return rows
}

// Without a schema, the columns are the first object's top-level keys, in
// order, under a header row; values are written as the format says, quoted
// per RFC 4180; records that are not objects go to the error prefix.
func TestS3CSVInferredColumns(t *testing.T) {
	client := startS3(t)
	sink := &S3Sink{Client: client, Bucket: "lake", Prefix: "data/", Format: FormatCSV, Compression: CompressionGzip}
	objs := deliverTo(t, client, sink,
		`not json`,
		`{"temp":21.5,"id":"a,b","gps":{"lat": 1},"ok":true,"note":"say \"hi\"\nbye"}`,
		`"a string"`,
		`{"id":"x","temp":null,"extra":1}`,
		`{"temp":1e3,"ok":false,"gps":[1, 2],"note":"\u00e9t\u00e9"}`,
	)
	data, refused := splitObjects(t, objs)
	checkRefused(t, refused, map[string]string{
		`not json`:   `not JSON: invalid character 'o' in literal null (expecting 'u')`,
		`"a string"`: `not a JSON object but a JSON string`,
	})
	if len(data) != 1 {
		t.Fatalf("%d data objects", len(data))
	}
	for key, body := range data {
		if !strings.HasSuffix(key, ".csv.gz") {
			t.Errorf("object name %s", key)
		}
		got := readCSV(t, decompress(t, CompressionGzip, body))
		want := [][]string{
			{"temp", "id", "gps", "ok", "note"},
			{"21.5", "a,b", `{"lat":1}`, "true", "say \"hi\"\nbye"},
			{"", "x", "", "", ""},
			{"1e3", "", "[1,2]", "false", "été"},
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Errorf("rows\n got %q\nwant %q", got, want)
		}
	}
}

// Declared columns take nested paths in the declared order; a required
// field that is missing refuses the record; the header can be left out.
func TestS3CSVDeclaredColumns(t *testing.T) {
	client := startS3(t)
	schema := &Schema{Columns: []Column{{Name: "id", Required: true}, {Name: "lat", Path: "gps.lat"}, {Name: "gps"}, {Name: "temp", Type: TypeDouble}}}
	sink := &S3Sink{Client: client, Bucket: "lake", Prefix: "data/", Format: FormatCSV,
		FormatOptions: FormatOptions{Schema: schema, CSVOmitHeader: true}}
	objs := deliverTo(t, client, sink,
		`{"temp":1,"id":"a","gps":{"lat":47.5,"lon":8}}`,
		`{"temp":2,"gps":{"lat":1}}`,
		`{"id":"b","gps":{"lon":8},"temp":"warm"}`,
		`{"id":"c","gps":"nowhere"}`,
	)
	data, refused := splitObjects(t, objs)
	checkRefused(t, refused, map[string]string{
		`{"temp":2,"gps":{"lat":1}}`: `field "id" is missing (column "id" is required)`,
	})
	for _, body := range data {
		got := readCSV(t, body)
		want := [][]string{
			{"a", "47.5", `{"lat":47.5,"lon":8}`, "1"},
			{"b", "", `{"lon":8}`, "warm"},
			{"c", "", "nowhere", ""},
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Errorf("rows\n got %q\nwant %q", got, want)
		}
	}
}

// With a declared schema and a header, a batch whose records are all
// refused is a header alone; without a schema, it is empty.
func TestCSVHeaderOnly(t *testing.T) {
	for _, c := range []struct {
		schema *Schema
		want   string
	}{{&Schema{Columns: []Column{{Name: "a"}, {Name: "b,c"}}}, "a,\"b,c\"\n"}, {nil, ""}} {
		var out bytes.Buffer
		enc, err := newEncoder(&out, FormatCSV, CompressionNone, FormatOptions{Schema: c.schema})
		if err != nil {
			t.Fatal(err)
		}
		enc.write(spool.StoredRecord{Data: []byte("[]")})
		if err := enc.close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != c.want || len(enc.rejected) != 1 {
			t.Errorf("%q, %d refused; want %q", out.String(), len(enc.rejected), c.want)
		}
	}
}
