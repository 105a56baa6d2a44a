package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, returns exactly one of a
// config and an *Errors, and that every KeyError says something.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add([]byte(tt.in))
	}
	files, _ := filepath.Glob(filepath.Join(configsDir, "*.yaml"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("streams:\n  - &base {name: a, shards: 2}\n  - <<: *base\n    name: b\n"))
	f.Add([]byte("a: &a [*a]\nspool: &s {<<: *s}\n"))
	f.Add([]byte("? [complex, key]\n: 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data, nil)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v", c != nil, err)
		}
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Parse accepted a config that Validate rejects: %v", verr)
			}
			out, yerr := c.YAML()
			if yerr != nil {
				t.Fatalf("YAML: %v", yerr)
			}
			if _, perr := Parse("yaml", out, nil); perr != nil {
				t.Fatalf("re-parsing YAML() failed: %v\n%s", perr, out)
			}
			return
		}
		var errs *Errors
		if !errors.As(err, &errs) || len(*errs) == 0 {
			t.Fatalf("error %T %v is not a non-empty *Errors", err, err)
		}
		for _, ke := range *errs {
			if ke == nil || (ke.Path == "" && ke.Msg == "") {
				t.Fatalf("empty KeyError in %v", err)
			}
		}
	})
}
