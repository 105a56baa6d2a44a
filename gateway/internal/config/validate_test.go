package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaultValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if Default() == Default() || &Default().Streams[0] == &Default().Streams[0] {
		t.Error("Default() must return a fresh Config each call")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string // "" for valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"video stream", func(c *Config) { c.Video.Streams = []VideoStream{DefaultVideoStream("cam")} }, ""},
		{"video schedule", func(c *Config) {
			s := DefaultVideoStream("cam")
			s.Schedule = []string{"mon-fri 8-18"}
			c.Video.Streams = []VideoStream{s}
		}, `video.streams[0].schedule[0]: "mon-fri 8-18": time "8": want HH:MM from 00:00 to 24:00`},
		{"video when_full", func(c *Config) {
			s := DefaultVideoStream("cam")
			s.Retention.WhenFull = "drop"
			c.Video.Streams = []VideoStream{s}
		}, `video.streams[0].retention.when_full: must be one of delete_oldest, deny_new (got "drop")`},
		{"video rtp codec", func(c *Config) {
			s := DefaultVideoStream("cam")
			s.RTP = VideoRTP{Listen: ":5004", Codec: "H265"}
			c.Video.Streams = []VideoStream{s}
		}, `video.streams[0].rtp.codec: rtpin: invalid config: codec "H265": supported: H264, VP8, opus`},
		{"clip rule of no camera", func(c *Config) {
			var r ClipRule
			r.setDefaults()
			r.Name, r.Camera, r.Source, r.Destination.HTTP.URL = "m", "nope", "events", "http://x"
			c.Video.ClipRules = []ClipRule{r}
		}, `video.clip_rules[0].camera: "nope" is not a video stream (video.streams)`},
		{"clip rule condition", func(c *Config) {
			var r ClipRule
			r.setDefaults()
			c.Video.Streams = []VideoStream{DefaultVideoStream("cam")}
			r.Name, r.Camera, r.Source, r.Condition, r.Destination.HTTP.URL = "m", "cam", "events", "type = = 'x'", "http://x"
			c.Video.ClipRules = []ClipRule{r}
		}, "video.clip_rules[0].condition: unexpected \"=\" (expected an expression)\ntype = = 'x'\n       ^"},
		{"clip rule two destinations", func(c *Config) {
			var r ClipRule
			r.setDefaults()
			c.Video.Streams = []VideoStream{DefaultVideoStream("cam")}
			r.Name, r.Camera, r.Source, r.Destination.HTTP.URL, r.Destination.S3.Bucket = "m", "cam", "events", "http://x", "b"
			c.Video.ClipRules = []ClipRule{r}
		}, `video.clip_rules[0].destination: set exactly one of s3.bucket and http.url`},
		{"empty data_dir", func(c *Config) { c.DataDir = "" }, "data_dir: must not be empty"},
		{"empty addr", func(c *Config) { c.HTTP.Addr = "" }, "http.addr: must not be empty"},
		{"addr without host", func(c *Config) { c.HTTP.Addr = ":4567" }, ""},
		{"addr port 0", func(c *Config) { c.HTTP.Addr = "127.0.0.1:0" }, ""},
		{"addr ipv6", func(c *Config) { c.HTTP.Addr = "[::1]:4567" }, ""},
		{"addr named port", func(c *Config) { c.HTTP.Addr = "localhost:http" }, `http.addr: port must be a number 0-65535 (got "http")`},
		{"addr port too big", func(c *Config) { c.HTTP.Addr = "localhost:65536" }, `http.addr: port must be a number 0-65535 (got "65536")`},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, `log.format: must be one of text, json (got "xml")`},
		{"interval durability", func(c *Config) { c.Spool.Durability = "interval" }, ""},
		{"sync interval too small", func(c *Config) { c.Spool.SyncInterval = Duration(time.Microsecond) }, "spool.sync_interval: must be between 1ms and 10s (got 1µs)"},
		{"negative min_free_disk", func(c *Config) { c.Spool.MinFreeDisk = -1 }, "spool.min_free_disk: must not be negative (got -1)"},
		{"min_free_disk off", func(c *Config) { c.Spool.MinFreeDisk = 0 }, ""},
		{"retention check interval", func(c *Config) { c.Spool.RetentionCheckInterval = Duration(2 * time.Hour) }, "spool.retention_check_interval: must be between 1s and 1h (got 2h)"},
		{"gc off", func(c *Config) { c.Spool.GCInterval = 0 }, ""},
		{"gc too often", func(c *Config) { c.Spool.GCInterval = Duration(time.Millisecond) }, "spool.gc_interval: must be between 1s and 24h (got 1ms)"},
		{"chunk too small", func(c *Config) { c.Spool.ChunkMaxBytes = KiB }, "spool.chunk_max_bytes: must be between 4KiB and 4MiB (got 1KiB)"},
		{"memtable too big", func(c *Config) { c.Spool.Memory.MemtableSize = GiB }, "spool.memory.memtable_size: must be between 1MiB and 256MiB (got 1GiB)"},
		{"block cache off", func(c *Config) { c.Spool.Memory.BlockCacheSize = 0 }, ""},
		{"index cache too big", func(c *Config) { c.Spool.Memory.IndexCacheSize = 2 * GiB }, "spool.memory.index_cache_size: must be between 0 and 1GiB (got 2GiB)"},
		{"vlog file 1GiB", func(c *Config) { c.Spool.Memory.ValueLogFileSize = GiB }, "spool.memory.value_log_file_size: must be between 1MiB and 256MiB (got 1GiB)"},
		{"value threshold too small", func(c *Config) { c.Spool.Memory.ValueThreshold = 32 }, "spool.memory.value_threshold: must be between 64 and 1MiB (got 32)"},
		{"encryption with index cache", func(c *Config) { c.Spool.EncryptionKeyFile = "/k" }, ""},
		{"encryption without index cache", func(c *Config) { c.Spool.EncryptionKeyFile = "/k"; c.Spool.Memory.IndexCacheSize = 0 },
			"spool.memory.index_cache_size: must be > 0 when spool.encryption_key_file is set (Badger needs an index cache with encryption)"},
		{"dead letter name", func(c *Config) { c.Spool.DeadLetter.Stream = "" }, "spool.dead_letter.stream: must not be empty"},
		{"dead letter retention", func(c *Config) { c.Spool.DeadLetter.Retention = Duration(9000 * time.Hour) }, "spool.dead_letter.retention: must be between 1m and 8760h (got 9000h)"},
		{"renamed dead letter frees the name", func(c *Config) {
			c.Spool.DeadLetter.Stream = "dlq"
			c.Streams = append(c.Streams, defaultStream("dead-letter"))
		}, ""},
		{"no streams", func(c *Config) { c.Streams = nil }, ""},
		{"long stream name", func(c *Config) { c.Streams[0].Name = strings.Repeat("a", 129) }, "streams[0].name: must be at most 128 characters (got 129)"},
		{"longest stream name", func(c *Config) { c.Streams[0].Name = strings.Repeat("a", 128) }, ""},
		{"too many shards", func(c *Config) { c.Streams[0].Shards = 1025 }, "streams[0].shards: must be between 1 and 1024 (got 1025)"},
		{"negative max_bytes", func(c *Config) { c.Streams[0].MaxBytes = -KiB }, "streams[0].max_bytes: must not be negative (got -1KiB)"},
		{"all problems at once", func(c *Config) {
			c.DataDir = ""
			c.Log.Level = "trace"
			c.Streams = append(c.Streams, Stream{Name: "telemetry", Shards: 1, Retention: Duration(time.Hour), WhenFull: "drop_oldest"})
		}, "data_dir: must not be empty\n" +
			`log.level: must be one of debug, info, warn, error (got "trace")` + "\n" +
			`streams[1].name: duplicate stream "telemetry" (also streams[0])`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.modify(c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v; want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil; want %s", tt.want)
			}
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Validate() returned %T; want *Errors", err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Validate():\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestKeyErrorFormat(t *testing.T) {
	tests := []struct {
		e    KeyError
		want string
	}{
		{KeyError{File: "configs/x.yaml", Path: "spool.durability", Line: 7, Msg: `must be one of fsync, interval, none (got "fsnyc")`},
			`configs/x.yaml:7: spool.durability: must be one of fsync, interval, none (got "fsnyc")`},
		{KeyError{File: "x.yaml", Path: "a", Msg: "m"}, "x.yaml: a: m"},
		{KeyError{File: "x.yaml", Line: 3, Msg: "m"}, "x.yaml:3: m"},
		{KeyError{Path: "a.b", Line: 3, Msg: "m"}, "line 3: a.b: m"},
		{KeyError{Path: "a.b", Msg: "m"}, "a.b: m"},
		{KeyError{Msg: "m"}, "m"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q; want %q", tt.e, got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"durability", "sync_interval", "gc_interval", "memory", "addr"}
	tests := []struct{ key, want string }{
		{"durabilty", "durability"},
		{"durabiltiy", "durability"},
		{"Durability", "durability"},
		{"syncInterval", "sync_interval"},
		{"sync-interval", "sync_interval"},
		{"gc_intreval", "gc_interval"},
		{"memroy", "memory"},
		{"adr", "addr"},
		{"port", ""},
		{"xyz", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.key, names); got != tt.want {
			t.Errorf("suggest(%q) = %q; want %q", tt.key, got, tt.want)
		}
	}
}
