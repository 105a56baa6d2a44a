package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/config"
	kinesisapi "github.com/tributary-edge/tributary/gateway/internal/kinesis"
	"github.com/tributary-edge/tributary/spool"
)

// The Firehose control plane: deliveries made with CreateDeliveryStream
// run like those of the config file, and are kept in
// data_dir/firehose-deliveries.json so they come back after a restart.
// A Direct PUT delivery owns a stream, firehose-<name>, which
// DeleteDeliveryStream deletes with it.

// firehoseMeta is what the Firehose API knows of a delivery it made.
type firehoseMeta struct {
	Type      string            `json:"type"`       // DirectPut | KinesisStreamAsSource
	OwnStream string            `json:"own_stream"` // DirectPut: the stream it owns
	Created   time.Time         `json:"created"`
	Updated   time.Time         `json:"updated"`
	Version   int               `json:"version"`
	Tags      map[string]string `json:"tags,omitempty"`
}

// firehoseRecord is one delivery in the file.
type firehoseRecord struct {
	Meta     firehoseMeta    `json:"meta"`
	Delivery config.Delivery `json:"delivery"`
}

// directPutShards is the size of a Direct PUT delivery's stream: its
// records have random keys, so shards only add parallel sends.
const directPutShards = 2

func (g *Gateway) firehoseFile() string {
	return filepath.Join(g.cfg.DataDir, "firehose-deliveries.json")
}

// loadFirehoseDeliveries starts the deliveries made through the API. One
// whose name is now taken by the config file is not started (logged).
func (g *Gateway) loadFirehoseDeliveries() error {
	var recs []firehoseRecord
	if err := readKept(g.firehoseFile(), "the deliveries made through the Firehose API", &recs); err != nil {
		return err
	}
	for _, r := range recs {
		if g.delivery(r.Delivery.Name) != nil {
			g.log.Warn("a delivery made through the Firehose API has the name of one in the config file; the config file's runs", "delivery", r.Delivery.Name)
			continue
		}
		meta := r.Meta
		if err := g.startDelivery(r.Delivery, &meta); err != nil {
			return fmt.Errorf("%s: delivery %s: %w", g.firehoseFile(), r.Delivery.Name, err)
		}
	}
	return nil
}

// saveFirehoseDeliveries writes the API's deliveries, but those named in
// leaving out, atomically (g.fmu held).
func (g *Gateway) saveFirehoseDeliveries(leaving ...string) error {
	recs := []firehoseRecord{}
	for _, d := range g.deliveryList() {
		if d.fh != nil && !slices.Contains(leaving, d.cfg.Name) {
			recs = append(recs, firehoseRecord{Meta: *d.fh, Delivery: d.cfg})
		}
	}
	return writeKept(g.firehoseFile(), recs)
}

// readKept reads what the gateway keeps in a JSON file of data_dir
// (what was made through an API); a missing file is nothing kept.
func readKept(path, what string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w (%s; fix or remove the file)", path, err, what)
	}
	return nil
}

// writeKept replaces such a file, atomically.
func writeKept(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

// writeFileAtomic replaces path with b: a crash leaves the old or the new.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		dir.Sync()
		dir.Close()
	}
	return nil
}

// firehoseControl is the gateway as the Firehose API's FirehoseControl.
type firehoseControl struct{ g *Gateway }

func (c firehoseControl) DeliveryStreams() []kinesisapi.DeliveryStream {
	g := c.g
	var out []kinesisapi.DeliveryStream
	for _, d := range g.deliveryList() {
		ds := kinesisapi.DeliveryStream{Name: d.cfg.Name, Stream: d.cfg.Streams[0], Created: g.started, Destination: describeDestination(d.cfg)}
		if d.fh != nil {
			ds.Type, ds.Created, ds.Updated, ds.Version = d.fh.Type, d.fh.Created, d.fh.Updated, d.fh.Version
		}
		out = append(out, ds)
	}
	return out
}

func (c firehoseControl) notFound(name string) error {
	return fmt.Errorf("%w: Firehose %s under account %s not found.", kinesisapi.ErrDeliveryNotFound, name, c.g.cfg.Kinesis.AccountID)
}

