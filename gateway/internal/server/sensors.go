package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/ingest/sensor"
	"github.com/tributary-edge/tributary/spool"
)

// SetSensorOpener replaces the host's buses and pins (periph.io) with o
// for the sensors: tests give the sensortest doubles. Call before Start.
func (g *Gateway) SetSensorOpener(o sensor.Opener) { g.sensorOpener = o }

// spoolAppender is the sensor source's Appender: one durable append.
type spoolAppender struct{ sp *spool.Spool }

func (a spoolAppender) Append(ctx context.Context, stream, key string, data []byte) error {
	_, err := a.sp.AppendOne(ctx, stream, spool.Record{PartitionKey: key, Data: data})
	return err
}

// startSensors starts the configured sensors; their streams are created
// with one shard if missing. A sensor whose bus is absent reports it in
// its status and retries: it never stops the gateway.
func (g *Gateway) startSensors() error {
	if len(g.cfg.Sensors) == 0 {
		return nil
	}
	for _, s := range g.cfg.Sensors {
		if g.streamExists(s.Stream) {
			continue
		}
		if _, err := g.spool.EnsureStream(spool.StreamConfig{Name: s.Stream, Shards: 1}); err != nil {
			return fmt.Errorf("sensors: creating stream %s: %w", s.Stream, err)
		}
		g.log.Info("created a sensor stream", "stream", s.Stream)
	}
	opener := g.sensorOpener
	if opener == nil {
		opener = sensor.HostOpener()
	}
	src, err := sensor.New(g.cfg.SensorConfigs(), spoolAppender{g.spool}, sensor.Options{Opener: opener, Logger: g.log.With("component", "sensors")})
	if err != nil {
		return fmt.Errorf("sensors: %w", err)
	}
	if err := src.Start(context.Background()); err != nil {
		return fmt.Errorf("sensors: %w", err)
	}
	g.sensors = src
	return nil
}

func (g *Gateway) stopSensors() {
	if g.sensors != nil {
		g.sensors.Close()
	}
}

func (g *Gateway) sensorStatus() []api.Sensor {
	if g.sensors == nil {
		return []api.Sensor{}
	}
	st := g.sensors.Status()
	out := make([]api.Sensor, len(st))
	for i, s := range st {
		out[i] = api.Sensor{Name: s.Name, Driver: s.Driver, Stream: s.Stream, State: string(s.State), LastReading: s.LastReading, LastTime: s.LastTime,
			Readings: s.Readings, Appended: s.Appended, Errors: s.Errors, AppendErrors: s.AppendErrors, Dropped: s.Dropped,
			LastError: s.LastError, LastErrorTime: s.LastErrorTime}
	}
	return out
}

func (g *Gateway) listSensors(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, api.SensorList{Sensors: g.sensorStatus()})
}

// sensorCollector exports each sensor's counters at scrape time.
type sensorCollector struct{ g *Gateway }

var (
	descSensorReadings = prometheus.NewDesc("tributary_sensor_readings_total", "Readings (or input events) a sensor produced.", []string{"sensor", "driver"}, nil)
	descSensorErrors   = prometheus.NewDesc("tributary_sensor_errors_total", "Failed opens and reads of a sensor (each retried with backoff).", []string{"sensor", "driver"}, nil)
	descSensorAppendEr = prometheus.NewDesc("tributary_sensor_append_errors_total", "Failed appends of a sensor's records to the spool (each retried).", []string{"sensor", "driver"}, nil)
	descSensorDropped  = prometheus.NewDesc("tributary_sensor_dropped_total", "A sensor's records lost: its queue overflowed while appends failed, or they were queued at shutdown.", []string{"sensor", "driver"}, nil)
	descSensorUp       = prometheus.NewDesc("tributary_sensor_up", "1 while a sensor reads without errors.", []string{"sensor", "driver"}, nil)
)

func (c sensorCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSensorReadings, descSensorErrors, descSensorAppendEr, descSensorDropped, descSensorUp} {
		ch <- d
	}
}

func (c sensorCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.g.sensorStatus() {
		up := 0.0
		if s.State == string(sensor.StateOK) {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descSensorReadings, prometheus.CounterValue, float64(s.Readings), s.Name, s.Driver)
		ch <- prometheus.MustNewConstMetric(descSensorErrors, prometheus.CounterValue, float64(s.Errors), s.Name, s.Driver)
		ch <- prometheus.MustNewConstMetric(descSensorAppendEr, prometheus.CounterValue, float64(s.AppendErrors), s.Name, s.Driver)
		ch <- prometheus.MustNewConstMetric(descSensorDropped, prometheus.CounterValue, float64(s.Dropped), s.Name, s.Driver)
		ch <- prometheus.MustNewConstMetric(descSensorUp, prometheus.GaugeValue, up, s.Name, s.Driver)
	}
}
