// Command tributary is the Tributary edge gateway: "tributary run" starts
// it, and the other commands manage and use a running one. See package
// cli, or run "tributary help".
package main

import (
	"os"

	"github.com/tributary-edge/tributary/gateway/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
