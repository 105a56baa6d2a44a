package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/firmware-sim/internal/profile"
	"github.com/tributary-edge/tributary/firmware-sim/internal/seqset"
)

// The checker is tested against an httptest server that answers like the
// gateway's admin API with NDJSON made up by each test.

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// stream builds the records a fake gateway serves.
type stream struct {
	t       *testing.T
	recs    []Record
	gens    map[string]*profile.Generator
	payload map[string]map[uint64][]byte // device → seq → payload
	nextSN  map[string]int
}

func newStream(t *testing.T) *stream {
	return &stream{t: t, gens: map[string]*profile.Generator{}, payload: map[string]map[uint64][]byte{}, nextSN: map[string]int{}}
}

// msg returns the payload of device's seq in run "run1", generating
// payloads in order as needed.
func (s *stream) msg(run, device string, seq uint64) []byte {
	key := run + "/" + device
	g := s.gens[key]
	if g == nil {
		var err error
		if g, err = profile.New("meter", profile.Options{DeviceID: device, RunID: run}); err != nil {
			s.t.Fatal(err)
		}
		s.gens[key], s.payload[key] = g, map[uint64][]byte{}
	}
	for g.Seq() < seq {
		m := g.Next(t0.Add(time.Duration(g.Seq()) * time.Second))
		s.payload[key][m.Seq] = m.Payload
	}
	return s.payload[key][seq]
}

// raw appends a record with data to shard.
func (s *stream) raw(shard string, data []byte) {
	s.nextSN[shard]++
	s.recs = append(s.recs, Record{Stream: "telemetry", ShardID: shard, SequenceNumber: fmt.Sprintf("%s-%05d", shard, s.nextSN[shard]), PartitionKey: "k", Arrival: t0, Data: data})
}

// add appends records of device's seqs to shard.
func (s *stream) add(shard, device string, seqs ...uint64) {
	for _, q := range seqs {
		s.raw(shard, s.msg("run1", device, q))
	}
}

func span(first, last uint64) []uint64 {
	var out []uint64
	for n := first; n <= last; n++ {
		out = append(out, n)
	}
	return out
}

func set(first, last uint64) *seqset.Set {
	s := &seqset.Set{}
	s.AddRange(first, last)
	return s
}

// serve starts a fake gateway; body, when non-empty, replaces the
// records answer.
func (s *stream) serve(body string) string {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/streams/telemetry", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"name":"telemetry","shards":[{"shard_id":"shardId-000000000000"},{"shard_id":"shardId-000000000001"}],"records":3}`)
	})
	mux.HandleFunc("GET /api/v1/streams/telemetry/records", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("from") != "trim_horizon" {
			http.Error(w, "want from=trim_horizon", 400)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		if body != "" {
			fmt.Fprint(w, body)
			return
		}
		enc := json.NewEncoder(w)
		for _, rec := range s.recs {
			enc.Encode(rec)
		}
	})
	mux.HandleFunc("GET /api/v1/streams/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		fmt.Fprintf(w, `{"error":{"code":"StreamNotFound","message":"stream %s not found"}}`, r.PathValue("name"))
	})
	srv := httptest.NewServer(mux)
	s.t.Cleanup(srv.Close)
	return srv.URL
}

func expect(devs ...Device) Expect { return Expect{RunID: "run1", QoS: 1, Devices: devs} }

