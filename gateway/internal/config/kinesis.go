package config

import (
	"fmt"
	"strings"
)

// Kinesis configures the Kinesis Data Streams API served at / on the HTTP
// listener (docs/config.md, kinesis.md).
type Kinesis struct {
	// Enabled serves the API; off leaves / unanswered (404).
	Enabled bool `yaml:"enabled"`
	// AccountID is the 12-digit account in ARNs and error messages.
	AccountID string `yaml:"account_id"`
	// Region is the region in ARNs; requests signed for any region are
	// accepted.
	Region string `yaml:"region"`
	// Credentials turn on SigV4 verification: only requests signed with
	// one of these keys are served. Empty: a signature must be present in
	// form but is not checked (as local Kinesis tools do).
	Credentials []KinesisCredential `yaml:"credentials"`
	// ThroughputLimits enforces Kinesis' per-shard limits: 1 MiB/s or
	// 1,000 records/s in, 2 MiB/s and 5 GetRecords calls/s out.
	ThroughputLimits bool `yaml:"throughput_limits"`
	// ShardLimit caps the open shards of all streams (the account quota).
	ShardLimit int `yaml:"shard_limit"`
	// MaxRequestSize bounds one request body; larger ones are refused
	// with 413 before they are read.
	MaxRequestSize ByteSize `yaml:"max_request_size"`
	// MaxInflight bounds the request bodies held in memory at once; more
	// requests wait their turn.
	MaxInflight ByteSize `yaml:"max_inflight"`
}

// KinesisCredential is one access key.
type KinesisCredential struct {
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
}

func defaultKinesis() Kinesis {
	return Kinesis{
		Enabled:        true,
		AccountID:      "000000000000",
		Region:         "us-east-1",
		Credentials:    []KinesisCredential{},
		ShardLimit:     500,
		MaxRequestSize: 16 * MiB,
		MaxInflight:    32 * MiB,
	}
}

func (k *Kinesis) validate(v *validator) {
	if len(k.AccountID) != 12 || strings.Trim(k.AccountID, "0123456789") != "" {
		v.check("kinesis.account_id", fmt.Sprintf("must be 12 digits (got %q)", truncate(k.AccountID)))
	}
	if k.Region == "" || strings.Trim(strings.ToLower(k.Region), "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		v.check("kinesis.region", fmt.Sprintf("must be a region name like us-east-1 (got %q)", truncate(k.Region)))
	}
	seen := map[string]int{}
	for i, c := range k.Credentials {
		p := fmt.Sprintf("kinesis.credentials[%d]", i)
		v.check(p+".access_key_id", checkNonEmpty(c.AccessKeyID))
		v.check(p+".secret_access_key", checkNonEmpty(c.SecretAccessKey))
		if first, dup := seen[c.AccessKeyID]; dup && c.AccessKeyID != "" {
			v.check(p+".access_key_id", fmt.Sprintf("duplicate access key %q (also kinesis.credentials[%d])", c.AccessKeyID, first))
		}
		seen[c.AccessKeyID] = i
	}
	v.check("kinesis.shard_limit", checkIntRange(k.ShardLimit, 1, 100000))
	// A PutRecords of 5 MiB is about 6.7 MiB of base64 JSON.
	v.check("kinesis.max_request_size", checkByteRange(k.MaxRequestSize, 8*MiB, 256*MiB))
	if k.MaxInflight < k.MaxRequestSize {
		v.check("kinesis.max_inflight", fmt.Sprintf("must be at least kinesis.max_request_size, %s (got %s)", k.MaxRequestSize, k.MaxInflight))
	}
}
