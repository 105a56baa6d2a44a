// Package config loads, defaults, checks and prints the Tributary gateway's
// YAML configuration.
//
// A configuration is built in four steps, each overriding the one before:
// the built-in defaults (Default), the YAML file (Load, Parse), the
// environment variables TRIBUTARY_DATA_DIR, TRIBUTARY_HTTP_ADDR,
// TRIBUTARY_DURABILITY and TRIBUTARY_LOG_LEVEL (an invalid value is
// reported under the variable's name and not applied), and finally
// Validate.
// Decoding is strict: an unknown key, a duplicate key, a value of the wrong
// type or a malformed duration or byte size is an error, and every problem
// is reported at once as an *Errors whose entries name the key path and the
// line, e.g.
//
//	configs/x.yaml:7: spool.durabilty: unknown key (did you mean "durability"?)
//
// docs/config.md is the reference for every key.
package config

import (
	"bytes"

	"gopkg.in/yaml.v3"
)

// Config is the whole gateway configuration. The zero value is not usable;
// start from Default, Load or Parse.
type Config struct {
	// DataDir is where the spool lives (DataDir/spool). Must not be empty.
	DataDir string `yaml:"data_dir"`
	// HTTP configures the one HTTP listener.
	HTTP HTTP `yaml:"http"`
	// Log configures logging.
	Log Log `yaml:"log"`
	// MemoryLimit is the Go runtime's soft memory limit (debug.SetMemoryLimit):
	// the garbage collector works harder as the heap nears it, instead of
	// letting it grow to twice what is live. 0 leaves the runtime's default;
	// the GOMEMLIMIT environment variable, when set, wins.
	MemoryLimit ByteSize `yaml:"memory_limit"`
	// Spool configures the on-disk record store.
	Spool Spool `yaml:"spool"`
	// Streams are created at start-up if missing; the retention and size
	// settings of existing ones are updated to match.
	Streams []Stream `yaml:"streams"`
	// MQTT configures the embedded broker, the bridge and the routes.
	MQTT MQTT `yaml:"mqtt"`
	// Kinesis configures the Kinesis Data Streams API at /.
	Kinesis Kinesis `yaml:"kinesis"`
	// Deliveries send streams upstream.
	Deliveries []Delivery `yaml:"deliveries"`
	// Uplink is what the deliveries share.
	Uplink Uplink `yaml:"uplink"`
	// Apps are continuous SQL queries over streams.
	Apps []App `yaml:"apps"`
	// Sensors are attached to the gateway itself (I²C, 1-Wire, GPIO).
	Sensors []Sensor `yaml:"sensors"`
	// Video is camera ingest, the fragment store and playback.
	Video Video `yaml:"video"`
}

// HTTP configures the gateway's single listener, which serves the Kinesis
// API at /, the admin API at /api/v1/, /metrics and /healthz.
type HTTP struct {
	// Addr is the host:port to listen on; port 0 picks a free port.
	Addr string `yaml:"addr"`
	// TLS serves HTTPS (HTTP/1.1 and h2 by ALPN) on Addr instead of
	// plain HTTP (HTTP/1.1 and h2c).
	TLS HTTPTLS `yaml:"tls"`
}

// HTTPTLS is a certificate for the HTTP listener; both empty is off.
type HTTPTLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Log configures logging.
type Log struct {
	// Level is one of debug, info, warn, error.
	Level string `yaml:"level"`
	// Format is text or json.
	Format string `yaml:"format"`
}

// Default returns the built-in defaults: what `tributary run` uses with no
// config file, and what configs/gateway.yaml spells out. Each call returns a
// new Config that the caller may modify. Default().Validate() == nil.
func Default() *Config {
	return &Config{
		DataDir:     "./data",
		HTTP:        HTTP{Addr: "127.0.0.1:4567"},
		Log:         Log{Level: "info", Format: "text"},
		MemoryLimit: 64 * MiB,
		Spool:       defaultSpool(),
		Streams:     []Stream{defaultStream("telemetry")},
		MQTT:        defaultMQTT(),
		Kinesis:     defaultKinesis(),
		Deliveries:  []Delivery{},
		Uplink:      Uplink{S3: UplinkS3{Region: "us-east-1"}},
		Apps:        []App{},
		Sensors:     []Sensor{},
		Video:       defaultVideo(),
	}
}

// YAML marshals the effective configuration (every key, defaults
// included) as YAML that Parse reads back to an equal Config.
func (c *Config) YAML() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
