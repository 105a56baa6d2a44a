package server

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/spool"
)

// spoolOptions maps the spool section of the config to spool.Options,
// reading the encryption key file if one is set.
func spoolOptions(cfg *config.Config, log *slog.Logger) (spool.Options, error) {
	sc := cfg.Spool
	dur, err := spool.ParseDurability(sc.Durability)
	if err != nil {
		return spool.Options{}, fmt.Errorf("spool.durability: %w", err)
	}
	opts := spool.Options{
		Dir:                    SpoolDir(cfg),
		Durability:             dur,
		SyncInterval:           time.Duration(sc.SyncInterval),
		MinFreeDisk:            int64(sc.MinFreeDisk),
		RetentionCheckInterval: time.Duration(sc.RetentionCheckInterval),
		GCInterval:             time.Duration(sc.GCInterval),
		ChunkMaxBytes:          int(sc.ChunkMaxBytes),
		MemTableSize:           int64(sc.Memory.MemtableSize),
		NumMemtables:           sc.Memory.NumMemtables,
		BlockCacheSize:         int64(sc.Memory.BlockCacheSize),
		IndexCacheSize:         int64(sc.Memory.IndexCacheSize),
		ValueLogFileSize:       int64(sc.Memory.ValueLogFileSize),
		ValueThreshold:         int64(sc.Memory.ValueThreshold),
		DeadLetterStream:       sc.DeadLetter.Stream,
		DeadLetterRetention:    time.Duration(sc.DeadLetter.Retention),
		Logger:                 log,
	}
	if sc.MinFreeDisk == 0 {
		// config 0: no extra reserve, but the spool still keeps the
		// headroom Badger's mapped writes need (a write through a map to
		// a full disk is a SIGBUS, not an error)
		opts.MinFreeDisk = 1
	}
	if sc.GCInterval == 0 {
		opts.GCInterval = -1
	}
	if sc.Memory.BlockCacheSize == 0 {
		opts.BlockCacheSize = -1
	}
	if sc.Memory.IndexCacheSize == 0 {
		opts.IndexCacheSize = -1
	}
	if sc.EncryptionKeyFile != "" {
		key, err := readKeyFile(sc.EncryptionKeyFile)
		if err != nil {
			return spool.Options{}, fmt.Errorf("spool.encryption_key_file: %w", err)
		}
		opts.EncryptionKey = key
	}
	return opts, nil
}

// readKeyFile reads an AES key: 16, 24 or 32 raw bytes, or the same in hex
// (surrounding whitespace ignored).
func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if t := strings.TrimSpace(string(b)); len(t) == 32 || len(t) == 48 || len(t) == 64 {
		if k, err := hex.DecodeString(t); err == nil {
			return k, nil
		}
	}
	switch len(b) {
	case 16, 24, 32:
		return b, nil
	}
	return nil, fmt.Errorf("%s holds %d bytes: want an AES key of 16, 24 or 32 bytes (raw or hex)", path, len(b))
}