func run(t *testing.T, url string, e Expect) Result {
	t.Helper()
	res, err := Run(context.Background(), &Client{Base: url}, "telemetry", e)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestEverythingStoredWithNoise(t *testing.T) {
	s := newStream(t)
	s.add("shardId-000000000000", "sim-0001", span(1, 5)...)
	s.add("shardId-000000000001", "sim-0002", span(1, 3)...)
	s.add("shardId-000000000000", "sim-0001", span(6, 10)...)
	s.add("shardId-000000000001", "sim-0002", span(4, 10)...)
	g, _ := profile.New("door", profile.Options{DeviceID: "sim-0001", RunID: "run1"})
	s.raw("shardId-000000000000", g.Malformed(t0))                   // dead-letter material that got through
	s.raw("shardId-000000000000", g.Oversize(t0))                    // no seq
	s.raw("shardId-000000000001", []byte("hello"))                   // another producer
	s.raw("shardId-000000000001", []byte(`{"temp":3}`))              // another producer's JSON
	s.raw("shardId-000000000001", s.msg("run0", "sim-0001", 1))      // an earlier run
	s.raw("shardId-000000000001", s.msg("run1", "other-0001", 1))    // not a device of the run
	s.raw("shardId-000000000001", []byte{0xff, 0xfe, '{', '"', 's'}) // binary
	res := run(t, s.serve(""), expect(
		Device{ID: "sim-0001", LastSeq: 10, Acked: set(1, 10)},
		Device{ID: "sim-0002", LastSeq: 10, Acked: set(1, 10)},
	))
	if !res.OK() || res.Acked != 20 || res.Stored != 20 || res.Missing != 0 || res.Duplicates != 0 || len(res.Problems) != 0 {
		t.Fatalf("result %+v", res)
	}
	if res.Records != 27 || res.Ignored != (Ignored{NotSim: 5, OtherRun: 1, OtherDevice: 1}) {
		t.Fatalf("records %d, ignored %+v", res.Records, res.Ignored)
	}
	if res.Shards != 2 || res.Stream != "telemetry" || res.MultiShardDevices != 0 {
		t.Fatalf("stream info %+v", res)
	}
	var out bytes.Buffer
	res.WriteText(&out)
	if !strings.HasPrefix(out.String(), "verify PASS") {
		t.Fatalf("text:\n%s", out.String())
	}
}

func TestEnvelopedRecords(t *testing.T) {
	s := newStream(t)
	for _, q := range span(1, 3) {
		env := fmt.Sprintf(`{"topic":"devices/sim-0001/telemetry","client_id":"sim-0001","qos":1,"retain":false,"received":"2026-03-01T12:00:00Z","payload":%s}`, s.msg("run1", "sim-0001", q))
		s.raw("shardId-000000000000", []byte(env))
	}
	s.raw("shardId-000000000000", []byte(`{"topic":"x","payload_base64":"/w=="}`))
	res := run(t, s.serve(""), expect(Device{ID: "sim-0001", LastSeq: 3, Acked: set(1, 3)}))
	if !res.OK() || res.Stored != 3 || res.Ignored.NotSim != 1 {
		t.Fatalf("result %+v", res)
	}
}

func TestMissingIsAFailure(t *testing.T) {
	s := newStream(t)
	s.add("shardId-000000000000", "sim-0001", 1, 2, 3, 4, 6, 7, 10)
	res := run(t, s.serve(""), expect(Device{ID: "sim-0001", LastSeq: 10, Acked: set(1, 10)}))
	if res.OK() || res.Missing != 3 || len(res.Problems) != 1 || res.Problems[0].Missing.String() != "5,8-9" {
		t.Fatalf("result %+v", res)
	}
	var out bytes.Buffer
	res.WriteText(&out)
	for _, want := range []string{"verify FAIL", "missing          3", "durability bug", "sim-0001: missing 3 of 10 acked: 5,8-9"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, out.String())
		}
	}
	b, _ := json.Marshal(res)
	if !strings.Contains(string(b), `"missing":[[5,5],[8,9]]`) {
		t.Errorf("JSON lacks the missing ranges: %s", b)
	}
}

func TestDuplicatesAreAllowedAndTold(t *testing.T) {
	s := newStream(t)
	s.add("shardId-000000000000", "sim-0001", 1, 2, 3, 3, 4, 5, 6, 7, 5, 8)
	dup := set(3, 3)
	res := run(t, s.serve(""), expect(Device{ID: "sim-0001", LastSeq: 8, Acked: set(1, 8), Duplicated: dup}))
	if !res.OK() || res.Duplicates != 2 || res.InjectedDuplicates != 1 || res.OutOfOrder != 0 || res.Stored != 8 {
		t.Fatalf("result %+v", res)
	}
	if len(res.Problems) != 1 || res.Problems[0].Duplicates != 2 {
		t.Fatalf("a duplicate that was not injected should be listed: %+v", res.Problems)
	}
}

func TestOutOfOrderIsAFailure(t *testing.T) {
	s := newStream(t)
	s.add("shardId-000000000000", "sim-0001", 1, 2, 4, 3, 5)
	s.add("shardId-000000000001", "sim-0002", span(1, 5)...)
	res := run(t, s.serve(""), expect(
		Device{ID: "sim-0001", LastSeq: 5, Acked: set(1, 5)},
		Device{ID: "sim-0002", LastSeq: 5, Acked: set(1, 5)},
	))
	if res.OK() || res.OutOfOrder != 1 || res.Missing != 0 || len(res.Problems) != 1 {
		t.Fatalf("result %+v", res)
	}
	ex := res.Problems[0].Examples
	if len(ex) != 1 || ex[0].Seq != 3 || ex[0].After != 4 || ex[0].Shard != "shardId-000000000000" || ex[0].SequenceNumber != "shardId-000000000000-00004" {
		t.Fatalf("examples %+v", ex)
	}
}

