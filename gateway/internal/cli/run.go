package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/gateway/internal/server"
)

// defaultConfigFile is read by "tributary run" without -c when it exists
// in the working directory.
const defaultConfigFile = "configs/gateway.yaml"

const runAbout = `Starts a gateway in the foreground and runs it until SIGINT (Ctrl-C) or
SIGTERM, then shuts down gracefully: stops accepting, finishes in-flight
appends and syncs the spool. A second signal during shutdown exits at once
with status 1.

The configuration is -c FILE, else ` + defaultConfigFile + ` if it exists, else the
built-in defaults; TRIBUTARY_* environment variables and then these flags
override it. An invalid configuration prints every problem and exits 2.
Logs go to stderr.`

func runCmd(e *env, args []string) int {
	fs := newFlagSet("run", "[-c FILE] [--data-dir DIR] [--http ADDR] [--mqtt ADDR]", runAbout)
	file := fs.String("c", "", "config `FILE` (default "+defaultConfigFile+" if it exists, else built-in defaults)")
	dataDir := fs.String("data-dir", "", "data directory `DIR`, overriding data_dir")
	httpAddr := fs.String("http", "", "HTTP listen address host:port, overriding http.addr (port 0 picks one)")
	mqttAddr := fs.String("mqtt", "", "embedded MQTT broker address host:port, overriding mqtt.listen (\"off\" turns the broker off)")
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(e, fs, "unexpected argument %q", pos[0])
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	cfg, err := loadRunConfig(*file, os.Getenv)
	if err != nil {
		printConfigError(e.stderr, err, nil)
		return exitUsage
	}
	overrides := map[string]string{} // key path → flag that set it
	if set["data-dir"] {
		cfg.DataDir, overrides["data_dir"] = *dataDir, "--data-dir"
	}
	if set["http"] {
		cfg.HTTP.Addr, overrides["http.addr"] = *httpAddr, "--http"
	}
	if set["mqtt"] {
		addr := *mqttAddr
		if addr == "off" {
			addr = ""
		}
		cfg.MQTT.Listen, overrides["mqtt.listen"] = addr, "--mqtt"
	}
	if err := cfg.Validate(); err != nil {
		printConfigError(e.stderr, err, overrides)
		return exitUsage
	}

	log := newLogger(cfg.Log, e.stderr)
	g, err := server.New(cfg, log)
	if err != nil {
		printConfigError(e.stderr, err, overrides)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := g.Start(ctx); err != nil {
		log.Error("cannot start", "err", err)
		return exitFailure
	}
	log.Info("tributary listening", "http", g.Addr(), "mqtt", g.MQTTAddr(), "data_dir", cfg.DataDir,
		"durability", cfg.Spool.Durability, "version", currentVersion().Version)
	<-ctx.Done()

	// Catch a second signal before giving the first handler back.
	second := make(chan os.Signal, 1)
	signal.Notify(second, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(second)
	stop()
	log.Info("shutting down (signal again to exit at once)")
	closed := make(chan error, 1)
	go func() { closed <- g.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			log.Error("shutdown", "err", err)
			return exitFailure
		}
		log.Info("stopped")
		return exitOK
	case sig := <-second:
		log.Error("second signal: exiting without finishing shutdown", "signal", sig.String())
		return exitFailure
	}
}

// loadRunConfig returns the configuration "tributary run" starts from:
// file if given, else defaultConfigFile if it exists, else the defaults;
// each with the environment overrides that getenv reports, validated.
func loadRunConfig(file string, getenv func(string) string) (*config.Config, error) {
	if file != "" {
		return config.Load(file)
	}
	if _, err := os.Stat(defaultConfigFile); err == nil {
		return config.Load(defaultConfigFile)
	}
	return config.Parse("(defaults)", nil, getenv)
}

// printConfigError prints each problem in err on its own line, prefixed
// "error: ". A problem about a key path in overrides (key path → flag)
// is reported under the flag's name instead, since the flag set it.
func printConfigError(w io.Writer, err error, overrides map[string]string) {
	var errs *config.Errors
	if !errors.As(err, &errs) {
		fmt.Fprintf(w, "error: %v\n", err)
		return
	}
	for _, ke := range *errs {
		if f, ok := overrides[ke.Path]; ok && ke.File == "" {
			fmt.Fprintf(w, "error: %s: %s\n", f, ke.Msg)
			continue
		}
		fmt.Fprintf(w, "error: %v\n", ke)
	}
}

// newLogger returns a slog logger writing to w in the configured format
// (text unless "json") at the configured level (info if unknown).
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
