// Package kinesis serves the Amazon Kinesis Data Streams API over a spool,
// so the AWS SDKs, the aws CLI, the Kinesis Agent and KCL work against the
// gateway unchanged. The contract is ../shared/spec/kinesis.md; user
// documentation is docs/kinesis.md.
//
// A request goes through the checks AWS applies, in its order
// (handler.go): method, body, content type, parse (JSON 1.1 or CBOR),
// operation, SigV4 (sigv4.go), member types and constraints against the
// operation's shape (schema.go, ops.go), then the operation. Error types,
// status codes and texts are AWS's as kinesalite's REMOTE-validated tests
// recorded them.
//
// Streams, shards, records and sequence numbers are the spool's. What the
// API keeps beyond them — tags, stream mode, consumers, enhanced
// monitoring — is stored as the stream's spool attributes (attrs.go), so
// it survives restarts and is deleted with the stream. Shard iterators and
// NextTokens are sealed with an HMAC key (token.go): clients cannot forge
// or alter them, and with the key kept on disk they outlive a restart.
//
// The data plane (records.go) appends through the spool's group commit,
// so a 200 to PutRecord(s) means durable. SubscribeToShard (subscribe.go)
// pushes event-stream frames from the spool's Wait, never polling.
// Per-shard throughput limits (throttle.go) are token buckets, off by
// default.
//
// Memory: request bodies are read under a byte budget shared by all
// connections (Config.MaxInflightBytes), and one body is at most
// Config.MaxRequestBytes, refused with 413 before it is read.
package kinesis
