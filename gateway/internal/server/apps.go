package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-edge/tributary/analytics"
	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/spool"
)

// sqlApp is a running (or stopped) SQL app and what the API shows of it.
type sqlApp struct {
	cfg    config.App
	origin string // config | api
	plan   *analytics.Plan
	mu     sync.Mutex
	app    *analytics.App
}

// apps holds the gateway's SQL apps (under g.amu).
type apps struct {
	mu   sync.Mutex
	list map[string]*sqlApp
}

// tables lists a plan's joined table streams.
func tables(p *analytics.Plan) []string {
	if t := p.TableStream(); t != "" {
		return []string{t}
	}
	return nil
}

// brokerPublisher publishes apps' MQTT outputs through the embedded
// broker, which starts after the apps (it is upstream of them): the apps'
// goroutines see it through g.mqttOut, set once it runs.
type brokerPublisher struct{ g *Gateway }

func (p brokerPublisher) Publish(topic string, payload []byte, retain bool, qos byte) error {
	b := p.g.mqttOut.Load()
	if b == nil {
		return errors.New("no MQTT broker (mqtt.listen is empty, or it is not started yet)")
	}
	return b.Server().Publish(topic, payload, retain, qos)
}

func (g *Gateway) appsFile() string { return filepath.Join(g.cfg.DataDir, "sql-apps.json") }

// startApps starts the config's apps and those made through the API.
func (g *Gateway) startApps() error {
	g.apps = &apps{list: map[string]*sqlApp{}}
	for i, ac := range g.cfg.Apps {
		if err := g.startApp(ac, "config"); err != nil {
			g.stopApps()
			return fmt.Errorf("apps[%d] (%s): %w", i, ac.Name, err)
		}
	}
	var saved []config.App
	if err := readKept(g.appsFile(), "the apps made through the API", &saved); err != nil {
		return err
	}
	for _, ac := range saved {
		if g.apps.get(ac.Name) != nil {
			g.log.Warn("an app made through the API has the name of one in the config file; the config file's runs", "app", ac.Name)
			continue
		}
		if err := g.startApp(ac, "api"); err != nil {
			// a stream it reads may be gone: keep it, stopped, with the reason
			g.log.Error("cannot start an app made through the API", "app", ac.Name, "err", err)
		}
	}
	return nil
}

func (a *apps) get(name string) *sqlApp {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.list[name]
}

func (a *apps) all() []*sqlApp {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*sqlApp, 0, len(a.list))
	for _, s := range a.list {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].cfg.Name < out[j].cfg.Name })
	return out
}

func (g *Gateway) streamExists(name string) bool {
	_, err := g.spool.DescribeStream(name)
	return err == nil
}

// newApp compiles an app's SQL against the spool's streams.
func (g *Gateway) newApp(ac config.App, origin string) (*sqlApp, error) {
	plan, err := analytics.Compile(ac.SQL, g.streamExists)
	if err != nil {
		return nil, err
	}
	for _, out := range []string{plan.Output, plan.LateStream} {
		if out == "" || g.streamExists(out) {
			continue
		}
		if err := g.spool.CreateStream(spool.StreamConfig{Name: out, Shards: 1}); err != nil && !errors.Is(err, spool.ErrStreamExists) {
			return nil, fmt.Errorf("creating the output stream %s: %w", out, err)
		}
		g.log.Info("created an app's output stream", "app", ac.Name, "stream", out)
	}
	return &sqlApp{cfg: ac, origin: origin, plan: plan}, nil
}

// startApp compiles and starts one app and adds it to the list.
func (g *Gateway) startApp(ac config.App, origin string) error {
	s, err := g.newApp(ac, origin)
	if err != nil {
		return err
	}
	if err := s.start(g); err != nil {
		return err
	}
	g.apps.mu.Lock()
	g.apps.list[ac.Name] = s
	g.apps.mu.Unlock()
	return nil
}

