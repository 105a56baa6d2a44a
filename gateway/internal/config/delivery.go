package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/uplink"
)

// Delivery sends streams upstream (uplink): batches closed by the
// buffering hints, sent to one destination, checkpointed only once the
// destination confirms. docs/config.md#deliveries.
type Delivery struct {
	// Name is 1..100 characters of [a-zA-Z0-9_.-], unique.
	Name string `yaml:"name"`
	// Streams are the streams it reads (they may be created later).
	Streams []string `yaml:"streams"`
	// Buffering: a batch closes at Size bytes of data or Interval after
	// its first record, whichever comes first (Firehose's hints).
	Buffering Buffering `yaml:"buffering"`
	// MaxShards is how many shards send at once.
	MaxShards int `yaml:"max_shards"`
	// Bandwidth caps the record bytes sent per second (0: none), so a
	// backlog draining over a thin link leaves room for the rest.
	Bandwidth ByteSize `yaml:"bandwidth"`
	// Retry is the backoff between attempts; a delivery never gives up.
	Retry Retry `yaml:"retry"`
	// NewestFirst drains a backlog latest data first: new records are
	// sent as they come while the backlog is backfilled alongside.
	NewestFirst bool `yaml:"newest_first"`
	// Priority orders deliveries on the shared uplink.bandwidth (higher
	// first).
	Priority int `yaml:"priority"`
	// HTTP is the Firehose HTTP endpoint destination (set when its url
	// is).
	HTTP DeliveryHTTP `yaml:"http"`
	// S3 is an S3-compatible destination (set when its bucket is).
	S3 DeliveryS3 `yaml:"s3"`
	// Kinesis is a Kinesis stream destination (set when its stream is):
	// Amazon Kinesis, another Tributary, any Kinesis-compatible endpoint.
	Kinesis DeliveryKinesis `yaml:"kinesis"`
	// Firehose is a Firehose delivery stream destination (set when its
	// delivery_stream is): Amazon Data Firehose or another Tributary.
	Firehose DeliveryFirehose `yaml:"firehose"`
	// MQTT bridges to an MQTT broker (set when its broker is): AWS IoT
	// Core, EMQX, mosquitto.
	MQTT DeliveryMQTT `yaml:"mqtt"`
	// Kafka produces to a Kafka topic (set when its brokers are).
	Kafka DeliveryKafka `yaml:"kafka"`
	// NATS publishes to NATS JetStream (set when its urls are).
	NATS DeliveryNATS `yaml:"nats"`
}

// DeliveryMQTT publishes each record at QoS 1 to a topic from a template.
type DeliveryMQTT struct {
	Broker         string   `yaml:"broker"` // tcp://, ssl://, tls://, mqtts://, ws://, wss://
	ClientID       string   `yaml:"client_id"`
	Username       string   `yaml:"username"`
	Password       string   `yaml:"password"`
	CAFile         string   `yaml:"ca_file"`
	CertFile       string   `yaml:"cert_file"`
	KeyFile        string   `yaml:"key_file"`
	Topic          string   `yaml:"topic"` // {stream} {shard} {key} {delivery}
	QoS            int      `yaml:"qos"`   // 0 | 1
	Retain         bool     `yaml:"retain"`
	MaxInflight    int      `yaml:"max_inflight"`
	MaxPayload     ByteSize `yaml:"max_payload"`
	MaxTopicLength int      `yaml:"max_topic_length"`
	Timeout        Duration `yaml:"timeout"`
}

