package config

import (
	"fmt"
	"strings"

	"github.com/tributary-edge/tributary/analytics"
)

// App is a continuous SQL query (analytics): it reads its source stream
// from its own checkpoints and writes results to a stream (INSERT INTO)
// and/or MQTT topics (EMIT TO MQTT). docs/sql.md.
type App struct {
	// Name is 1..100 characters of [a-zA-Z0-9_.-], unique.
	Name string `yaml:"name"`
	// SQL is the statement.
	SQL string `yaml:"sql"`
	// From is where the app starts the first time it runs: latest (what
	// comes next) or trim_horizon (replay what the stream holds).
	From string `yaml:"from"`
}

func (a *App) setDefaults() { *a = App{From: "latest"} }

func (c *Config) validateApps(v *validator) {
	names := map[string]int{}
	for i, a := range c.Apps {
		p := fmt.Sprintf("apps[%d]", i)
		v.uniqueName(p+".name", "app", "apps", a.Name, i, names)
		v.check(p+".from", checkOneOf(a.From, []string{"latest", "trim_horizon"}))
		if strings.TrimSpace(a.SQL) == "" {
			v.check(p+".sql", "must not be empty")
			continue
		}
		if _, err := analytics.Compile(a.SQL, nil); err != nil {
			msg := err.Error()
			if caret := analytics.Caret(err, a.SQL); caret != "" {
				msg += "\n" + caret
			}
			v.check(p+".sql", msg)
		}
	}
}

// ValidateApps checks c's apps alone (an app made through the API).
func (c *Config) ValidateApps() error {
	var v validator
	c.validateApps(&v)
	return asError(v.errs)
}
