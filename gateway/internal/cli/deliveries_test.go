package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tributary-edge/tributary/gateway/internal/api"
	"github.com/tributary-edge/tributary/gateway/internal/config"
	"github.com/tributary-edge/tributary/uplink/uplinktest"
)

func TestE2EDeliveries(t *testing.T) {
	ep := uplinktest.Start(t)
	srv := startGateway(t, func(c *config.Config) {
		d := config.DefaultDelivery("cloud", "telemetry")
		d.HTTP.URL = ep.URL
		c.Deliveries = []config.Delivery{d}
	})
	out := mustCLI(t, srv, "", "deliveries", "ls")
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "cloud") || !strings.Contains(out, "http "+ep.URL) {
		t.Errorf("deliveries ls:\n%s", out)
	}
	var d api.Delivery
	if err := json.Unmarshal([]byte(mustCLI(t, srv, "", "deliveries", "pause", "cloud", "-o", "json")), &d); err != nil || d.State != "paused" {
		t.Errorf("pause: %+v %v", d, err)
	}
	if out := mustCLI(t, srv, "", "deliveries", "describe", "cloud"); !strings.Contains(out, "paused") {
		t.Errorf("describe after pause:\n%s", out)
	}
	if out := mustCLI(t, srv, "", "deliveries", "resume", "cloud"); !strings.Contains(out, "connected") {
		t.Errorf("resume:\n%s", out)
	}
	if code, _, errOut := cli(t, srv, "", "deliveries", "describe", "nope"); code == 0 || !strings.Contains(errOut, "no delivery") {
		t.Errorf("unknown delivery: %d %s", code, errOut)
	}
	if code, _, errOut := cli(t, srv, "", "deliveries", "pause"); code == 0 || !strings.Contains(errOut, "missing delivery NAME") {
		t.Errorf("missing name: %d %s", code, errOut)
	}
}
