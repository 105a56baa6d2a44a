package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/uplink"
)

// delivery is a running uplink delivery and what the API shows of it.
type delivery struct {
	cfg  config.Delivery
	d    *uplink.Delivery
	sink uplink.Sink
	// fh is set for a delivery made through the Firehose API (kept in
	// data_dir, not in the config file).
	fh *firehoseMeta
}

// close stops the delivery and its destination's connection.
func (dl *delivery) close() {
	dl.d.Close()
	if c, ok := dl.sink.(interface{ Close() error }); ok {
		c.Close()
	}
}

// startDeliveries starts the configured deliveries and those made
// through the Firehose API (downstream of the spool, upstream of
// nothing: they only read).
func (g *Gateway) startDeliveries() error {
	g.deliveries = map[string]*delivery{}
	if bw := g.cfg.Uplink.Bandwidth; bw > 0 {
		g.link = uplink.NewLink(int64(bw))
	}
	for i, dc := range g.cfg.Deliveries {
		if err := g.startDelivery(dc, nil); err != nil {
			g.stopDeliveries()
			return fmt.Errorf("deliveries[%d]: %w", i, err)
		}
	}
	if err := g.loadFirehoseDeliveries(); err != nil {
		g.stopDeliveries()
		return err
	}
	return nil
}

// startDelivery builds and starts one delivery.
func (g *Gateway) startDelivery(dc config.Delivery, fh *firehoseMeta) error {
	sink, err := g.sink(dc)
	if err != nil {
		return err
	}
	d, err := uplink.New(g.spool, uplink.Config{
		Name:        dc.Name,
		Streams:     dc.Streams,
		SizeHint:    int64(dc.Buffering.Size),
		Interval:    time.Duration(dc.Buffering.Interval),
		MaxShards:   dc.MaxShards,
		Bandwidth:   int64(dc.Bandwidth),
		Link:        g.link,
		Priority:    dc.Priority,
		NewestFirst: dc.NewestFirst,
		Backoff:     uplink.Backoff{Min: time.Duration(dc.Retry.Min), Max: time.Duration(dc.Retry.Max), Jitter: 0.15},
		Sink:        sink,
		Logger:      g.log.With("component", "uplink"),
	})
	if err != nil {
		if c, ok := sink.(interface{ Close() error }); ok {
			c.Close()
		}
		return err
	}
	d.Start(context.Background())
	g.dmu.Lock()
	g.deliveries[dc.Name] = &delivery{cfg: dc, d: d, sink: sink, fh: fh}
	g.dmu.Unlock()
	return nil
}

// delivery returns the named delivery, or nil.
func (g *Gateway) delivery(name string) *delivery {
	g.dmu.RLock()
	defer g.dmu.RUnlock()
	return g.deliveries[name]
}

// deliveryList returns the deliveries sorted by name.
func (g *Gateway) deliveryList() []*delivery {
	g.dmu.RLock()
	out := make([]*delivery, 0, len(g.deliveries))
	for _, d := range g.deliveries {
		out = append(out, d)
	}
	g.dmu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].cfg.Name < out[j].cfg.Name })
	return out
}

// awsCredentials are the keys from the config, else the usual AWS
// environment variables; nil if neither.
func awsCredentials(id, secret string) aws.CredentialsProvider {
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	if creds.AccessKeyID == "" {
		creds = aws.Credentials{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
	}
	if creds.AccessKeyID == "" {
		return nil
	}
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })
}

// awsHTTP is the kinesis and firehose destinations' HTTP client: each
// request with a body of its own (uplink.OwnBody: the SDK's race on plain
// HTTP would turn a stored PutRecords into a resend), and a bound on the
// wait for an answer once a request is sent (not on the sending: a 5 MiB
// call over a thin link takes its time).
var awsHTTP = func() uplink.OwnBody {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 3 * time.Minute
	return uplink.OwnBody{Client: &http.Client{Transport: t}}
}()

// localCredentials sign requests to a local endpoint that wants a
// signature, not a particular key (another Tributary, kinesalite).
var localCredentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "tributary", SecretAccessKey: "tributary"}, nil
})

