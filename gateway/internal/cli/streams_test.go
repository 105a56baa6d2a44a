package cli

import (
	"bytes"
	"testing"

	"github.com/tributary-edge/tributary/gateway/internal/api"
)

func TestWriteStreamTable(t *testing.T) {
	streams := []api.Stream{
		{Name: "dead-letter", OpenShards: 1, Retention: "168h0m0s", WhenFull: "reject_new", System: true},
		{Name: "telemetry", OpenShards: 4, Records: 12345, Bytes: 3 << 19, Retention: "24h0m0s", WhenFull: "reject_new"},
		{Name: "video-events", OpenShards: 16, Records: 7, Bytes: 700, Retention: "1h30m0s", WhenFull: "drop_oldest", MaxBytes: 1 << 30},
	}
	var buf bytes.Buffer
	if err := writeStreamTable(&buf, streams); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"NAME                  SHARDS  RECORDS  BYTES    RETENTION  WHEN_FULL\n" +
		"dead-letter (system)  1       0        0 B      7d         reject_new\n" +
		"telemetry             4       12345    1.5 MiB  24h        reject_new\n" +
		"video-events          16      7        700 B    1h30m      drop_oldest\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestWriteStreamTableEmpty(t *testing.T) {
	var buf bytes.Buffer
	writeStreamTable(&buf, nil)
	if got, want := buf.String(), "NAME  SHARDS  RECORDS  BYTES  RETENTION  WHEN_FULL\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWriteStreamDetail(t *testing.T) {
	s := api.Stream{
		Name: "telemetry", OpenShards: 2, Retention: "24h0m0s", MaxBytes: 1 << 30, WhenFull: "reject_new",
		Records: 3, Bytes: 2048, Created: "2026-01-02T03:04:05Z",
		Shards: []api.Shard{
			{ID: "shardId-000000000000", StartingHashKey: "0", EndingHashKey: "340282366920938463463374607431768211455",
				EndingSequence: "100000000000000000000000000000009", LastSequence: "100000000000000000000000000000003", Records: 3},
			{ID: "shardId-000000000001", StartingHashKey: "0", EndingHashKey: "170141183460469231731687303715884105727",
				Parents: []string{"shardId-000000000000"}},
			{ID: "shardId-000000000002", StartingHashKey: "170141183460469231731687303715884105728", EndingHashKey: "340282366920938463463374607431768211455",
				Parents: []string{"shardId-000000000000"}},
		},
	}
	var buf bytes.Buffer
	if err := writeStreamDetail(&buf, s); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"Name:         telemetry\n" +
		"Open shards:  2 (3 in total)\n" +
		"Retention:    24h\n" +
		"Max bytes:    1 GiB (1073741824 bytes)\n" +
		"When full:    reject_new\n" +
		"Records:      3\n" +
		"Bytes:        2 KiB\n" +
		"Created:      2026-01-02T03:04:05Z\n" +
		"\n" +
		"SHARD                 STATE   HASH_RANGE  PARENTS               RECORDS  LAST_SEQUENCE\n" +
		"shardId-000000000000  closed  0000..ffff  -                     3        100000000000000000000000000000003\n" +
		"shardId-000000000001  open    0000..7fff  shardId-000000000000  0        -\n" +
		"shardId-000000000002  open    8000..ffff  shardId-000000000000  0        -\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
