package uplink

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tributary-edge/tributary/spool"
)

// The in-place scanner reads the same members as encoding/json: for every
// valid JSON object, each top-level key's last value, compacted.
func FuzzJSONMembers(f *testing.F) {
	for _, s := range []string{`{}`, ` { "a" : 1 , "b":[1,{"c":"}]"}], "a":"x\"y\\"} `, `{"\u0061":{"b":null},"":true,"é":-1.5e3}`,
		`{"a":"\\","b":[[],{}],"c":{"d":{"e":[]}}}`, `[1]`, `"s"`, `{"a":tru}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, reason := jsonObject(data)
		var want map[string]json.RawMessage
		if err := json.Unmarshal(data, &want); err != nil || bytes.HasPrefix(trimSpace(data), []byte("null")) {
			if reason == "" {
				t.Fatalf("%q taken as an object", data)
			}
			return
		}
		if reason != "" {
			t.Fatalf("%q refused: %s", data, reason)
		}
		got := map[string][]byte{}
		m := members{b: obj}
		for m.next() {
			got[string(unquote(m.key, nil))] = m.val
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d members, encoding/json has %d", data, len(got), len(want))
		}
		for k, v := range want {
			var a, b bytes.Buffer
			json.Compact(&a, v)
			json.Compact(&b, got[k])
			if a.String() != b.String() {
				t.Fatalf("%q: member %q is %q, encoding/json says %q", data, k, b.String(), a.String())
			}
			p := newPicker([]field{{path: []string{k}}})
			p.pick(obj)
			if !bytes.Equal(p.vals[0], got[k]) {
				t.Fatalf("%q: picked %q for %q, want %q", data, p.vals[0], k, got[k])
			}
		}
	})
}

// Any record is either written or refused by the csv and parquet
// encoders, whatever the schema; none fails the batch.
func FuzzTabularRecords(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":{"c":"2026-11-26T09:05:07Z"},"d":[1]}`, `{"a":"1e2","b":{"c":1.5e12},"d":"true"}`,
		`{"a":-9223372036854775809,"b":{"c":"x"},"d":null}`, `{"a":1e400}`, `[]`, `nul`, `{"\u00e9":"\ud800"}`} {
		f.Add([]byte(s))
	}
	var cols []Column
	for _, typ := range columnTypes {
		cols = append(cols, Column{Name: "a_" + string(typ), Path: "a", Type: typ}, Column{Name: "c_" + string(typ), Path: "b.c", Type: typ},
			Column{Name: "d_" + string(typ), Path: "d", Type: typ})
	}
	declared := &Schema{Columns: cols}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{FormatCSV, FormatParquet} {
			for _, schema := range []*Schema{declared, nil} {
				var out bytes.Buffer
				enc, err := newEncoder(&out, format, CompressionNone, FormatOptions{Schema: schema})
				if err != nil {
					t.Fatal(err)
				}
				for range 2 {
					if err := enc.write(spool.StoredRecord{Data: data}); err != nil {
						t.Fatalf("%s: %v", format, err)
					}
				}
				if err := enc.close(); err != nil {
					t.Fatalf("%s: %v", format, err)
				}
			}
		}
	})
}
