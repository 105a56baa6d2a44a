package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tributary-edge/tributary/firmware-sim/internal/device"
	"github.com/tributary-edge/tributary/firmware-sim/internal/profile"
	"github.com/tributary-edge/tributary/firmware-sim/internal/report"
	"github.com/tributary-edge/tributary/firmware-sim/internal/verify"
)

// defaultDuration is how long devices send when neither --duration nor
// --messages is given.
const defaultDuration = 10 * time.Second

const devicesAbout = `
Runs simulated devices, one MQTT client each (client id PREFIX + zero-padded
number), that publish JSON payloads of a profile to --topic ({id} is the
device id). Each sequenced payload carries "device_id", "run", "seq" (from 1,
per device) and "ts". A live summary is printed on stderr every second and a
report on stdout at the end; --report also writes it as JSON, including every
device's acknowledged seqs, for "firmware-sim verify --acked".

--rate 0 is benchmark mode: each device keeps exactly one message in flight
and sends the next as soon as the previous one completes (PUBACK for QoS 1).

--faults takes comma-separated key=value pairs:
  malformed=P, oversize=P    a message slot carries invalid JSON / a 300 KiB
                             payload instead (expected in the dead-letter
                             stream, never counted as missing)
  duplicate=P                publish a sequenced message twice
  burst=DURATION[:N]         N (50) messages back to back every ~DURATION (10s)
  reconnect=P                probability per second that a device reconnects
  reconnect=storm[:DURATION] every device reconnects at once every DURATION (10s)
  skew=DURATION              device clocks off by up to ±DURATION

--verify URL then reads --stream back from the gateway's admin API and checks
that every acknowledged message is stored, in order per device.

Exit status: 1 if the verification fails or cannot read the gateway, or if no
message was acknowledged at all (QoS 1) or sent (QoS 0); 2 for usage errors.
`

// devicesFlags are the flags of "devices".
type devicesFlags struct {
	broker, profile, topic, idPrefix string
	count                            int
	rate                             float64
	qos                              uint
	duration                         time.Duration
	messages                         uint64
	username, password               string
	tlsCA, tlsCert, tlsKey           string
	insecure                         bool
	faults                           string
	seed                             uint64
	runID                            string
	ackTimeout, connectTimeout       time.Duration
	maxInflight                      int
	verifyURL, stream                string
	reportFile                       string
	quiet                            bool
}

func (f *devicesFlags) register(fs *flagSet) {
	fs.StringVar(&f.broker, "broker", defaultBroker, "MQTT broker `URL` (tcp://, ssl://, tls://, mqtts://, ws://, wss://)")
	fs.IntVar(&f.count, "count", 10, "number of devices")
	fs.Float64Var(&f.rate, "rate", 1, "messages per second per device, with jitter; 0 = as fast as acks allow, one in flight")
	fs.StringVar(&f.profile, "profile", "thermostat", "payload profile: "+strings.Join(profile.Names(), ", "))
	fs.UintVar(&f.qos, "qos", 1, "MQTT QoS, 0 or 1")
	fs.DurationVar(&f.duration, "duration", 0, "how long devices send (default 10s unless --messages is given)")
	fs.Uint64Var(&f.messages, "messages", 0, "sequenced messages per device (0 = until --duration ends; given both, whichever comes first)")
	fs.StringVar(&f.topic, "topic", "devices/{id}/telemetry", "topic `template`; {id} is the device id")
	fs.StringVar(&f.idPrefix, "id-prefix", "sim-", "client id prefix")
	fs.StringVar(&f.username, "username", "", "MQTT user name")
	fs.StringVar(&f.password, "password", "", "MQTT password (default $FIRMWARE_SIM_PASSWORD)")
	fs.StringVar(&f.tlsCA, "tls-ca", "", "CA certificate `FILE` (PEM) to verify the broker with")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "client certificate `FILE` (PEM)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "client key `FILE` (PEM)")
	fs.BoolVar(&f.insecure, "insecure", false, "do not verify the broker's TLS certificate")
	fs.StringVar(&f.faults, "faults", "", "faults to inject, e.g. malformed=0.01,duplicate=0.01,reconnect=storm (see above)")
	fs.Uint64Var(&f.seed, "seed", 0, "random seed for payloads, jitter and faults (default: random, printed in the report)")
	fs.StringVar(&f.runID, "run-id", "", "run id written into every payload (default: random)")
	fs.DurationVar(&f.ackTimeout, "ack-timeout", device.DefaultAckTimeout, "give up waiting for a PUBACK after this long")
	fs.DurationVar(&f.connectTimeout, "connect-timeout", device.DefaultConnectTimeout, "timeout of one connection attempt")
	fs.IntVar(&f.maxInflight, "max-inflight", device.DefaultMaxInflight, "unacknowledged messages per device, when --rate > 0")
	fs.StringVar(&f.verifyURL, "verify", "", "after the run, verify the stream through the gateway admin API at `URL`")
	fs.StringVar(&f.stream, "stream", defaultStream, "stream to verify")
	fs.StringVar(&f.reportFile, "report", "", "also write the report as JSON to `FILE`")
	fs.BoolVar(&f.quiet, "quiet", false, "no live summary on stderr")
}