// ours returns a delivery the API made, or why it cannot be changed.
func (c firehoseControl) ours(name string) (*delivery, error) {
	d := c.g.delivery(name)
	if d == nil {
		return nil, c.notFound(name)
	}
	if d.fh == nil {
		return nil, fmt.Errorf("%w: delivery %s is defined in the gateway's config file; change it there", kinesisapi.ErrDeliveryInvalid, name)
	}
	return d, nil
}

func (c firehoseControl) CreateDeliveryStream(spec kinesisapi.DeliverySpec) error {
	g := c.g
	g.fmu.Lock()
	defer g.fmu.Unlock()
	if g.delivery(spec.Name) != nil {
		return fmt.Errorf("%w: Firehose %s under accountId %s already exists", kinesisapi.ErrDeliveryInUse, spec.Name, g.cfg.Kinesis.AccountID)
	}
	dc := config.DefaultDelivery(spec.Name)
	if err := applyDestination(&dc, spec, g.cfg.Uplink.S3, true); err != nil {
		return err
	}
	now := time.Now()
	meta := &firehoseMeta{Type: spec.Type, Created: now, Version: 1, Tags: spec.Tags}
	if spec.Type == "KinesisStreamAsSource" {
		dc.Streams = []string{spec.SourceStream}
	} else {
		meta.OwnStream = "firehose-" + spec.Name
		dc.Streams = []string{meta.OwnStream}
	}
	if err := config.CheckDelivery(dc); err != nil {
		return fmt.Errorf("%w: %v", kinesisapi.ErrDeliveryInvalid, err)
	}
	created := false
	if meta.OwnStream != "" {
		err := g.spool.CreateStream(spool.StreamConfig{Name: meta.OwnStream, Shards: directPutShards})
		if err != nil && !errors.Is(err, spool.ErrStreamExists) {
			return fmt.Errorf("creating the delivery's stream %s: %w", meta.OwnStream, err)
		}
		created = err == nil
	}
	undo := func() {
		if created {
			g.spool.DeleteStream(meta.OwnStream)
		}
	}
	if err := g.startDelivery(dc, meta); err != nil {
		undo()
		return fmt.Errorf("%w: %v", kinesisapi.ErrDeliveryInvalid, err)
	}
	if err := g.saveFirehoseDeliveries(); err != nil {
		c.remove(spec.Name)
		undo()
		return fmt.Errorf("keeping the delivery in %s: %w", g.firehoseFile(), err)
	}
	g.log.Info("delivery created through the Firehose API", "delivery", spec.Name, "type", spec.Type, "destination", destination(dc))
	return nil
}

// remove stops a delivery and forgets it (not its data).
func (c firehoseControl) remove(name string) *delivery {
	g := c.g
	g.dmu.Lock()
	d := g.deliveries[name]
	delete(g.deliveries, name)
	g.dmu.Unlock()
	if d != nil {
		d.close()
	}
	return d
}

func (c firehoseControl) DeleteDeliveryStream(name string) error {
	g := c.g
	g.fmu.Lock()
	defer g.fmu.Unlock()
	d, err := c.ours(name)
	if err != nil {
		return err
	}
	// Forget it in the file first: a failure leaves it running, as the
	// caller is told.
	if err := g.saveFirehoseDeliveries(name); err != nil {
		return fmt.Errorf("removing the delivery from %s: %w", g.firehoseFile(), err)
	}
	c.remove(name)
	// Its position, so a delivery made later under the name starts
	// afresh, and the stream it owned.
	for _, p := range []string{"uplink:", "uplink-pending:", "uplink-gap:", "uplink-live:", "uplink-live-pending:"} {
		if err := g.spool.DeleteCheckpoints(p + name); err != nil {
			g.log.Warn("cannot delete a deleted delivery's checkpoints", "delivery", name, "err", err)
		}
	}
	if d.fh.OwnStream != "" {
		if err := g.spool.DeleteStream(d.fh.OwnStream); err != nil && !errors.Is(err, spool.ErrStreamNotFound) {
			g.log.Warn("cannot delete a deleted delivery's stream", "stream", d.fh.OwnStream, "err", err)
		}
	}
	g.log.Info("delivery deleted through the Firehose API", "delivery", name)
	return nil
}