// TLSFiles is a client's TLS: CA certificates to trust (default the
// system's), and a client certificate for mutual TLS.
type TLSFiles struct {
	Enabled  bool   `yaml:"enabled"`
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// DeliveryKafka produces to a Kafka topic with the idempotent producer,
// key = partition key.
type DeliveryKafka struct {
	Brokers         []string `yaml:"brokers"`
	Topic           string   `yaml:"topic"`
	ClientID        string   `yaml:"client_id"`
	TLS             TLSFiles `yaml:"tls"`
	SASLUser        string   `yaml:"sasl_user"`
	SASLPassword    string   `yaml:"sasl_password"`
	MaxMessageBytes ByteSize `yaml:"max_message_bytes"`
	Timeout         Duration `yaml:"timeout"`
}

// DeliveryNATS publishes to a JetStream subject with Nats-Msg-Id from the
// batch identity.
type DeliveryNATS struct {
	URLs       []string `yaml:"urls"`
	Subject    string   `yaml:"subject"` // may hold {key}
	Name       string   `yaml:"name"`
	User       string   `yaml:"user"`
	Password   string   `yaml:"password"`
	Token      string   `yaml:"token"`
	TLS        TLSFiles `yaml:"tls"`
	MaxPending int      `yaml:"max_pending"`
	Timeout    Duration `yaml:"timeout"`
}

// MQTTSink returns the uplink sink of an mqtt destination (not connected).
func (m DeliveryMQTT) MQTTSink() *uplink.MQTTSink {
	return &uplink.MQTTSink{Broker: m.Broker, ClientID: m.ClientID, Username: m.Username, Password: m.Password,
		CAFile: m.CAFile, CertFile: m.CertFile, KeyFile: m.KeyFile, Topic: m.Topic, AtMostOnce: m.QoS == 0, Retain: m.Retain,
		MaxInflight: m.MaxInflight, MaxPayload: int(m.MaxPayload), MaxTopic: m.MaxTopicLength, Timeout: time.Duration(m.Timeout)}
}

// DeliveryFirehose puts records into a Firehose delivery stream with
// PutRecordBatch.
type DeliveryFirehose struct {
	DeliveryStream string `yaml:"delivery_stream"`
	Endpoint       string `yaml:"endpoint"` // "" = AWS; else e.g. http://regional-gateway:4567
	Region         string `yaml:"region"`
	AccessKeyID    string `yaml:"access_key_id"`
	SecretKey      string `yaml:"secret_access_key"`
}

// Uplink is what deliveries share.
type Uplink struct {
	// Bandwidth caps the record bytes all deliveries send per second
	// together (0: none); their priorities order them on it.
	Bandwidth ByteSize `yaml:"bandwidth"`
	// S3 is the S3 service for deliveries created through the Firehose
	// API (a BucketARN names only the bucket).
	S3 UplinkS3 `yaml:"s3"`
}

// UplinkS3 is an S3 service: AWS, or an S3-compatible store.
type UplinkS3 struct {
	Endpoint    string `yaml:"endpoint"`
	Region      string `yaml:"region"`
	PathStyle   bool   `yaml:"path_style"`
	AccessKeyID string `yaml:"access_key_id"`
	SecretKey   string `yaml:"secret_access_key"`
}

// CheckDelivery checks one delivery as the deliveries list would (for a
// delivery made at run time, through the Firehose API).
func CheckDelivery(d Delivery) error {
	c := &Config{Deliveries: []Delivery{d}}
	var v validator
	c.validateDeliveries(&v)
	for _, e := range v.errs {
		e.Path = strings.TrimPrefix(strings.TrimPrefix(e.Path, "deliveries[0]"), ".")
	}
	return asError(v.errs)
}

// DeliveryKinesis puts records into a Kinesis stream, keeping their
// partition keys.
type DeliveryKinesis struct {
	Stream      string `yaml:"stream"`
	Endpoint    string `yaml:"endpoint"` // "" = AWS; else e.g. http://regional-gateway:4567
	Region      string `yaml:"region"`
	AccessKeyID string `yaml:"access_key_id"`
	SecretKey   string `yaml:"secret_access_key"`
}

// destinations counts the destinations a delivery names.
func (d *Delivery) destinations() int {
	n := 0
	for _, set := range []bool{d.HTTP.URL != "", d.S3.Bucket != "", d.Kinesis.Stream != "", d.Firehose.DeliveryStream != "",
		d.MQTT.Broker != "", len(d.Kafka.Brokers) > 0, len(d.NATS.URLs) > 0} {
		if set {
			n++
		}
	}
	return n
}

// DeliveryS3 writes each batch as an object named as Firehose names them.
type DeliveryS3 struct {
	Bucket      string   `yaml:"bucket"`
	Prefix      string   `yaml:"prefix"`       // default !{timestamp:yyyy/MM/dd/HH/}
	ErrorPrefix string   `yaml:"error_prefix"` // default prefix + !{firehose:error-output-type}/
	Format      string   `yaml:"format"`       // raw | lines | jsonl | csv | parquet
	Compression string   `yaml:"compression"`  // none | gzip | zstd | snappy
	Endpoint    string   `yaml:"endpoint"`     // "" = AWS; else an S3-compatible URL
	Region      string   `yaml:"region"`
	PathStyle   bool     `yaml:"path_style"`
	AccessKeyID string   `yaml:"access_key_id"`
	SecretKey   string   `yaml:"secret_access_key"`
	PartSize    ByteSize `yaml:"part_size"` // multipart part size, ≥ 5MiB
	// Schema declares the csv and parquet columns; none: inferred per
	// batch from its first JSON object.
	Schema []Column `yaml:"schema"`
	// CSVHeader writes a header row first (csv).
	CSVHeader bool `yaml:"csv_header"`
	// ParquetRowGroupSize bounds a parquet row group's buffered column
	// data, and so the memory a batch takes.
	ParquetRowGroupSize ByteSize `yaml:"parquet_row_group_size"`
}

// Column is one csv or parquet column.
type Column struct {
	Name     string `yaml:"name"`
	Path     string `yaml:"path"` // "gps.lat"; default the name
	Type     string `yaml:"type"` // string | int64 | int32 | double | float | boolean | timestamp | json
	Required bool   `yaml:"required"`
}

// FormatOptions returns the uplink options of an s3 destination.
func (s DeliveryS3) FormatOptions() uplink.FormatOptions {
	o := uplink.FormatOptions{CSVOmitHeader: s.Format == "csv" && !s.CSVHeader}
	if s.Format == "parquet" {
		o.ParquetRowGroupBytes = int64(s.ParquetRowGroupSize)
	}
	if len(s.Schema) > 0 {
		o.Schema = &uplink.Schema{}
		for _, c := range s.Schema {
			o.Schema.Columns = append(o.Schema.Columns, uplink.Column{Name: c.Name, Path: c.Path, Type: uplink.ColumnType(c.Type), Required: c.Required})
		}
	}
	return o
}

// Buffering are the buffering hints.
type Buffering struct {
	Size     ByteSize `yaml:"size"`     // 1B..128MiB (http: ..47MiB)
	Interval Duration `yaml:"interval"` // 0..900s
}

// Retry is an exponential backoff with ±15 % jitter.
type Retry struct {
	Min Duration `yaml:"min"`
	Max Duration `yaml:"max"`
}

// DeliveryHTTP is a Firehose HTTP endpoint destination.
type DeliveryHTTP struct {
	URL              string            `yaml:"url"`
	AccessKey        string            `yaml:"access_key"`
	Gzip             bool              `yaml:"gzip"`
	CommonAttributes map[string]string `yaml:"common_attributes"`
}

// DefaultDelivery returns a delivery of streams with the defaults filled
// in (a destination still has to be set).
func DefaultDelivery(name string, streams ...string) Delivery {
	var d Delivery
	d.setDefaults()
	d.Name, d.Streams = name, streams
	return d
}

func (d *Delivery) setDefaults() {
	*d = Delivery{
		Buffering: Buffering{Size: 5 * MiB, Interval: Duration(300 * time.Second)},
		MaxShards: 4,
		Retry:     Retry{Min: Duration(time.Second), Max: Duration(120 * time.Second)},
		S3:        DeliveryS3{Format: "raw", Compression: "none", Region: "us-east-1", PartSize: 5 * MiB, CSVHeader: true, ParquetRowGroupSize: 8 * MiB},
		Kinesis:   DeliveryKinesis{Region: "us-east-1"},
		Firehose:  DeliveryFirehose{Region: "us-east-1"},
		MQTT:      DeliveryMQTT{Topic: uplink.MQTTDefaultTopic, QoS: 1, MaxInflight: uplink.MQTTDefaultMaxInflight, MaxPayload: uplink.MQTTDefaultMaxPayload, MaxTopicLength: 65535, Timeout: Duration(uplink.MQTTDefaultTimeout)},
		Kafka:     DeliveryKafka{ClientID: "tributary", MaxMessageBytes: 1_000_012, Timeout: Duration(30 * time.Second)},
		NATS:      DeliveryNATS{Name: "tributary", MaxPending: 256, Timeout: Duration(30 * time.Second)},
	}
}

func (c *Config) validateDeliveries(v *validator) {
	names := map[string]int{}
	for i, d := range c.Deliveries {
		p := fmt.Sprintf("deliveries[%d]", i)
		v.uniqueName(p+".name", "delivery", "deliveries", d.Name, i, names)
		if len(d.Streams) == 0 {
			v.check(p+".streams", "must name at least one stream")
		}
		for j, s := range d.Streams {
			v.check(fmt.Sprintf("%s.streams[%d]", p, j), checkStreamName(s))
		}
		maxSize := 128 * MiB
		if d.HTTP.URL != "" {
			maxSize = 47 * MiB // base64 in a 64 MiB body (the endpoint contract's limit)
		}
		v.check(p+".buffering.size", checkByteRange(d.Buffering.Size, 1, maxSize))
		v.check(p+".buffering.interval", checkDurationRange(d.Buffering.Interval, 0, Duration(900*time.Second)))
		v.check(p+".max_shards", checkIntRange(d.MaxShards, 1, 64))
		v.check(p+".bandwidth", checkByteRange(d.Bandwidth, 0, -1))
		v.check(p+".retry.min", checkDurationRange(d.Retry.Min, Duration(time.Millisecond), Duration(time.Hour)))
		v.check(p+".retry.max", checkDurationRange(d.Retry.Max, d.Retry.Min, Duration(24*time.Hour)))
		switch {
		case d.destinations() == 0:
			v.check(p, "needs a destination ("+destinationKeys+")")
		case d.destinations() > 1:
			v.check(p, "has more than one destination ("+destinationKeys+"); a delivery sends to one")
		case d.MQTT.Broker != "":
			m := d.MQTT
			v.check(p+".mqtt.qos", checkIntRange(m.QoS, 0, 1))
			if err := m.MQTTSink().Validate(); err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					key, msg, _ := strings.Cut(line, ": ")
					v.check(p+".mqtt."+key, msg)
				}
			}
		case len(d.Kafka.Brokers) > 0:
			k := d.Kafka
			for j, b := range k.Brokers {
				v.check(fmt.Sprintf("%s.kafka.brokers[%d]", p, j), checkAddr(b))
			}
			if k.Topic == "" || len(k.Topic) > 249 || strings.Trim(k.Topic, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" || k.Topic == "." || k.Topic == ".." {
				v.check(p+".kafka.topic", fmt.Sprintf("must be 1 to 249 characters of a-z, A-Z, 0-9, '.', '_' and '-' (got %q)", k.Topic))
			}
			if k.SASLPassword != "" && k.SASLUser == "" {
				v.check(p+".kafka.sasl_password", "needs sasl_user")
			}
			v.check(p+".kafka.max_message_bytes", checkByteRange(k.MaxMessageBytes, KiB, 64*MiB))
			v.check(p+".kafka.tls", k.TLS.check())
		case len(d.NATS.URLs) > 0:
			n := d.NATS
			for j, u := range n.URLs {
				if pu, err := url.Parse(u); err != nil || pu.Host == "" || (pu.Scheme != "nats" && pu.Scheme != "tls") {
					v.check(fmt.Sprintf("%s.nats.urls[%d]", p, j), fmt.Sprintf("must be a nats:// or tls:// URL (got %q)", u))
				}
			}
			if n.Subject == "" || strings.ContainsAny(n.Subject, " \t\r\n*>") {
				v.check(p+".nats.subject", fmt.Sprintf("must be a subject without spaces or wildcards (got %q)", n.Subject))
			}
			if n.Token != "" && n.User != "" {
				v.check(p+".nats", "user/password and token are alternatives; set one")
			}
			v.check(p+".nats.max_pending", checkIntRange(n.MaxPending, 1, 65536))
			v.check(p+".nats.tls", n.TLS.check())
		case d.Firehose.DeliveryStream != "":
			f := d.Firehose
			if msg := checkStreamName(f.DeliveryStream); msg != "" || len(f.DeliveryStream) > 64 {
				v.check(p+".firehose.delivery_stream", "must be 1 to 64 characters of a-z, A-Z, 0-9, '_', '-' and '.'")
			}
			if f.Endpoint != "" {
				v.check(p+".firehose.endpoint", checkHTTPURL(f.Endpoint))
			}
			if (f.AccessKeyID == "") != (f.SecretKey == "") {
				v.check(p+".firehose", "access_key_id and secret_access_key must be set together")
			}
		case d.Kinesis.Stream != "":
			k := d.Kinesis
			v.check(p+".kinesis.stream", checkStreamName(k.Stream))
			if k.Endpoint != "" {
				v.check(p+".kinesis.endpoint", checkHTTPURL(k.Endpoint))
			}
			if (k.AccessKeyID == "") != (k.SecretKey == "") {
				v.check(p+".kinesis", "access_key_id and secret_access_key must be set together")
			}
		case d.S3.Bucket != "":
			s3 := d.S3
			v.check(p+".s3.format", checkOneOf(s3.Format, []string{"raw", "lines", "jsonl", "csv", "parquet"}))
			if s3.Format == "parquet" {
				v.check(p+".s3.parquet_row_group_size", checkByteRange(s3.ParquetRowGroupSize, MiB, 128*MiB))
			}
			switch tabular := s3.Format == "csv" || s3.Format == "parquet"; {
			case len(s3.Schema) > 0 && !tabular:
				v.check(p+".s3.schema", fmt.Sprintf("applies to the csv and parquet formats only (format is %s)", s3.Format))
			case tabular:
				o := s3.FormatOptions()
				o.ParquetRowGroupBytes = 0 // checked above
				if err := o.Validate(uplink.Format(s3.Format)); err != nil {
					v.check(p+".s3.schema", strings.TrimPrefix(err.Error(), "schema: "))
				}
			}
			v.check(p+".s3.compression", checkOneOf(s3.Compression, []string{"none", "gzip", "zstd", "snappy"}))
			v.check(p+".s3.part_size", checkByteRange(s3.PartSize, 5*MiB, GiB))
			if s3.Endpoint != "" {
				v.check(p+".s3.endpoint", checkHTTPURL(s3.Endpoint))
			}
			if (s3.AccessKeyID == "") != (s3.SecretKey == "") {
				v.check(p+".s3", "access_key_id and secret_access_key must be set together")
			}
			if err := uplink.CheckPrefix(s3.Prefix, false); err != nil {
				v.check(p+".s3.prefix", err.Error())
			}
			if s3.ErrorPrefix != "" {
				if err := uplink.CheckPrefix(s3.ErrorPrefix, true); err != nil {
					v.check(p+".s3.error_prefix", err.Error()+" (as Firehose requires)")
				}
			}
		default:
			v.check(p+".http.url", checkHTTPURL(d.HTTP.URL))
			if len(d.HTTP.AccessKey) > 4096 {
				v.check(p+".http.access_key", "must be at most 4096 characters")
			}
			if len(d.HTTP.CommonAttributes) > 50 {
				v.check(p+".http.common_attributes", "must have at most 50 entries")
			}
		}
	}
}

// check reports a half-set client certificate.
func (t TLSFiles) check() string {
	if (t.CertFile == "") != (t.KeyFile == "") {
		return "cert_file and key_file must be set together"
	}
	return ""
}

// uniqueName checks the name of list element i (1..100 of
// [a-zA-Z0-9_.-], unique in the list; names maps those seen to their
// index).
func (v *validator) uniqueName(path, kind, list, name string, i int, names map[string]int) {
	if msg := checkStreamName(name); msg != "" || len(name) > 100 {
		if msg == "" {
			msg = "must be at most 100 characters"
		}
		v.check(path, msg)
	} else if first, dup := names[name]; dup {
		v.check(path, fmt.Sprintf("duplicate %s %q (also %s[%d])", kind, name, list, first))
	} else {
		names[name] = i
	}
}

// destinationKeys names the keys that choose a delivery's destination.
const destinationKeys = "http.url, s3.bucket, kinesis.stream, firehose.delivery_stream, mqtt.broker, kafka.brokers or nats.urls"

// checkHTTPURL accepts an absolute http:// or https:// URL.
func checkHTTPURL(s string) string {
	if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("must be an http:// or https:// URL (got %q)", truncate(s))
	}
	return ""
}