// sink builds a delivery's destination.
func (g *Gateway) sink(dc config.Delivery) (uplink.Sink, error) {
	if k := dc.Kinesis; k.Stream != "" {
		opts := kinesis.Options{Region: k.Region, Credentials: awsCredentials(k.AccessKeyID, k.SecretKey), HTTPClient: awsHTTP}
		if k.Endpoint != "" {
			opts.BaseEndpoint = aws.String(k.Endpoint)
			if opts.Credentials == nil {
				opts.Credentials = localCredentials
			}
		}
		return &uplink.KinesisSink{Client: kinesis.New(opts), Stream: k.Stream}, nil
	}
	if f := dc.Firehose; f.DeliveryStream != "" {
		opts := firehose.Options{Region: f.Region, Credentials: awsCredentials(f.AccessKeyID, f.SecretKey), HTTPClient: awsHTTP}
		if f.Endpoint != "" {
			opts.BaseEndpoint = aws.String(f.Endpoint)
			if opts.Credentials == nil {
				opts.Credentials = localCredentials
			}
		}
		return &uplink.FirehoseSink{Client: firehose.New(opts), DeliveryStream: f.DeliveryStream}, nil
	}
	if dc.MQTT.Broker != "" {
		sink := dc.MQTT.MQTTSink()
		sink.Logger = g.log.With("component", "uplink", "delivery", dc.Name)
		return sink, nil
	}
	if k := dc.Kafka; len(k.Brokers) > 0 {
		tlsConf, err := clientTLS(k.TLS)
		if err != nil {
			return nil, fmt.Errorf("kafka.tls: %w", err)
		}
		return uplink.NewKafkaSink(uplink.KafkaConfig{Brokers: k.Brokers, Topic: k.Topic, ClientID: k.ClientID, TLS: tlsConf,
			User: k.SASLUser, Password: k.SASLPassword, MaxMessageBytes: int32(k.MaxMessageBytes), Timeout: time.Duration(k.Timeout)})
	}
	if n := dc.NATS; len(n.URLs) > 0 {
		tlsConf, err := clientTLS(n.TLS)
		if err != nil {
			return nil, fmt.Errorf("nats.tls: %w", err)
		}
		return uplink.NewNATSSink(uplink.NATSConfig{URLs: n.URLs, Subject: n.Subject, Name: n.Name, User: n.User, Password: n.Password,
			Token: n.Token, TLS: tlsConf, MaxPending: n.MaxPending, Timeout: time.Duration(n.Timeout)})
	}
	if dc.S3.Bucket == "" {
		return &uplink.HTTPSink{
			URL: dc.HTTP.URL, AccessKey: dc.HTTP.AccessKey, Gzip: dc.HTTP.Gzip, Attributes: dc.HTTP.CommonAttributes,
			SourceARN: fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", g.cfg.Kinesis.Region, g.cfg.Kinesis.AccountID, dc.Name),
		}, nil
	}
	c := dc.S3
	opts := s3.Options{Region: c.Region, UsePathStyle: c.PathStyle}
	if c.Endpoint != "" {
		opts.BaseEndpoint = aws.String(c.Endpoint)
	}
	opts.Credentials = awsCredentials(c.AccessKeyID, c.SecretKey)
	return &uplink.S3Sink{
		Client: s3.New(opts), Bucket: c.Bucket, Prefix: c.Prefix, ErrorPrefix: c.ErrorPrefix,
		Format: uplink.Format(c.Format), Compression: uplink.Compression(c.Compression), PartSize: int64(c.PartSize),
		FormatOptions: c.FormatOptions(),
	}, nil
}

