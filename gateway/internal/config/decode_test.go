package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// parseTests are the error cases of the strict decoder; they also seed
// FuzzParse.
var parseTests = []struct {
	name string
	in   string
	env  map[string]string
	want string // the whole error text, one KeyError per line
}{
	{
		name: "unknown top-level key",
		in:   "data_dir: /var/lib/tributary\nlisten: :4567\n",
		want: `t.yaml:2: listen: unknown key`,
	},
	{
		name: "unknown nested key with suggestion",
		in:   "spool:\n  durabilty: fsync\n",
		want: `t.yaml:2: spool.durabilty: unknown key (did you mean "durability"?)`,
	},
	{
		name: "suggestion ignores case and underscores",
		in:   "dataDir: /tmp\n",
		want: `t.yaml:1: dataDir: unknown key (did you mean "data_dir"?)`,
	},
	{
		name: "suggestion in a list element",
		in:   "streams:\n  - name: a\n    shard: 2\n",
		want: `t.yaml:3: streams[0].shard: unknown key (did you mean "shards"?)`,
	},
	{
		name: "unknown key needing quotes",
		in:   "http:\n  \"a b\": 1\n",
		want: `t.yaml:2: http["a b"]: unknown key`,
	},
	{
		name: "string for int",
		in:   "streams:\n  - name: telemetry\n    shards: four\n",
		want: `t.yaml:3: streams[0].shards: want an integer, got "four"`,
	},
	{
		name: "quoted number for int",
		in:   "spool:\n  memory:\n    num_memtables: \"2\"\n",
		want: `t.yaml:3: spool.memory.num_memtables: want an integer, got "2"`,
	},
	{
		name: "map for list",
		in:   "streams:\n  name: telemetry\n",
		want: `t.yaml:2: streams: want a list, got a mapping`,
	},
	{
		name: "scalar for mapping",
		in:   "spool: fast\n",
		want: `t.yaml:1: spool: want a mapping, got "fast"`,
	},
	{
		name: "list for string",
		in:   "data_dir: [a, b]\n",
		want: `t.yaml:1: data_dir: want a string, got a list`,
	},
	{
		name: "top level not a mapping",
		in:   "- a\n- b\n",
		want: `t.yaml:1: want a mapping, got a list`,
	},
	{
		name: "bad duration",
		in:   "spool:\n  sync_interval: 10 parsecs\n",
		want: `t.yaml:2: spool.sync_interval: invalid duration "10 parsecs"`,
	},
	{
		name: "duration without unit",
		in:   "spool:\n  gc_interval: 300\n",
		want: `t.yaml:2: spool.gc_interval: invalid duration "300" (missing unit: use ns, us, ms, s, m, h or d)`,
	},
	{
		name: "bad byte size",
		in:   "spool:\n  min_free_disk: 10 gigs\n",
		want: `t.yaml:2: spool.min_free_disk: invalid byte size "10 gigs"`,
	},
	{
		name: "duplicate key",
		in:   "http:\n  addr: :80\n  addr: :81\n",
		want: `t.yaml:3: http.addr: duplicate key (first at line 2)`,
	},
	{
		name: "duplicate top-level key",
		in:   "log: {level: info}\nlog: {level: debug}\n",
		want: `t.yaml:2: log: duplicate key (first at line 1)`,
	},
	{
		name: "duplicate stream names",
		in:   "streams:\n  - name: telemetry\n  - name: events\n  - name: telemetry\n",
		want: `t.yaml:4: streams[2].name: duplicate stream "telemetry" (also streams[0])`,
	},
	{
		name: "bad stream name",
		in:   "streams:\n  - name: my stream\n",
		want: `t.yaml:2: streams[0].name: must contain only letters, digits, '_', '.' and '-' (got "my stream")`,
	},
	{
		name: "missing stream name",
		in:   "streams:\n  - shards: 2\n",
		want: `t.yaml:2: streams[0].name: must not be empty`,
	},
	{
		name: "stream named like the dead-letter stream",
		in:   "streams:\n  - name: dead-letter\n",
		want: `t.yaml:2: streams[0].name: stream "dead-letter" is the dead-letter stream (spool.dead_letter.stream); choose another name`,
	},
	{
		name: "bad durability",
		in:   "spool:\n  durability: fsnyc\n",
		want: `t.yaml:2: spool.durability: must be one of fsync, interval, none (got "fsnyc")`,
	},
	{
		name: "two errors together",
		in:   "spool:\n  durabilty: fsync\nstreams:\n  - name: telemetry\n    shards: four\n",
		want: `t.yaml:2: spool.durabilty: unknown key (did you mean "durability"?)` + "\n" +
			`t.yaml:5: streams[0].shards: want an integer, got "four"`,
	},
	{
		name: "decode, environment and validation errors together",
		in:   "log:\n  level: loud\nhttp:\n  adr: x\n",
		env:  map[string]string{"TRIBUTARY_HTTP_ADDR": "nonsense"},
		want: `t.yaml:4: http.adr: unknown key (did you mean "addr"?)` + "\n" +
			`TRIBUTARY_HTTP_ADDR: must be host:port (got "nonsense")` + "\n" +
			`t.yaml:2: log.level: must be one of debug, info, warn, error (got "loud")`,
	},
	{
		name: "env override bad value",
		in:   "",
		env:  map[string]string{"TRIBUTARY_DURABILITY": "fsnyc"},
		want: `TRIBUTARY_DURABILITY: must be one of fsync, interval, none (got "fsnyc")`,
	},
	{
		name: "env override bad port",
		in:   "",
		env:  map[string]string{"TRIBUTARY_HTTP_ADDR": "0.0.0.0:99999"},
		want: `TRIBUTARY_HTTP_ADDR: port must be a number 0-65535 (got "99999")`,
	},
	{
		name: "env override bad log level",
		in:   "log: {level: debug}\n",
		env:  map[string]string{"TRIBUTARY_LOG_LEVEL": "verbose"},
		want: `TRIBUTARY_LOG_LEVEL: must be one of debug, info, warn, error (got "verbose")`,
	},
	{
		name: "multiple documents",
		in:   "data_dir: /a\n---\ndata_dir: /b\n",
		want: `t.yaml:2: multiple YAML documents; want one`,
	},
	{
		name: "syntax error",
		in:   "streams: [\n",
		want: `t.yaml:1: invalid YAML: did not find expected node content`,
	},
	{
		name: "self-referencing merge",
		in:   "spool: &s\n  <<: *s\n",
		want: `t.yaml:2: spool: alias *s refers to a value that contains it`,
	},
	{
		name: "merge of a scalar",
		in:   "http:\n  <<: 5\n",
		want: `t.yaml:2: http.<<: want a mapping to merge, got "5"`,
	},
	{
		name: "range and cross-field validation",
		in: "spool:\n  encryption_key_file: /etc/tributary/key\n  chunk_max_bytes: 2MiB\n" +
			"  memory:\n    index_cache_size: 0\n    memtable_size: 1MiB\n    value_threshold: 512KiB\n    value_log_file_size: 1MiB\n",
		want: `t.yaml:5: spool.memory.index_cache_size: must be > 0 when spool.encryption_key_file is set (Badger needs an index cache with encryption)` + "\n" +
			`t.yaml:7: spool.memory.value_threshold: must be at most 15% of spool.memory.memtable_size, 157286 bytes (got 512KiB)` + "\n" +
			`t.yaml:3: spool.chunk_max_bytes: must not exceed spool.memory.value_log_file_size, 1MiB (got 2MiB)`,
	},
	{
		name: "out of range values",
		in: "http: {addr: localhost}\nspool:\n  sync_interval: 20s\n  memory: {num_memtables: 9}\n" +
			"streams:\n  - {name: a, shards: 0, retention: 30s, when_full: block}\n",
		want: `t.yaml:1: http.addr: must be host:port (got "localhost")` + "\n" +
			`t.yaml:3: spool.sync_interval: must be between 1ms and 10s (got 20s)` + "\n" +
			`t.yaml:4: spool.memory.num_memtables: must be between 1 and 8 (got 9)` + "\n" +
			`t.yaml:6: streams[0].shards: must be between 1 and 1024 (got 0)` + "\n" +
			`t.yaml:6: streams[0].retention: must be between 1m and 8760h (got 30s)` + "\n" +
			`t.yaml:6: streams[0].when_full: must be one of reject_new, drop_oldest (got "block")`,
	},
}

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseErrors(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("t.yaml", []byte(tt.in), getenv(tt.env))
			if err == nil {
				t.Fatalf("Parse succeeded; want error:\n%s", tt.want)
			}
			if c != nil {
				t.Errorf("Parse returned a config with an error")
			}
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want *Errors", err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
			if n := strings.Count(tt.want, "\n") + 1; len(*errs) != n {
				t.Errorf("got %d KeyErrors, want %d", len(*errs), n)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "\n", "# nothing but a comment\n", "---\n", "~\n"} {
		c, err := Parse("t.yaml", []byte(in), nil)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if !reflect.DeepEqual(c, Default()) {
			t.Errorf("Parse(%q) = %+v; want Default()", in, c)
		}
	}
}