func (c firehoseControl) UpdateDestination(name, version string, spec kinesisapi.DeliverySpec) error {
	g := c.g
	g.fmu.Lock()
	defer g.fmu.Unlock()
	d, err := c.ours(name)
	if err != nil {
		return err
	}
	if version != fmt.Sprint(d.fh.Version) {
		return fmt.Errorf("%w: CurrentDeliveryStreamVersionId %s does not match the delivery's version %d; describe it again", kinesisapi.ErrDeliveryVersion, version, d.fh.Version)
	}
	dc := d.cfg
	if err := applyDestination(&dc, spec, g.cfg.Uplink.S3, false); err != nil {
		return err
	}
	if err := config.CheckDelivery(dc); err != nil {
		return fmt.Errorf("%w: %v", kinesisapi.ErrDeliveryInvalid, err)
	}
	meta := *d.fh
	meta.Version++
	meta.Updated = time.Now()
	// The same name, so the same checkpoints: it goes on where it was.
	c.remove(name)
	restore := func(cause error) error {
		c.remove(name)
		if err := g.startDelivery(d.cfg, d.fh); err != nil {
			g.log.Error("cannot restart a delivery as it was after a failed update; it runs again after a restart", "delivery", name, "err", err)
		}
		return cause
	}
	if err := g.startDelivery(dc, &meta); err != nil {
		return restore(fmt.Errorf("%w: %v", kinesisapi.ErrDeliveryInvalid, err))
	}
	if err := g.saveFirehoseDeliveries(); err != nil {
		return restore(fmt.Errorf("keeping the update in %s: %w", g.firehoseFile(), err))
	}
	return nil
}

// applyDestination sets dc's destination from a Firehose destination
// configuration (create) or update (members left out keep their values;
// a different kind of destination starts from the defaults).
func applyDestination(dc *config.Delivery, spec kinesisapi.DeliverySpec, s3def config.UplinkS3, create bool) error {
	in := spec.Destination
	def := config.DefaultDelivery(dc.Name)
	isS3 := spec.Kind == "ExtendedS3" || spec.Kind == "S3"
	switch {
	case isS3 && dc.S3.Bucket == "":
		dc.HTTP, dc.S3 = def.HTTP, def.S3
		dc.Buffering = def.Buffering
	case !isS3 && dc.HTTP.URL == "":
		dc.HTTP, dc.S3 = def.HTTP, def.S3
		dc.Buffering = def.Buffering
	}
	dc.Kinesis, dc.Firehose = def.Kinesis, def.Firehose
	if h, ok := in["BufferingHints"].(map[string]any); ok {
		if n, ok := h["SizeInMBs"].(int64); ok {
			dc.Buffering.Size = config.ByteSize(n) * config.MiB
		}
		if n, ok := h["IntervalInSeconds"].(int64); ok {
			dc.Buffering.Interval = config.Duration(time.Duration(n) * time.Second)
		}
	}
	if isS3 {
		if arn, ok := in["BucketARN"].(string); ok {
			dc.S3.Bucket = arn[strings.LastIndex(arn, ":")+1:]
		}
		if v, ok := in["Prefix"].(string); ok {
			dc.S3.Prefix = v
		}
		if v, ok := in["ErrorOutputPrefix"].(string); ok {
			dc.S3.ErrorPrefix = v
		}
		switch in["CompressionFormat"] {
		case "UNCOMPRESSED":
			dc.S3.Compression = "none"
		case "GZIP":
			dc.S3.Compression = "gzip"
		case "Snappy":
			dc.S3.Compression = "snappy"
		}
		if conv, ok := in["DataFormatConversionConfiguration"].(map[string]any); ok {
			if conv["Enabled"] == false {
				dc.S3.Format = "raw"
			} else {
				dc.S3.Format = "parquet" // ORC was refused; the schema is inferred from the JSON
			}
		}
		if v, ok := in["FileExtension"].(string); ok && v != "" {
			return fmt.Errorf("%w: FileExtension is not supported by Tributary (objects are named as Firehose names them by default)", kinesisapi.ErrDeliveryInvalid)
		}
		dc.S3.Endpoint, dc.S3.Region, dc.S3.PathStyle = s3def.Endpoint, s3def.Region, s3def.PathStyle
		dc.S3.AccessKeyID, dc.S3.SecretKey = s3def.AccessKeyID, s3def.SecretKey
		return nil
	}
	if ep, ok := in["EndpointConfiguration"].(map[string]any); ok {
		if v, ok := ep["Url"].(string); ok {
			dc.HTTP.URL = v
		}
		if v, ok := ep["AccessKey"].(string); ok {
			dc.HTTP.AccessKey = v
		}
	}
	if rc, ok := in["RequestConfiguration"].(map[string]any); ok {
		if v, ok := rc["ContentEncoding"].(string); ok {
			dc.HTTP.Gzip = v == "GZIP"
		}
		if attrs, ok := rc["CommonAttributes"].([]any); ok {
			dc.HTTP.CommonAttributes = map[string]string{}
			for _, a := range attrs {
				m := a.(map[string]any)
				dc.HTTP.CommonAttributes[m["AttributeName"].(string)] = m["AttributeValue"].(string)
			}
		}
	}
	if create && dc.HTTP.URL == "" {
		return fmt.Errorf("%w: HttpEndpointDestinationConfiguration.EndpointConfiguration.Url is required", kinesisapi.ErrDeliveryInvalid)
	}
	return nil
}