func TestOrderIsPerShard(t *testing.T) {
	s := newStream(t)
	// a resharded device: parent shard then child shard, each in order
	s.add("shardId-000000000000", "sim-0001", span(1, 5)...)
	s.add("shardId-000000000001", "sim-0001", span(6, 10)...)
	res := run(t, s.serve(""), expect(Device{ID: "sim-0001", LastSeq: 10, Acked: set(1, 10)}))
	if !res.OK() || res.MultiShardDevices != 1 {
		t.Fatalf("result %+v", res)
	}
}

func TestUnackedStoredAndUnknown(t *testing.T) {
	s := newStream(t)
	s.add("shardId-000000000000", "sim-0001", span(1, 12)...)
	// acked 1-8 and 10; 9, 11, 12 were sent but their PUBACK never came;
	// 12 is above LastSeq 11, which only a reused run id can explain
	acked := set(1, 8)
	acked.Add(10)
	res := run(t, s.serve(""), expect(Device{ID: "sim-0001", LastSeq: 11, Acked: acked}))
	if !res.OK() || res.UnackedStored != 2 || res.Unknown != 1 || res.Stored != 11 {
		t.Fatalf("result %+v", res)
	}
}

func TestQoS0NothingCanBeMissing(t *testing.T) {
	s := newStream(t)
	s.add("shardId-000000000000", "sim-0001", 1, 2, 5)
	e := expect(Device{ID: "sim-0001", LastSeq: 5})
	e.QoS = 0
	res := run(t, s.serve(""), e)
	if !res.OK() || res.Stored != 3 || res.UnackedStored != 3 {
		t.Fatalf("result %+v", res)
	}
	var out bytes.Buffer
	res.WriteText(&out)
	if !strings.Contains(out.String(), "QoS 0") {
		t.Fatalf("text:\n%s", out.String())
	}
}

func TestGatewayErrors(t *testing.T) {
	s := newStream(t)
	s.add("shardId-000000000000", "sim-0001", 1)
	good, _ := json.Marshal(s.recs[0])
	e := expect(Device{ID: "sim-0001", LastSeq: 1, Acked: set(1, 1)})
	cases := []struct {
		name, stream, body string
		want               error
	}{
		{"no such stream", "nope", "", ErrStreamNotFound},
		{"bad line", "telemetry", string(good) + "\nnot json\n", ErrBadRecord},
		{"bad base64", "telemetry", `{"shard_id":"s","data":"!!!"}` + "\n", ErrBadRecord},
		{"error line", "telemetry", string(good) + "\n" + `{"error":{"code":"InternalError","message":"disk on fire"}}` + "\n", ErrIncomplete},
	}
	for _, c := range cases {
		url := s.serve(c.body)
		_, err := Run(context.Background(), &Client{Base: url}, c.stream, e)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", 500)
	}))
	defer srv.Close()
	if _, err := Run(context.Background(), &Client{Base: srv.URL}, "telemetry", e); !errors.Is(err, ErrGateway) || !strings.Contains(err.Error(), "boom") {
		t.Errorf("500: err = %v", err)
	}
	if _, err := Run(context.Background(), &Client{Base: "http://127.0.0.1:1"}, "telemetry", e); err == nil || !strings.Contains(err.Error(), "cannot reach the gateway") {
		t.Errorf("unreachable: err = %v", err)
	}
}

// FuzzRecords feeds arbitrary answers through the NDJSON decoder and the
// checker: errors are fine, panics are not, and the counts add up.
func FuzzRecords(f *testing.F) {
	s := newStream(&testing.T{})
	s.add("a", "sim-0001", 1, 2, 2, 4, 3)
	var b bytes.Buffer
	for _, r := range s.recs {
		json.NewEncoder(&b).Encode(r)
	}
	f.Add(b.String())
	f.Add(`{"data":"eyJkZXZpY2VfaWQiOiJzaW0tMDAwMSIsInJ1biI6InJ1bjEiLCJzZXEiOjF9"}`)
	f.Add(`{"error":{"code":"x","message":"y"}}`)
	f.Add("not json")
	f.Fuzz(func(t *testing.T, body string) {
		c := NewChecker(expect(Device{ID: "sim-0001", LastSeq: 4, Acked: set(1, 4)}))
		if err := decodeRecords(strings.NewReader(body), func(r Record) error { c.Add(r); return nil }); err != nil {
			if !errors.Is(err, ErrBadRecord) && !errors.Is(err, ErrIncomplete) {
				t.Fatalf("error %v is neither ErrBadRecord nor ErrIncomplete", err)
			}
			return
		}
		res := c.Result()
		checked := res.Records - res.Ignored.NotSim - res.Ignored.OtherRun - res.Ignored.OtherDevice
		if res.Stored+res.Duplicates+res.Unknown != checked || res.Missing > res.Acked || res.OutOfOrder > res.Stored {
			t.Fatalf("counts do not add up: %+v", res)
		}
	})
}