// config turns the flags into a device configuration, or returns a usage
// problem.
func (f *devicesFlags) config(fs *flagSet) (device.Config, error) {
	faults, err := device.ParseFaults(f.faults)
	if err != nil {
		return device.Config{}, err
	}
	if f.qos > 1 {
		return device.Config{}, fmt.Errorf("--qos %d: want 0 or 1", f.qos)
	}
	if f.duration == 0 && f.messages == 0 && !fs.isSet("duration") {
		f.duration = defaultDuration
	}
	if f.password == "" {
		f.password = os.Getenv("FIRMWARE_SIM_PASSWORD")
	}
	tls, err := device.LoadTLS(f.tlsCA, f.tlsCert, f.tlsKey, f.insecure)
	if err != nil {
		return device.Config{}, err
	}
	if u, err := url.Parse(f.broker); err == nil && tls != nil {
		switch u.Scheme {
		case "ssl", "tls", "mqtts", "wss":
		default:
			return device.Config{}, fmt.Errorf("--tls-* and --insecure need a TLS broker URL (ssl://, tls://, mqtts://, wss://), not %q", f.broker)
		}
	}
	if !fs.isSet("seed") {
		f.seed = randomUint64()
	}
	if f.runID == "" {
		f.runID = fmt.Sprintf("%08x", uint32(randomUint64()))
	}
	if f.verifyURL != "" {
		if u, err := url.Parse(f.verifyURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return device.Config{}, fmt.Errorf("--verify %q: want the gateway's admin API URL, such as %s", f.verifyURL, defaultGateway)
		}
	}
	c := device.Config{
		Broker: f.broker, Count: f.count, Rate: f.rate, Profile: f.profile, QoS: byte(f.qos),
		Duration: f.duration, Messages: f.messages, Topic: f.topic, IDPrefix: f.idPrefix,
		Username: f.username, Password: f.password, TLS: tls, Faults: faults, Seed: f.seed, RunID: f.runID,
		AckTimeout: f.ackTimeout, ConnectTimeout: f.connectTimeout, MaxInflight: f.maxInflight,
	}
	return c, c.Validate()
}

func randomUint64() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return uint64(time.Now().UnixNano())
	}
	return binary.LittleEndian.Uint64(b[:])
}

func devicesCmd(e *env, args []string) int {
	fs := newFlagSet("devices", "[--broker URL] [--count N] [--rate R] [--profile P] [FLAGS]", devicesAbout)
	var f devicesFlags
	f.register(fs)
	if code, ok := fs.parse(e, args); !ok {
		return code
	}
	cfg, err := f.config(fs)
	if err != nil {
		return fs.usageError(e, "%v", err)
	}
	fleet, err := device.New(cfg)
	if err != nil {
		return fs.usageError(e, "%v", err)
	}
	if !f.quiet {
		fmt.Fprintf(e.stderr, "firmware-sim: run %s, seed %d: %d %s devices -> %s\n", cfg.RunID, cfg.Seed, cfg.Count, cfg.Profile, cfg.Broker)
	}
	res := runWithLiveSummary(e, fleet, cfg, f.quiet)
	rep := report.Build(cfg, res, currentVersion())
	rep.WriteText(e.stdout)

	code := exitOK
	if res.Counters.Sent == 0 || (cfg.QoS == 1 && res.Counters.Acked == 0) {
		fmt.Fprintln(e.stderr, "error: no message was acknowledged; is the broker at "+cfg.Broker+" up?")
		code = exitFailure
	}
	if f.verifyURL != "" {
		// A signal that stopped the run must not also stop the check.
		ctx, stop := signalContext()
		defer stop()
		vres, err := verify.Run(ctx, &verify.Client{Base: f.verifyURL}, f.stream, rep.Expect())
		fmt.Fprintln(e.stdout)
		switch {
		case err != nil:
			fmt.Fprintf(e.stderr, "error: verify: %v\n", err)
			code = exitFailure
		default:
			vres.WriteText(e.stdout)
			rep.Verify = &vres
			if !vres.OK() {
				code = exitFailure
			}
		}
	}
	if f.reportFile != "" {
		if err := rep.WriteFile(f.reportFile); err != nil {
			fmt.Fprintf(e.stderr, "error: --report: %v\n", err)
			return exitFailure
		}
	}
	return code
}

// runWithLiveSummary runs fleet, printing a summary line on stderr every
// second unless quiet.
func runWithLiveSummary(e *env, fleet *device.Fleet, cfg device.Config, quiet bool) device.FleetResult {
	if quiet {
		return fleet.Run(e.ctx)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		live := &report.Live{Devices: cfg.Count, QoS: cfg.QoS}
		live.Line(time.Now(), fleet.Counters().Snapshot(), fleet.Latency().Snapshot())
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				fmt.Fprintln(e.stderr, live.Line(now, fleet.Counters().Snapshot(), fleet.Latency().Snapshot()))
			}
		}
	}()
	res := fleet.Run(e.ctx)
	cancel()
	<-done
	return res
}
