package kinesis

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
)

// Bad input against stream state (harness in badinput_test.go): expired
// iterators, iterators of a deleted and re-created stream, sequence numbers
// of another stream or shard, readers and a writer while the stream is
// deleted, and refused SplitShard/MergeShards calls; with the helpers they
// use, badPoll and the goroutine-safe badPost.

func TestBadInputExpiredIterators(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustCreate("exp", 1)
	w := badDial(t, e.url)
	s := &badStream{t: t, w: w, stream: "exp"}
	s.check("setup")

	_, it := e.call("GetShardIterator", map[string]any{"StreamName": "exp", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"})
	first := it["ShardIterator"].(string)
	_, gr := e.call("GetRecords", map[string]any{"ShardIterator": first})
	next, _ := gr["NextShardIterator"].(string)
	if next == "" {
		t.Fatalf("GetRecords: %v", gr)
	}

	e.clock.Advance(299 * time.Second)
	if st, out := e.call("GetRecords", map[string]any{"ShardIterator": first}); st != http.StatusOK {
		t.Errorf("iterator 299 s old: %d %v", st, out)
	}
	e.clock.Advance(2 * time.Second)
	for _, old := range []string{first, next} {
		r, ok := w.json("expired iterator", "GetRecords", map[string]any{"ShardIterator": old})
		if !ok {
			continue
		}
		typ, msg := badJSONError(r)
		if r.status != http.StatusBadRequest || typ != errExpiredIterator ||
			!strings.HasPrefix(msg, "Iterator expired. The iterator was created at time ") ||
			!strings.HasSuffix(msg, "which is further in the future than the tolerated delay of 300000 milliseconds.") {
			t.Errorf("expired iterator: %d %s", r.status, r.body)
		}
		s.check("expired iterator")
	}
}

func TestBadInputIteratorOfRecreatedStream(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustCreate("dr", 1)
	for _, d := range []string{"old-1", "old-2"} {
		if st, out := e.call("PutRecord", map[string]any{"StreamName": "dr", "PartitionKey": "p", "Data": []byte(d)}); st != http.StatusOK {
			t.Fatalf("PutRecord: %d %v", st, out)
		}
	}
	iter := func(typ string) string {
		_, out := e.call("GetShardIterator", map[string]any{"StreamName": "dr", "ShardId": "shardId-000000000000", "ShardIteratorType": typ})
		return out["ShardIterator"].(string)
	}
	th, latest := iter("TRIM_HORIZON"), iter("LATEST")
	_, gr := e.call("GetRecords", map[string]any{"ShardIterator": th, "Limit": 1})
	mid, _ := gr["NextShardIterator"].(string)
	iters := map[string]string{"TRIM_HORIZON": th, "LATEST": latest, "NextShardIterator": mid}

	if _, err := e.client.DeleteStream(ctx, &awskinesis.DeleteStreamInput{StreamName: aws.String("dr")}); err != nil {
		t.Fatal(err)
	}
	// Re-create the name (a delete may take a moment to finish).
	mqtttest.Eventually(t, 10*time.Second, "re-creating dr", func() bool {
		_, err := e.client.CreateStream(ctx, &awskinesis.CreateStreamInput{StreamName: aws.String("dr"), ShardCount: aws.Int32(1)})
		if err != nil && apiCode(err) != errResourceInUse {
			t.Fatalf("CreateStream dr again: %v", err)
		}
		return err == nil
	})
	for i := range 5 {
		if st, out := e.call("PutRecord", map[string]any{"StreamName": "dr", "PartitionKey": "p", "Data": []byte(fmt.Sprint("new-", i))}); st != http.StatusOK {
			t.Fatalf("PutRecord: %d %v", st, out)
		}
	}
	for name, it := range iters {
		st, out := e.call("GetRecords", map[string]any{"ShardIterator": it})
		typ, _ := out["__type"].(string)
		if st == http.StatusOK {
			t.Errorf("%s iterator of the deleted stream read the re-created stream: %v", name, out["Records"])
		} else if st != http.StatusBadRequest || (typ != errResourceNotFound && typ != errInvalidArgument) {
			t.Errorf("%s iterator of the deleted stream: %d %v, want ResourceNotFound or InvalidArgument", name, st, out)
		}
	}
	// The new stream reads from its own start.
	_, gr = e.call("GetRecords", map[string]any{"ShardIterator": iter("TRIM_HORIZON")})
	if recs, _ := gr["Records"].([]any); len(recs) != 5 {
		t.Errorf("re-created stream: %d records, want 5", len(recs))
	}
}

func TestBadInputSequenceNumberOfAnotherStream(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustCreate("sa", 1)
	e.mustCreate("sb", 2)
	put := func(stream, key, d string) string {
		t.Helper()
		st, out := e.call("PutRecord", map[string]any{"StreamName": stream, "PartitionKey": key, "Data": []byte(d)})
		if st != http.StatusOK {
			t.Fatalf("PutRecord: %d %v", st, out)
		}
		return out["SequenceNumber"].(string)
	}
	put("sa", "a", "sa-1")
	var sbShard0 []string
	for i := range 5 {
		sbShard0 = append(sbShard0, put("sb", "a", fmt.Sprint("sb-", i))) // "a" → shard 0 of 2
	}
	sbShard1 := put("sb", "foo", "sb-foo") // "foo" → shard 1 of 2

	cases := []struct {
		name, typ, seq, status, prefix string
	}{
		{"another stream's sequence number past this shard's end", "AT_SEQUENCE_NUMBER", sbShard0[4], errInvalidArgument, ""},
		{"the same, AFTER_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", sbShard0[4], errInvalidArgument, ""},
		{"another stream's sequence number of another shard index", "AT_SEQUENCE_NUMBER", sbShard1, errInvalidArgument,
			"Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was used in a call to a shard with shardId-000000000000"},
		{"an AWS-format sequence number", "AT_SEQUENCE_NUMBER", "49590338271490256608559692538361571095921575989136588898", errInvalidArgument,
			"StartingSequenceNumber 49590338271490256608559692538361571095921575989136588898 used in GetShardIterator on shard shardId-000000000000 in stream sa under account 000000000000 is invalid"},
		{"130 digits", "AT_SEQUENCE_NUMBER", "1" + strings.Repeat("0", 129), errValidation, "1 validation error detected: Value '1"},
		{"leading zero", "AT_SEQUENCE_NUMBER", "0" + sbShard0[0], errValidation, "1 validation error detected: Value '0"},
	}
	for _, c := range cases {
		st, out := e.call("GetShardIterator", map[string]any{"StreamName": "sa", "ShardId": "shardId-000000000000", "ShardIteratorType": c.typ, "StartingSequenceNumber": c.seq})
		typ, _ := out["__type"].(string)
		msg, _ := out["message"].(string)
		if st != http.StatusBadRequest || typ != c.status || !strings.HasPrefix(msg, c.prefix) {
			t.Errorf("%s: %d %v, want %s %q…", c.name, st, out, c.status, c.prefix)
		}
	}
	// sa's shard 1 does not exist.
	st, out := e.call("GetShardIterator", map[string]any{"StreamName": "sa", "ShardId": "shardId-000000000001", "ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": sbShard1})
	if st != http.StatusBadRequest || out["__type"] != errResourceNotFound {
		t.Errorf("sequence number on a shard the stream lacks: %d %v", st, out)
	}
	// sa is untouched.
	_, it := e.call("GetShardIterator", map[string]any{"StreamName": "sa", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"})
	_, gr := e.call("GetRecords", map[string]any{"ShardIterator": it["ShardIterator"]})
	if recs, _ := gr["Records"].([]any); len(recs) != 1 {
		t.Errorf("sa after the refused iterators: %v", gr)
	}
}

// badPost is a goroutine-safe JSON call that reports problems as errors.
func badPost(hc *http.Client, base, op string, in any) (int, map[string]any, error) {
	b, _ := json.Marshal(in)
	req, err := http.NewRequest("POST", base+"/", bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	req.Header.Set("Content-Type", contentJSON)
	req.Header.Set("Authorization", badAuth)
	req.Header.Set("X-Amz-Date", "20150101T000000Z")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	var out map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &out); err != nil {
			return resp.StatusCode, nil, fmt.Errorf("%s: body %.200q is not JSON", op, body)
		}
	}
	return resp.StatusCode, out, nil
}

// Readers (and a writer) loop while the stream is deleted under them:
// every answer is records or ResourceNotFound, never a 500 or a broken
// connection, and the gateway carries on.
func TestBadInputDeleteWhileReading(t *testing.T) {
	e := newEnv(t, Config{})
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	const shards = 4
	e.mustCreate("cd", shards) // later rounds create it as soon as its name is free
	for round := range 3 {
		recs := make([]map[string]any, 400)
		for i := range recs {
			recs[i] = map[string]any{"PartitionKey": fmt.Sprint("k", i), "Data": bytes.Repeat([]byte{byte(i)}, 100+i)}
		}
		if st, out := e.call("PutRecords", map[string]any{"StreamName": "cd", "Records": recs}); st != http.StatusOK || out["FailedRecordCount"] != 0.0 {
			t.Fatalf("PutRecords: %d %v", st, out)
		}

		var (
			errs     = make(chan error, 100)
			reads    atomic.Int64
			wg       sync.WaitGroup
			notFound = func(st int, out map[string]any) bool {
				return st == http.StatusBadRequest && out["__type"] == errResourceNotFound
			}
		)
		report := func(err error) {
			select {
			case errs <- err:
			default:
			}
		}
		for g := range 2 * shards {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, out, err := badPost(hc, e.url, "GetShardIterator", map[string]any{"StreamName": "cd", "ShardId": fmt.Sprint("shardId-", g%shards), "ShardIteratorType": "TRIM_HORIZON"})
				if err != nil || st != http.StatusOK {
					report(fmt.Errorf("round %d reader %d: GetShardIterator %d %v %v", round, g, st, out, err))
					return
				}
				it := out["ShardIterator"].(string)
				for range 100000 {
					st, out, err := badPost(hc, e.url, "GetRecords", map[string]any{"ShardIterator": it, "Limit": 7})
					switch {
					case err != nil:
						report(fmt.Errorf("round %d reader %d: GetRecords: %v", round, g, err))
						return
					case notFound(st, out):
						return
					case st != http.StatusOK:
						report(fmt.Errorf("round %d reader %d: GetRecords answered %d %v", round, g, st, out))
						return
					}
					reads.Add(1)
					next, _ := out["NextShardIterator"].(string)
					if next == "" {
						report(fmt.Errorf("round %d reader %d: no NextShardIterator on an open shard: %v", round, g, out))
						return
					}
					it = next
				}
				report(fmt.Errorf("round %d reader %d: the deleted stream was never reported gone", round, g))
			}()
		}
		wg.Add(1)
		go func() { // a writer too
			defer wg.Done()
			for i := range 100000 {
				st, out, err := badPost(hc, e.url, "PutRecord", map[string]any{"StreamName": "cd", "PartitionKey": fmt.Sprint("w", i), "Data": []byte("w")})
				switch {
				case err != nil:
					report(fmt.Errorf("round %d writer: %v", round, err))
					return
				case notFound(st, out):
					return
				case st != http.StatusOK:
					report(fmt.Errorf("round %d writer: PutRecord answered %d %v", round, st, out))
					return
				}
			}
		}()

		mqtttest.Eventually(t, 10*time.Second, "readers to get going", func() bool { return reads.Load() >= 4*shards })
		if _, err := e.client.DeleteStream(ctx, &awskinesis.DeleteStreamInput{StreamName: aws.String("cd")}); err != nil {
			t.Fatalf("round %d: DeleteStream: %v", round, err)
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: readers still running 20s after the delete", round)
		}
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		// Wait for the name to be free again before the next round: the
		// stream answers ResourceNotFound at once, but its name is taken
		// (ResourceInUse, as on AWS while DELETING) until its records are
		// purged, which under qemu can outlast the first look.
		mqtttest.Eventually(t, 10*time.Second, "cd to be gone", func() bool {
			_, err := e.client.DescribeStreamSummary(ctx, &awskinesis.DescribeStreamSummaryInput{StreamName: aws.String("cd")})
			return apiCode(err) == errResourceNotFound
		})
		if round < 2 {
			mqtttest.Eventually(t, 10*time.Second, "the name cd free", func() bool {
				_, err := e.client.CreateStream(ctx, &awskinesis.CreateStreamInput{StreamName: aws.String("cd"), ShardCount: aws.Int32(shards)})
				return err == nil
			})
		}
	}

	// The gateway carries on.
	e.mustCreate("after", 1)
	if _, err := e.client.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("after"), PartitionKey: aws.String("k"), Data: []byte("still here")}); err != nil {
		t.Fatal(err)
	}
	it, err := e.client.GetShardIterator(ctx, &awskinesis.GetShardIteratorInput{StreamName: aws.String("after"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	gr, err := e.client.GetRecords(ctx, &awskinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(gr.Records) != 1 || string(gr.Records[0].Data) != "still here" {
		t.Errorf("after the deletes: %v %+v", err, gr)
	}
}

func TestBadInputReshard(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.client
	const (
		half   = "170141183460469231731687303715884105728" // 2^127
		halfM1 = "170141183460469231731687303715884105727"
		halfP1 = "170141183460469231731687303715884105729"
		top    = "340282366920938463463374607431768211455" // 2^128-1
		over   = "340282366920938463463374607431768211456" // 2^128
	)
	e.mustCreate("sp", 2)
	w := badDial(t, e.url)
	// Data in both shards, checked after every refused call.
	for _, k := range []string{"a", "foo"} {
		if _, err := c.PutRecord(ctx, &awskinesis.PutRecordInput{StreamName: aws.String("sp"), PartitionKey: aws.String(k), Data: []byte("before-" + k)}); err != nil {
			t.Fatal(err)
		}
	}
	intact := func(after string) {
		t.Helper()
		var got []string
		for _, sh := range []string{"shardId-000000000000", "shardId-000000000001"} {
			_, it := e.call("GetShardIterator", map[string]any{"StreamName": "sp", "ShardId": sh, "ShardIteratorType": "TRIM_HORIZON"})
			_, gr := e.call("GetRecords", map[string]any{"ShardIterator": it["ShardIterator"]})
			recs, _ := gr["Records"].([]any)
			for _, r := range recs {
				d, _ := base64.StdEncoding.DecodeString(r.(map[string]any)["Data"].(string))
				got = append(got, string(d))
			}
		}
		if !slices.Equal(got, []string{"before-a", "before-foo"}) {
			t.Errorf("after %s: stream holds %q", after, got)
		}
		d, err := c.DescribeStreamSummary(ctx, &awskinesis.DescribeStreamSummaryInput{StreamName: aws.String("sp")})
		if err != nil || *d.StreamDescriptionSummary.OpenShardCount != 2 {
			t.Errorf("after %s: %v, open shards %v", after, err, d)
		}
	}
	splitMsg := func(key, shard, start, end string) string {
		return "NewStartingHashKey " + key + " used in SplitShard() on shard " + shard + " in stream sp under account 000000000000 is not both greater than one plus the shard's StartingHashKey " +
			start + " and less than the shard's EndingHashKey " + end + "."
	}
	splits := []struct {
		name, shard, key, typ, msg string
	}{
		{"at the start", "shardId-000000000000", "0", errInvalidArgument, splitMsg("0", "shardId-000000000000", "0", halfM1)},
		{"at start+1", "shardId-000000000000", "1", errInvalidArgument, splitMsg("1", "shardId-000000000000", "0", halfM1)},
		{"at the end", "shardId-000000000000", halfM1, errInvalidArgument, splitMsg(halfM1, "shardId-000000000000", "0", halfM1)},
		{"past the end (next shard's start)", "shardId-000000000000", half, errInvalidArgument, splitMsg(half, "shardId-000000000000", "0", halfM1)},
		{"at the 2nd shard's start", "shardId-000000000001", half, errInvalidArgument, splitMsg(half, "shardId-000000000001", half, top)},
		{"at the 2nd shard's start+1", "shardId-000000000001", halfP1, errInvalidArgument, splitMsg(halfP1, "shardId-000000000001", half, top)},
		{"at 2^128-1", "shardId-000000000001", top, errInvalidArgument, splitMsg(top, "shardId-000000000001", half, top)},
		{"at 2^128", "shardId-000000000001", over, errInvalidArgument, splitMsg(over, "shardId-000000000001", half, top)},
		{"at 10^39-1", "shardId-000000000001", strings.Repeat("9", 39), errInvalidArgument, splitMsg(strings.Repeat("9", 39), "shardId-000000000001", half, top)},
		{"at 10^39 (40 digits)", "shardId-000000000001", "1" + strings.Repeat("0", 39), errValidation,
			"1 validation error detected: Value '1" + strings.Repeat("0", 39) + "' at 'newStartingHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"},
		{"negative", "shardId-000000000001", "-1", errValidation,
			"1 validation error detected: Value '-1' at 'newStartingHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"},
		{"hexadecimal", "shardId-000000000001", "0x10", errValidation,
			"1 validation error detected: Value '0x10' at 'newStartingHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"},
		{"an unknown shard", "shardId-000000000009", "5", errResourceNotFound, "Could not find shard shardId-000000000009 in stream sp under account 000000000000."},
	}
	for _, s := range splits {
		r, ok := w.json("split "+s.name, "SplitShard", map[string]any{"StreamName": "sp", "ShardToSplit": s.shard, "NewStartingHashKey": s.key})
		if ok {
			typ, msg := badJSONError(r)
			if r.status != http.StatusBadRequest || typ != s.typ || msg != s.msg {
				t.Errorf("split %s: %d %s\nwant %s %q", s.name, r.status, r.body, s.typ, s.msg)
			}
		}
		intact("split " + s.name)
	}
	// The narrowest valid split: start+2.
	if _, err := c.SplitShard(ctx, &awskinesis.SplitShardInput{StreamName: aws.String("sp"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("2")}); err != nil {
		t.Errorf("split at start+2: %v", err)
	}
	// Its child [0, 1] cannot be split at all.
	if _, err := c.SplitShard(ctx, &awskinesis.SplitShardInput{StreamName: aws.String("sp"), ShardToSplit: aws.String("shardId-000000000002"), NewStartingHashKey: aws.String("1")}); apiCode(err) != errInvalidArgument {
		t.Errorf("split of a two-key shard: %v", err)
	}

	// Merges.
	e.mustCreate("mg", 3)
	merge := func(a, b string) error {
		_, err := c.MergeShards(ctx, &awskinesis.MergeShardsInput{StreamName: aws.String("mg"), ShardToMerge: aws.String(a), AdjacentShardToMerge: aws.String(b)})
		return err
	}
	notAdjacent := func(a, b string) string {
		return "Shards " + a + " and " + b + " in stream mg under account 000000000000 are not an adjacent pair of shards eligible for merging"
	}
	closed := func(s string) string {
		return "Shard " + s + " in stream mg under account 000000000000 has already been merged or split, and thus is not eligible for merging or splitting."
	}
	const s0, s1, s2, s3, s4 = "shardId-000000000000", "shardId-000000000001", "shardId-000000000002", "shardId-000000000003", "shardId-000000000004"
	for _, m := range []struct{ a, b, typ, msg string }{
		{s0, s2, errInvalidArgument, notAdjacent(s0, s2)},
		{s2, s0, errInvalidArgument, notAdjacent(s2, s0)},
		{s0, s0, errInvalidArgument, notAdjacent(s0, s0)},
		// Adjacent but the wrong way round: ShardToMerge must be the lower
		// (kinesalite mergeShards.js: End(A)+1 == Start(B); kinesis.md §3.11).
		{s1, s0, errInvalidArgument, notAdjacent(s1, s0)},
		{s2, s1, errInvalidArgument, notAdjacent(s2, s1)},
		{s0, "shardId-000000000009", errResourceNotFound, "Could not find shard shardId-000000000009 in stream mg under account 000000000000."},
	} {
		if err := merge(m.a, m.b); apiCode(err) != m.typ || apiMessage(err) != m.msg {
			t.Errorf("merge %s + %s: %v\nwant %s %q", m.a, m.b, err, m.typ, m.msg)
		}
	}
	if err := merge(s1, s2); err != nil {
		t.Fatalf("merge %s + %s: %v", s1, s2, err)
	}
	d, err := c.ListShards(ctx, &awskinesis.ListShardsInput{StreamName: aws.String("mg")})
	if err != nil || len(d.Shards) != 4 || *d.Shards[3].ShardId != s3 || *d.Shards[3].ParentShardId != s1 || *d.Shards[3].AdjacentParentShardId != s2 ||
		*d.Shards[3].HashKeyRange.StartingHashKey != *d.Shards[1].HashKeyRange.StartingHashKey || *d.Shards[3].HashKeyRange.EndingHashKey != top {
		t.Errorf("after merging %s + %s: %v %+v", s1, s2, err, d)
	}
	// The parents are closed now.
	for _, m := range []struct{ a, b, bad string }{{s1, s0, s1}, {s0, s1, s1}, {s2, s3, s2}, {s3, s2, s2}} {
		if err := merge(m.a, m.b); apiCode(err) != errInvalidArgument || apiMessage(err) != closed(m.bad) {
			t.Errorf("merge %s + %s with %s closed: %v", m.a, m.b, m.bad, err)
		}
	}
	_, err = c.SplitShard(ctx, &awskinesis.SplitShardInput{StreamName: aws.String("mg"), ShardToSplit: aws.String(s1), NewStartingHashKey: aws.String(top[:38])})
	if apiCode(err) != errInvalidArgument || apiMessage(err) != closed(s1) {
		t.Errorf("split of merged shard %s: %v", s1, err)
	}
	// The open ones still merge.
	if err := merge(s0, s3); err != nil {
		t.Errorf("merge %s + %s: %v", s0, s3, err)
	}
	if err := merge(s4, s4); apiCode(err) != errInvalidArgument {
		t.Errorf("merge %s with itself: %v", s4, err)
	}
}
