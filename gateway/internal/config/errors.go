package config

import (
	"strconv"
	"strings"
)

// KeyError is one problem in a configuration, located by the dotted key path
// it concerns ("spool.memory.memtable_size", "streams[2].name") or, for an
// environment override, by the variable's name ("TRIBUTARY_HTTP_ADDR").
type KeyError struct {
	// File is the name of the file the problem is in; empty for
	// problems found by Validate or in the environment.
	File string
	// Path is the dotted key path (or environment variable); empty for
	// problems with the file as a whole, such as a YAML syntax error.
	Path string
	// Line is the 1-based line in File, or 0 when unknown.
	Line int
	// Msg says what is wrong, quoting the offending value.
	Msg string
	// Err is the underlying cause, if any (for example the *fs.PathError
	// of a file that cannot be read); it is returned by Unwrap.
	Err error
}

// Error formats the problem as "file:line: path: msg", leaving out the
// parts that are empty (and the line when it is 0), for example
//
//	configs/x.yaml:7: spool.durability: must be one of fsync, interval, none (got "fsnyc")
func (e *KeyError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns e.Err (possibly nil).
func (e *KeyError) Unwrap() error { return e.Err }

// Errors is every problem found in a configuration, in the order found:
// file-level and decoding problems in document order, then environment
// overrides, then validation. Load, Parse and Validate return a non-empty
// *Errors or a nil error, never an empty list.
type Errors []*KeyError

// Error returns one KeyError.Error per line, joined with "\n".
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, ke := range e {
		lines[i] = ke.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the KeyErrors, so errors.Is and errors.As see each of
// them (and their causes).
func (e Errors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, ke := range e {
		errs[i] = ke
	}
	return errs
}

// asError returns errs as an error: nil when empty, otherwise *Errors.
func asError(errs Errors) error {
	if len(errs) == 0 {
		return nil
	}
	return &errs
}
