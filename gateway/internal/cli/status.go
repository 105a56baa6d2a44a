package cli

import (
	"errors"
	"fmt"

	"github.com/tributary-edge/tributary/gateway/internal/api"
)

// statusReport is `tributary status -o json`.
type statusReport struct {
	Server     string            `json:"server"`
	Health     api.Health        `json:"health"`
	Streams    []api.Stream      `json:"streams"`
	Deliveries []api.Delivery    `json:"deliveries"`
	Sensors    []api.Sensor      `json:"sensors"`
	Video      []api.VideoStream `json:"video"`
}

// statusCmd shows the gateway at a glance: its health, its streams and
// how each delivery is doing (connected, retrying, paused; backlog and
// the age of its oldest record; the last error and when). It exits 0
// when the gateway answers, whatever the deliveries' states.
func statusCmd(e *env, args []string) int {
	var cf clientFlags
	fs := newFlagSet("status", "", "Show the gateway's health, streams, deliveries, sensors and video streams.")
	cf.register(e, fs, "table", "json")
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	if msg := cf.check(); msg != "" {
		return usageError(e, fs, "%s", msg)
	}
	if len(pos) > 0 {
		return usageError(e, fs, "unexpected argument %q", pos[0])
	}
	c := &api.Client{Base: cf.baseURL()}
	r := statusReport{Server: cf.baseURL()}
	var err error
	if r.Health, err = c.Health(e.ctx); err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if r.Streams, err = c.ListStreams(e.ctx); err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if r.Deliveries, err = c.ListDeliveries(e.ctx); err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if r.Sensors, err = c.ListSensors(e.ctx); err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if r.Video, err = c.ListVideoStreams(e.ctx); err != nil {
		var ae *api.APIError
		if !errors.As(err, &ae) || ae.Code != api.CodeVideoOff {
			return reportError(e, cf.baseURL(), err)
		}
		r.Video = []api.VideoStream{}
	}
	if cf.output == "json" {
		writeJSON(e.stdout, r)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "gateway %s: %s, version %s, durability %s\n\n", r.Server, r.Health.Status, r.Health.Version, r.Health.Durability)
	fmt.Fprintf(e.stdout, "streams (%d)\n", len(r.Streams))
	writeStreamTable(e.stdout, r.Streams)
	fmt.Fprintf(e.stdout, "\ndeliveries (%d)\n", len(r.Deliveries))
	if len(r.Deliveries) > 0 {
		writeDeliveryTable(e.stdout, r.Deliveries)
	}
	if len(r.Sensors) > 0 {
		fmt.Fprintf(e.stdout, "\nsensors (%d)\n", len(r.Sensors))
		writeSensorTable(e.stdout, r.Sensors)
	}
	if len(r.Video) > 0 {
		fmt.Fprintf(e.stdout, "\nvideo streams (%d)\n", len(r.Video))
		writeVideoTable(e.stdout, r.Video)
	}
	return exitOK
}
