package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/spool"
)

// feed runs records through a fresh query of src and returns the outputs
// (and the per-record errors).
func feed(t *testing.T, src string, recs ...string) ([]Output, []error) {
	t.Helper()
	p, err := Compile(src, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, Caret(err, src))
	}
	q, err := p.NewQuery()
	if err != nil {
		t.Fatal(err)
	}
	var outs []Output
	var errs []error
	at := time.Unix(1_800_000_000, 0)
	for i, r := range recs {
		o, err := q.Process(Event{Stream: p.Source, Record: spool.StoredRecord{PartitionKey: "k", Data: []byte(r)}, Arrival: at.Add(time.Duration(i) * time.Millisecond)})
		outs = append(outs, o...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return outs, errs
}

func datas(outs []Output) []string {
	var s []string
	for _, o := range outs {
		s = append(s, string(o.Data))
	}
	return s
}

// Use case 2, telemetry roll-up: per-device 1-minute average, min and max.
func TestUseCaseRollup(t *testing.T) {
	const src = `INSERT INTO telemetry_1m
SELECT device, AVG(temp) AS avg_temp, MIN(temp) AS min_temp, MAX(temp) AS max_temp, WINDOW_START() AS minute
FROM telemetry EVENT TIME ts
GROUP BY device, TUMBLING(INTERVAL '1' MINUTE)`
	base := int64(1_800_000_000_000) // a minute boundary (1,800,000,000 s is divisible by 60)
	outs, errs := feed(t, src,
		fmt.Sprintf(`{"device":"a","temp":20,"ts":%d}`, base+1000),
		fmt.Sprintf(`{"device":"a","temp":22.5,"ts":%d}`, base+30_000),
		fmt.Sprintf(`{"device":"b","temp":5,"ts":%d}`, base+59_999),
		fmt.Sprintf(`{"device":"a","temp":30,"ts":%d}`, base+60_000), // the next minute: closes the first
		`not json`,
	)
	want := []string{
		fmt.Sprintf(`{"device":"a","avg_temp":21.25,"min_temp":20,"max_temp":22.5,"minute":%d}`, base),
		fmt.Sprintf(`{"device":"b","avg_temp":5,"min_temp":5,"max_temp":5,"minute":%d}`, base),
	}
	if got := datas(outs); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "not a JSON object") {
		t.Errorf("errors %v", errs)
	}
}

