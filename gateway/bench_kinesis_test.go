package main

// BenchmarkKinesis measures the Kinesis Data Streams API end to end (make
// bench): the real gateway binary as a child process in fsync durability
// (group commit, MQTT off, data in a temporary directory), driven over
// loopback HTTP/1.1 by the AWS SDK for Go v2 kinesis client, and the same
// load against kinesalite (node, in-memory store) on the same machine in the
// same run. Clients, servers and node share the machine's CPUs.
//
//	PutRecords/{kinesalite,tributary}
//	    4 clients, each keeping one PutRecords call of 500 records x 100 B
//	    (random data, random partition keys) in flight, into a 4-shard stream,
//	    for a fixed duration (TRIBUTARY_KINESIS_BENCH, default 10s; kinesalite
//	    gets the same duration). Calls are not retried.
//	GetRecords/{kinesalite,tributary}
//	    a fresh server and stream loaded with PutRecords (untimed): 1,000,000
//	    records for tributary; for kinesalite up to that many or what it stores
//	    in the same duration, whichever comes first. Then every shard is read
//	    from TRIM_HORIZON to its end with GetRecords (Limit 10000), one reader
//	    per shard, concurrently; the count read must equal the count stored.
//
// Reported per case:
//
//	rec/s         records stored (puts: acknowledged without an error code)
//	              or read (gets) per second of wall time of the load phase
//	              only: from the first call to the last response
//	p50_ms p99_ms latency of one PutRecords / GetRecords call as the client
//	              sees it (SDK serialisation and parsing included)
//	failed        (puts) records not stored: per-record errors plus every
//	              record of a failed call; must be 0 for tributary
//	cpu_us/rec    the server's CPU time (user+system) over the phase per
//	              record: less disturbed than rec/s when the machine is
//	              shared, since a starved server is slow but not costly
//	gw_rss_MiB    the server's peak RSS (VmHWM) at the end of the case: the
//	              gateway child, or kinesalite's node process
//	x_kinesalite  (tributary cases) rec/s of tributary / rec/s of kinesalite
//	              measured just before in the same run
//
// Run:
//
//	go test -run '^$' -bench Kinesis -benchtime 1x -timeout 30m ./gateway/
//
// kinesalite is installed with
// `npm ci --prefix gateway/internal/kinesis/testdata/kinesalite` (needs
// node); without it the kinesalite cases are skipped and no ratio reported.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/kinesis/kinesistest"
	"github.com/tributary-edge/tributary/ingest/mqtttest"
)

const (
	kbClients     = 4
	kbBatch       = 500
	kbRecordSize  = 100
	kbShards      = 4
	kbStream      = "bench"
	kbReadLimit   = 10000
	kbReadRecords = 1_000_000 // loaded before the GetRecords cases
)

// kinesaliteRate holds kinesalite's rec/s from this run, for the ratios.
var kinesaliteRate struct{ put, get float64 }

// kbTarget is a running Kinesis server.
type kbTarget struct {
	url string
	pid int // for VmHWM
}

func BenchmarkKinesis(b *testing.B) {
	dur := 10 * time.Second
	if v := os.Getenv("TRIBUTARY_KINESIS_BENCH"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			b.Fatalf("TRIBUTARY_KINESIS_BENCH=%q: want a positive duration like 10s", v)
		}
		dur = d
	}
	b.Run("PutRecords", func(b *testing.B) {
		b.Run("kinesalite", func(b *testing.B) {
			t := startKinesaliteB(b)
			r := kbPutPhase(b, t, dur, 0)
			kbReportPut(b, r, t)
			kinesaliteRate.put = r.rate()
		})
		b.Run("tributary", func(b *testing.B) {
			t := startTributaryB(b)
			r := kbPutPhase(b, t, dur, 0)
			if r.failed > 0 {
				b.Errorf("tributary failed %d records; first error: %v", r.failed, r.firstErr)
			}
			kbReportPut(b, r, t)
			if kinesaliteRate.put > 0 {
				b.ReportMetric(r.rate()/kinesaliteRate.put, "x_kinesalite")
			}
		})
	})
	b.Run("GetRecords", func(b *testing.B) {
		b.Run("kinesalite", func(b *testing.B) {
			t := startKinesaliteB(b)
			r := kbGetPhase(b, t, dur)
			kinesaliteRate.get = r.rate()
		})
		b.Run("tributary", func(b *testing.B) {
			t := startTributaryB(b)
			r := kbGetPhase(b, t, 0)
			if kinesaliteRate.get > 0 {
				b.ReportMetric(r.rate()/kinesaliteRate.get, "x_kinesalite")
			}
		})
	})
}

