package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
)

var tailRecords = []api.Record{
	{Stream: "s", ShardID: "shardId-000000000000", SequenceNumber: "100000000000000000000000000000001",
		PartitionKey: "sensor-1", Arrival: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), Data: []byte(`{"t":21.5}`)},
	{Stream: "s", ShardID: "shardId-000000000001", SequenceNumber: "100000000000100000000000000000002",
		PartitionKey: "a-partition-key-longer-than-24", Arrival: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)),
		Data: []byte("bin\x00\x01\n" + strings.Repeat("z", 100))},
	{Stream: "s", ShardID: "shardId-000000000001", SequenceNumber: "100000000000100000000000000000003", Data: nil},
}

func printAll(t *testing.T, format string) string {
	t.Helper()
	var buf bytes.Buffer
	p := newRecordPrinter(format, &buf)
	for _, r := range tailRecords {
		if err := p(r); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

func TestTailRaw(t *testing.T) {
	want := "{\"t\":21.5}\nbin\x00\x01\n" + strings.Repeat("z", 100) + "\n\n"
	if got := printAll(t, "raw"); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTailJSON(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(printAll(t, "json"), "\n"), "\n")
	if len(lines) != len(tailRecords) {
		t.Fatalf("got %d lines, want %d", len(lines), len(tailRecords))
	}
	for i, line := range lines {
		var r api.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		w := tailRecords[i]
		if r.SequenceNumber != w.SequenceNumber || r.ShardID != w.ShardID || r.PartitionKey != w.PartitionKey ||
			!r.Arrival.Equal(w.Arrival) || !bytes.Equal(r.Data, w.Data) {
			t.Errorf("line %d: got %+v, want %+v", i, r, w)
		}
	}
}

func TestTailTable(t *testing.T) {
	want := "" +
		"SEQUENCE                           SHARD                 KEY               ARRIVAL                   DATA\n" +
		"100000000000000000000000000000001  shardId-000000000000  sensor-1          2026-01-02T03:04:05.006Z  {\"t\":21.5}\n" +
		"100000000000100000000000000000002  shardId-000000000001  a-partition-key-longer-…  2026-01-02T02:04:05.000Z  bin\\x00\\x01\\n" + strings.Repeat("z", 46) + "…\n" +
		"100000000000100000000000000000003  shardId-000000000001  " + strings.Repeat(" ", 24) + "  -                         \n"
	if got := printAll(t, "table"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
