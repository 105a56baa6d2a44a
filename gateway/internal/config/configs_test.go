package config

import (
	"path/filepath"
	"reflect"
	"testing"
)

// configsDir is the repository's configs/ directory.
const configsDir = "../../../configs"

// TestConfigsValid loads every shipped config file.
func TestConfigsValid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(configsDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no *.yaml files in %s", configsDir)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			clearEnv(t)
			if _, err := Load(f); err != nil {
				t.Errorf("Load(%s):\n%v", f, err)
			}
		})
	}
}

// TestGatewayYAMLIsDefault keeps configs/gateway.yaml equal to Default().
func TestGatewayYAMLIsDefault(t *testing.T) {
	clearEnv(t)
	c, err := Load(filepath.Join(configsDir, "gateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := Default(); !reflect.DeepEqual(c, want) {
		got, _ := c.YAML()
		wantYAML, _ := want.YAML()
		t.Errorf("configs/gateway.yaml differs from Default():\n%s\nwant:\n%s", got, wantYAML)
	}
}

// clearEnv unsets the override variables for the test so that the
// developer's environment cannot change what Load returns.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, o := range envOverrides {
		t.Setenv(o.name, "")
	}
}