// clientTLS builds a client TLS configuration from files; nil when off.
func clientTLS(t config.TLSFiles) (*tls.Config, error) {
	if !t.Enabled && t.CAFile == "" && t.CertFile == "" {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate in it", t.CAFile)
		}
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, err
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// destination names a delivery's destination for the API.
func destination(dc config.Delivery) string {
	if dc.Kinesis.Stream != "" {
		return "kinesis " + dc.Kinesis.Stream
	}
	if dc.S3.Bucket != "" {
		return "s3 " + dc.S3.Bucket
	}
	if dc.Firehose.DeliveryStream != "" {
		return "firehose " + dc.Firehose.DeliveryStream
	}
	if dc.MQTT.Broker != "" {
		return "mqtt " + dc.MQTT.Broker
	}
	if len(dc.Kafka.Brokers) > 0 {
		return "kafka " + dc.Kafka.Topic
	}
	if len(dc.NATS.URLs) > 0 {
		return "nats " + dc.NATS.Subject
	}
	return "http " + dc.HTTP.URL
}

func (g *Gateway) stopDeliveries() {
	g.dmu.Lock()
	defer g.dmu.Unlock()
	for _, d := range g.deliveries {
		d.close()
	}
}

func (dl *delivery) api() api.Delivery {
	s := dl.d.Status()
	return api.Delivery{
		Name: dl.cfg.Name, Streams: dl.cfg.Streams, Destination: destination(dl.cfg),
		State: s.State, Delivered: s.Delivered, Rate: s.Rate, Batches: s.Batches, Failed: s.Failed, Retry: s.RetryAttempt,
		Lost: s.Lost, Backlog: s.BacklogRecords, BacklogSize: s.BacklogBytes, Oldest: s.Oldest,
		LastSuccess: s.LastSuccess, LastError: s.LastError, LastErrorAt: s.LastErrorAt,
	}
}

func (g *Gateway) listDeliveries(w http.ResponseWriter, r *http.Request) {
	out := api.DeliveryList{Deliveries: []api.Delivery{}}
	for _, d := range g.deliveryList() {
		out.Deliveries = append(out.Deliveries, d.api())
	}
	writeJSON(w, http.StatusOK, out)
}

func (g *Gateway) deliveryByName(w http.ResponseWriter, r *http.Request) *delivery {
	d := g.delivery(r.PathValue("name"))
	if d == nil {
		writeError(w, http.StatusNotFound, api.CodeDeliveryNotFound, fmt.Sprintf("no delivery %q", r.PathValue("name")))
	}
	return d
}

func (g *Gateway) describeDelivery(w http.ResponseWriter, r *http.Request) {
	if d := g.deliveryByName(w, r); d != nil {
		writeJSON(w, http.StatusOK, d.api())
	}
}

func (g *Gateway) pauseDelivery(w http.ResponseWriter, r *http.Request) {
	if d := g.deliveryByName(w, r); d != nil {
		d.d.Pause()
		writeJSON(w, http.StatusOK, d.api())
	}
}

func (g *Gateway) resumeDelivery(w http.ResponseWriter, r *http.Request) {
	if d := g.deliveryByName(w, r); d != nil {
		d.d.Resume(context.Background())
		writeJSON(w, http.StatusOK, d.api())
	}
}

// deliveryCollector exports each delivery's status at scrape time:
//
//	tributary_uplink_delivered_records_total{delivery}
//	tributary_uplink_failed_records_total{delivery}   sent to the error output
//	tributary_uplink_state{delivery,state}            1 for the current state
//	tributary_uplink_retry_attempt{delivery}
//	tributary_uplink_lost_records_total{delivery}     removed by retention first
//	tributary_uplink_backlog_records{delivery}, tributary_uplink_backlog_bytes{delivery}
//	tributary_uplink_oldest_undelivered_age_seconds{delivery}
type deliveryCollector struct{ g *Gateway }

var (
	descDelivered = prometheus.NewDesc("tributary_uplink_delivered_records_total", "Records the destination confirmed, per delivery.", []string{"delivery"}, nil)
	descFailed    = prometheus.NewDesc("tributary_uplink_failed_records_total", "Records refused for good and sent to the error output, per delivery.", []string{"delivery"}, nil)
	descState     = prometheus.NewDesc("tributary_uplink_state", "1 for the delivery's current state (connected, retrying, paused).", []string{"delivery", "state"}, nil)
	descLost      = prometheus.NewDesc("tributary_uplink_lost_records_total", "Records retention removed before they were delivered, per delivery.", []string{"delivery"}, nil)
	descBacklog   = prometheus.NewDesc("tributary_uplink_backlog_records", "Records not yet confirmed by the destination.", []string{"delivery"}, nil)
	descBacklogB  = prometheus.NewDesc("tributary_uplink_backlog_bytes", "Approximate bytes not yet confirmed by the destination.", []string{"delivery"}, nil)
	descOldest    = prometheus.NewDesc("tributary_uplink_oldest_undelivered_age_seconds", "Age of the oldest record not yet confirmed (0 when none).", []string{"delivery"}, nil)
	descRetry     = prometheus.NewDesc("tributary_uplink_retry_attempt", "The current retry attempt of the delivery's last failing batch (0 when connected).", []string{"delivery"}, nil)
)

func (c deliveryCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descDelivered
	ch <- descFailed
	ch <- descState
	ch <- descRetry
	ch <- descLost
	ch <- descBacklog
	ch <- descBacklogB
	ch <- descOldest
}

func (c deliveryCollector) Collect(ch chan<- prometheus.Metric) {
	for _, d := range c.g.deliveryList() {
		name, s := d.cfg.Name, d.d.Status()
		ch <- prometheus.MustNewConstMetric(descDelivered, prometheus.CounterValue, float64(s.Delivered), name)
		ch <- prometheus.MustNewConstMetric(descFailed, prometheus.CounterValue, float64(s.Failed), name)
		for _, st := range []string{"connected", "retrying", "paused"} {
			v := 0.0
			if s.State == st {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(descState, prometheus.GaugeValue, v, name, st)
		}
		ch <- prometheus.MustNewConstMetric(descRetry, prometheus.GaugeValue, float64(s.RetryAttempt), name)
		ch <- prometheus.MustNewConstMetric(descLost, prometheus.CounterValue, float64(s.Lost), name)
		ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(s.BacklogRecords), name)
		ch <- prometheus.MustNewConstMetric(descBacklogB, prometheus.GaugeValue, float64(s.BacklogBytes), name)
		age := 0.0
		if !s.Oldest.IsZero() {
			age = time.Since(s.Oldest).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age, name)
	}
}
