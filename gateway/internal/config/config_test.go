package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestYAMLRoundTrip(t *testing.T) {
	c := Default()
	c.Spool.EncryptionKeyFile = "/etc/tributary/key"
	c.Spool.MinFreeDisk = 1500 // no unit divides it
	c.Streams = append(c.Streams, Stream{Name: "events", Shards: 1, Retention: Duration(7 * 24 * time.Hour), MaxBytes: 256 * MB, WhenFull: "drop_oldest"})
	for _, cfg := range []*Config{Default(), c, {DataDir: "x", HTTP: HTTP{Addr: ":0"}, Log: Log{"info", "text"}, Spool: defaultSpool(), Streams: []Stream{}, MQTT: defaultMQTT(), Kinesis: defaultKinesis(), Deliveries: []Delivery{}, Apps: []App{}, Sensors: []Sensor{}, Video: defaultVideo()}} {
		out, err := cfg.YAML()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse("yaml", out, nil)
		if err != nil {
			t.Fatalf("Parse(YAML()):\n%v\n%s", err, out)
		}
		if !reflect.DeepEqual(back, cfg) {
			t.Errorf("round trip changed the config:\n%s\ngot %+v\nwant %+v", out, back, cfg)
		}
	}
}

func TestYAMLNamesEveryKey(t *testing.T) {
	out, err := Default().YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"data_dir:", "addr:", "level:", "format:", "durability:", "sync_interval: 100ms",
		"min_free_disk: 64MiB", "encryption_key_file:", "chunk_max_bytes: 256KiB", "memtable_size: 8MiB",
		"value_threshold: 4KiB", "stream: dead-letter", "retention: 168h", "- name: telemetry", "when_full: reject_new"} {
		if !strings.Contains(string(out), key) {
			t.Errorf("YAML() lacks %q:\n%s", key, out)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	c, err := Load(path)
	if c != nil || err == nil {
		t.Fatalf("Load = %v, %v; want an error", c, err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false for %v", err)
	}
	var errs *Errors
	if !errors.As(err, &errs) || len(*errs) != 1 {
		t.Fatalf("err = %#v; want *Errors of one", err)
	}
	if want := path + ": no such file or directory"; err.Error() != want {
		t.Errorf("err = %q; want %q", err, want)
	}
}

func TestLoadNamesFile(t *testing.T) {
	clearEnv(t)
	path := filepath.Join(t.TempDir(), "x.yaml")
	if err := os.WriteFile(path, []byte("log:\n  level: info\nspool:\n  durability: fsnyc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	want := path + `:4: spool.durability: must be one of fsync, interval, none (got "fsnyc")`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v; want %s", err, want)
	}
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Path != "spool.durability" || ke.Line != 4 || ke.File != path {
		t.Errorf("errors.As KeyError = %+v", ke)
	}
}

func TestLoadEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv("TRIBUTARY_DATA_DIR", "/env/dir")
	c, err := Load(filepath.Join(configsDir, "gateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/env/dir" {
		t.Errorf("DataDir = %q; want /env/dir", c.DataDir)
	}
}
