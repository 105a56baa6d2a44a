package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/ingest/sensor"
)

// sensorsSubcommands describe "tributary sensors", in help order.
var sensorsSubcommands = subcommands{"sensors", []subcommand{
	{"ls", "", "list the attached sensors with their last reading and error count"},
	{"probe", "", "list the I2C addresses that answer on a bus of this machine (--bus /dev/i2c-1)"},
}}

// probeOpener is the host's buses (tests replace it).
var probeOpener = sensor.HostOpener

func sensorsCmd(e *env, args []string) int {
	if len(args) == 0 {
		sensorsSubcommands.usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "ls", "list":
		return sensorsLs(e, args[1:])
	case "probe":
		return sensorsProbe(e, args[1:])
	case "help", "-h", "-help", "--help":
		sensorsSubcommands.usage(e.stdout)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "error: unknown command \"sensors %s\"\n\n", args[0])
	sensorsSubcommands.usage(e.stderr)
	return exitUsage
}

func sensorsLs(e *env, args []string) int {
	var cf clientFlags
	fs := sensorsSubcommands.flagSet(e, "ls", &cf)
	if _, code, ok := parseNamed(e, fs, &cf, args, 0, "sensor"); !ok {
		return code
	}
	c := &api.Client{Base: cf.baseURL()}
	list, err := c.ListSensors(e.ctx)
	if err != nil {
		return reportError(e, cf.baseURL(), err)
	}
	if cf.output == "json" {
		writeJSON(e.stdout, api.SensorList{Sensors: list})
		return exitOK
	}
	writeSensorTable(e.stdout, list)
	return exitOK
}

func writeSensorTable(w io.Writer, list []api.Sensor) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDRIVER\tSTREAM\tSTATE\tREADINGS\tERRORS\tLAST READING\tLAST ERROR")
	for _, s := range list {
		last := "-"
		if len(s.LastReading) > 0 {
			last = time.Since(s.LastTime).Round(time.Second).String() + " ago " + truncateText(string(s.LastReading), 80)
		}
		lastErr := "-"
		if s.LastError != "" {
			lastErr = s.LastErrorTime.Format(time.RFC3339) + " " + truncateText(s.LastError, 80)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", s.Name, s.Driver, s.Stream, s.State, s.Readings, s.Errors+s.AppendErrors, last, lastErr)
	}
	tw.Flush()
}

// sensorsProbe scans a bus of this machine, not the gateway's: it is what
// a user runs while wiring, gateway or not.
func sensorsProbe(e *env, args []string) int {
	fs := newFlagSet("sensors probe", "--bus BUS", "List the 7-bit I2C addresses that answer on a bus of this machine (0x08-0x77), like i2cdetect.")
	bus := fs.String("bus", "/dev/i2c-1", "the I2C bus: /dev/i2c-N, I2CN or N")
	output := fs.String("o", "table", "output: table|json")
	fs.StringVar(output, "output", "table", "output: table|json")
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(e, fs, "unexpected argument %q", pos[0])
	}
	if *output != "table" && *output != "json" {
		return usageError(e, fs, "--output %q: want table or json", *output)
	}
	addrs, err := sensor.Probe(probeOpener(), *bus)
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitFailure
	}
	if *output == "json" {
		hex := make([]string, len(addrs))
		for i, a := range addrs {
			hex[i] = fmt.Sprintf("0x%02x", a)
		}
		writeJSON(e.stdout, map[string]any{"bus": *bus, "addresses": hex})
		return exitOK
	}
	if len(addrs) == 0 {
		fmt.Fprintf(e.stdout, "no device answered on %s\n", *bus)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%d device(s) answered on %s:\n", len(addrs), *bus)
	for _, a := range addrs {
		fmt.Fprintf(e.stdout, "  0x%02x%s\n", a, knownI2C(a))
	}
	return exitOK
}

// knownI2C names the parts a user is likely wiring at an address.
func knownI2C(a uint16) string {
	switch a {
	case 0x76, 0x77:
		return "  (a BME280 or BMP280? driver bme280 or bmp280)"
	}
	return ""
}
