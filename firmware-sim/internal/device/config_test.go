package device

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	cases := []struct {
		in   string
		want Faults
	}{
		{"", Faults{}},
		{"malformed=0.01,oversize=0.001", Faults{Malformed: 0.01, Oversize: 0.001}},
		{" duplicate=0.5 , skew=5m ", Faults{Duplicate: 0.5, Skew: 5 * time.Minute}},
		{"burst", Faults{BurstEvery: 10 * time.Second, BurstSize: 50}},
		{"burst=2s", Faults{BurstEvery: 2 * time.Second, BurstSize: 50}},
		{"burst=2s:7", Faults{BurstEvery: 2 * time.Second, BurstSize: 7}},
		{"reconnect=0.1", Faults{Reconnect: 0.1}},
		{"reconnect=storm", Faults{Storm: 10 * time.Second}},
		{"reconnect=storm:3s", Faults{Storm: 3 * time.Second}},
	}
	for _, c := range cases {
		got, err := ParseFaults(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseFaults(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			continue
		}
		back, err := ParseFaults(got.String())
		if err != nil || back != got {
			t.Errorf("ParseFaults(String() = %q) = %+v, %v; want %+v", got.String(), back, err, got)
		}
	}
}

func TestParseFaultsErrorsQuoteTheKey(t *testing.T) {
	cases := map[string]string{
		"malformd=0.1":                `"malformd": unknown fault`,
		"malformed=2":                 `"malformed": want a probability`,
		"malformed":                   `"malformed": needs a value`,
		"oversize=-0.1":               `"oversize"`,
		"skew=-5m":                    `"skew": want a positive duration`,
		"burst=0s":                    `"burst"`,
		"burst=1s:0":                  `"burst": want a burst size`,
		"reconnect=stormy":            `"reconnect": want storm or storm:DURATION`,
		"reconnect=storm:x":           `"reconnect"`,
		"duplicate=0.1,duplicate=0.2": `"duplicate": given twice`,
	}
	for in, want := range cases {
		_, err := ParseFaults(in)
		if !errors.Is(err, ErrInvalidFaults) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseFaults(%q) = %v; want an ErrInvalidFaults containing %q", in, err, want)
		}
	}
}

func validConfig() Config {
	return Config{Broker: "tcp://127.0.0.1:1883", Count: 1, Profile: "thermostat", QoS: 1, Duration: time.Second, Topic: "devices/{id}/telemetry", RunID: "r"}
}

func TestValidate(t *testing.T) {
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	cases := map[string]func(c *Config){
		"broker":        func(c *Config) { c.Broker = "127.0.0.1:1883" },
		"scheme":        func(c *Config) { c.Broker = "http://127.0.0.1:1883" },
		"count":         func(c *Config) { c.Count = 0 },
		"rate":          func(c *Config) { c.Rate = -1 },
		"qos":           func(c *Config) { c.QoS = 2 },
		"duration":      func(c *Config) { c.Duration, c.Messages = 0, 0 },
		"topic":         func(c *Config) { c.Topic = "devices/+/x" },
		"profile":       func(c *Config) { c.Profile = "toaster" },
		"run id":        func(c *Config) { c.RunID = "" },
		"max in-flight": func(c *Config) { c.MaxInflight = 70000 },
	}
	for want, mut := range cases {
		c := validConfig()
		mut(&c)
		err := c.Validate()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Validate() = %v", want, err)
		}
	}
}

func TestDeviceID(t *testing.T) {
	for _, c := range []struct {
		n, count int
		want     string
	}{{1, 1, "sim-0001"}, {500, 500, "sim-0500"}, {7, 12345, "sim-00007"}} {
		if got := DeviceID("sim-", c.n, c.count); got != c.want {
			t.Errorf("DeviceID(%d, %d) = %q, want %q", c.n, c.count, got, c.want)
		}
	}
	if got := TopicFor("devices/{id}/telemetry", "sim-0001"); got != "devices/sim-0001/telemetry" {
		t.Errorf("TopicFor = %q", got)
	}
}
