package window

// The three use cases of issue 6, written against the package API the way
// the evaluator will drive it: the evaluator computes group keys and
// aggregate arguments (CASE expressions become a value or NULL), the window
// operator aggregates, HAVING and WHERE stay in the evaluator.

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

// restartEvery wraps an operator so that it is snapshotted and restored into
// a fresh Operator every n calls (0: never), as a runner that crashes often.
type restartEvery struct {
	t    *testing.T
	spec Spec
	op   *Operator
	n, i int
}

func newRestartEvery(t *testing.T, spec Spec, n int) *restartEvery {
	op, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	return &restartEvery{t: t, spec: spec, op: op, n: n}
}

func (r *restartEvery) tick() *Operator {
	r.i++
	if r.n > 0 && r.i%r.n == 0 {
		b, err := r.op.MarshalBinary()
		if err != nil {
			r.t.Fatal(err)
		}
		fresh, err := New(r.spec)
		if err != nil {
			r.t.Fatal(err)
		}
		if err := fresh.UnmarshalBinary(b); err != nil {
			r.t.Fatal(err)
		}
		r.op = fresh
	}
	return r.op
}

// Use case 1: alert when a card makes at least 3 transactions over 1,000
// from at least 2 distinct locations within 60 seconds.
//
//	SELECT card_id, count(CASE WHEN amount > 1000 THEN 1 END) AS big,
//	       count(DISTINCT CASE WHEN amount > 1000 THEN location END) AS places
//	FROM transactions GROUP BY card_id, SLIDING(60s)
//	HAVING big >= 3 AND places >= 2
func TestUseCaseFraud(t *testing.T) {
	spec := Spec{
		Window:     Sliding(60 * time.Second),
		Aggregates: []AggSpec{{Func: FuncCount}, {Func: FuncCount, Distinct: true}},
		EventTime:  true,
	}
	type txn struct {
		card   string
		amount float64
		loc    string
		sec    float64
	}
	txns := []txn{
		{"A", 1500, "paris", 0},
		{"B", 2000, "rome", 1},
		{"A", 20, "lyon", 5}, // small: not counted
		{"A", 1200, "paris", 10},
		{"B", 2000, "rome", 11},
		{"C", 5000, "oslo", 12},
		{"B", 2000, "rome", 20}, // B: 3 big, one place: no alert
		{"C", 5000, "bergen", 40},
		{"A", 3000, "nice", 59},   // A: 3 big in (−1, 59], 2 places: alert
		{"A", 1001, "nice", 60},   // A: still 3 big in (0, 60] (0 is out): alert
		{"A", 1000, "nice", 61},   // 1000 is not over 1000, but (1, 61] still has 3 big: alert
		{"A", 5, "nice", 70.5},    // (10.5, 70.5]: 2 big left
		{"C", 5000, "oslo", 72.5}, // C: 3 big but over 60.5 s: no alert
	}
	for _, restart := range []int{0, 1, 3} {
		t.Run(fmt.Sprintf("restart every %d", restart), func(t *testing.T) {
			r := newRestartEvery(t, spec, restart)
			var alerts []string
			for _, x := range txns {
				var big, loc any // CASE WHEN amount > 1000 THEN … END
				if x.amount > 1000 {
					big, loc = int64(1), x.loc
				}
				rs, err := r.tick().Add(Event{Key: []any{x.card}, Time: at(x.sec), Args: []any{big, loc}})
				if err != nil {
					t.Fatal(err)
				}
				for _, res := range rs {
					if res.Values[0].(int64) >= 3 && res.Values[1].(int64) >= 2 { // HAVING
						alerts = append(alerts, fmt.Sprintf("%v at %v: %v big from %v places",
							res.Key[0], res.End.Sub(t0).Seconds(), res.Values[0], res.Values[1]))
					}
				}
			}
			want := []string{
				"A at 59: 3 big from 2 places",
				"A at 60: 3 big from 2 places",
				"A at 61: 3 big from 2 places",
			}
			if !slices.Equal(alerts, want) {
				t.Fatalf("alerts\n%q\nwant\n%q", alerts, want)
			}
		})
	}
}

