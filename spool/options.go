package spool

import (
	"fmt"
	"log/slog"
	"time"
)

// Durability says when an append counts as done.
type Durability int

const (
	// DurabilityFsync: an append returns only after its data is synced to
	// disk; concurrent appends share one sync (group commit). The default.
	DurabilityFsync Durability = iota
	// DurabilityInterval: an append returns once committed to the OS; the
	// spool syncs every SyncInterval, so a power loss can lose that much.
	DurabilityInterval
	// DurabilityNone: the spool never syncs; the OS writes back when it likes.
	DurabilityNone
)

// ParseDurability maps "fsync", "interval" and "none" to a Durability.
func ParseDurability(s string) (Durability, error) {
	switch s {
	case "fsync", "":
		return DurabilityFsync, nil
	case "interval":
		return DurabilityInterval, nil
	case "none":
		return DurabilityNone, nil
	}
	return 0, fmt.Errorf("%w: durability %q (want fsync, interval or none)", ErrInvalidArgument, s)
}

func (d Durability) String() string {
	return [...]string{"fsync", "interval", "none"}[d]
}

// Options configure a spool. The zero value of every field means its default.
type Options struct {
	Dir          string        // required: the Badger directory
	Durability   Durability    // default fsync
	SyncInterval time.Duration // interval mode; default 100ms

	// MinFreeDisk is the free space (bytes) below which appends fail with
	// ErrDiskFull. Default 64 MiB; negative disables the check. The
	// effective reserve is never below one value-log file plus the
	// memtables, which Badger writes through memory maps.
	MinFreeDisk int64

	RetentionCheckInterval time.Duration // default 10s
	GCInterval             time.Duration // value-log GC; default 5m; negative disables

	// Badger's mapped files count in the process's RSS although they are
	// page cache. Every TrimMappedInterval (default 200ms; negative
	// disables), once file-backed RSS exceeds MappedBudget (default 16
	// MiB), their pages are dropped from the process (they stay cached).
	TrimMappedInterval time.Duration
	MappedBudget       int64

	// EncryptionKey turns on AES encryption at rest (16, 24 or 32 bytes).
	EncryptionKey []byte

	ChunkMaxBytes int // default 256 KiB

	// Badger sizing (see docs/config.md for the memory budget). For the
	// caches, negative means none.
	MemTableSize     int64 // default 8 MiB
	NumMemtables     int   // default 2
	BlockCacheSize   int64 // default 8 MiB
	IndexCacheSize   int64 // default 4 MiB
	ValueLogFileSize int64 // default 64 MiB; must stay under 256 MiB for 32-bit ARM
	ValueThreshold   int64 // default 4 KiB

	// MaxRecordSize bounds data plus partition key; default 1 MiB.
	MaxRecordSize int

	// DeadLetterStream is the built-in stream for records that ingest could
	// not store as asked; default "dead-letter". DeadLetterRetention
	// defaults to 7 days.
	DeadLetterStream    string
	DeadLetterRetention time.Duration

	Clock    Clock        // default: the system clock
	Logger   *slog.Logger // default: slog.Default()
	Observer Observer     // optional: append metrics
}

// Observer receives per-commit figures for metrics. Calls come from the
// writer goroutine and must not block.
type Observer interface {
	// Appended reports records and bytes stored for a stream by one commit
	// and how long each waited from submission to durable.
	Appended(stream string, records, bytes int, latency time.Duration)
	// Dropped reports records removed by retention (reason "age", "size")
	// or refused because the stream was full ("full").
	Dropped(stream, reason string, records int)
}

func (o *Options) setDefaults() {
	def := func(p *int64, v int64) {
		if *p == 0 {
			*p = v
		}
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = 100 * time.Millisecond
	}
	def(&o.MinFreeDisk, 64<<20)
	if o.RetentionCheckInterval <= 0 {
		o.RetentionCheckInterval = 10 * time.Second
	}
	if o.GCInterval == 0 {
		o.GCInterval = 5 * time.Minute
	}
	if o.TrimMappedInterval == 0 {
		o.TrimMappedInterval = 200 * time.Millisecond
	}
	def(&o.MappedBudget, 16<<20)
	if o.ChunkMaxBytes <= 0 {
		o.ChunkMaxBytes = 256 << 10
	}
	def(&o.MemTableSize, 8<<20)
	if o.NumMemtables <= 0 {
		o.NumMemtables = 2
	}
	def(&o.BlockCacheSize, 8<<20)
	def(&o.IndexCacheSize, 4<<20)
	def(&o.ValueLogFileSize, 64<<20)
	def(&o.ValueThreshold, 4<<10)
	if o.MaxRecordSize <= 0 {
		o.MaxRecordSize = 1 << 20
	}
	if o.DeadLetterStream == "" {
		o.DeadLetterStream = "dead-letter"
	}
	if o.DeadLetterRetention <= 0 {
		o.DeadLetterRetention = 7 * 24 * time.Hour
	}
	if o.Clock == nil {
		o.Clock = SystemClock()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

func (o *Options) validate() error {
	if o.Dir == "" {
		return fmt.Errorf("%w: spool directory is empty", ErrInvalidArgument)
	}
	if o.ValueLogFileSize >= 256<<20+1 {
		return fmt.Errorf("%w: value log file size %d exceeds 256 MiB (32-bit ARM cannot map it)", ErrInvalidArgument, o.ValueLogFileSize)
	}
	switch len(o.EncryptionKey) {
	case 0, 16, 24, 32:
	default:
		return fmt.Errorf("%w: encryption key is %d bytes (want 16, 24 or 32)", ErrInvalidArgument, len(o.EncryptionKey))
	}
	if err := ValidateStreamName(o.DeadLetterStream); err != nil {
		return err
	}
	return nil
}
