package config

import (
	"strings"
	"testing"
)

func TestAppsValidate(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"- name: a\n  sql: \"SELECT x FROM s WHRE x > 1\"\n", "apps[0].sql: line 1, column 17: unexpected identifier \"WHRE\""},
		{"- name: a\n  sql: \"SELECT x FROM s WHRE x > 1\"\n", "                ^"},
		{"- name: a\n  sql: \"SELECT lowr(x) FROM s\"\n", "apps[0].sql: line 1, column 8: unknown function lowr (did you mean lower?)"},
		{"- name: a\n  sql: \"\"\n", "apps[0].sql: must not be empty"},
		{"- name: a\n  sql: \"SELECT x FROM s\"\n  from: earliest\n", `apps[0].from: must be one of latest, trim_horizon (got "earliest")`},
		{"- name: a\n  sql: \"SELECT x FROM s\"\n- name: a\n  sql: \"SELECT x FROM s\"\n", `apps[1].name: duplicate app "a" (also apps[0])`},
		{"- name: \"a b\"\n  sql: \"SELECT x FROM s\"\n", "apps[0].name:"},
	} {
		_, err := Parse("x.yaml", []byte("apps:\n"+indent(c.yaml)), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant …%s…", c.yaml, err, c.want)
		}
	}
	cfg, err := Parse("x.yaml", []byte("apps:\n  - name: ok\n    sql: |\n      SELECT device, temp FROM telemetry WHERE temp > 40\n      EMIT TO MQTT 'alerts/{device}'\n"), nil)
	if err != nil || len(cfg.Apps) != 1 || cfg.Apps[0].From != "latest" {
		t.Errorf("a good app: %v %+v", err, cfg)
	}
}
