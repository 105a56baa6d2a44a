package config

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Validate checks c's values and the rules between them, without I/O (it
// does not read EncryptionKeyFile or touch DataDir). It returns nil or an
// *Errors listing every problem, each with its key path and Line 0.
func (c *Config) Validate() error {
	return asError(c.validate())
}

// Allowed values, shared by Validate, the environment overrides and the docs.
var (
	durabilities = []string{"fsync", "interval", "none"}
	logLevels    = []string{"debug", "info", "warn", "error"}
	logFormats   = []string{"text", "json"}
	whenFulls    = []string{"reject_new", "drop_oldest"}
)

// Ranges.
const (
	maxStreamName  = 128
	minShards      = 1
	maxShards      = 1024
	minRetention   = Duration(time.Minute)
	maxRetention   = Duration(8760 * time.Hour)
	batchHeadroomP = 15 // Badger's max batch is 15% of the memtable size
)

type validator struct{ errs Errors }

// check records msg against path unless msg is empty.
func (v *validator) check(path, msg string) {
	if msg != "" {
		v.errs = append(v.errs, &KeyError{Path: path, Msg: msg})
	}
}

func (c *Config) validate() Errors {
	var v validator
	v.check("data_dir", checkNonEmpty(c.DataDir))
	v.check("http.addr", checkAddr(c.HTTP.Addr))
	v.check("log.level", checkOneOf(c.Log.Level, logLevels))
	v.check("log.format", checkOneOf(c.Log.Format, logFormats))
	if c.MemoryLimit != 0 {
		v.check("memory_limit", checkByteRange(c.MemoryLimit, 16*MiB, -1))
	}
	c.Spool.validate(&v)
	names := map[string]int{}
	for i, s := range c.Streams {
		p := fmt.Sprintf("streams[%d]", i)
		if msg := checkStreamName(s.Name); msg != "" {
			v.check(p+".name", msg)
		} else if first, dup := names[s.Name]; dup {
			v.check(p+".name", fmt.Sprintf("duplicate stream %q (also streams[%d])", s.Name, first))
		} else if s.Name == c.Spool.DeadLetter.Stream {
			v.check(p+".name", fmt.Sprintf("stream %q is the dead-letter stream (spool.dead_letter.stream); choose another name", s.Name))
		} else {
			names[s.Name] = i
		}
		v.check(p+".shards", checkIntRange(s.Shards, minShards, maxShards))
		v.check(p+".retention", checkDurationRange(s.Retention, minRetention, maxRetention))
		v.check(p+".max_bytes", checkByteRange(s.MaxBytes, 0, -1))
		v.check(p+".when_full", checkOneOf(s.WhenFull, whenFulls))
	}
	c.MQTT.validate(&v)
	c.Kinesis.validate(&v)
	c.validateDeliveries(&v)
	c.validateApps(&v)
	c.validateSensors(&v)
	c.validateVideo(&v)
	c.validateClips(&v)
	v.check("uplink.bandwidth", checkByteRange(c.Uplink.Bandwidth, 0, -1))
	if e := c.Uplink.S3.Endpoint; e != "" {
		v.check("uplink.s3.endpoint", checkHTTPURL(e))
	}
	if (c.Uplink.S3.AccessKeyID == "") != (c.Uplink.S3.SecretKey == "") {
		v.check("uplink.s3", "access_key_id and secret_access_key must be set together")
	}
	if (c.HTTP.TLS.CertFile == "") != (c.HTTP.TLS.KeyFile == "") {
		v.check("http.tls", "cert_file and key_file must be set together")
	}
	return v.errs
}