func (s *sqlApp) start(g *Gateway) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.plan.NewQuery()
	if err != nil {
		return err
	}
	from := spool.StartPosition{Type: spool.Latest}
	if s.cfg.From == "trim_horizon" {
		from = spool.StartPosition{Type: spool.TrimHorizon}
	}
	app, err := analytics.NewApp(g.spool, analytics.AppConfig{
		Name: s.cfg.Name, Sources: s.plan.Sources(), Tables: tables(s.plan), From: from, Output: s.plan.Output,
		Query: q, MQTT: brokerPublisher{g}, Logger: g.log.With("component", "sql"),
	})
	if err != nil {
		return err
	}
	if err := app.Start(context.Background()); err != nil {
		return err
	}
	s.app = app
	return nil
}

func (s *sqlApp) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app != nil {
		s.app.Close()
	}
}

func (g *Gateway) stopApps() {
	if g.apps == nil {
		return
	}
	for _, s := range g.apps.all() {
		s.stop()
	}
}

// saveApps writes the API's apps, atomically.
func (g *Gateway) saveApps() error {
	saved := []config.App{}
	for _, s := range g.apps.all() {
		if s.origin == "api" {
			saved = append(saved, s.cfg)
		}
	}
	return writeKept(g.appsFile(), saved)
}

func (s *sqlApp) api() api.App {
	s.mu.Lock()
	app := s.app
	s.mu.Unlock()
	out := api.App{Name: s.cfg.Name, SQL: s.cfg.SQL, From: s.cfg.From, Origin: s.origin, Source: s.plan.Source, Output: s.plan.Output, State: "stopped"}
	for _, t := range s.plan.Topics {
		out.Topics = append(out.Topics, t.Text())
	}
	if app != nil {
		st := app.Status()
		out.State, out.RecordsIn, out.RecordsOut, out.Published, out.Errors = st.State, st.RecordsIn, st.RecordsOut, st.Published, st.Errors
		out.Late, out.StateSize, out.LagMillis, out.LastError, out.LastErrorAt = st.Late, st.StateSize, st.LagMillis, st.LastError, st.LastErrorAt
		out.LimitHits = st.LimitHits
	}
	return out
}

// sqlError answers a query that does not compile: the message, with the
// caret under the problem.
func sqlError(w http.ResponseWriter, src string, err error) {
	msg := err.Error()
	if c := analytics.Caret(err, src); c != "" {
		msg += "\n" + c
	}
	writeError(w, http.StatusBadRequest, api.CodeInvalidSQL, msg)
}

func (g *Gateway) listApps(w http.ResponseWriter, r *http.Request) {
	out := api.AppList{Apps: []api.App{}}
	for _, s := range g.apps.all() {
		out.Apps = append(out.Apps, s.api())
	}
	writeJSON(w, http.StatusOK, out)
}

