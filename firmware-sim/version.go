package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time:
//
//	go build -ldflags '-X main.version=v1.2.3' ./firmware-sim
//
// Without it, the VCS revision recorded by the go command is used.
var version string

func currentVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return "dev"
	}
	return rev + dirty
}

func versionCmd(e *env, args []string) int {
	fs := newFlagSet("version", "", "Prints the version of this firmware-sim binary.")
	if code, ok := fs.parse(e, args); !ok {
		return code
	}
	fmt.Fprintf(e.stdout, "firmware-sim %s (%s %s/%s)\n", currentVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