// describeDestination shows a delivery's destination as Firehose
// describes one; nil for destinations Firehose has no shape for.
func describeDestination(dc config.Delivery) map[string]any {
	hints := map[string]any{
		"SizeInMBs":         max(1, int64(dc.Buffering.Size/config.MiB)),
		"IntervalInSeconds": int64(time.Duration(dc.Buffering.Interval) / time.Second),
	}
	switch {
	case dc.S3.Bucket != "":
		compression := map[string]string{"none": "UNCOMPRESSED", "gzip": "GZIP", "snappy": "Snappy", "zstd": "UNCOMPRESSED"}[dc.S3.Compression]
		s3 := map[string]any{
			"BucketARN":               "arn:aws:s3:::" + dc.S3.Bucket,
			"Prefix":                  dc.S3.Prefix,
			"ErrorOutputPrefix":       dc.S3.ErrorPrefix,
			"BufferingHints":          hints,
			"CompressionFormat":       compression,
			"EncryptionConfiguration": map[string]any{"NoEncryptionConfig": "NoEncryption"},
		}
		ext := map[string]any{"S3BackupMode": "Disabled"}
		for k, v := range s3 {
			ext[k] = v
		}
		if dc.S3.Format == "parquet" {
			ext["DataFormatConversionConfiguration"] = map[string]any{"Enabled": true,
				"OutputFormatConfiguration": map[string]any{"Serializer": map[string]any{"ParquetSerDe": map[string]any{}}}}
		}
		return map[string]any{"ExtendedS3DestinationDescription": ext, "S3DestinationDescription": s3}
	case dc.HTTP.URL != "":
		encoding := "NONE"
		if dc.HTTP.Gzip {
			encoding = "GZIP"
		}
		attrs := []map[string]any{}
		for k, v := range dc.HTTP.CommonAttributes {
			attrs = append(attrs, map[string]any{"AttributeName": k, "AttributeValue": v})
		}
		return map[string]any{"HttpEndpointDestinationDescription": map[string]any{
			"EndpointConfiguration": map[string]any{"Url": dc.HTTP.URL, "Name": dc.Name},
			"BufferingHints":        hints,
			"RequestConfiguration":  map[string]any{"ContentEncoding": encoding, "CommonAttributes": attrs},
			"S3BackupMode":          "FailedDataOnly",
		}}
	}
	return nil
}