func (g *Gateway) createApp(w http.ResponseWriter, r *http.Request) {
	var in api.CreateApp
	if !decodeBody(w, r, 1<<20, &in) {
		return
	}
	ac := config.App{Name: in.Name, SQL: in.SQL, From: in.From}
	if ac.From == "" {
		ac.From = "latest"
	}
	c := &config.Config{Apps: []config.App{ac}}
	if err := c.ValidateApps(); err != nil {
		writeError(w, http.StatusBadRequest, api.CodeInvalidSQL, strings.ReplaceAll(err.Error(), "apps[0].", ""))
		return
	}
	g.amu.Lock()
	defer g.amu.Unlock()
	if g.apps.get(ac.Name) != nil {
		writeError(w, http.StatusConflict, api.CodeAppExists, fmt.Sprintf("an app named %q exists", ac.Name))
		return
	}
	if err := g.startApp(ac, "api"); err != nil {
		sqlError(w, ac.SQL, err)
		return
	}
	if err := g.saveApps(); err != nil {
		g.removeApp(ac.Name)
		writeError(w, http.StatusInternalServerError, api.CodeInternal, "keeping the app: "+err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, g.apps.get(ac.Name).api())
}

func (g *Gateway) removeApp(name string) *sqlApp {
	g.apps.mu.Lock()
	s := g.apps.list[name]
	delete(g.apps.list, name)
	g.apps.mu.Unlock()
	if s != nil {
		s.stop()
	}
	return s
}

func (g *Gateway) appByName(w http.ResponseWriter, r *http.Request) *sqlApp {
	s := g.apps.get(r.PathValue("name"))
	if s == nil {
		writeError(w, http.StatusNotFound, api.CodeAppNotFound, fmt.Sprintf("no app %q", r.PathValue("name")))
	}
	return s
}

func (g *Gateway) describeApp(w http.ResponseWriter, r *http.Request) {
	if s := g.appByName(w, r); s != nil {
		writeJSON(w, http.StatusOK, s.api())
	}
}

func (g *Gateway) stopApp(w http.ResponseWriter, r *http.Request) {
	if s := g.appByName(w, r); s != nil {
		s.stop()
		writeJSON(w, http.StatusOK, s.api())
	}
}

func (g *Gateway) startAppHandler(w http.ResponseWriter, r *http.Request) {
	s := g.appByName(w, r)
	if s == nil {
		return
	}
	if st := s.api().State; st == "running" {
		writeJSON(w, http.StatusOK, s.api())
		return
	}
	if err := s.start(g); err != nil {
		writeError(w, http.StatusConflict, api.CodeInvalidArgument, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.api())
}

func (g *Gateway) deleteApp(w http.ResponseWriter, r *http.Request) {
	g.amu.Lock()
	defer g.amu.Unlock()
	s := g.appByName(w, r)
	if s == nil {
		return
	}
	if s.origin == "config" {
		writeError(w, http.StatusConflict, api.CodeInvalidArgument, fmt.Sprintf("app %s is defined in the gateway's config file; remove it there", s.cfg.Name))
		return
	}
	g.removeApp(s.cfg.Name)
	if err := g.saveApps(); err != nil {
		writeError(w, http.StatusInternalServerError, api.CodeInternal, "forgetting the app: "+err.Error())
		return
	}
	consumer := "sql:" + s.cfg.Name
	g.spool.DeleteCheckpoints(consumer)
	g.spool.DeleteState(consumer)
	w.WriteHeader(http.StatusNoContent)
}

// adhocQuery runs a query for one caller and streams its results as
// NDJSON until the caller goes away: an app of its own, with a name of its
// own, forgotten afterwards.
func (g *Gateway) adhocQuery(w http.ResponseWriter, r *http.Request) {
	var in api.CreateApp
	if !decodeBody(w, r, 1<<20, &in) {
		return
	}
	plan, err := analytics.Compile(in.SQL, g.streamExists)
	if err != nil {
		sqlError(w, in.SQL, err)
		return
	}
	plan.Output, plan.LateStream = "", "" // an ad-hoc query writes nowhere but here
	q, err := plan.NewQuery()
	if err != nil {
		sqlError(w, in.SQL, err)
		return
	}
	from := spool.StartPosition{Type: spool.Latest}
	switch in.From {
	case "", "latest":
	case "trim_horizon":
		from = spool.StartPosition{Type: spool.TrimHorizon}
	default:
		writeError(w, http.StatusBadRequest, api.CodeInvalidArgument, fmt.Sprintf("from %q: must be latest or trim_horizon", in.From))
		return
	}
	var id [6]byte
	rand.Read(id[:])
	name := "adhoc-" + hex.EncodeToString(id[:])
	results := make(chan []byte, 256)
	app, err := analytics.NewApp(g.spool, analytics.AppConfig{Name: name, Sources: plan.Sources(), Tables: tables(plan), From: from, Query: q,
		Tick: 200 * time.Millisecond, Logger: g.log.With("component", "sql"),
		Sink: func(o analytics.Output) {
			select {
			case results <- o.Data:
			case <-r.Context().Done():
			}
		}})
	if err != nil {
		writeError(w, http.StatusBadRequest, api.CodeInvalidArgument, err.Error())
		return
	}
	if err := app.Start(r.Context()); err != nil {
		writeError(w, http.StatusInternalServerError, api.CodeInternal, err.Error())
		return
	}
	defer func() {
		app.Close()
		g.spool.DeleteCheckpoints("sql:" + name)
		g.spool.DeleteState("sql:" + name)
	}()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-g.pollCtx.Done():
			return
		case data := <-results:
			w.Write(data)
			w.Write([]byte{'\n'})
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
}

// appCollector exports each app's counters at scrape time:
//
//	tributary_sql_records_in_total{app}, tributary_sql_records_out_total{app},
//	tributary_sql_errors_total{app}, tributary_sql_late_records_total{app},
//	tributary_sql_limit_hits_total{app},
//	tributary_sql_state_size{app}, tributary_sql_lag_seconds{app},
//	tributary_sql_running{app}
type appCollector struct{ g *Gateway }

var (
	descAppIn      = prometheus.NewDesc("tributary_sql_records_in_total", "Records an SQL app processed.", []string{"app"}, nil)
	descAppOut     = prometheus.NewDesc("tributary_sql_records_out_total", "Records an SQL app emitted.", []string{"app"}, nil)
	descAppErrors  = prometheus.NewDesc("tributary_sql_errors_total", "Records an SQL app could not process (bad JSON, a type error, a cap).", []string{"app"}, nil)
	descAppLate    = prometheus.NewDesc("tributary_sql_late_records_total", "Records that arrived after their window closed.", []string{"app"}, nil)
	descAppLimits  = prometheus.NewDesc("tributary_sql_limit_hits_total", "Records refused because a memory cap was reached (groups per window, open windows, distinct values).", []string{"app"}, nil)
	descAppState   = prometheus.NewDesc("tributary_sql_state_size", "Groups, windows and LAG keys an SQL app holds.", []string{"app"}, nil)
	descAppLag     = prometheus.NewDesc("tributary_sql_lag_seconds", "How far behind its input's arrival an SQL app is.", []string{"app"}, nil)
	descAppRunning = prometheus.NewDesc("tributary_sql_running", "1 while an SQL app runs.", []string{"app"}, nil)
)

func (c appCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAppIn, descAppOut, descAppErrors, descAppLate, descAppLimits, descAppState, descAppLag, descAppRunning} {
		ch <- d
	}
}

func (c appCollector) Collect(ch chan<- prometheus.Metric) {
	if c.g.apps == nil {
		return
	}
	for _, s := range c.g.apps.all() {
		a := s.api()
		running := 0.0
		if a.State == "running" {
			running = 1
		}
		ch <- prometheus.MustNewConstMetric(descAppIn, prometheus.CounterValue, float64(a.RecordsIn), a.Name)
		ch <- prometheus.MustNewConstMetric(descAppOut, prometheus.CounterValue, float64(a.RecordsOut), a.Name)
		ch <- prometheus.MustNewConstMetric(descAppErrors, prometheus.CounterValue, float64(a.Errors), a.Name)
		ch <- prometheus.MustNewConstMetric(descAppLate, prometheus.CounterValue, float64(a.Late), a.Name)
		ch <- prometheus.MustNewConstMetric(descAppLimits, prometheus.CounterValue, float64(a.LimitHits), a.Name)
		ch <- prometheus.MustNewConstMetric(descAppState, prometheus.GaugeValue, float64(a.StateSize), a.Name)
		ch <- prometheus.MustNewConstMetric(descAppLag, prometheus.GaugeValue, float64(a.LagMillis)/1000, a.Name)
		ch <- prometheus.MustNewConstMetric(descAppRunning, prometheus.GaugeValue, running, a.Name)
	}
}