// startTributaryB starts the gateway in fsync durability with MQTT off and
// stops it (SIGTERM) when b ends.
func startTributaryB(b *testing.B) kbTarget {
	b.Helper()
	b.Setenv("TRIBUTARY_DURABILITY", "fsync") // the child inherits it
	for _, v := range []string{"GOMEMLIMIT", "GOGC"} {
		if os.Getenv(v) != "" {
			b.Logf("the gateway inherits %s=%s (instead of its memory_limit default)", v, os.Getenv(v))
		}
	}
	c := startChildB(b, filepath.Join(b.TempDir(), "data"), "--mqtt", "off")
	b.Cleanup(func() {
		c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(time.Minute):
			c.cmd.Process.Kill()
			<-c.done
		}
	})
	resp, err := http.Get(c.base + "/healthz")
	if err != nil {
		b.Fatal(err)
	}
	var h api.Health
	err = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if err != nil || h.Durability != "fsync" {
		b.Fatalf("gateway durability %q (%v), want fsync", h.Durability, err)
	}
	return kbTarget{url: c.base, pid: c.cmd.Process.Pid}
}

// startKinesaliteB starts kinesalite on a free loopback port with no
// artificial delays and kills it when b ends; it skips b when node or
// kinesalite is missing.
func startKinesaliteB(b *testing.B) kbTarget {
	b.Helper()
	k := kinesistest.StartKinesalite(b, filepath.Join("internal", "kinesis", "testdata", "kinesalite"))
	return kbTarget{url: k.URL, pid: k.PID}
}

// kbClient is an SDK client with enough idle connections for the load.
func kbClient(b *testing.B, url string) *kinesis.Client {
	tr := &http.Transport{
		MaxIdleConns:        4 * kbClients,
		MaxIdleConnsPerHost: 4 * kbClients,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	b.Cleanup(tr.CloseIdleConnections)
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		HTTPClient:   kinesistest.OwnBody{Client: &http.Client{Transport: tr}},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDBENCH", SecretAccessKey: "bench"}, nil
		}),
		RetryMaxAttempts: 1, // every call is one request, its failure counted
	})
}

// kbCreateStream creates the 4-shard stream, waits until it is ACTIVE and
// returns its shard ids.
func kbCreateStream(b *testing.B, c *kinesis.Client) []string {
	b.Helper()
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(kbStream), ShardCount: aws.Int32(kbShards)}); err != nil {
		b.Fatalf("CreateStream: %v", err)
	}
	var ids []string
	mqtttest.Eventually(b, 30*time.Second, "the stream ACTIVE", func() bool {
		d, err := c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(kbStream)})
		if err != nil || d.StreamDescription.StreamStatus != types.StreamStatusActive {
			return false
		}
		ids = ids[:0]
		for _, s := range d.StreamDescription.Shards {
			ids = append(ids, aws.ToString(s.ShardId))
		}
		return true
	})
	if len(ids) != kbShards {
		b.Fatalf("stream has %d shards, want %d", len(ids), kbShards)
	}
	return ids
}

// kbResult is what one phase measured.
type kbResult struct {
	records  int64 // stored (puts) or read (gets)
	failed   int64
	firstErr error
	elapsed  time.Duration
	lat      []time.Duration // one per call
	perShard map[string]int64
	// serverCPU is the server's CPU time over the phase.
	serverCPU time.Duration
}

func (r kbResult) rate() float64 { return float64(r.records) / r.elapsed.Seconds() }

