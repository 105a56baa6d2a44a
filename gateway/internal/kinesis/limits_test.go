package kinesis

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskinesis "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/fxamacker/cbor/v2"
)

// A body of many small values would cost far more decoded than on the
// wire; it is refused before it is decoded (and before auth, which comes
// later in AWS's order).
func TestBodyValueLimits(t *testing.T) {
	e := newEnv(t, Config{})
	zeros := "[" + strings.Repeat("0,", 300000) + "0]"
	for _, c := range []struct {
		name, target, ctype string
		body                []byte
	}{
		{"json array", "Kinesis_20131202.ListStreams", contentJSON, []byte(`{"X":` + zeros + `}`)},
		{"json PutRecords", "Kinesis_20131202.PutRecords", contentJSON, []byte(`{"StreamName":"s","Records":` + zeros + `}`)},
		{"json nesting", "Kinesis_20131202.ListStreams", contentJSON, []byte(`{"X":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`)},
		{"cbor array", "Kinesis_20131202.ListStreams", contentCBOR, mustCBOR(t, map[string]any{"X": make([]int, 30000)})},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.raw("POST", c.target, c.ctype, c.body, true) // no auth: refused before that
			if r.status != 400 || !bytes.Contains(r.body, []byte(errSerialization)) || !bytes.Contains(r.body, []byte("no Kinesis request is that large")) {
				t.Errorf("got %d %q", r.status, r.body[:min(len(r.body), 200)])
			}
		})
	}
	// A full-size legitimate PutRecords is well within the limits.
	e.mustCreate("s", 1)
	recs := make([]types.PutRecordsRequestEntry, 500)
	for i := range recs {
		recs[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprint(i)), ExplicitHashKey: aws.String("1"), Data: []byte("x")}
	}
	if _, err := e.client.PutRecords(ctx, &awskinesis.PutRecordsInput{StreamName: aws.String("s"), Records: recs}); err != nil {
		t.Fatal(err)
	}
}

func mustCBOR(t *testing.T, v any) []byte {
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Clients that announce large bodies and then stall hold only what they
// sent, so they cannot starve everyone else of the in-flight budget.
func TestStalledBodiesDoNotStallTheAPI(t *testing.T) {
	e := newEnv(t, Config{MaxRequestBytes: 8 << 20, MaxInflightBytes: 8 << 20})
	host := strings.TrimPrefix(e.url, "http://")
	for range 4 {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n{", contentJSON, 8<<20)
	}
	done := make(chan error, 1)
	go func() {
		_, err := e.client.ListStreams(ctx, &awskinesis.ListStreamsInput{})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("ListStreams waited behind stalled bodies")
	}
}

func TestCBORLimitWalker(t *testing.T) {
	ok := [][]byte{
		mustCBOR(t, map[string]any{"StreamName": "s", "Records": []any{map[string]any{"Data": []byte("x"), "PartitionKey": "k"}}}),
		{0x9f, 0x01, 0x02, 0xff},             // indefinite array
		{0x7f, 0x61, 0x61, 0xff},             // indefinite text
		{0xc1, 0x1b, 0, 0, 1, 0, 0, 0, 0, 0}, // tag 1 + uint64
	}
	for _, b := range ok {
		if !cborWithinLimits(b) {
			t.Errorf("%x refused", b)
		}
	}
	deep := append(bytes.Repeat([]byte{0x81}, 40), 0x00)
	if cborWithinLimits(deep) {
		t.Error("40 nested arrays accepted")
	}
}

func FuzzCBORWithinLimits(f *testing.F) {
	f.Add([]byte{0x9f, 0x01, 0xff})
	f.Add([]byte{0xbf, 0x61, 0x61, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		cborWithinLimits(b) // never panics or loops
		jsonWithinLimits(b)
	})
}
