// Package server wires Tributary's parts into one gateway: it opens the
// spool, creates the configured streams and serves the single HTTP listener
// (admin API under /api/v1/, /metrics, /healthz; later the Kinesis API at /).
//
// Lifecycle: New checks the configuration and does no I/O; Start opens
// everything downstream first (spool, then the listener) and returns once
// the gateway is ready; Close stops upstream first: it stops accepting
// connections, lets in-flight requests finish, then syncs and closes the
// spool. Close is idempotent.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/gateway/internal/kinesis"
	"github.com/tributary-edge/tributary/ingest/bridge"
	"github.com/tributary-edge/tributary/ingest/broker"
	"github.com/tributary-edge/tributary/ingest/sensor"
	"github.com/tributary-edge/tributary/spool"
	"github.com/tributary-edge/tributary/uplink"
	"github.com/tributary-edge/tributary/video/camera"
	"github.com/tributary-edge/tributary/video/rtpin"
	"github.com/tributary-edge/tributary/video/store"
	"github.com/tributary-edge/tributary/video/webrtc"
)

// Version is the gateway's version, set at build time with
// -ldflags "-X github.com/tributary-edge/tributary/gateway/internal/server.Version=…".
var Version = "dev"

// Gateway is one running Tributary.
type Gateway struct {
	cfg *config.Config
	log *slog.Logger

	spool   *spool.Spool
	broker  *broker.Broker
	bridge  *bridge.Bridge
	kinesis *kinesis.Handler
	// deliveries change at run time (the Firehose API): under dmu.
	dmu          sync.RWMutex
	deliveries   map[string]*delivery
	link         *uplink.Link                  // uplink.bandwidth, shared; nil: none
	fmu          sync.Mutex                    // orders Firehose control-plane changes
	apps         *apps                         // SQL apps
	mqttOut      atomic.Pointer[broker.Broker] // the broker, for the apps' goroutines
	amu          sync.Mutex                    // orders app creation and deletion
	sensors      *sensor.Source                // attached sensors; nil: none
	sensorOpener sensor.Opener                 // nil: the host's (periph.io)
	videoStore   *store.Store                  // the fragment store; nil: no video streams
	cameras      *camera.Manager
	videoSrv     *webrtc.Server
	rtpIns       []*rtpin.Listener    // plain RTP inputs
	clipRunners  []clipRunner         // clip rules and scheduled uploads
	videoTune    func(*webrtc.Config) // tests: restrict ICE to loopback
	started      time.Time
	metrics      *metrics
	registry     *prometheus.Registry
	ln           net.Listener
	srv          *http.Server

	pollCtx    context.Context // cancelled first on Close: ends long polls (tail -f)
	pollCancel context.CancelFunc
	puts       chan struct{} // bounds concurrent admin puts (memory)
	serveDone  chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

// New checks cfg and returns a gateway ready to Start.
func New(cfg *config.Config, log *slog.Logger) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return &Gateway{cfg: cfg, log: log}, nil
}

