package store

import (
	"fmt"
	"log/slog"
	"math/bits"
	"time"
)

// Durability says when a Put counts as done.
type Durability int

const (
	// DurabilityFsync: Put returns only after the fragment is synced to
	// disk. The default.
	DurabilityFsync Durability = iota
	// DurabilityInterval: Put returns once the fragment is committed to the
	// OS; the store syncs every SyncInterval, so a power loss can lose that
	// much.
	DurabilityInterval
	// DurabilityNone: the store never syncs; the OS writes back when it likes.
	DurabilityNone
)

// ParseDurability maps "fsync" (or ""), "interval" and "none" to a Durability.
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

// String returns the name ParseDurability accepts.
func (d Durability) String() string {
	switch d {
	case DurabilityFsync:
		return "fsync"
	case DurabilityInterval:
		return "interval"
	case DurabilityNone:
		return "none"
	}
	return fmt.Sprintf("durability(%d)", int(d))
}

// Options configure a store. The zero value of every field but Dir means
// its default.
type Options struct {
	Dir          string        // required: the Badger directory
	Durability   Durability    // default fsync
	SyncInterval time.Duration // interval mode; default 1s

	// MinFreeDisk is the free space (bytes) below which Put fails with
	// ErrDiskFull. Default 256 MiB; negative disables the check. The
	// effective reserve is never below one value-log file, the largest
	// fragment and the memtables, which Badger writes through memory maps.
	MinFreeDisk int64
	// MaxValueLogBytes caps the value log's size on disk; Put fails with
	// ErrDiskFull past it. Default 1 GiB on 32-bit platforms (every
	// value-log file is memory-mapped and the address space is 3–4 GiB),
	// no cap on 64-bit ones; negative means no cap.
	MaxValueLogBytes int64
	// MaxFragmentSize bounds one encoded fragment; default 16 MiB.
	MaxFragmentSize int

	// DefaultLimits apply to streams created by Put before SetLimits.
	DefaultLimits Limits

	RetentionInterval time.Duration // janitor period; default 10s
	GCInterval        time.Duration // value-log GC; default 1m; negative disables
	// ReclaimThreshold: when the value log exceeds the live fragments by
	// this much more than after the last reclaim, the janitor flushes and
	// compacts the LSM tree so that GC can free deleted fragments' space
	// (see reclaim.go). Default 4 × ValueLogFileSize; negative disables.
	ReclaimThreshold int64

	// Badger's mapped files count in the process's RSS although they are
	// page cache. Every TrimMappedInterval (default 1s; negative disables),
	// once file-backed RSS exceeds MappedBudget (default 16 MiB), their
	// pages are dropped from the process (they stay cached).
	TrimMappedInterval time.Duration
	MappedBudget       int64

	// EncryptionKey turns on AES encryption at rest (16, 24 or 32 bytes).
	EncryptionKey []byte

	// Badger sizing. Fragments always go to the value log; the LSM tree
	// holds ~200 bytes per fragment. For the caches, negative means none
	// (encryption needs a block cache).
	MemTableSize     int64 // default 2 MiB
	NumMemtables     int   // default 2
	BlockCacheSize   int64 // default 2 MiB
	IndexCacheSize   int64 // default 1 MiB
	ValueLogFileSize int64 // default 64 MiB; must stay under 256 MiB for 32-bit ARM

	Clock  Clock        // default: the system clock
	Logger *slog.Logger // default: slog.Default()
}

// valueThreshold sends every value larger than an index entry to the
// value log.
const valueThreshold = 1 << 10

func (o *Options) setDefaults() {
	def := func(p *int64, v int64) {
		if *p == 0 {
			*p = v
		}
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = time.Second
	}
	def(&o.MinFreeDisk, 256<<20)
	if bits.UintSize == 32 {
		def(&o.MaxValueLogBytes, 1<<30)
	}
	if o.MaxFragmentSize <= 0 {
		o.MaxFragmentSize = 16 << 20
	}
	if o.RetentionInterval <= 0 {
		o.RetentionInterval = 10 * time.Second
	}
	if o.GCInterval == 0 {
		o.GCInterval = time.Minute
	}
	if o.TrimMappedInterval == 0 {
		o.TrimMappedInterval = time.Second
	}
	def(&o.MappedBudget, 16<<20)
	def(&o.MemTableSize, 2<<20)
	if o.NumMemtables <= 0 {
		o.NumMemtables = 2
	}
	def(&o.BlockCacheSize, 2<<20)
	def(&o.IndexCacheSize, 1<<20)
	def(&o.ValueLogFileSize, 64<<20)
	def(&o.ReclaimThreshold, 4*o.ValueLogFileSize)
	if o.Clock == nil {
		o.Clock = SystemClock()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

func (o *Options) validate() error {
	if o.Dir == "" {
		return fmt.Errorf("%w: video store directory is empty", ErrInvalidArgument)
	}
	if o.ValueLogFileSize < 1<<20 || o.ValueLogFileSize >= 256<<20 {
		return fmt.Errorf("%w: value log file size %d outside [1 MiB, 256 MiB) (32-bit ARM cannot map more)", ErrInvalidArgument, o.ValueLogFileSize)
	}
	if int64(o.MaxFragmentSize) >= o.ValueLogFileSize {
		return fmt.Errorf("%w: max fragment size %d must be below the value log file size %d", ErrInvalidArgument, o.MaxFragmentSize, o.ValueLogFileSize)
	}
	if o.MemTableSize < 64<<10 {
		return fmt.Errorf("%w: memtable size %d is below 64 KiB", ErrInvalidArgument, o.MemTableSize)
	}
	if o.Durability < DurabilityFsync || o.Durability > DurabilityNone {
		return fmt.Errorf("%w: durability %d", ErrInvalidArgument, int(o.Durability))
	}
	switch len(o.EncryptionKey) {
	case 0:
	case 16, 24, 32:
		if o.BlockCacheSize <= 0 {
			return fmt.Errorf("%w: encryption needs a block cache (BlockCacheSize > 0)", ErrInvalidArgument)
		}
	default:
		return fmt.Errorf("%w: encryption key is %d bytes (want 16, 24 or 32)", ErrInvalidArgument, len(o.EncryptionKey))
	}
	return o.DefaultLimits.validate()
}

// Clock is the store's source of time for retention, injected so tests
// can move it.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

// SystemClock returns the process's wall clock.
func SystemClock() Clock { return systemClock{} }

func (systemClock) Now() time.Time { return time.Now() }
