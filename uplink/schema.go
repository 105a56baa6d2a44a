package uplink

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Schema declares the columns of the csv and parquet formats: which fields
// of a JSON record go to which column, in order. A nil schema is inferred
// per batch from its first record that is a JSON object (see Column for
// the types inferred).
type Schema struct {
	Columns []Column
}

// Column is one column of a Schema.
type Column struct {
	// Name is the column's name (the csv header, the parquet field).
	Name string
	// Path is where the value is in the record: a top-level key ("temp")
	// or keys separated by dots into nested objects ("gps.lat"). Empty
	// means Name.
	Path string
	// Type is the parquet type; empty means string. The csv format writes
	// every value as text and ignores it.
	Type ColumnType
	// Required refuses a record whose field is missing or null (parquet
	// columns are otherwise optional: a missing field is a null).
	Required bool
}

// ColumnType is a column's parquet type.
//
// A value converts to its column's type or the record is refused (sent to
// the error output with the reason): string takes strings, numbers and
// booleans (as their JSON text); the numeric types take numbers and
// strings holding a JSON number, if they fit (int64 and int32 take
// integral values only, 2.0 and 2e3 included); boolean takes true, false
// and the strings "true" and "false"; timestamp takes RFC 3339 strings and
// epoch numbers (as Firehose reads them: a number below 10^11 in magnitude
// is seconds, fractions allowed, a larger one milliseconds), stored as
// milliseconds since the epoch, UTC; json takes any value and stores its
// compact JSON text as a UTF-8 string.
//
// An inferred schema has one optional column per top-level key of the
// first record, in order: int64 for an integral number that fits, double
// for another number, string for a string or null, boolean for a boolean,
// json for an object or array.
type ColumnType string

// The column types.
const (
	TypeString    ColumnType = "string"
	TypeInt64     ColumnType = "int64"
	TypeInt32     ColumnType = "int32"
	TypeDouble    ColumnType = "double"
	TypeFloat     ColumnType = "float"
	TypeBoolean   ColumnType = "boolean"
	TypeTimestamp ColumnType = "timestamp" // milliseconds, UTC
	TypeJSON      ColumnType = "json"
)

var columnTypes = []ColumnType{TypeString, TypeInt64, TypeInt32, TypeDouble, TypeFloat, TypeBoolean, TypeTimestamp, TypeJSON}

// maxColumns bounds a schema, declared or inferred: each parquet column
// holds a page buffer.
const maxColumns = 1000

// Validate reports the first problem of a declared schema: no columns,
// too many, a column without a name, a duplicate name, an unknown type, a
// path with an empty key. It does no I/O.
func (s *Schema) Validate() error {
	if len(s.Columns) == 0 {
		return errors.New("no columns")
	}
	if len(s.Columns) > maxColumns {
		return fmt.Errorf("%d columns; at most %d", len(s.Columns), maxColumns)
	}
	seen := make(map[string]bool, len(s.Columns))
	for i, c := range s.Columns {
		if c.Name == "" {
			return fmt.Errorf("column %d: no name", i+1)
		}
		if seen[c.Name] {
			return fmt.Errorf("column %q: duplicate name", c.Name)
		}
		seen[c.Name] = true
		if c.Type != "" && !slices.Contains(columnTypes, c.Type) {
			return fmt.Errorf("column %q: unknown type %q (one of %s)", c.Name, c.Type, typeList())
		}
		if p := c.path(); slices.Contains(strings.Split(p, "."), "") {
			return fmt.Errorf("column %q: path %q has an empty key", c.Name, p)
		}
	}
	return nil
}

func typeList() string {
	var b strings.Builder
	for i, t := range columnTypes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(t))
	}
	return b.String()
}

func (c Column) path() string {
	if c.Path == "" {
		return c.Name
	}
	return c.Path
}

// field is a column as the encoders use it.
type field struct {
	name     string
	key      string   // the path as declared, for messages
	path     []string // keys from the record's top level
	typ      ColumnType
	required bool
}

// fields compiles a validated schema.
func (s *Schema) fields() []field {
	out := make([]field, len(s.Columns))
	for i, c := range s.Columns {
		typ := c.Type
		if typ == "" {
			typ = TypeString
		}
		out[i] = field{name: c.Name, key: c.path(), path: strings.Split(c.path(), "."), typ: typ, required: c.Required}
	}
	return out
}

// inferFields returns a column per top-level key of obj (a valid JSON
// object), in order, typed by its value. Empty and repeated keys are left
// out (the first occurrence names the column, the last one's value is
// what a record's column holds, as encoding/json does); ok is false when
// there are more than maxColumns keys.
func inferFields(obj []byte) (out []field, ok bool) {
	seen := map[string]bool{}
	m := members{b: obj}
	for m.next() {
		key := string(unquote(m.key, nil))
		if key == "" || seen[key] {
			continue
		}
		if len(out) == maxColumns {
			return nil, false
		}
		seen[key] = true
		out = append(out, field{name: key, key: key, path: []string{key}, typ: inferType(m.val)})
	}
	return out, true
}

func inferType(v []byte) ColumnType {
	switch kindOf(v) {
	case kindBool:
		return TypeBoolean
	case kindNumber:
		if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return TypeInt64
		}
		return TypeDouble
	case kindObject, kindArray:
		return TypeJSON
	default:
		return TypeString
	}
}