// Start opens the spool, ensures the configured streams exist and starts
// serving HTTP. It returns once requests can be served.
func (g *Gateway) Start(ctx context.Context) (err error) {
	if g.cfg.MemoryLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(g.cfg.MemoryLimit))
	}
	g.started = time.Now()
	opts, err := spoolOptions(g.cfg, g.log)
	if err != nil {
		return err
	}
	g.registry = prometheus.NewRegistry()
	g.metrics = newMetrics(g.registry)
	opts.Observer = g.metrics
	sp, err := spool.Open(opts)
	if err != nil {
		return err
	}
	g.spool = sp
	defer func() {
		if err != nil { // what started stops, upstream first, then the spool
			g.stopServices()
			sp.Close()
		}
	}()
	g.metrics.watch(sp)
	for i, sc := range g.cfg.Streams {
		created, err := sp.EnsureStream(spool.StreamConfig{
			Name:      sc.Name,
			Shards:    sc.Shards,
			Retention: time.Duration(sc.Retention),
			MaxBytes:  int64(sc.MaxBytes),
			WhenFull:  spool.FullPolicy(sc.WhenFull),
		})
		if err != nil {
			return fmt.Errorf("streams[%d] (%s): %w", i, sc.Name, err)
		}
		if created {
			g.log.Info("created stream", "stream", sc.Name, "shards", sc.Shards)
		}
	}
	if err := g.startKinesis(); err != nil {
		return err
	}
	if err := g.startDeliveries(); err != nil {
		return err
	}
	g.registry.MustRegister(deliveryCollector{g})
	if err := g.startApps(); err != nil {
		return err
	}
	g.registry.MustRegister(appCollector{g})
	if err := g.startMQTT(); err != nil {
		return err
	}
	if err := g.startSensors(); err != nil {
		return err
	}
	g.registry.MustRegister(sensorCollector{g})
	if err := g.startVideo(); err != nil {
		return err
	}
	if err := g.startClips(); err != nil {
		return err
	}
	g.registry.MustRegister(videoCollector{g})
	ln, err := net.Listen("tcp", g.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http.addr: listen on %s: %w", g.cfg.HTTP.Addr, err)
	}
	g.ln = ln
	g.pollCtx, g.pollCancel = context.WithCancel(context.Background())
	g.puts = make(chan struct{}, maxConcurrentPuts)
	// HTTP/1.1 and HTTP/2: h2c with prior knowledge on plain HTTP (the Java
	// SDK v2 and KCL default to HTTP/2, kinesis.md §1.5), h2 by ALPN on TLS.
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(true)
	g.srv = &http.Server{
		Handler:           g.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
		Protocols:         protocols,
	}
	useTLS := g.cfg.HTTP.TLS.CertFile != ""
	if useTLS {
		cert, err := tls.LoadX509KeyPair(g.cfg.HTTP.TLS.CertFile, g.cfg.HTTP.TLS.KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("http.tls: %w", err)
		}
		g.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	g.serveDone = make(chan struct{})
	go func() {
		defer close(g.serveDone)
		var err error
		if useTLS {
			err = g.srv.ServeTLS(ln, "", "")
		} else {
			err = g.srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// stopServices stops what Start started on the spool, upstream first.
func (g *Gateway) stopServices() {
	g.stopClips()
	g.stopVideo()
	g.stopSensors()
	g.stopMQTT()
	g.stopApps()
	g.stopDeliveries()
}

// Addr returns the address the HTTP listener is bound to.
func (g *Gateway) Addr() string {
	if g.ln == nil {
		return ""
	}
	return g.ln.Addr().String()
}

// MQTTAddr returns the embedded broker's TCP address ("" if it is off).
func (g *Gateway) MQTTAddr() string {
	if g.broker == nil {
		return ""
	}
	return g.broker.Addr()
}

// Spool returns the gateway's spool (nil before Start).
func (g *Gateway) Spool() *spool.Spool { return g.spool }

// Close shuts down: stop accepting, end long polls, let in-flight requests
// (appends) finish for up to 15 seconds, then sync and close the spool.
func (g *Gateway) Close() error {
	g.closeOnce.Do(func() {
		var errs []error
		g.stopClips()   // upstream first: clip uploads end (resumed after a restart)
		g.stopVideo()   // cameras end, their fragments stored
		g.stopSensors() // no new readings
		g.stopMQTT()    // no new messages, pending ones acknowledged
		if g.kinesis != nil {
			g.kinesis.Close() // ends SubscribeToShard streams
		}
		if g.srv != nil {
			g.pollCancel()
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			if err := g.srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("http shutdown: %w", err))
			}
			cancel()
			<-g.serveDone
		}
		g.stopApps()       // what was not committed is processed again after a restart
		g.stopDeliveries() // unconfirmed batches are sent again after a restart
		if g.spool != nil {
			if err := g.spool.Close(); err != nil {
				errs = append(errs, fmt.Errorf("spool close: %w", err))
			}
		}
		g.closeErr = errors.Join(errs...)
	})
	return g.closeErr
}

// SpoolDir is where the spool lives under the data directory.
func SpoolDir(cfg *config.Config) string { return filepath.Join(cfg.DataDir, "spool") }
