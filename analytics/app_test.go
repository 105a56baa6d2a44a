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