// Use case 3, anomaly: above a threshold, or a jump of more than 5
// degrees from the device's previous reading, to alerts/{device}.
func TestUseCaseAnomaly(t *testing.T) {
	const src = `SELECT device, temp, LAG(temp) OVER (PARTITION BY device) AS prev
FROM telemetry
WHERE temp > 40 OR ABS(temp - LAG(temp) OVER (PARTITION BY device)) > 5
EMIT TO MQTT 'alerts/{device}'`
	outs, _ := feed(t, src,
		`{"device":"a","temp":20}`,
		`{"device":"b","temp":21}`,
		`{"device":"a","temp":24}`,    // +4: no
		`{"device":"a","temp":30}`,    // +6: alert
		`{"device":"b","temp":41}`,    // over 40 (and +20)
		`{"device":"b","temp":"hot"}`, // a type error in one row: NULL, no alert
		`{"device":"b","temp":40}`,    // -1 from "hot"? previous is "hot": NULL arithmetic, no alert
	)
	var got []string
	for _, o := range outs {
		got = append(got, o.Topic+" "+string(o.Data))
	}
	want := []string{
		`alerts/a {"device":"a","temp":30,"prev":24}`,
		`alerts/b {"device":"b","temp":41,"prev":21}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Use case 1, fraud: a card with at least 3 transactions over 1,000 from
// at least 2 distinct locations within 60 seconds.
func TestUseCaseFraud(t *testing.T) {
	const src = `INSERT INTO alerts
SELECT card_id, COUNT(*) AS n, COUNT(DISTINCT location) AS locations
FROM transactions EVENT TIME ts
WHERE amount > 1000
GROUP BY card_id, SLIDING(INTERVAL '60' SECOND)
HAVING COUNT(*) >= 3 AND COUNT(DISTINCT location) >= 2`
	base := int64(1_800_000_000_000)
	tx := func(card string, amount int, loc string, sec int64) string {
		return fmt.Sprintf(`{"card_id":%q,"amount":%d,"location":%q,"ts":%d}`, card, amount, loc, base+sec*1000)
	}
	outs, errs := feed(t, src,
		tx("c1", 1500, "paris", 0),
		tx("c1", 2000, "paris", 10),
		tx("c2", 5000, "rome", 11),
		tx("c1", 500, "lyon", 12),  // not over 1000
		tx("c1", 1200, "lyon", 20), // third over 1000, second location: alert
		tx("c2", 5000, "rome", 30),
		tx("c2", 5000, "rome", 40), // three, one location: no
		tx("c3", 2000, "a", 45),
		tx("c3", 2000, "b", 115), // 70 s apart: not within 60 s
		tx("c3", 2000, "c", 185),
		tx("zz", 1, "x", 400), // moves time on, closing what is open
	)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	var cards []string
	for _, o := range outs {
		var m map[string]any
		json.Unmarshal(o.Data, &m)
		cards = append(cards, fmt.Sprint(m["card_id"], " n=", m["n"], " locations=", m["locations"]))
	}
	if len(cards) == 0 || cards[0] != "c1 n=3 locations=2" {
		t.Fatalf("alerts %v, want c1 with 3 transactions from 2 locations first", cards)
	}
	for _, c := range cards {
		if strings.HasPrefix(c, "c2") || strings.HasPrefix(c, "c3") {
			t.Errorf("false alert %s", c)
		}
	}
}

// Bad queries are refused at creation, with a position and a caret.
func TestPlanErrors(t *testing.T) {
	streams := func(s string) bool { return s == "telemetry" }
	for _, c := range []struct{ src, want string }{
		{`SELECT a FROM nope`, "line 1, column 15: stream nope does not exist"},
		{`SELECT lowr(a) FROM telemetry`, "unknown function lowr (did you mean lower?)"},
		{`SELECT lower(a, b) FROM telemetry`, "lower takes 1 argument, not 2"},
		{`SELECT temp FROM telemetry GROUP BY device, TUMBLING(INTERVAL '1' MINUTE)`, "temp is neither a GROUP BY key nor inside an aggregate"},
		{`SELECT * FROM telemetry GROUP BY device, TUMBLING(INTERVAL '1' MINUTE)`, "SELECT * is not allowed with GROUP BY"},
		{`SELECT LAG(t, 2) FROM telemetry`, "LAG's offset must be 1"},
		{`SELECT WINDOW_START() FROM telemetry`, "WINDOW_START() is only allowed"},
		{`SELECT APPROX_PERCENTILE(t, 2) FROM telemetry GROUP BY TUMBLING(INTERVAL '1' MINUTE)`, "the quantile must be a number from 0 to 1"},
		{`SELECT a FROM telemetry WHRE a > 1`, "WHRE"},
		{`SELECT COUNT(*) FROM telemetry GROUP BY SESSION(30s, 10m)`, "SESSION's maximum duration is not supported yet"},
	} {
		_, err := Compile(c.src, streams)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant …%s…", c.src, err, c.want)
			continue
		}
		if caret := Caret(err, c.src); !strings.Contains(caret, "^") {
			t.Errorf("%s: no caret for %v", c.src, err)
		}
	}
}

// An app from SQL: the anomaly query over a stream, alerts published as
// the records arrive.
func TestAppFromSQL(t *testing.T) {
	sp := openSpool(t)
	sp.CreateStream(spool.StreamConfig{Name: "telemetry", Shards: 2})
	p, err := Compile(`SELECT device, temp FROM telemetry WHERE temp > 40 EMIT TO MQTT 'alerts/{device}'`, func(s string) bool { _, err := sp.DescribeStream(s); return err == nil })
	if err != nil {
		t.Fatal(err)
	}
	q, _ := p.NewQuery()
	pub := &published{}
	app, err := NewApp(sp, AppConfig{Name: "anomaly", Sources: []string{p.Source}, Query: q, MQTT: pub, Tick: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	mqtttest.Eventually(t, 5*time.Second, "the app reading", func() bool { return app.in.Readers() == 2 })
	for i, temp := range []int{20, 45, 30, 50} {
		sp.Append(context.Background(), "telemetry", []spool.Record{{PartitionKey: fmt.Sprint("dev", i), Data: fmt.Appendf(nil, `{"device":"dev%d","temp":%d}`, i, temp)}})
	}
	mqtttest.Eventually(t, 5*time.Second, "two alerts", func() bool { return app.Status().Published == 2 })
	if got := strings.Join(pub.topics, ","); got != "alerts/dev1,alerts/dev3" && got != "alerts/dev3,alerts/dev1" {
		t.Errorf("published %s", got)
	}
}
