package cli

import (
	"fmt"
	"runtime"

	"github.com/tributary-edge/tributary/gateway/internal/server"
)

// versionInfo is what "tributary version -o json" prints.
type versionInfo struct {
	Version string `json:"version"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

func currentVersion() versionInfo {
	v := server.Version
	if v == "" {
		v = "dev"
	}
	return versionInfo{Version: v, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
}

// String formats v as "tributary VERSION (GOVERSION GOOS/GOARCH)".
func (v versionInfo) String() string {
	return fmt.Sprintf("tributary %s (%s %s/%s)", v.Version, v.Go, v.OS, v.Arch)
}

func versionCmd(e *env, args []string) int {
	fs := newFlagSet("version", "[-o table|json]", "Prints the version of this tributary binary.")
	output := fs.String("o", "table", "output format: table|json")
	fs.StringVar(output, "output", "table", "output format: table|json (same as -o)")
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(e, fs, "unexpected argument %q", pos[0])
	}
	v := currentVersion()
	switch *output {
	case "json":
		writeJSON(e.stdout, v)
	case "table":
		fmt.Fprintln(e.stdout, v)
	default:
		return usageError(e, fs, "-o %q: must be one of table, json", *output)
	}
	return exitOK
}
