package config

import (
	"strings"
	"testing"
	"time"
)

func TestDeliveriesParseWithDefaults(t *testing.T) {
	c, err := Parse("x.yaml", []byte(`
deliveries:
  - name: to-cloud
    streams: [telemetry]
    http:
      url: https://collector.example.com/firehose
      gzip: true
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := c.Deliveries[0]
	if d.Buffering.Size != 5*MiB || d.Buffering.Interval != Duration(300*time.Second) || d.MaxShards != 4 ||
		d.Retry.Min != Duration(time.Second) || d.Retry.Max != Duration(120*time.Second) || !d.HTTP.Gzip {
		t.Errorf("defaults: %+v", d)
	}
}

func TestDeliveriesValidate(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"- name: a\n  streams: [s]\n", "deliveries[0]: needs a destination (" + destinationKeys + ")"},
		{"- name: a\n  streams: [s]\n  http: {url: ftp://x}\n", `deliveries[0].http.url: must be an http:// or https:// URL (got "ftp://x")`},
		{"- name: a\n  streams: []\n  http: {url: http://x}\n", "deliveries[0].streams: must name at least one stream"},
		{"- name: a\n  streams: [s]\n  buffering: {size: 48MiB}\n  http: {url: http://x}\n", "deliveries[0].buffering.size: must be between"},
		{"- name: a\n  streams: [s]\n  s3: {bucket: b, prefix: \"x/!{partitionKeyFromQuery:k}/\"}\n", "deliveries[0].s3.prefix: expression !{partitionKeyFromQuery:k} is not supported here"},
		{"- name: a\n  streams: [s]\n  buffering: {interval: 901s}\n  http: {url: http://x}\n", "deliveries[0].buffering.interval: must be between"},
		{"- name: a\n  streams: [s]\n  http: {url: http://x}\n- name: a\n  streams: [s]\n  http: {url: http://x}\n", `deliveries[1].name: duplicate delivery "a" (also deliveries[0])`},
		{"- name: a\n  streams: [s]\n  htp: {url: http://x}\n", `deliveries[0].htp: unknown key`},
		{"- name: a\n  streams: [s]\n  http: {url: http://x}\n  s3: {bucket: b}\n", "deliveries[0]: has more than one destination"},
		{"- name: a\n  streams: [s]\n  s3: {bucket: b, format: orc}\n", `deliveries[0].s3.format: must be one of raw, lines, jsonl, csv, parquet (got "orc")`},
		{"- name: a\n  streams: [s]\n  s3: {bucket: b, format: parquet, schema: [{name: t, type: integer}]}\n", `deliveries[0].s3.schema: column "t": unknown type "integer"`},
		{"- name: a\n  streams: [s]\n  s3: {bucket: b, format: jsonl, schema: [{name: t}]}\n", `deliveries[0].s3.schema: applies to the csv and parquet formats only`},
		{"- name: a\n  streams: [s]\n  s3: {bucket: b, format: parquet, parquet_row_group_size: 1KiB}\n", `deliveries[0].s3.parquet_row_group_size: must be between`},
		{"- name: a\n  streams: [s]\n  mqtt: {broker: \"ftp://x\"}\n", `deliveries[0].mqtt.broker: scheme "ftp" is not one of tcp, mqtt, ssl, tls, mqtts, ws, wss`},
		{"- name: a\n  streams: [s]\n  mqtt: {broker: \"tcp://x:1883\", topic: \"a/#\"}\n", `deliveries[0].mqtt.topic:`},
		{"- name: a\n  streams: [s]\n  mqtt: {broker: \"tcp://x:1883\", qos: 2}\n", `deliveries[0].mqtt.qos: must be between 0 and 1`},
		{"- name: a\n  streams: [s]\n  kafka: {brokers: [\"k:9092\"], topic: \"a b\"}\n", `deliveries[0].kafka.topic: must be 1 to 249 characters`},
		{"- name: a\n  streams: [s]\n  kafka: {brokers: [\"k:9092\"], topic: t, tls: {cert_file: c}}\n", `deliveries[0].kafka.tls: cert_file and key_file must be set together`},
		{"- name: a\n  streams: [s]\n  nats: {urls: [\"http://n:4222\"], subject: s}\n", `deliveries[0].nats.urls[0]: must be a nats:// or tls:// URL`},
		{"- name: a\n  streams: [s]\n  nats: {urls: [\"nats://n:4222\"], subject: \"up.>\"}\n", `deliveries[0].nats.subject: must be a subject without spaces or wildcards`},
		{"- name: a\n  streams: [s]\n  nats: {urls: [\"nats://n:4222\"], subject: s}\n  mqtt: {broker: \"tcp://x:1\"}\n", "deliveries[0]: has more than one destination"},
		{"- name: a\n  streams: [s]\n  s3: {bucket: b, error_prefix: errors/}\n", "deliveries[0].s3.error_prefix: must contain !{firehose:error-output-type}"},
		{"- name: a\n  streams: [s]\n  s3: {bucket: b, access_key_id: x}\n", "deliveries[0].s3: access_key_id and secret_access_key must be set together"},
	} {
		_, err := Parse("x.yaml", []byte("deliveries:\n"+indent(c.yaml)), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s", c.yaml, err, c.want)
		}
	}
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}