// Use case 2: per-device one-minute average, minimum and maximum of the
// temperature into telemetry_1m.
//
//	SELECT device, avg(temp), min(temp), max(temp) FROM telemetry
//	GROUP BY device, TUMBLING(1m)
func TestUseCaseTelemetryRollup(t *testing.T) {
	spec := Spec{
		Window:     Tumbling(time.Minute),
		Aggregates: []AggSpec{{Func: FuncAvg}, {Func: FuncMin}, {Func: FuncMax}, {Func: FuncCountStar}},
		EventTime:  true,
		Lateness:   5 * time.Second,
	}
	devices := []string{"freezer-1", "freezer-2", "door-3"}
	type agg struct {
		sum, min, max float64
		n             int64
	}
	want := map[string]*agg{} // "device minute" → expected
	for _, restart := range []int{0, 7} {
		t.Run(fmt.Sprintf("restart every %d", restart), func(t *testing.T) {
			r := newRestartEvery(t, spec, restart)
			var got []Result
			// one reading per device every 7 s for 5 minutes, a little
			// out of order (2 s jitter), one reading without temperature
			for i := 0; i < 5*60/7; i++ {
				for d, dev := range devices {
					sec := float64(i*7) + float64((i+d)%3) - 1
					if sec < 0 {
						sec = 0
					}
					temp := any(-18 + 3*math.Sin(float64(i+d)))
					if i == 10 && d == 0 {
						temp = nil // a record without the field: NULL
					}
					rs, err := r.tick().Add(Event{Key: []any{dev}, Time: at(sec), Args: []any{temp, temp, temp, nil}})
					if err != nil {
						t.Fatalf("%s at %v: %v", dev, sec, err)
					}
					got = append(got, rs...)
					if restart == 0 {
						k := fmt.Sprintf("%s %d", dev, int(sec)/60)
						a := want[k]
						if a == nil {
							a = &agg{min: math.Inf(1), max: math.Inf(-1)}
							want[k] = a
						}
						a.n++
						if f, ok := temp.(float64); ok {
							a.sum += f
							a.min, a.max = min(a.min, f), max(a.max, f)
						}
					}
				}
			}
			got = append(got, r.tick().AdvanceWatermark(at(3600))...)
			if len(got) != len(want) {
				t.Fatalf("%d results, want %d", len(got), len(want))
			}
			for _, res := range got {
				k := fmt.Sprintf("%s %d", res.Key[0], int(res.Start.Sub(t0).Minutes()))
				a := want[k]
				if a == nil || res.End.Sub(res.Start) != time.Minute || res.Start.Second() != 0 {
					t.Fatalf("unexpected result %+v", res)
				}
				nonNull := a.n
				if k == "freezer-1 1" {
					nonNull-- // the NULL reading
				}
				if res.Values[3] != a.n || math.Abs(res.Values[0].(float64)-a.sum/float64(nonNull)) > 1e-9 ||
					res.Values[1] != a.min || res.Values[2] != a.max {
					t.Fatalf("%s: got %v, want n=%d avg=%v min=%v max=%v", k, res.Values, a.n, a.sum/float64(nonNull), a.min, a.max)
				}
			}
		})
	}
}

// Use case 3: temperature above a threshold, or jumping by more than 5
// degrees from the device's previous reading. No window: the evaluator asks
// for LAG(temp) per device as each reading arrives and decides at once.
//
//	SELECT device, temp FROM telemetry
//	WHERE temp > 8 OR abs(temp - LAG(temp) OVER (PARTITION BY device)) > 5
func TestUseCaseAnomalyLag(t *testing.T) {
	spec := Spec{Lags: []LagSpec{{IgnoreNulls: true}}, LagTTL: time.Hour}
	readings := []struct {
		dev  string
		temp any
	}{
		{"f1", -18.0}, {"f2", -20.0},
		{"f1", -17.0}, // +1
		{"f1", -11.5}, // +5.5: jump
		{"f2", -15.0}, // +5 exactly: no jump
		{"f1", nil},   // no reading: skipped by IGNORE NULLS
		{"f1", -17.0}, // −5.5 from −11.5: jump
		{"f2", 9.0},   // above threshold (and a jump)
		{"f3", 12.0},  // above threshold; first reading, no previous
	}
	for _, restart := range []int{0, 1} {
		r := newRestartEvery(t, spec, restart)
		var alerts []string
		for i, rd := range readings {
			prev, err := r.tick().Previous([]any{rd.dev}, at(float64(i)), []any{rd.temp})
			if err != nil {
				t.Fatal(err)
			}
			temp, ok := rd.temp.(float64)
			if !ok {
				continue
			}
			p, hasPrev := prev[0].(float64)
			if temp > 8 || hasPrev && math.Abs(temp-p) > 5 {
				alerts = append(alerts, fmt.Sprintf("%s %v (prev %v)", rd.dev, temp, prev[0]))
			}
		}
		want := []string{"f1 -11.5 (prev -17)", "f1 -17 (prev -11.5)", "f2 9 (prev -15)", "f3 12 (prev <nil>)"}
		if !reflect.DeepEqual(alerts, want) {
			t.Fatalf("restart every %d: alerts\n%q\nwant\n%q", restart, alerts, want)
		}
	}
}
