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
	out = mustCLI(t, srv, "", "status")
	for _, want := range []string{"gateway http://", "ok", "streams (", "telemetry", "deliveries (1)", "cloud", "connected"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	var st statusReport
	if err := json.Unmarshal([]byte(mustCLI(t, srv, "", "status", "-o", "json")), &st); err != nil || st.Health.Status != "ok" || len(st.Deliveries) != 1 || len(st.Streams) == 0 {
		t.Errorf("status -o json: %+v %v", st, err)
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

func TestE2ESQL(t *testing.T) {
	srv := startGateway(t)
	mustCLI(t, srv, "", "put", "telemetry", "--key", "d1", `{"device":"d1","temp":50}`)
	out := mustCLI(t, srv, "", "sql", "apps", "create", "hot", "--from", "trim_horizon", "--sql", "INSERT INTO hot SELECT device, temp FROM telemetry WHERE temp > 40")
	if !strings.Contains(out, "hot") || !strings.Contains(out, "running") {
		t.Errorf("create:\n%s", out)
	}
	if out := mustCLI(t, srv, "", "sql", "apps", "describe", "hot"); !strings.Contains(out, "INSERT INTO hot") {
		t.Errorf("describe:\n%s", out)
	}
	if out := mustCLI(t, srv, "", "sql", "--from", "trim_horizon", "--limit", "1", "SELECT device, temp + 1 AS t FROM telemetry"); strings.TrimSpace(out) != `{"device":"d1","t":51}` {
		t.Errorf("ad-hoc:\n%s", out)
	}
	code, _, errOut := cli(t, srv, "", "sql", "SELECT temp FROM telemetry WHRE temp > 1")
	if code == 0 || !strings.Contains(errOut, "WHRE") || !strings.Contains(errOut, "^") {
		t.Errorf("bad SQL: %d\n%s", code, errOut)
	}
	if out := mustCLI(t, srv, "", "sql", "functions"); !strings.Contains(out, "json_extract") {
		t.Errorf("functions:\n%s", out)
	}
	if out := mustCLI(t, srv, "", "sql", "apps", "ls"); !strings.Contains(out, "hot") {
		t.Errorf("ls:\n%s", out)
	}
	mustCLI(t, srv, "", "sql", "apps", "delete", "hot")
}