func (r kbResult) report(b *testing.B) {
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(r.rate(), "rec/s")
	slices.Sort(r.lat)
	b.ReportMetric(kbPercentile(r.lat, 0.50), "p50_ms")
	b.ReportMetric(kbPercentile(r.lat, 0.99), "p99_ms")
	if r.records > 0 {
		b.ReportMetric(float64(r.serverCPU)/float64(time.Microsecond)/float64(r.records), "cpu_us/rec")
	}
}

func kbReportPut(b *testing.B, r kbResult, t kbTarget) {
	r.report(b)
	b.ReportMetric(float64(r.failed), "failed")
	b.ReportMetric(vmHWM(t.pid), "gw_rss_MiB")
}

// kbPercentile is the nearest-rank percentile of sorted, in milliseconds.
func kbPercentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / float64(time.Millisecond)
}

// kbBatches makes n PutRecords inputs of random records and partition keys.
func kbBatches(n int) []*kinesis.PutRecordsInput {
	ins := make([]*kinesis.PutRecordsInput, n)
	for i := range ins {
		entries := make([]types.PutRecordsRequestEntry, kbBatch)
		for j := range entries {
			data := make([]byte, kbRecordSize)
			rand.Read(data)
			entries[j] = types.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String(fmt.Sprintf("device-%d", mrand.IntN(1<<24)))}
		}
		ins[i] = &kinesis.PutRecordsInput{StreamName: aws.String(kbStream), Records: entries}
	}
	return ins
}

