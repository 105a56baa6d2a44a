package config

import "time"

// Spool configures the on-disk record store (Badger under DataDir/spool).
type Spool struct {
	// Durability is when an append is acknowledged: fsync (after fsync),
	// interval (fsync every SyncInterval; a crash can lose that window) or
	// none (left to the OS).
	Durability string `yaml:"durability"`
	// SyncInterval is how often interval mode fsyncs, 1ms..10s.
	SyncInterval Duration `yaml:"sync_interval"`
	// MinFreeDisk: appends fail with "disk full" when free space under
	// DataDir would drop below it. The spool never reserves less than one
	// value-log file plus the memtables; 0 means just that minimum.
	MinFreeDisk ByteSize `yaml:"min_free_disk"`
	// RetentionCheckInterval is how often age and size retention runs, 1s..1h.
	RetentionCheckInterval Duration `yaml:"retention_check_interval"`
	// GCInterval schedules Badger value-log GC; 0 disables, else 1s..24h.
	GCInterval Duration `yaml:"gc_interval"`
	// EncryptionKeyFile names a file holding an AES key (16, 24 or 32 raw
	// bytes, or the same in hex) for encryption at rest; empty means off.
	// Validate does not read it.
	EncryptionKeyFile string `yaml:"encryption_key_file"`
	// ChunkMaxBytes caps a chunk: the records of one shard committed
	// together are stored as one value up to this size, 4KiB..4MiB.
	ChunkMaxBytes ByteSize `yaml:"chunk_max_bytes"`
	// Memory sizes Badger; see "Memory budget" in docs/config.md.
	Memory Memory `yaml:"memory"`
	// DeadLetter configures the built-in dead-letter stream.
	DeadLetter DeadLetter `yaml:"dead_letter"`
}

// Memory sizes Badger's caches and tables.
type Memory struct {
	// MemtableSize is the size of one memtable, 1MiB..256MiB.
	MemtableSize ByteSize `yaml:"memtable_size"`
	// NumMemtables is how many memtables may be held, 1..8.
	NumMemtables int `yaml:"num_memtables"`
	// BlockCacheSize is the block cache, 0..1GiB.
	BlockCacheSize ByteSize `yaml:"block_cache_size"`
	// IndexCacheSize is the table-index cache, 0..1GiB; it must be > 0
	// when encryption is on.
	IndexCacheSize ByteSize `yaml:"index_cache_size"`
	// ValueLogFileSize is the size of one value-log file, 1MiB..256MiB
	// (32-bit ARM cannot map files of 1 GB or more).
	ValueLogFileSize ByteSize `yaml:"value_log_file_size"`
	// ValueThreshold: values at least this big go to the value log,
	// 64..1MiB and at most 15% of MemtableSize (Badger's batch limit).
	ValueThreshold ByteSize `yaml:"value_threshold"`
}

// DeadLetter configures the built-in stream that receives records that
// could not be processed.
type DeadLetter struct {
	// Stream is the dead-letter stream's name; no configured stream may
	// use it.
	Stream string `yaml:"stream"`
	// Retention is how long dead letters are kept, 1m..8760h.
	Retention Duration `yaml:"retention"`
}

func defaultSpool() Spool {
	return Spool{
		Durability:             "fsync",
		SyncInterval:           Duration(100 * time.Millisecond),
		MinFreeDisk:            64 * MiB,
		RetentionCheckInterval: Duration(10 * time.Second),
		GCInterval:             Duration(5 * time.Minute),
		ChunkMaxBytes:          256 * KiB,
		Memory: Memory{
			MemtableSize:     8 * MiB,
			NumMemtables:     2,
			BlockCacheSize:   8 * MiB,
			IndexCacheSize:   4 * MiB,
			ValueLogFileSize: 64 * MiB,
			ValueThreshold:   4 * KiB,
		},
		DeadLetter: DeadLetter{
			Stream:    "dead-letter",
			Retention: Duration(168 * time.Hour),
		},
	}
}
