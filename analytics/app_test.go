package analytics

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
)

// counting is a query that numbers the records it sees, in its state,
// and emits every even-numbered one with its number: if the state and
// the checkpoints were not committed together, a restart would repeat or
// skip numbers.
type counting struct{ n uint64 }

func (q *counting) Process(ev Event) ([]Output, error) {
	if !strings.HasPrefix(string(ev.Record.Data), "k") {
		return nil, fmt.Errorf("not a test record")
	}
	q.n++
	if q.n%2 == 0 {
		return []Output{{Key: "all", Data: fmt.Appendf(nil, `{"n":%d,"rec":%q}`, q.n, ev.Record.Data), Topic: fmt.Sprintf("alerts/%d", q.n)}}, nil
	}
	return nil, nil
}
func (q *counting) Advance(time.Time) []Output { return nil }
func (q *counting) Snapshot() ([]byte, error)  { return binary.BigEndian.AppendUint64(nil, q.n), nil }
func (q *counting) Restore(b []byte) error {
	if len(b) != 8 {
		return fmt.Errorf("state of %d bytes", len(b))
	}
	q.n = binary.BigEndian.Uint64(b)
	return nil
}
func (q *counting) Late() int64      { return 0 }
func (q *counting) StateSize() int   { return 1 }
func (q *counting) LimitHits() int64 { return 0 }

type published struct{ topics []string }

func (p *published) Publish(topic string, _ []byte, _ bool, _ byte) error {
	p.topics = append(p.topics, topic)
	return nil
}

