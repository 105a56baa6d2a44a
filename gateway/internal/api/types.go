// Package api holds the JSON shapes of Tributary's admin API (/api/v1/) and
// a client for it. The server (package server) and the CLI (package cli)
// both use these types, so the two cannot drift apart.
//
// Endpoints:
//
//	GET    /api/v1/streams                  -> StreamList
//	POST   /api/v1/streams                  CreateStream -> 201 Stream
//	GET    /api/v1/streams/{name}           -> Stream
//	PATCH  /api/v1/streams/{name}           UpdateStream -> Stream
//	DELETE /api/v1/streams/{name}           -> 204
//	POST   /api/v1/streams/{name}/records   PutRecords -> PutRecordsResult (200 even if some failed)
//	GET    /api/v1/streams/{name}/records   ?from=&follow=&limit=&shard= -> NDJSON of Record
//	GET    /healthz                         -> Health
//	GET    /metrics                         Prometheus text format
//
// Errors are {"error":{"code":…,"message":…}} with a 4xx/5xx status.
package api

import "time"

// StreamList is the answer to GET /api/v1/streams.
type StreamList struct {
	Streams []Stream `json:"streams"`
}

// Stream describes one stream.
type Stream struct {
	Name       string  `json:"name"`
	Shards     []Shard `json:"shards,omitempty"`
	OpenShards int     `json:"open_shards"`
	Retention  string  `json:"retention"` // Go duration, e.g. "24h0m0s"
	MaxBytes   int64   `json:"max_bytes"`
	WhenFull   string  `json:"when_full"`
	Records    int64   `json:"records"`
	Bytes      int64   `json:"bytes"`
	System     bool    `json:"system,omitempty"`
	Created    string  `json:"created"` // RFC 3339
}

// Shard describes one shard of a stream.
type Shard struct {
	ID               string   `json:"shard_id"`
	StartingHashKey  string   `json:"starting_hash_key"`
	EndingHashKey    string   `json:"ending_hash_key"`
	Parents          []string `json:"parents,omitempty"`
	Children         []string `json:"children,omitempty"`
	StartingSequence string   `json:"starting_sequence_number"`
	EndingSequence   string   `json:"ending_sequence_number,omitempty"`
	LastSequence     string   `json:"last_sequence_number,omitempty"`
	Records          int64    `json:"records"`
	Bytes            int64    `json:"bytes"`
}

// CreateStream is the body of POST /api/v1/streams.
type CreateStream struct {
	Name      string `json:"name"`
	Shards    int    `json:"shards,omitempty"`    // default 4
	Retention string `json:"retention,omitempty"` // Go duration; default 24h
	MaxBytes  int64  `json:"max_bytes,omitempty"`
	WhenFull  string `json:"when_full,omitempty"` // reject_new (default) | drop_oldest
}

// UpdateStream is the body of PATCH /api/v1/streams/{name}; absent fields
// are left alone. Shards reshards uniformly to that many open shards.
type UpdateStream struct {
	Retention *string `json:"retention,omitempty"`
	MaxBytes  *int64  `json:"max_bytes,omitempty"`
	WhenFull  *string `json:"when_full,omitempty"`
	Shards    *int    `json:"shards,omitempty"`
}

// PutRecords is the body of POST /api/v1/streams/{name}/records.
type PutRecords struct {
	Records []PutRecord `json:"records"`
}

// PutRecord is one record to store. Data is base64 in JSON.
type PutRecord struct {
	PartitionKey    string `json:"partition_key"`
	ExplicitHashKey string `json:"explicit_hash_key,omitempty"`
	Data            []byte `json:"data"`
}

// PutRecordsResult has one entry per request record, in order.
type PutRecordsResult struct {
	FailedCount int               `json:"failed_count"`
	Records     []PutRecordResult `json:"records"`
}

// PutRecordResult is either a location or an error.
type PutRecordResult struct {
	ShardID        string `json:"shard_id,omitempty"`
	SequenceNumber string `json:"sequence_number,omitempty"`
	ErrorCode      string `json:"error_code,omitempty"`
	Error          string `json:"error,omitempty"`
}

// Record is one line of the NDJSON answer to GET …/records.
type Record struct {
	Stream         string    `json:"stream"`
	ShardID        string    `json:"shard_id"`
	SequenceNumber string    `json:"sequence_number"`
	PartitionKey   string    `json:"partition_key"`
	Arrival        time.Time `json:"arrival"`
	Data           []byte    `json:"data"`
}

// Health is the answer to GET /healthz.
type Health struct {
	Status     string `json:"status"` // "ok"
	Version    string `json:"version"`
	Durability string `json:"durability"`
	Streams    int    `json:"streams"`
}

// Error is the error envelope.
type Error struct {
	Err ErrorBody `json:"error"`
}

// ErrorBody names the error kind (code) and says what was wrong (message).
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes.
const (
	CodeStreamNotFound  = "StreamNotFound"
	CodeShardNotFound   = "ShardNotFound"
	CodeStreamExists    = "StreamExists"
	CodeInvalidArgument = "InvalidArgument"
	CodeRecordTooLarge  = "RecordTooLarge"
	CodeStreamFull      = "StreamFull"
	CodeDiskFull        = "DiskFull"
	CodeUnavailable     = "Unavailable"
	CodeInternal        = "InternalError"
)