func TestParseOverrides(t *testing.T) {
	in := `
data_dir: /var/lib/tributary
http:
  addr: 0.0.0.0:4567
log:
  level:            # null: keep the default
spool:
  durability: interval
  sync_interval: 250ms
  memory:
    num_memtables: 0x3
streams:
  - name: telemetry
    shards: 8
  - name: events.v2
    retention: 7d
    max_bytes: 2GiB
    when_full: drop_oldest
`
	c, err := Parse("t.yaml", []byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.DataDir = "/var/lib/tributary"
	want.HTTP.Addr = "0.0.0.0:4567"
	want.Spool.Durability = "interval"
	want.Spool.SyncInterval = Duration(250 * time.Millisecond)
	want.Spool.Memory.NumMemtables = 3
	want.Streams = []Stream{
		{Name: "telemetry", Shards: 8, Retention: Duration(24 * time.Hour), WhenFull: "reject_new"},
		{Name: "events.v2", Shards: 4, Retention: Duration(7 * 24 * time.Hour), MaxBytes: 2 * GiB, WhenFull: "drop_oldest"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

func TestParseStreamsReplaceDefaults(t *testing.T) {
	for _, in := range []string{"streams: []\n", "streams:\n"} {
		c, err := Parse("t.yaml", []byte(in), nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Streams == nil || len(c.Streams) != 0 {
			t.Errorf("Parse(%q).Streams = %#v; want empty", in, c.Streams)
		}
	}
}

func TestParseAliasesAndMerge(t *testing.T) {
	in := `
streams:
  - &base {name: a, shards: 2, retention: 48h}
  - <<: *base
    name: b
  - <<: [{shards: 16}, *base]
    name: c
`
	c, err := Parse("t.yaml", []byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, s := range c.Streams {
		got = append(got, fmt.Sprintf("%s/%s/%d", s.Name, s.Retention, s.Shards))
	}
	want := []string{"a/48h/2", "b/48h/2", "c/48h/16"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("streams = %v; want %v", got, want)
	}
}

func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 {shards: 1}\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&b, "a%d: &a%d {<<: [*a%d, *a%d]}\n", i, i, i-1, i-1)
	}
	b.WriteString("streams:\n  - <<: *a29\n    name: x\n")
	// 2^30 nodes if expanded: the cap must refuse it rather than expand it
	_, err := Parse("t.yaml", []byte(b.String()), nil)
	if err == nil || !strings.Contains(err.Error(), "document too large") {
		t.Errorf("err = %v; want document too large", err)
	}
}