func readAll(t *testing.T, sp *spool.Spool, stream string) []string {
	t.Helper()
	info, err := sp.DescribeStream(stream)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sh := range info.Shards {
		cur, _ := sp.Seek(stream, sh.ID, spool.StartPosition{Type: spool.TrimHorizon})
		for {
			res, err := sp.Read(cur, spool.ReadLimits{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Records {
				out = append(out, string(r.Data))
			}
			if len(res.Records) == 0 {
				break
			}
			cur = res.Next
		}
	}
	return out
}

// Stopped and started again and again while records arrive, an app's
// outputs are exactly those of one uninterrupted run: every number once,
// none missing (outputs, checkpoint and state commit together).
func TestAppExactlyOnceAcrossRestarts(t *testing.T) {
	sp := openSpool(t)
	sp.CreateStream(spool.StreamConfig{Name: "in", Shards: 1})
	sp.CreateStream(spool.StreamConfig{Name: "out", Shards: 1})
	pub := &published{}
	total := 0
	for round := range 6 {
		app, err := NewApp(sp, AppConfig{Name: "count", Sources: []string{"in"}, Output: "out", From: spool.StartPosition{Type: spool.TrimHorizon},
			Query: &counting{}, MQTT: pub, Tick: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		put(t, sp, "in", total, total+700)
		total += 700
		if round%2 == 0 || round == 5 {
			sp.Append(context.Background(), "in", []spool.Record{{PartitionKey: "x", Data: []byte("garbage")}}) // an error, not a stop
		}
		if round < 5 {
			// stop part way (sometimes before anything)
			if round%3 == 1 {
				mqtttest.Eventually(t, 5*time.Second, "some processed", func() bool { return app.Status().RecordsIn > 0 })
			}
			app.Close()
			continue
		}
		mqtttest.Eventually(t, 10*time.Second, "all processed", func() bool {
			return len(readAll(t, sp, "out")) == total/2
		})
		if s := app.Status(); s.State != "running" || s.Errors == 0 || s.LastError == "" {
			t.Errorf("status %+v", s)
		}
		app.Close()
	}
	outs := readAll(t, sp, "out")
	for i, o := range outs {
		if want := fmt.Sprintf(`{"n":%d,`, 2*(i+1)); !strings.HasPrefix(o, want) {
			t.Fatalf("output %d is %s, want %s…: repeated or skipped numbers", i, o, want)
		}
	}
	if len(outs) != total/2 {
		t.Fatalf("%d outputs, want %d", len(outs), total/2)
	}
	if len(pub.topics) != total/2 || pub.topics[0] != "alerts/2" {
		t.Errorf("%d published, first %v", len(pub.topics), pub.topics[:1])
	}
}

// A join of two streams with LATE INTO, stopped and started while records
// arrive: every order is joined with its payment exactly once, and every
// late payment is in the late stream exactly once (pairs, held records,
// late records and checkpoints commit together, across three streams).
func TestAppStreamJoinAcrossRestarts(t *testing.T) {
	sp := openSpool(t)
	for _, s := range []string{"orders", "payments", "paid", "late_payments"} {
		if err := sp.CreateStream(spool.StreamConfig{Name: s, Shards: 2}); err != nil {
			t.Fatal(err)
		}
	}
	const src = `INSERT INTO paid SELECT o.id, p.amount FROM orders AS o EVENT TIME o.ts WITH LATENESS 1h LATE INTO late_payments
		JOIN payments AS p EVENT TIME p.ts ON o.id = p.order WITHIN 1m`
	p, err := Compile(src, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	ts := func(sec int) string { return base.Add(time.Duration(sec) * time.Second).Format(time.RFC3339) }
	total, lates := 0, 0
	for round := range 5 {
		q, err := p.NewQuery()
		if err != nil {
			t.Fatal(err)
		}
		app, err := NewApp(sp, AppConfig{Name: "join", Sources: p.Sources(), Output: "paid", From: spool.StartPosition{Type: spool.TrimHorizon}, Query: q, Tick: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		var orders, payments []spool.Record
		for i := total; i < total+300; i++ {
			id := fmt.Sprintf("o%d", i)
			orders = append(orders, spool.Record{PartitionKey: id, Data: fmt.Appendf(nil, `{"id":%q,"ts":%q}`, id, ts(i))})
			payments = append(payments, spool.Record{PartitionKey: id, Data: fmt.Appendf(nil, `{"order":%q,"amount":%d,"ts":%q}`, id, i, ts(i+5))})
			if i%30 == 29 {
				payments = append(payments, spool.Record{PartitionKey: id, Data: fmt.Appendf(nil, `{"order":%q,"amount":-1,"ts":%q}`, id, ts(i-3*3600))})
				lates++
			}
		}
		for _, b := range []struct {
			s string
			r []spool.Record
		}{{"orders", orders}, {"payments", payments}} {
			if _, err := sp.Append(context.Background(), b.s, b.r); err != nil {
				t.Fatal(err)
			}
		}
		total += 300
		if round < 4 {
			if round%2 == 1 {
				mqtttest.Eventually(t, 5*time.Second, "some processed", func() bool { return app.Status().RecordsIn > 0 })
			}
			app.Close()
			continue
		}
		// (late records are counted in the query's state, across restarts;
		// the status follows each commit a moment after it is readable)
		mqtttest.Eventually(t, 10*time.Second, "all joined", func() bool {
			return len(readAll(t, sp, "paid")) == total && len(readAll(t, sp, "late_payments")) == lates && app.Status().Late == int64(lates)
		})
		if s := app.Status(); s.Errors != 0 {
			t.Errorf("status %+v", s)
		}
		app.Close()
	}
	seen := map[string]bool{}
	for _, o := range readAll(t, sp, "paid") {
		var id string
		var amount int
		if _, err := fmt.Sscanf(o, `{"id":%q,"amount":%d}`, &id, &amount); err != nil || id != fmt.Sprintf("o%d", amount) {
			t.Fatalf("output %s: %v", o, err)
		}
		if seen[id] {
			t.Fatalf("%s joined twice", id)
		}
		seen[id] = true
	}
	lateSeen := map[string]bool{}
	for _, o := range readAll(t, sp, "late_payments") {
		if !strings.Contains(o, `"amount":-1`) || lateSeen[o] {
			t.Fatalf("late stream holds %s (twice: %v)", o, lateSeen[o])
		}
		lateSeen[o] = true
	}
}
