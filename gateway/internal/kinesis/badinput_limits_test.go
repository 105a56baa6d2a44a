package kinesis

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Bad input, size limits (harness in badinput_test.go): request bodies over
// Config.MaxRequestBytes, by Content-Length, Expect: 100-continue or
// chunked, and a PutRecords with one record over 1 MiB.

// A body over Config.MaxRequestBytes is answered 413 without being read
// whole: a client that announces a large Content-Length and stalls gets
// its answer at once, and a chunked body is cut off at the limit.
func TestBadInputBodyOverLimit(t *testing.T) {
	const limit = 64 << 10
	e := newEnv(t, Config{MaxRequestBytes: limit})
	e.mustCreate("lim", 1)
	w := badDial(t, e.url)
	s := &badStream{t: t, w: w, stream: "lim"}
	s.check("setup")

	head := func(extra string) []byte {
		return []byte("POST / HTTP/1.1\r\nHost: " + w.host + "\r\nX-Amz-Target: Kinesis_20131202.PutRecord\r\nContent-Type: " + contentJSON +
			"\r\nAuthorization: " + badAuth + "\r\nX-Amz-Date: 20150101T000000Z\r\n" + extra + "\r\n")
	}
	// expect413 sends the head and the first bytes of a body that never
	// completes, and waits (bounded) for the answer.
	expect413 := func(what string, raw []byte) {
		t.Helper()
		c, err := net.DialTimeout("tcp", w.host, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		c.SetDeadline(start.Add(5 * time.Second))
		if _, err := c.Write(raw); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Errorf("%s: no answer within 5s while the body stalls: %v", what, err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: status %d, want 413", what, resp.StatusCode)
		}
		t.Logf("%s: %d after %v", what, resp.StatusCode, time.Since(start).Round(time.Millisecond))
	}
	body := []byte(`{"StreamName":"lim","PartitionKey":"p","Data":"`)

	// Content-Length far over the limit, body stalled after a few bytes.
	expect413("Content-Length 10 MiB, stalled", append(head("Content-Length: 10485760\r\n"), body...))
	s.check("Content-Length 10 MiB")
	// Just over the limit: still answered at once, not after waiting to
	// read (or discard) the rest.
	expect413("Content-Length limit+1, stalled", append(head(fmt.Sprintf("Content-Length: %d\r\n", limit+1)), body...))
	s.check("Content-Length limit+1")
	// Over the limit with Expect: 100-continue: refused before the body.
	expect413("Content-Length 10 MiB with Expect: 100-continue", head("Content-Length: 10485760\r\nExpect: 100-continue\r\n"))
	s.check("Expect: 100-continue")

	// Chunked, no Content-Length: more than the limit in chunks, then the
	// body stalls (no last chunk). The limit is found while reading.
	var chunked bytes.Buffer
	chunked.Write(head("Transfer-Encoding: chunked\r\n"))
	fmt.Fprintf(&chunked, "%x\r\n%s\r\n", len(body), body)
	for sent := len(body); sent <= limit; sent += 4096 {
		fmt.Fprintf(&chunked, "%x\r\n%s\r\n", 4096, bytes.Repeat([]byte{'A'}, 4096))
	}
	expect413("chunked body over the limit, stalled", chunked.Bytes())
	s.check("chunked over the limit")

	// A body of exactly the limit is read and answered normally (JSON
	// padded with white space).
	valid := []byte(`{"StreamName":"lim","PartitionKey":"p","Data":"` + base64.StdEncoding.EncodeToString([]byte("at-limit")) + `"}`)
	exact := append(valid, bytes.Repeat([]byte{' '}, limit-len(valid))...)
	r, ok := w.do("body of exactly the limit", "POST", "Kinesis_20131202.PutRecord", contentJSON, exact)
	if ok && r.status != http.StatusOK {
		t.Errorf("body of exactly the limit: %d %s", r.status, r.body)
	} else if ok {
		s.want = append(s.want, "at-limit")
	}
	s.check("body of exactly the limit")
	// One byte more is refused, with the whole body sent.
	r, ok = w.do("body of limit+1", "POST", "Kinesis_20131202.PutRecord", contentJSON, append(exact, ' '))
	if ok && r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("body of limit+1: %d %s", r.status, r.body)
	}
	w.redial() // the server may close after a 413
	s.check("body of limit+1")
}

// PutRecords where one record's data plus key is over 1 MiB: only that
// record fails, the results keep request order, and the others are stored
// in request order.
func TestBadInputPutRecordsOneTooBig(t *testing.T) {
	e := newEnv(t, Config{})
	e.mustCreate("one", 1)
	w := badDial(t, e.url)
	s := &badStream{t: t, w: w, stream: "one"}
	s.check("setup")

	recs := []map[string]any{
		{"PartitionKey": "p", "Data": []byte("r0")},
		{"PartitionKey": "p", "Data": []byte("r1")},
		{"PartitionKey": "kk", "Data": bytes.Repeat([]byte{'x'}, 1<<20-1)}, // 1 MiB + 1 with its key
		{"PartitionKey": "p", "Data": []byte("r3")},
		{"PartitionKey": "p", "Data": bytes.Repeat([]byte{'y'}, 1<<20-1)}, // exactly 1 MiB with its key: fine
		{"PartitionKey": "p", "Data": []byte("r5")},
	}
	r, ok := w.json("PutRecords with one record over 1 MiB", "PutRecords", map[string]any{"StreamName": "one", "Records": recs})
	if !ok {
		return
	}
	var out struct {
		FailedRecordCount *int
		Records           []struct {
			SequenceNumber, ShardId, ErrorCode, ErrorMessage *string
		}
	}
	if err := json.Unmarshal(r.body, &out); err != nil || r.status != http.StatusOK {
		t.Fatalf("PutRecords: %d %.300s", r.status, r.body)
	}
	if out.FailedRecordCount == nil || *out.FailedRecordCount != 1 || len(out.Records) != len(recs) {
		t.Fatalf("PutRecords: FailedRecordCount %v, %d results: %.500s", out.FailedRecordCount, len(out.Records), r.body)
	}
	var prev string
	for i, res := range out.Records {
		if i == 2 {
			if res.ErrorCode == nil || res.ErrorMessage == nil || res.SequenceNumber != nil || res.ShardId != nil {
				t.Errorf("result 2 (too big): %+v", res)
			} else if *res.ErrorCode != errInternalFailure && *res.ErrorCode != errThroughput {
				t.Errorf("result 2: ErrorCode %q, want one of PutRecords' per-record codes (kinesis.md §3.7)", *res.ErrorCode)
			}
			continue
		}
		if res.ErrorCode != nil || res.SequenceNumber == nil || *res.ShardId != "shardId-000000000000" {
			t.Errorf("result %d: %+v", i, res)
			continue
		}
		if prev != "" && !seqLess(prev, *res.SequenceNumber) {
			t.Errorf("result %d: sequence number %s not after %s", i, *res.SequenceNumber, prev)
		}
		prev = *res.SequenceNumber
	}
	got, _ := s.read("after PutRecords")
	want := append(slices.Clone(s.want), "r0", "r1", "r3", strings.Repeat("y", 1<<20-1), "r5")
	if !slices.Equal(got, want) {
		t.Errorf("stored after PutRecords: %d records, want %d", len(got), len(want))
	}
	s.want = want
	s.check("PutRecords with one record over 1 MiB")
}
