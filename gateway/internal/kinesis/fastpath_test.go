package kinesis

import (
	"reflect"
	"testing"

	"github.com/tributary-edge/tributary/spool"
)

// fullPutRecords decodes a PutRecords body the full way (generic tree,
// types, constraints); ok is false when it answers with an error.
func fullPutRecords(body []byte) (map[string]any, []spool.Record, bool) {
	in, err := decodeBody(body, false)
	if err != nil {
		return nil, nil, false
	}
	if in, err = normalize(in, schemas["PutRecords"]); err != nil || validate(in, schemas["PutRecords"]) != nil {
		return nil, nil, false
	}
	var recs []spool.Record
	for _, r := range in["Records"].([]any) {
		m := r.(map[string]any)
		rec := spool.Record{PartitionKey: m["PartitionKey"].(string), Data: m["Data"].([]byte)}
		rec.ExplicitHashKey, _ = m["ExplicitHashKey"].(string)
		recs = append(recs, rec)
	}
	delete(in, "Records")
	return in, recs, true
}

// FuzzPutRecordsFastPath: whatever the fast path accepts, the full path
// accepts with the same records; the fast path never takes a request the
// full path would refuse.
func FuzzPutRecordsFastPath(f *testing.F) {
	for _, s := range []string{
		`{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":"a"}]}`,
		`{"StreamName":"s","Records":[{"Data":"","PartitionKey":"日本","ExplicitHashKey":"0"}],"Extra":1}`,
		`{"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s","Records":[{"Data":"AA==","PartitionKey":"k"}]}`,
		`{"StreamName":"s","Records":[{"Data":"AA=","PartitionKey":"k"}]}`,
		`{"StreamName":"s","Records":[{"Data":"AA==","PartitionKey":""}]}`,
		`{"StreamName":"s","Records":[{"Data":"AA==","PartitionKey":"k","ExplicitHashKey":"01"}]}`,
		`{"StreamName":"s","Records":[null]}`,
		`{"StreamName":"s","Records":[{"Data":"AA==","PartitionKey":"k"}]}}`,
		`{"StreamName":"s","StreamName":"t","Records":[{"Data":"AA==","PartitionKey":"k"}]}`,
		`{"StreamName":"s","Records":[{"data":"AA==","partitionkey":"k"}]}`,
		`{"StreamName":"s","Records":[{"Data":"AA==","PartitionKey":"a"}],"Records":[{"Data":"AA=="}]}`,
		`{"StreamName":"s","Records":[{"Data":"AA==","PartitionKey":"a","PartitionKey":"b"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fin, frecs, fok := decodeFastPutRecords(body)
		if !fok {
			return
		}
		sin, srecs, sok := fullPutRecords(body)
		if !sok {
			t.Fatalf("fast path took a request the full path refuses: %q", body)
		}
		if !reflect.DeepEqual(fin, sin) || len(frecs) != len(srecs) {
			t.Fatalf("stream: fast %v full %v; %d vs %d records", fin, sin, len(frecs), len(srecs))
		}
		for i := range frecs {
			a, b := frecs[i], srecs[i]
			if a.PartitionKey != b.PartitionKey || a.ExplicitHashKey != b.ExplicitHashKey || string(a.Data) != string(b.Data) {
				t.Fatalf("record %d: fast %+v full %+v", i, a, b)
			}
		}
	})
}
