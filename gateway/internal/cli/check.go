package cli

import (
	"fmt"

	"github.com/tributary-edge/tributary/gateway/internal/config"
)

const checkAbout = `Validates a gateway config file the way "tributary run -c FILE" would load
it (defaults, then the file, then TRIBUTARY_* environment overrides) and
exits. Prints "FILE: ok" and exits 0, or prints every problem, one per line
with its line number and key path, and exits 1. With -v also prints the
effective configuration, defaults included, as YAML.`

func checkCmd(e *env, args []string) int {
	fs := newFlagSet("check", "-c FILE [-v]", checkAbout)
	file := fs.String("c", "", "config `FILE` to check (required)")
	verbose := fs.Bool("v", false, "also print the effective configuration")
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	switch {
	case *file == "" && len(pos) == 1: // "tributary check FILE" works too
		*file = pos[0]
	case *file == "":
		return usageError(e, fs, "missing -c FILE")
	case len(pos) > 0:
		return usageError(e, fs, "unexpected argument %q", pos[0])
	}
	cfg, err := config.Load(*file)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "%s: ok\n", *file)
	if *verbose {
		y, err := cfg.YAML()
		if err != nil {
			fmt.Fprintf(e.stderr, "error: %v\n", err)
			return exitFailure
		}
		e.stdout.Write(y)
	}
	return exitOK
}
