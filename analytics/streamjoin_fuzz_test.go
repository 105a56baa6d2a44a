package analytics

import (
	"testing"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// FuzzRestoreJoin: a join query's snapshot decoder refuses what it did not
// write, never panics, and what it accepts snapshots back the same.
func FuzzRestoreJoin(f *testing.F) {
	p, err := Compile(`SELECT o.id, p.amount FROM s AS o LEFT JOIN payments AS p ON o.id = p.order WITHIN 10s`, nil)
	if err != nil {
		f.Fatal(err)
	}
	q, _ := p.NewQuery()
	for i, r := range []struct{ stream, data string }{{"s", `{"id":"A"}`}, {"payments", `{"order":"A","amount":1}`}, {"s", `{"id":"B"}`}} {
		q.Process(Event{Stream: r.stream, Record: spool.StoredRecord{PartitionKey: "k", Data: []byte(r.data)}, Arrival: time.UnixMilli(int64(1000 * i))})
	}
	snap, err := q.Snapshot()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(snap)
	empty, _ := p.NewQuery()
	s0, _ := empty.Snapshot()
	f.Add(s0)
	f.Fuzz(func(t *testing.T, b []byte) {
		q, _ := p.NewQuery()
		if err := q.Restore(b); err != nil {
			return
		}
		again, err := q.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		q2, _ := p.NewQuery()
		if err := q2.Restore(again); err != nil {
			t.Fatalf("a snapshot of a restored query does not restore: %v", err)
		}
	})
}