// kbPut runs kbClients clients, each with one PutRecords call in flight,
// until dur has passed (dur > 0) and/or maxRecords have been sent
// (maxRecords > 0). Only the calls are timed.
func kbPut(c *kinesis.Client, dur time.Duration, maxRecords int64) kbResult {
	var (
		mu      sync.Mutex
		res     = kbResult{perShard: map[string]int64{}}
		claimed atomic.Int64
		wg      sync.WaitGroup
		start   = make(chan struct{})
	)
	rings := make([][]*kinesis.PutRecordsInput, kbClients)
	for i := range rings {
		rings[i] = kbBatches(16)
	}
	var deadline time.Time
	for i := range kbClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			var (
				lat      []time.Duration
				stored   int64
				failed   int64
				firstErr error
				perShard = map[string]int64{}
			)
			<-start
			for n := 0; ; n++ {
				if dur > 0 && !time.Now().Before(deadline) {
					break
				}
				if maxRecords > 0 && claimed.Add(kbBatch) > maxRecords {
					break
				}
				in := rings[i][n%len(rings[i])]
				t0 := time.Now()
				out, err := c.PutRecords(ctx, in)
				lat = append(lat, time.Since(t0))
				if err != nil {
					failed += int64(len(in.Records))
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				for _, r := range out.Records {
					if r.ErrorCode != nil {
						failed++
						if firstErr == nil {
							firstErr = fmt.Errorf("%s: %s", *r.ErrorCode, aws.ToString(r.ErrorMessage))
						}
						continue
					}
					stored++
					perShard[aws.ToString(r.ShardId)]++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.records += stored
			res.failed += failed
			res.lat = append(res.lat, lat...)
			if res.firstErr == nil {
				res.firstErr = firstErr
			}
			for s, n := range perShard {
				res.perShard[s] += n
			}
		}()
	}
	t0 := time.Now()
	deadline = t0.Add(dur)
	close(start)
	wg.Wait()
	res.elapsed = time.Since(t0)
	return res
}

// kbPutPhase creates the stream on t and runs the put load.
func kbPutPhase(b *testing.B, t kbTarget, dur time.Duration, maxRecords int64) kbResult {
	b.Helper()
	c := kbClient(b, t.url)
	kbCreateStream(b, c)
	cpu := kbStartCPU(t.pid)
	r := kbPut(c, dur, maxRecords)
	r.serverCPU = cpu.log(b, r.elapsed)
	if r.records == 0 {
		b.Fatalf("no record stored; first error: %v", r.firstErr)
	}
	b.Logf("stored %d records in %v (%d failed; first error: %v)", r.records, r.elapsed.Round(time.Millisecond), r.failed, r.firstErr)
	return r
}

// kbGetPhase loads a stream (for at most loadDur when > 0) and reads it back
// whole, reporting the read.
func kbGetPhase(b *testing.B, t kbTarget, loadDur time.Duration) kbResult {
	b.Helper()
	c := kbClient(b, t.url)
	shards := kbCreateStream(b, c)
	load := kbPut(c, loadDur, kbReadRecords)
	if load.failed > 0 && load.records == 0 {
		b.Fatalf("loading: no record stored; first error: %v", load.firstErr)
	}
	b.Logf("loaded %d records in %v (%d failed)", load.records, load.elapsed.Round(time.Millisecond), load.failed)

	var (
		mu  sync.Mutex
		res = kbResult{perShard: map[string]int64{}}
		wg  sync.WaitGroup
	)
	cpu := kbStartCPU(t.pid)
	t0 := time.Now()
	for _, shard := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, lat, err := kbReadShard(c, shard, load.perShard[shard])
			mu.Lock()
			defer mu.Unlock()
			res.records += n
			res.perShard[shard] = n
			res.lat = append(res.lat, lat...)
			if err != nil && res.firstErr == nil {
				res.firstErr = err
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(t0)
	res.serverCPU = cpu.log(b, res.elapsed)
	if res.firstErr != nil {
		b.Fatal(res.firstErr)
	}
	b.Logf("read %d records in %v with %d GetRecords calls", res.records, res.elapsed.Round(time.Millisecond), len(res.lat))
	res.report(b)
	b.ReportMetric(vmHWM(t.pid), "gw_rss_MiB")
	return res
}

// kbCPU is the CPU time used so far by the server and by this process
// (the clients), to tell who was short of CPU.
type kbCPU struct {
	pid            int
	server, client time.Duration
}

func kbStartCPU(pid int) kbCPU {
	return kbCPU{pid, kbProcCPU(pid), kbSelfCPU()}
}

// log logs the CPU used since kbStartCPU and returns the server's.
func (c kbCPU) log(b *testing.B, elapsed time.Duration) time.Duration {
	b.Helper()
	s, cl := kbProcCPU(c.pid)-c.server, kbSelfCPU()-c.client
	defer b.Logf("CPU over %v: server %v (%.0f%%), benchmark clients %v (%.0f%%)", elapsed.Round(time.Millisecond),
		s.Round(time.Millisecond), 100*s.Seconds()/elapsed.Seconds(), cl.Round(time.Millisecond), 100*cl.Seconds()/elapsed.Seconds())
	return s
}

// kbProcCPU is a process's user+system CPU time from /proc/PID/stat.
func kbProcCPU(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command: state is field 3, utime 14, stime 15.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

func kbSelfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// kbReadShard reads shard from TRIM_HORIZON until want records have come
// back, returning the count and each GetRecords call's latency.
func kbReadShard(c *kinesis.Client, shard string, want int64) (int64, []time.Duration, error) {
	ctx := context.Background()
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(kbStream), ShardId: aws.String(shard),
		ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		return 0, nil, fmt.Errorf("%s: GetShardIterator: %w", shard, err)
	}
	var (
		got   int64
		lat   []time.Duration
		empty int
	)
	iter := it.ShardIterator
	for got < want {
		if iter == nil {
			return got, lat, fmt.Errorf("%s: shard ended after %d of %d records", shard, got, want)
		}
		t0 := time.Now()
		out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(kbReadLimit)})
		lat = append(lat, time.Since(t0))
		if err != nil {
			return got, lat, fmt.Errorf("%s: GetRecords after %d of %d records: %w", shard, got, want, err)
		}
		got += int64(len(out.Records))
		if len(out.Records) == 0 {
			if empty++; empty > 20 {
				return got, lat, errors.New(shard + ": 20 empty GetRecords in a row before the end of the data")
			}
		} else {
			empty = 0
		}
		iter = out.NextShardIterator
	}
	if got != want {
		return got, lat, fmt.Errorf("%s: read %d records, %d were stored", shard, got, want)
	}
	return got, lat, nil
}
