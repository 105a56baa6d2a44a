package analytics

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// The benchmarks (make bench): records/s per core of a query's
// Process over ~200-byte JSON records, and the memory of an idle app.
//
//	filter       SELECT * … WHERE temp > 90
//	projection   three functions per record
//	tumbling     1-minute averages over 10,000 devices
//	fraud        the sliding-window fraud query over 10,000 cards
//	stream-join  two streams joined within 10 s (about 10,000 records held)
func BenchmarkQuery(b *testing.B) {
	pad := strings.Repeat("x", 90)
	rec := func(i int) []byte {
		return fmt.Appendf(nil, `{"device":"dev-%05d","site":"shed-%d","temp":%d.%d,"ts":%d,"card_id":"c%d","amount":%d,"location":"l%d","pad":"%s"}`,
			i%10000, i%7, 20+i%80, i%10, 1_800_000_000_000+int64(i)*10, i%10000, 500+i%1500, i%5, pad)
	}
	for _, c := range []struct{ name, sql string }{
		{"filter", `SELECT * FROM t WHERE temp > 90`},
		{"projection", `SELECT upper(device) AS d, round(temp * 1.8 + 32, 1) AS f, concat(site, '/', device) AS path FROM t`},
		{"tumbling", `SELECT device, AVG(temp) AS a, MIN(temp) AS lo, MAX(temp) AS hi FROM t EVENT TIME ts GROUP BY device, TUMBLING(INTERVAL '1' MINUTE)`},
		{"fraud", `SELECT card_id, COUNT(*) AS n, COUNT(DISTINCT location) AS l FROM t EVENT TIME ts WHERE amount > 1000 GROUP BY card_id, SLIDING(INTERVAL '60' SECOND) HAVING COUNT(*) >= 3 AND COUNT(DISTINCT location) >= 2`},
	} {
		b.Run(c.name, func(b *testing.B) {
			p, err := Compile(c.sql, nil)
			if err != nil {
				b.Fatal(err)
			}
			q, _ := p.NewQuery()
			recs := make([][]byte, 4096)
			for i := range recs {
				recs[i] = rec(i)
			}
			at := time.Unix(1_800_000_000, 0)
			b.SetBytes(int64(len(recs[0])))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				q.Process(Event{Stream: "t", Record: spool.StoredRecord{PartitionKey: "k", Data: recs[i%len(recs)]}, Arrival: at})
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
	b.Run("stream-join", func(b *testing.B) {
		// orders and payments of 10,000 keys, alternating, joined within
		// 10 s; a second of records per 1,000 of them
		p, err := Compile(`SELECT o.device, p.amount FROM t AS o JOIN pay AS p ON o.device = p.device WITHIN 10s`, nil)
		if err != nil {
			b.Fatal(err)
		}
		q, _ := p.NewQuery()
		recs := make([][]byte, 4096)
		for i := range recs {
			recs[i] = rec(i)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			stream := "t"
			if i%2 == 1 {
				stream = "pay"
			}
			at := time.Unix(1_800_000_000, 0).Add(time.Duration(i) * time.Millisecond)
			q.Process(Event{Stream: stream, Record: spool.StoredRecord{PartitionKey: "k", Data: recs[(i/2)%len(recs)]}, Arrival: at})
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("idle-app", func(b *testing.B) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		qs := make([]Query, 100)
		for i := range qs {
			p, _ := Compile(`SELECT card_id, COUNT(*) AS n, COUNT(DISTINCT location) AS l FROM t EVENT TIME ts WHERE amount > 1000 GROUP BY card_id, SLIDING(INTERVAL '60' SECOND) HAVING COUNT(*) >= 3`, nil)
			qs[i], _ = p.NewQuery()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(len(qs)), "bytes/idle-query")
		runtime.KeepAlive(qs)
	})
}
