package server

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tributary-edge/tributary/gateway/internal/kinesis"
)

// iteratorKeyFile holds the key that authenticates Kinesis shard iterators
// and paging tokens, so they stay valid across a restart.
const iteratorKeyFile = "kinesis-iterator.key"

// startKinesis builds the Kinesis API handler over the open spool.
func (g *Gateway) startKinesis() error {
	kc := g.cfg.Kinesis
	if !kc.Enabled {
		return nil
	}
	key, err := loadOrCreateKey(filepath.Join(g.cfg.DataDir, iteratorKeyFile))
	if err != nil {
		return fmt.Errorf("kinesis: %w", err)
	}
	creds := map[string]string{}
	for _, c := range kc.Credentials {
		creds[c.AccessKeyID] = c.SecretAccessKey
	}
	h, err := kinesis.New(g.spool, kinesis.Config{
		AccountID:        kc.AccountID,
		Region:           kc.Region,
		Credentials:      creds,
		Throughput:       kc.ThroughputLimits,
		ShardLimit:       kc.ShardLimit,
		MaxRequestBytes:  int64(kc.MaxRequestSize),
		MaxInflightBytes: int64(kc.MaxInflight),
		IteratorKey:      key,
		Logger:           g.log.With("component", "kinesis"),
		Observer:         g.metrics,
		Firehose:         firehoseControl{g},
	})
	if err != nil {
		return err
	}
	g.kinesis = h
	return nil
}

// loadOrCreateKey reads a 32-byte key, creating it on first use.
func loadOrCreateKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil && len(key) == 32 {
		return key, nil
	}
	if err == nil {
		return nil, fmt.Errorf("%s: want 32 bytes, found %d (delete it to make a new one)", path, len(key))
	}
	if !os.IsNotExist(err) {
		return nil, err
	}
	key = make([]byte, 32)
	rand.Read(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, err
	}
	return key, nil
}