func (s *Spool) validate(v *validator) {
	v.check("spool.durability", checkOneOf(s.Durability, durabilities))
	v.check("spool.sync_interval", checkDurationRange(s.SyncInterval, Duration(time.Millisecond), Duration(10*time.Second)))
	v.check("spool.min_free_disk", checkByteRange(s.MinFreeDisk, 0, -1))
	v.check("spool.retention_check_interval", checkDurationRange(s.RetentionCheckInterval, Duration(time.Second), Duration(time.Hour)))
	if s.GCInterval != 0 {
		v.check("spool.gc_interval", checkDurationRange(s.GCInterval, Duration(time.Second), Duration(24*time.Hour)))
	}
	v.check("spool.chunk_max_bytes", checkByteRange(s.ChunkMaxBytes, 4*KiB, 4*MiB))
	m := s.Memory
	v.check("spool.memory.memtable_size", checkByteRange(m.MemtableSize, MiB, 256*MiB))
	v.check("spool.memory.num_memtables", checkIntRange(m.NumMemtables, 1, 8))
	v.check("spool.memory.block_cache_size", checkByteRange(m.BlockCacheSize, 0, GiB))
	v.check("spool.memory.index_cache_size", checkByteRange(m.IndexCacheSize, 0, GiB))
	v.check("spool.memory.value_log_file_size", checkByteRange(m.ValueLogFileSize, MiB, 256*MiB))
	v.check("spool.memory.value_threshold", checkByteRange(m.ValueThreshold, 64, MiB))
	if s.EncryptionKeyFile != "" && m.IndexCacheSize <= 0 {
		v.check("spool.memory.index_cache_size", "must be > 0 when spool.encryption_key_file is set (Badger needs an index cache with encryption)")
	}
	if m.MemtableSize >= MiB && m.MemtableSize <= 256*MiB { // else reported above; also avoids overflow
		if limit := m.MemtableSize * batchHeadroomP / 100; m.ValueThreshold > limit {
			v.check("spool.memory.value_threshold", fmt.Sprintf("must be at most 15%% of spool.memory.memtable_size, %d bytes (got %s)", limit, m.ValueThreshold))
		}
	}
	if m.ValueLogFileSize >= MiB && s.ChunkMaxBytes > m.ValueLogFileSize {
		v.check("spool.chunk_max_bytes", fmt.Sprintf("must not exceed spool.memory.value_log_file_size, %s (got %s)", m.ValueLogFileSize, s.ChunkMaxBytes))
	}
	v.check("spool.dead_letter.stream", checkStreamName(s.DeadLetter.Stream))
	v.check("spool.dead_letter.retention", checkDurationRange(s.DeadLetter.Retention, minRetention, maxRetention))
}

func checkNonEmpty(s string) string {
	if s == "" {
		return "must not be empty"
	}
	return ""
}

func checkOneOf(s string, allowed []string) string {
	for _, a := range allowed {
		if s == a {
			return ""
		}
	}
	return fmt.Sprintf("must be one of %s (got %q)", strings.Join(allowed, ", "), truncate(s))
}

// checkAddr accepts host:port with a numeric port 0-65535; the host may
// be empty (all interfaces).
// checkOptionalAddr is checkAddr where "" means off.
func checkOptionalAddr(addr string) string {
	if addr == "" {
		return ""
	}
	return checkAddr(addr)
}

func checkAddr(addr string) string {
	if addr == "" {
		return "must not be empty"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("must be host:port (got %q)", truncate(addr))
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Sprintf("port must be a number 0-65535 (got %q)", truncate(port))
	}
	return ""
}

var streamNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

func checkStreamName(name string) string {
	switch {
	case name == "":
		return "must not be empty"
	case len(name) > maxStreamName:
		return fmt.Sprintf("must be at most %d characters (got %d)", maxStreamName, len(name))
	case !streamNameRE.MatchString(name):
		return fmt.Sprintf("must contain only letters, digits, '_', '.' and '-' (got %q)", truncate(name))
	}
	return ""
}

func checkIntRange(n, lo, hi int) string {
	if n < lo || n > hi {
		return fmt.Sprintf("must be between %d and %d (got %d)", lo, hi, n)
	}
	return ""
}

func checkDurationRange(d, lo, hi Duration) string {
	if d < lo || d > hi {
		return fmt.Sprintf("must be between %s and %s (got %s)", lo, hi, d)
	}
	return ""
}

// checkByteRange checks lo <= b <= hi; hi < 0 means no upper bound.
func checkByteRange(b, lo, hi ByteSize) string {
	switch {
	case hi < 0 && b < lo:
		if lo == 0 {
			return fmt.Sprintf("must not be negative (got %s)", b)
		}
		return fmt.Sprintf("must be at least %s (got %s)", lo, b)
	case hi >= 0 && (b < lo || b > hi):
		return fmt.Sprintf("must be between %s and %s (got %s)", lo, hi, b)
	}
	return ""
}
