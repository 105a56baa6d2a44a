package config

import (
	"reflect"
	"testing"
)

func TestEnvOverrides(t *testing.T) {
	env := map[string]string{
		"TRIBUTARY_DATA_DIR":   "/srv/tributary",
		"TRIBUTARY_HTTP_ADDR":  "0.0.0.0:8080",
		"TRIBUTARY_DURABILITY": "none",
		"TRIBUTARY_LOG_LEVEL":  "debug",
	}
	// The environment wins over the file.
	in := "data_dir: /from/file\nhttp: {addr: ':1'}\nspool: {durability: interval}\nlog: {level: warn, format: json}\n"
	c, err := Parse("t.yaml", []byte(in), getenv(env))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.DataDir = "/srv/tributary"
	want.HTTP.Addr = "0.0.0.0:8080"
	want.Spool.Durability = "none"
	want.Log = Log{Level: "debug", Format: "json"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

func TestEnvEmptyIsUnset(t *testing.T) {
	env := map[string]string{"TRIBUTARY_DATA_DIR": "", "TRIBUTARY_HTTP_ADDR": ""}
	c, err := Parse("t.yaml", nil, getenv(env))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("got %+v; want Default()", c)
	}
}

func TestEnvBadValueNotApplied(t *testing.T) {
	// The bad variable is reported once, under its own name, and the file's
	// bad value is still reported under its path.
	in := "log:\n  format: xml\n"
	_, err := Parse("t.yaml", []byte(in), getenv(map[string]string{"TRIBUTARY_LOG_LEVEL": "loud"}))
	want := `TRIBUTARY_LOG_LEVEL: must be one of debug, info, warn, error (got "loud")` + "\n" +
		`t.yaml:2: log.format: must be one of text, json (got "xml")`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant:\n%s", err, want)
	}
}
