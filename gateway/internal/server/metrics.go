package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tributary-edge/tributary/spool"
)

// metrics implements spool.Observer and exports the spool's figures:
//
//	tributary_spool_appended_records_total{stream}
//	tributary_spool_appended_bytes_total{stream}
//	tributary_spool_append_duration_seconds{stream}   submission to durable
//	tributary_spool_dropped_records_total{stream,reason}  age | size | full
//	tributary_spool_stream_bytes{stream}, tributary_spool_stream_records{stream}
//	tributary_spool_stream_shards{stream,state}
//	tributary_spool_db_bytes{part}                    lsm | vlog
//	tributary_kinesis_requests_total{operation,result}  result ok | error type | HTTP status
//	tributary_kinesis_request_duration_seconds{operation}
//
// It also implements kinesis.Observer.
type metrics struct {
	reg      *prometheus.Registry
	records  *prometheus.CounterVec
	bytes    *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	dropped  *prometheus.CounterVec
	requests *prometheus.CounterVec
	reqTime  *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		reg: reg,
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_spool_appended_records_total", Help: "Records stored durably, per stream.",
		}, []string{"stream"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_spool_appended_bytes_total", Help: "Record data bytes stored durably, per stream.",
		}, []string{"stream"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tributary_spool_append_duration_seconds",
			Help:    "Time from an append's submission to its data being durable (per the durability mode).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}, []string{"stream"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_spool_dropped_records_total",
			Help: "Records removed by retention (reason age or size) or refused because the stream was full (reason full).",
		}, []string{"stream", "reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_kinesis_requests_total", Help: "Kinesis API calls by operation and result (ok, the error type, or the HTTP status of a framing error).",
		}, []string{"operation", "result"}),
		reqTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tributary_kinesis_request_duration_seconds",
			Help:    "Kinesis API call time to the response (to the stream's end for SubscribeToShard).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 20),
		}, []string{"operation"}),
	}
	reg.MustRegister(m.records, m.bytes, m.latency, m.dropped, m.requests, m.reqTime,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tributary_build_info", Help: "Build version.", ConstLabels: prometheus.Labels{"version": Version}}, func() float64 { return 1 }),
	)
	return m
}

// Appended implements spool.Observer.
func (m *metrics) Appended(stream string, records, bytes int, latency time.Duration) {
	m.records.WithLabelValues(stream).Add(float64(records))
	m.bytes.WithLabelValues(stream).Add(float64(bytes))
	m.latency.WithLabelValues(stream).Observe(latency.Seconds())
}

// Dropped implements spool.Observer.
func (m *metrics) Dropped(stream, reason string, records int) {
	m.dropped.WithLabelValues(stream, reason).Add(float64(records))
}

// Request implements kinesis.Observer.
func (m *metrics) Request(op, result string, d time.Duration) {
	m.requests.WithLabelValues(op, result).Inc()
	m.reqTime.WithLabelValues(op).Observe(d.Seconds())
}

// StreamDeleted implements kinesis.Observer.
func (m *metrics) StreamDeleted(name string) { m.forget(name) }

// forget drops a deleted stream's series, so creating and deleting
// streams does not grow the registry.
func (m *metrics) forget(stream string) {
	l := prometheus.Labels{"stream": stream}
	m.records.DeletePartialMatch(l)
	m.bytes.DeletePartialMatch(l)
	m.latency.DeletePartialMatch(l)
	m.dropped.DeletePartialMatch(l)
}

// watch registers gauges read from the spool at scrape time.
func (m *metrics) watch(sp *spool.Spool) { m.reg.MustRegister(newSpoolCollector(sp)) }

// spoolCollector reads sizes from the spool when scraped.
type spoolCollector struct {
	sp                          *spool.Spool
	streamBytes, streamRecords  *prometheus.Desc
	shards, dbBytes, durability *prometheus.Desc
}

func newSpoolCollector(sp *spool.Spool) *spoolCollector {
	return &spoolCollector{
		sp:            sp,
		streamBytes:   prometheus.NewDesc("tributary_spool_stream_bytes", "Bytes stored for a stream (what its size cap applies to).", []string{"stream"}, nil),
		streamRecords: prometheus.NewDesc("tributary_spool_stream_records", "Records retained in a stream.", []string{"stream"}, nil),
		shards:        prometheus.NewDesc("tributary_spool_stream_shards", "Shards of a stream by state.", []string{"stream", "state"}, nil),
		dbBytes:       prometheus.NewDesc("tributary_spool_db_bytes", "Size of the spool database on disk.", []string{"part"}, nil),
		durability:    prometheus.NewDesc("tributary_spool_durability_info", "The spool's durability mode.", []string{"mode"}, nil),
	}
}

func (c *spoolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.streamBytes
	ch <- c.streamRecords
	ch <- c.shards
	ch <- c.dbBytes
	ch <- c.durability
}

func (c *spoolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, name := range c.sp.ListStreams() {
		info, err := c.sp.DescribeStream(name)
		if err != nil {
			continue // deleted meanwhile
		}
		ch <- prometheus.MustNewConstMetric(c.streamBytes, prometheus.GaugeValue, float64(info.Bytes), name)
		ch <- prometheus.MustNewConstMetric(c.streamRecords, prometheus.GaugeValue, float64(info.Records), name)
		open := info.OpenShards()
		ch <- prometheus.MustNewConstMetric(c.shards, prometheus.GaugeValue, float64(open), name, "open")
		ch <- prometheus.MustNewConstMetric(c.shards, prometheus.GaugeValue, float64(len(info.Shards)-open), name, "closed")
	}
	lsm, vlog := c.sp.DiskUsage()
	ch <- prometheus.MustNewConstMetric(c.dbBytes, prometheus.GaugeValue, float64(lsm), "lsm")
	ch <- prometheus.MustNewConstMetric(c.dbBytes, prometheus.GaugeValue, float64(vlog), "vlog")
	ch <- prometheus.MustNewConstMetric(c.durability, prometheus.GaugeValue, 1, c.sp.Durability().String())
}
