package config

import (
	"errors"
	"io/fs"
	"os"
	"slices"
)

// Load reads the YAML file at path over Default(), applies the TRIBUTARY_*
// environment overrides from os.Getenv, then validates. It returns the
// config and a nil error, or a nil config and an *Errors listing every
// problem, each naming the file, key path and line. An unreadable file is
// one KeyError whose Err is the *fs.PathError (so errors.Is(err,
// fs.ErrNotExist) works).
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, asError(Errors{{File: path, Msg: msg, Err: err}})
	}
	return Parse(path, data, os.Getenv)
}

// Parse is Load over data. name labels the messages (usually the file
// name); env looks up environment variables and may be nil for none. An
// empty document yields the defaults; more than one document is an error.
// Parse never panics on any input.
func Parse(name string, data []byte, env func(string) string) (*Config, error) {
	c := Default()
	d := newDecoder(name)
	if !d.document(data, c) {
		return nil, asError(d.errs)
	}
	errs := d.errs
	var fromEnv []string
	if env != nil {
		var envErrs Errors
		envErrs, fromEnv = applyEnv(c, env)
		errs = append(errs, envErrs...)
	}
	for _, e := range c.validate() {
		if !slices.Contains(fromEnv, e.Path) {
			e.File, e.Line = name, d.lineOf(e.Path)
		}
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return nil, asError(errs)
	}
	return c, nil
}
